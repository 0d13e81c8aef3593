# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Users' own queries: validated, capped, timed out, and blind to secrets"
import datetime
import unittest

from trytond import backend
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.tools import as_user, create_staff
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from ..query import (
    check_sql, placeholders, postgresql_text, reader_grants)

DESIGNER = ['crm_bi.group_crm_bi_designer']
ANALYST = ['crm_bi.group_crm_bi_analyst']
HOSTILE = [
    "DELETE FROM res_user",
    "UPDATE res_user SET name = 'x'",
    "INSERT INTO party_party (name) VALUES ('x')",
    "DROP TABLE party_party",
    "CREATE TABLE x (id INTEGER)",
    "ALTER TABLE party_party ADD COLUMN x INTEGER",
    "SELECT 1; DELETE FROM party_party",
    "SELECT 1; SELECT 2",
    "SELECT pg_sleep(10)",
    "COPY party_party TO STDOUT",
    "SELECT set_config('statement_timeout', '0', false)",
    "SELECT * FROM dblink('host=x', 'SELECT 1') AS t(a INTEGER)",
    "WITH x AS (DELETE FROM party_party RETURNING id) SELECT * FROM x",
    "SELECT id FROM party_party FOR UPDATE",
    "SELECT password_hash FROM res_user",
    "SELECT u.login, u.password_hash FROM res_user AS u",
    "SELECT * FROM res_user",
    "SELECT u FROM res_user AS u",
    "SELECT key FROM res_user_application",
    "SELECT user FROM res_user_application",
    "ATTACH DATABASE '/tmp/x.sqlite' AS x",
    "PRAGMA query_only = OFF",
    "SELECT load_extension('x')",
    "SELECT id INTO x FROM party_party",
    "SELECT rolpassword FROM pg_authid",
    "SELECT passwd FROM pg_catalog.pg_shadow",
    "SELECT usename FROM pg_user",
    "SELECT table_name FROM information_schema.tables",
    "SELECT name FROM party_party WHERE id = :id; DELETE FROM party_party",
    "SELECT password_hash FROM res_user WHERE login = :login",
    "",
    "SELEC id FROM party_party",
    ]


