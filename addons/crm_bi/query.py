# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Users' own read-only SQL queries

A query is validated by a SQL parser (sqlglot) as one SELECT that writes,
locks and calls nothing dangerous, then run with a row cap and a time limit:
on SQLite under ``PRAGMA query_only`` with an authorizer that refuses every
action but reading, and reading the secret tables and columns; on PostgreSQL
on a read-only connection with a statement timeout."""
import csv
import io
import sqlite3
import time

import sqlglot
from sqlglot import exp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction

# Never readable, whatever the column
SECRET_TABLES = {
    'res_user_application', 'res_user_login_attempt', 'res_user_device',
    'ir_session', 'ir_session_wizard', 'web_user_session',
    'web_user_authenticate_attempt',
    }
# Never readable, whatever the table
SECRET_COLUMNS = {
    'password_hash', 'password_reset', 'password_reset_expire', 'key',
    'token', 'secret', 'email_token', 'reset_password_token',
    }
# Tables with secret columns: read column by column only, never whole
TABLES_WITH_SECRETS = {'res_user', 'web_user'}
FORBIDDEN_NODES = tuple(getattr(exp, name) for name in [
        'Insert', 'Update', 'Delete', 'Merge', 'Create', 'Drop', 'Alter',
        'Command', 'Copy', 'Pragma', 'Set', 'Transaction', 'Commit',
        'Rollback', 'Lock', 'Into', 'Attach', 'Detach', 'Grant', 'Use',
        'LoadData', 'Analyze',
        ] if hasattr(exp, name))
FORBIDDEN_FUNCTION_PREFIXES = (
    'pg_', 'lo_', 'dblink', 'set_config', 'current_setting', 'query_to_xml',
    'table_to_xml', 'load_extension', 'readfile', 'writefile', 'edit',
    'fts3_tokenizer', 'sqlite_', 'txid_', 'nextval', 'setval',
    )


def _dialect():
    return 'sqlite' if backend.name == 'sqlite' else 'postgres'


def _function_name(node):
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def check_sql(sql):
    """Raise ValidationError unless sql is one read-only SELECT that reads
    no secret table or column"""
    try:
        statements = [s for s in sqlglot.parse(sql, read=_dialect()) if s]
    except sqlglot.errors.SqlglotError as exception:
        raise ValidationError(gettext(
                'crm_bi.msg_query_parse', error=str(exception).splitlines()[0]
                )) from exception
    if len(statements) != 1:
        raise ValidationError(gettext('crm_bi.msg_query_one_statement'))
    statement, = statements
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        raise ValidationError(gettext('crm_bi.msg_query_select_only'))
    tables = {t.name.lower() for t in statement.find_all(exp.Table)}
    if tables & TABLES_WITH_SECRETS:
        names = tables | {t.alias_or_name.lower()
            for t in statement.find_all(exp.Table)}
        for node in statement.walk():
            # A star or a whole row would read the secret columns
            if (isinstance(node, exp.Star)
                    or (isinstance(node, exp.Column)
                        and node.name.lower() in names)):
                raise ValidationError(gettext(
                        'crm_bi.msg_query_whole_row',
                        tables=', '.join(sorted(
                                tables & TABLES_WITH_SECRETS))))
    for node in statement.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise ValidationError(gettext(
                    'crm_bi.msg_query_forbidden', what=node.key.upper()))
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name.startswith(FORBIDDEN_FUNCTION_PREFIXES):
                raise ValidationError(gettext(
                        'crm_bi.msg_query_function', function=name))
        if isinstance(node, exp.Table) and node.name.lower() in SECRET_TABLES:
            raise ValidationError(gettext(
                    'crm_bi.msg_query_secret', name=node.name))
        if (isinstance(node, exp.Column)
                and node.name.lower() in SECRET_COLUMNS):
            raise ValidationError(gettext(
                    'crm_bi.msg_query_secret', name=node.name))
    return statement


def _sqlite_authorizer(action, arg1, arg2, database, trigger):
    "Allow reading, except the secrets, and calling harmless functions"
    if action == sqlite3.SQLITE_SELECT or action == sqlite3.SQLITE_RECURSIVE:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        if ((arg1 or '').lower() in SECRET_TABLES
                or (arg2 or '').lower() in SECRET_COLUMNS):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION:
        if (arg2 or '').lower().startswith(FORBIDDEN_FUNCTION_PREFIXES):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _run_sqlite(sql, limit, timeout):
    connection = Transaction().connection
    deadline = time.monotonic() + timeout
    cursor = connection.cursor()
    cursor.execute('PRAGMA query_only = ON')
    connection.set_authorizer(_sqlite_authorizer)
    # Returning non-zero interrupts the statement
    connection.set_progress_handler(
        lambda: time.monotonic() > deadline, 10_000)
    try:
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(limit + 1)
    except sqlite3.OperationalError as exception:
        if time.monotonic() > deadline:
            raise ValidationError(gettext(
                    'crm_bi.msg_query_timeout', seconds=timeout)
                ) from exception
        raise ValidationError(gettext(
                'crm_bi.msg_query_error', error=str(exception))
            ) from exception
    except sqlite3.DatabaseError as exception:
        raise ValidationError(gettext(
                'crm_bi.msg_query_error', error=str(exception))
            ) from exception
    finally:
        connection.set_progress_handler(None, 0)
        connection.set_authorizer(None)
        cursor.execute('PRAGMA query_only = OFF')
    return columns, rows


# The SQLSTATE of a statement stopped by statement_timeout
QUERY_CANCELED = '57014'


def _run_postgresql(sql, limit, timeout):
    # A read-only connection of its own, so that nothing can be written or
    # locked (it reads what is committed); the timeout is local to its
    # transaction, which is rolled back before the connection goes back to
    # the pool
    database = Transaction().database
    connection = database.get_connection(readonly=True)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)",
            ('%dms' % (timeout * 1000),))
        try:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchmany(limit + 1)
        except Exception as exception:
            if getattr(exception, 'sqlstate', None) == QUERY_CANCELED:
                raise ValidationError(gettext(
                        'crm_bi.msg_query_timeout', seconds=timeout)
                    ) from exception
            raise ValidationError(gettext(
                    'crm_bi.msg_query_error', error=str(exception))
                ) from exception
    finally:
        connection.rollback()
        database.put_connection(connection)
    return columns, rows


def run_sql(sql, limit, timeout):
    """Return the columns and at most limit + 1 rows of the validated
    query, stopped after timeout seconds"""
    check_sql(sql)
    if backend.name == 'sqlite':
        return _run_sqlite(sql, limit, timeout)
    return _run_postgresql(sql, limit, timeout)


class Query(ModelSQL, ModelView):
    __name__ = 'crm.bi.query'
    __string__ = "BI Query"

    name = fields.Char("Name", required=True)
    sql = fields.Text(
        "SQL", required=True,
        help="One SELECT statement; it reads the database as it is, "
        "without the record rules, and never the secret tables and "
        "columns (passwords, keys, sessions).")
    row_limit = fields.Integer(
        "Row Limit", required=True,
        domain=[
            ('row_limit', '>', 0),
            ('row_limit', '<=', 100_000),
            ])
    timeout = fields.Integer(
        "Timeout (s)", required=True,
        domain=[
            ('timeout', '>', 0),
            ('timeout', '<=', 300),
            ])
    result = fields.Text("Result", readonly=True)
    truncated = fields.Boolean("Truncated", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'run': {},
                })

    @classmethod
    def default_row_limit(cls):
        return 1000

    @classmethod
    def default_timeout(cls):
        return 10

    @classmethod
    def validate_fields(cls, queries, field_names):
        super().validate_fields(queries, field_names)
        if not field_names or 'sql' in field_names:
            for query in queries:
                check_sql(query.sql)

    def execute(self):
        "Return the columns, rows and whether rows were left out"
        columns, rows = run_sql(self.sql, self.row_limit, self.timeout)
        return columns, rows[:self.row_limit], len(rows) > self.row_limit

    @classmethod
    @ModelView.button
    def run(cls, queries):
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        ModelAccess.check(cls.__name__, 'read')
        for query in queries:
            columns, rows, truncated = query.execute()
            output = io.StringIO()
            writer = csv.writer(output)
            writer.writerow(columns)
            writer.writerows(rows)
            query.result = output.getvalue()
            query.truncated = truncated
        cls.save(queries)

    def number(self):
        "Return the first column of the first row as a number, or None"
        _, rows = run_sql(self.sql, 1, self.timeout)
        if rows and rows[0] and rows[0][0] is not None:
            try:
                return float(rows[0][0])
            except (TypeError, ValueError) as exception:
                raise ValidationError(gettext(
                        'crm_bi.msg_query_not_number', query=self.rec_name)
                    ) from exception
