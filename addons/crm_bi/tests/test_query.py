# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Users' own queries: validated, capped, timed out, and blind to secrets"
import csv
import io
import unittest

from trytond import backend
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.tools import as_user, create_staff
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from ..query import check_sql

DESIGNER = ['crm_bi.group_crm_bi_designer']
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

    def _query(self, sql, **values):
        Query = Pool().get('crm.bi.query')
        query = Query(name="Q", sql=sql, **values)
        query.save()
        return query

    def _rows(self, query):
        return list(csv.reader(io.StringIO(query.result)))

    @with_transaction()
    def test_run_with_row_cap(self):
        "A query gives its rows as CSV, capped at the row limit"
        pool = Pool()
        Query = pool.get('crm.bi.query')
        # Committed rows: on PostgreSQL a query reads through a connection
        # of its own
        query = self._query(
            "SELECT code FROM ir_lang WHERE code IN ('de', 'en', 'es', 'fr') "
            "ORDER BY code", row_limit=3)
        Query.run([query])
        self.assertEqual(self._rows(query), [['code'], ['de'], ['en'], ['es']])
        self.assertTrue(query.truncated)

    @with_transaction()
    def test_endless_query_stopped(self):
        "An endless cross join is stopped by the timeout; the session lives"
        pool = Pool()
        Query = pool.get('crm.bi.query')
        Party = pool.get('party.party')
        query = self._query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
            "SELECT i + 1 FROM n) SELECT COUNT(i) FROM n", timeout=1)
        with self.assertRaisesRegex(ValidationError, 'stopped'):
            Query.run([query])
        # The connection reads and writes as before
        Party.create([{'name': "After"}])
        self.assertTrue(Party.search([('name', '=', "After")]))

    @unittest.skipIf(backend.name != 'sqlite', "SQLite's authorizer")
    @with_transaction()
    def test_authorizer_refuses_secrets(self):
        "The database refuses what the validation could not see"
        pool = Pool()
        Query = pool.get('crm.bi.query')
        from ..query import _run_sqlite
        # Through a view of its own making the parser sees no secret, the
        # authorizer does; and nothing can be written
        for sql in [
                "SELECT * FROM (SELECT * FROM res_user)",
                "SELECT * FROM res_user_application",
                ]:
            with self.subTest(sql=sql):
                with self.assertRaises(ValidationError):
                    _run_sqlite(sql, 10, 5)
        with self.assertRaises(ValidationError):
            _run_sqlite("DELETE FROM party_party", 10, 5)
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
        from ..query import _run_postgresql
        with self.assertRaises(ValidationError):
            _run_postgresql("DELETE FROM party_party", 10, 5)
        # The user's own transaction goes on
        Party.create([{'name': "After"}])
        self.assertTrue(Party.search([('name', '=', "After")]))

    @with_transaction()
    def test_saving_hostile_refused(self):
        "A hostile query cannot be saved"
        with self.assertRaises(ValidationError):
            self._query("DELETE FROM party_party")

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
                Query.run([query])
                self.assertTrue(query.result)
            with as_user(users['analyst']):
                with self.assertRaises(AccessError):
                    Query.search([])