class QueryTestCase(unittest.TestCase):
    "Test the users' own queries"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    def test_hostile_refused(self):
        "Every hostile statement is refused at validation"
        for sql in HOSTILE:
            with self.subTest(sql=sql):
                with self.assertRaises(ValidationError):
                    check_sql(sql)

    def test_select_accepted(self):
        "Plain selects, joins, unions and CTEs are accepted"
        for sql in [
                "SELECT id, name FROM party_party",
                "SELECT u.login, p.name FROM res_user AS u "
                "JOIN party_party AS p ON p.id = u.id",
                "WITH p AS (SELECT id FROM party_party) "
                "SELECT COUNT(id) FROM p",
                "SELECT id FROM party_party UNION SELECT id FROM res_user",
                ]:
            with self.subTest(sql=sql):
                check_sql(sql)

    def _query(self, sql, parameters=(), **values):
        Query = Pool().get('crm.bi.query')
        query = Query(name="Q", sql=sql, parameters=[
                dict(zip(['name', 'type', 'default'], p))
                for p in parameters], **values)
        query.save()
        return query

    @with_transaction()
    def test_run_with_row_cap(self):
        "A query gives its rows, capped at the row limit"
        # Committed rows: on PostgreSQL a query reads through a connection
        # of its own
        query = self._query(
            "SELECT code FROM ir_lang WHERE code IN ('de', 'en', 'es', 'fr') "
            "ORDER BY code", row_limit=3)
        columns, rows, truncated = query.execute({})
        self.assertEqual(columns, ['code'])
        self.assertEqual(rows, [('de',), ('en',), ('es',)])
        self.assertTrue(truncated)

    def test_placeholders(self):
        "The :name placeholders are found in order, once each"
        statement = check_sql(
            "SELECT code FROM ir_lang WHERE code LIKE :prefix "
            "AND (translatable = :flag OR code = :prefix) AND name LIKE 'a%'")
        self.assertEqual(placeholders(statement), ['prefix', 'flag'])
        self.assertEqual(postgresql_text(statement),
            "SELECT code FROM ir_lang WHERE code LIKE %(prefix)s "
            "AND (translatable = %(flag)s OR code = %(prefix)s) "
            "AND name LIKE 'a%%'")

    @with_transaction()
    def test_parameters_bound(self):
        "Parameter values are bound, typed, never pasted into the SQL"
        query = self._query(
            "SELECT code FROM ir_lang WHERE code = :code "
            "OR (code = 'fr' AND :day > '2000-01-01') "
            "OR (code = 'de' AND :n > 5) ORDER BY code",
            [('code', 'char', 'en'), ('day', 'date', '2001-02-03'),
                ('n', 'integer', '1')])
        self.assertEqual(query.values({}), {
                'code': 'en', 'day': datetime.date(2001, 2, 3), 'n': 1})
        _, rows, _ = query.execute(query.values({}))
        self.assertEqual(rows, [('en',), ('fr',)])
        _, rows, _ = query.execute(query.values({'n': '6'}))
        self.assertEqual(rows, [('de',), ('en',), ('fr',)])
        # An injection attempt is a value like any other
        _, rows, _ = query.execute(
            query.values({'code': "en' OR '1' = '1", 'day': '1999-01-01'}))
        self.assertEqual(rows, [])
        with self.assertRaisesRegex(ValidationError, 'not a valid'):
            query.values({'n': 'five'})

    @with_transaction()
    def test_parameters_must_match(self):
        "Each :name of the SQL has exactly one typed parameter line"
        for sql, parameters in [
                ("SELECT code FROM ir_lang WHERE code = :code", []),
                ("SELECT code FROM ir_lang", [('code', 'char', None)]),
                ("SELECT code FROM ir_lang WHERE code = :code",
                    [('code', 'integer', 'x')]),
                ]:
            with self.subTest(sql=sql, parameters=parameters):
                with self.assertRaises(ValidationError):
                    self._query(sql, parameters)
                Transaction().rollback()

    @with_transaction()
    def test_on_change_sql_adds_parameters(self):
        "Writing :name in the SQL adds its parameter line"
        Query = Pool().get('crm.bi.query')
        query = Query(sql="SELECT id FROM party_party WHERE id > :low",
            parameters=[])
        query.on_change_sql()
        self.assertEqual([p.name for p in query.parameters], ['low'])

    @with_transaction()
    def test_endless_query_stopped(self):
        "An endless cross join is stopped by the timeout; the session lives"
        pool = Pool()
        Party = pool.get('party.party')
        for sql in [
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                "SELECT i + 1 FROM n) SELECT COUNT(i) FROM n",
                "SELECT COUNT(*) FROM ir_model_field AS a "
                "CROSS JOIN ir_model_field AS b "
                "CROSS JOIN ir_model_field AS c",
                ]:
            with self.subTest(sql=sql):
                query = self._query(sql, timeout=1)
                with self.assertRaisesRegex(ValidationError, 'stopped'):
                    query.execute({})
        # The connection reads and writes as before
        Party.create([{'name': "After"}])
        self.assertTrue(Party.search([('name', '=', "After")]))

    @unittest.skipIf(backend.name != 'sqlite', "SQLite's authorizer")
    @with_transaction()
    def test_authorizer_refuses_secrets(self):
        "The database refuses what the validation could not see"
        pool = Pool()
        Query = pool.get('crm.bi.query')
        from sqlglot import parse_one

        from ..query import _sqlite_cursor
        # Through a view of its own making the parser sees no secret, the
        # authorizer does; and nothing can be written
        for sql in [
                "SELECT * FROM (SELECT * FROM res_user)",
                "SELECT * FROM res_user_application",
                ]:
            with self.subTest(sql=sql):
                with self.assertRaises(ValidationError):
                    with _sqlite_cursor(parse_one(sql), {}, 5):
                        pass
        with self.assertRaises(ValidationError):
            with _sqlite_cursor(parse_one("DELETE FROM party_party"), {}, 5):
                pass
        cursor = Transaction().connection.cursor()
        cursor.execute('PRAGMA query_only')
        self.assertEqual(cursor.fetchone()[0], 0)
        self.assertTrue(Query)

    @unittest.skipIf(backend.name != 'postgresql', "PostgreSQL's connection")
    @with_transaction()
    def test_read_only_connection(self):
        "What the validation could not see cannot write on PostgreSQL"
        pool = Pool()
        Party = pool.get('party.party')
        from sqlglot import parse_one

        from ..query import _postgresql_cursor
        with self.assertRaises(ValidationError):
            with _postgresql_cursor(
                    parse_one("DELETE FROM party_party"), {}, 5):
                pass
        # The user's own transaction goes on
        Party.create([{'name': "After"}])
        self.assertTrue(Party.search([('name', '=', "After")]))

    @with_transaction()
    def test_reader_grants(self):
        "The reader role of PostgreSQL reads no secret table nor column"
        statements = reader_grants('crm_bi_reader')
        self.assertIn(
            'GRANT SELECT ON "sale_opportunity" TO "crm_bi_reader"',
            statements)
        user, = [s for s in statements if ' ON "res_user" ' in s]
        self.assertIn('"login"', user)
        for secret in ['password_hash', 'password_reset']:
            self.assertNotIn('"%s"' % secret, user)
        for secret in ['res_user_application', 'ir_session']:
            self.assertFalse(
                [s for s in statements if ' ON "%s" ' % secret in s])

    @with_transaction()
    def test_saving_hostile_refused(self):
        "A hostile query cannot be saved"
        with self.assertRaises(ValidationError):
            self._query("DELETE FROM party_party")

    @with_transaction()
    def test_shared_with_groups(self):
        """The owner and the members of the shared groups read and run a
        query; only designers write, and only their own queries"""
        pool = Pool()
        Query = pool.get('crm.bi.query')
        Group = pool.get('res.group')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'designer': ("Designer", DESIGNER),
                    'other': ("Other Designer", DESIGNER),
                    'analyst': ("Analyst", ANALYST),
                    'outsider': ("Outsider", ANALYST),
                    }, 'A-long-enough-password-1')
            team, = Group.create([{
                        'name': "Analysts of North",
                        'users': [('add', [users['analyst'].id])],
                        }])
            with as_user(users['designer']):
                query = self._query(
                    "SELECT code FROM ir_lang WHERE code = :code",
                    [('code', 'char', 'en')], groups=[team.id])
                query_id = query.id
            with as_user(users['analyst']):
                query = Query(query_id)
                _, rows, _ = query.execute(query.values({}))
                self.assertEqual(rows, [('en',)])
                with self.assertRaises(AccessError):
                    Query.write([query], {'name': "Mine"})
                with self.assertRaises(AccessError):
                    Query.create([{'name': "Mine", 'sql': "SELECT 1"}])
            for login in ['outsider', 'other']:
                with self.subTest(login=login), as_user(users[login]):
                    self.assertEqual(Query.search([]), [])
                    with self.assertRaises(AccessError):
                        Query.read([query_id], ['sql'])

    @with_transaction()
    def test_designer_only(self):
        "Only a BI designer writes and runs queries"
        pool = Pool()
        Query = pool.get('crm.bi.query')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'designer': ("Designer", DESIGNER),
                    'analyst': ("Analyst", ['crm_sales.group_crm_analyst']),
                    }, 'A-long-enough-password-1')
            with as_user(users['designer']):
                query = self._query("SELECT id FROM party_party")
                self.assertTrue(query.execute({}))
            with as_user(users['analyst']):
                with self.assertRaises(AccessError):
                    Query.search([])
