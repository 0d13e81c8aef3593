# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Users' own read-only SQL queries

A query is validated by a SQL parser (sqlglot) as one SELECT that writes,
locks and calls nothing dangerous, then run with a row cap and a time limit:
on SQLite under ``PRAGMA query_only`` with an authorizer that refuses every
action but reading, and reading the secret tables and columns; on PostgreSQL
on a read-only connection with a statement timeout."""
import contextlib
import datetime
import io
import sqlite3
import time
from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp

from trytond import backend
from trytond.config import config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .chart import chart_url
from .export import query_url, write_csv

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
# The catalogues of PostgreSQL: roles (and their password hashes), settings
SECRET_SCHEMAS = {'pg_catalog', 'information_schema', 'pg_toast'}
SECRET_TABLE_PREFIXES = ('pg_',)
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


def _secret_table(table):
    name = table.name.lower()
    return (name in SECRET_TABLES
        or name.startswith(SECRET_TABLE_PREFIXES)
        or table.db.lower() in SECRET_SCHEMAS)


def placeholders(statement):
    "Return the names of the :name placeholders of the statement in order"
    names = []
    for node in statement.walk(bfs=False):
        if (isinstance(node, exp.Placeholder) and node.name
                and node.name not in names):
            names.append(node.name)
    return names


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
        if isinstance(node, exp.Table) and _secret_table(node):
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


@contextlib.contextmanager
def _translated_errors(timeout, deadline):
    "Turn the database's refusals into the user's errors"
    try:
        yield
    except Exception as exception:
        stopped = (getattr(exception, 'sqlstate', None) == QUERY_CANCELED
            or (isinstance(exception, sqlite3.OperationalError)
                and time.monotonic() > deadline))
        if stopped:
            raise ValidationError(gettext(
                    'crm_bi.msg_query_timeout', seconds=timeout)
                ) from exception
        # psycopg's errors carry their SQLSTATE
        if (isinstance(exception, sqlite3.Error)
                or hasattr(exception, 'sqlstate')):
            raise ValidationError(gettext(
                    'crm_bi.msg_query_error', error=str(exception))
                ) from exception
        raise


@contextlib.contextmanager
def _sqlite_cursor(statement, params, timeout):
    "Yield a cursor that ran the statement read-only under the authorizer"
    connection = Transaction().connection
    deadline = time.monotonic() + timeout
    cursor = connection.cursor()
    cursor.execute('PRAGMA query_only = ON')
    connection.set_authorizer(_sqlite_authorizer)
    # Returning non-zero interrupts the statement
    connection.set_progress_handler(
        lambda: time.monotonic() > deadline, 10_000)
    try:
        with _translated_errors(timeout, deadline):
            cursor.execute(statement.sql('sqlite'), params)
            yield cursor
    finally:
        connection.set_progress_handler(None, 0)
        connection.set_authorizer(None)
        cursor.execute('PRAGMA query_only = OFF')


# The SQLSTATE of a statement stopped by statement_timeout
QUERY_CANCELED = '57014'


def postgresql_text(statement):
    """Return the statement's text for psycopg: its :name placeholders as
    %(name)s, every other % doubled"""
    statement = statement.copy()
    markers = {}
    for node in list(statement.find_all(exp.Placeholder)):
        marker = 'crm_bi_parameter_%d' % len(markers)
        markers[marker] = node.name
        node.replace(exp.column(marker))
    text = statement.sql('postgres').replace('%', '%%')
    for marker, name in markers.items():
        text = text.replace(marker, '%%(%s)s' % name)
    return text


@contextlib.contextmanager
def _postgresql_cursor(statement, params, timeout):
    """Yield a cursor that ran the statement on a read-only connection of
    its own, as the reader role when one is configured"""
    # Nothing can be written or locked (it reads what is committed); the
    # timeout and the role are local to its transaction, which is rolled
    # back before the connection goes back to the pool
    database = Transaction().database
    connection = database.get_connection(readonly=True)
    try:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)",
            ('%dms' % (timeout * 1000),))
        role = config.get('crm_bi', 'reader_role', default=None)
        if role:
            cursor.execute("SELECT set_config('role', %s, true)", (role,))
        with _translated_errors(timeout, time.monotonic() + timeout):
            # A server-side cursor: the rows come a batch at a time
            cursor = connection.cursor(name='crm_bi_query')
            cursor.execute(postgresql_text(statement), params)
            yield cursor
    finally:
        connection.rollback()
        database.put_connection(connection)


def reader_grants(role):
    """Return the SQL statements that let the PostgreSQL role read every
    table of the modules but the secret tables and columns

    A database administrator creates the role (NOLOGIN), grants it to the
    user trytond connects as, runs these statements after each update and
    names it in ``[crm_bi] reader_role``: the users' queries then run as
    the role, so PostgreSQL itself refuses the secrets the validation
    might miss."""
    pool = Pool()
    identifier = '"%s"' % role.replace('"', '""')
    statements = [
        'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s' % identifier,
        'GRANT USAGE ON SCHEMA public TO %s' % identifier,
        ]
    tables = {}
    for _, Model in pool.iterobject():
        if not issubclass(Model, ModelSQL) or Model._is_table_query():
            continue
        columns = tables.setdefault(Model._table, {'id'})
        columns.update(
            name for name, field in Model._fields.items()
            if field._sql_type and not isinstance(field, fields.Function))
    for table, columns in sorted(tables.items()):
        if table in SECRET_TABLES or table.startswith(SECRET_TABLE_PREFIXES):
            continue
        readable = sorted(columns - SECRET_COLUMNS)
        if table in TABLES_WITH_SECRETS or columns & SECRET_COLUMNS:
            statements.append('GRANT SELECT (%s) ON "%s" TO %s' % (
                    ', '.join('"%s"' % c for c in readable), table,
                    identifier))
        else:
            statements.append(
                'GRANT SELECT ON "%s" TO %s' % (table, identifier))
    return statements


@contextlib.contextmanager
def query_cursor(sql, params, timeout):
    """Yield a cursor that ran the validated query with its parameters
    bound, stopped after timeout seconds"""
    statement = check_sql(sql)
    missing = set(placeholders(statement)) - set(params)
    if missing:
        raise ValidationError(gettext(
                'crm_bi.msg_query_parameter_missing',
                names=', '.join(sorted(missing))))
    if backend.name == 'sqlite':
        runner = _sqlite_cursor
    else:
        runner = _postgresql_cursor
    with runner(statement, params, timeout) as cursor:
        yield cursor


def run_sql(sql, params, limit, timeout):
    """Return the columns and at most limit + 1 rows of the validated
    query"""
    with query_cursor(sql, params, timeout) as cursor:
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(limit + 1)
    return columns, rows


def stream_sql(sql, params, timeout):
    """Yield the columns then every row of the validated query, a batch at
    a time"""
    with query_cursor(sql, params, timeout) as cursor:
        yield [d[0] for d in cursor.description or []]
        while True:
            rows = cursor.fetchmany(1000)
            if not rows:
                break
            yield from rows


PARAMETER_TYPES = [
    ('char', "Text"),
    ('integer', "Integer"),
    ('numeric', "Number"),
    ('date', "Date"),
    ('boolean', "Boolean"),
    ]


def parse_value(type_, text):
    "Return the value of the parameter's text, None if empty"
    if text is None or text == '':
        return None
    if type_ == 'integer':
        return int(text)
    elif type_ == 'numeric':
        return Decimal(text)
    elif type_ == 'date':
        return datetime.date.fromisoformat(text)
    elif type_ == 'boolean':
        return text.lower() in {'1', 'true', 'yes', 'y', 't'}
    return text


class Query(ModelSQL, ModelView):
    __name__ = 'crm.bi.query'
    __string__ = "BI Query"

    name = fields.Char("Name", required=True)
    sql = fields.Text(
        "SQL", required=True,
        help="One SELECT statement; :name is a parameter. It reads the "
        "database as it is, without the record rules, and never the secret "
        "tables and columns (passwords, keys, sessions).")
    parameters = fields.One2Many(
        'crm.bi.query.parameter', 'query', "Parameters",
        help="The type and default value of each :name of the SQL.")
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
    owner = fields.Many2One(
        'res.user', "Owner", required=True, ondelete='CASCADE')
    groups = fields.Many2Many(
        'crm.bi.query-res.group', 'query', 'group', "Shared with",
        help="The members of these groups read and run the query.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'run': {},
                'chart': {},
                })

    @classmethod
    def default_row_limit(cls):
        return 1000

    @classmethod
    def default_timeout(cls):
        return 10

    @classmethod
    def default_owner(cls):
        return Transaction().user or None

    @classmethod
    def validate_fields(cls, queries, field_names):
        super().validate_fields(queries, field_names)
        if not field_names or field_names & {'sql', 'parameters'}:
            for query in queries:
                query.check_parameters()

    def check_parameters(self):
        "Check the SQL and that each of its :name has one parameter"
        names = set(placeholders(check_sql(self.sql)))
        declared = {p.name for p in self.parameters}
        if names != declared:
            raise ValidationError(gettext(
                    'crm_bi.msg_query_parameters',
                    query=self.rec_name,
                    names=', '.join(sorted(names)) or '-',
                    declared=', '.join(sorted(declared)) or '-'))

    @fields.depends('sql', 'parameters')
    def on_change_sql(self):
        "Add a parameter line for each new :name of the SQL"
        Parameter = Pool().get('crm.bi.query.parameter')
        try:
            names = placeholders(check_sql(self.sql or ''))
        except ValidationError:
            return
        parameters = [p for p in self.parameters or [] if p.name in names]
        known = {p.name for p in parameters}
        parameters += [
            Parameter(name=n, type='char') for n in names if n not in known]
        self.parameters = parameters

    def values(self, texts=None):
        """Return the values of the parameters by name from their texts
        (by name, else the defaults)"""
        texts = texts or {}
        values = {}
        for parameter in self.parameters:
            values[parameter.name] = parameter.parse(
                texts.get(parameter.name, parameter.default))
        return values

    def execute(self, values):
        "Return the columns, rows and whether rows were left out"
        columns, rows = run_sql(
            self.sql, values, self.row_limit, self.timeout)
        return columns, rows[:self.row_limit], len(rows) > self.row_limit

    def stream(self, values):
        "Yield the columns then every row, without the row limit"
        return stream_sql(self.sql, values, self.timeout)

    @classmethod
    @ModelView.button_action('crm_bi.wizard_query_run')
    def run(cls, queries):
        pass

    def number(self, texts=None):
        """Return the first column of the first row as a number, or None,
        with the parameters of the texts (by name, else the defaults)"""
        _, rows = run_sql(self.sql, self.values(texts), 1, self.timeout)
        if rows and rows[0] and rows[0][0] is not None:
            try:
                return float(rows[0][0])
            except (TypeError, ValueError) as exception:
                raise ValidationError(gettext(
                        'crm_bi.msg_query_not_number', query=self.rec_name)
                    ) from exception

    @classmethod
    @ModelView.button
    def chart(cls, queries):
        "Open the chart of the first query in the browser, in the session"
        for query in queries[:1]:
            return {
                'type': 'ir.action.url',
                'name': query.name,
                'url': chart_url(query),
                }


class QueryGroup(ModelSQL):
    __name__ = 'crm.bi.query-res.group'
    __string__ = "BI Query - Group"

    query = fields.Many2One(
        'crm.bi.query', "Query", required=True, ondelete='CASCADE')
    group = fields.Many2One(
        'res.group', "Group", required=True, ondelete='CASCADE')


class QueryParameter(ModelSQL, ModelView):
    __name__ = 'crm.bi.query.parameter'
    __string__ = "BI Query Parameter"

    query = fields.Many2One(
        'crm.bi.query', "Query", required=True, ondelete='CASCADE')
    name = fields.Char(
        "Name", required=True,
        help="The name of the parameter in the SQL, without the colon.")
    string = fields.Char("Label", translate=True)
    type = fields.Selection(PARAMETER_TYPES, "Type", required=True)
    default = fields.Char(
        "Default", help="The value used when none is given, as text "
        "(dates as YYYY-MM-DD).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('query_name_unique', Unique(t, t.query, t.name),
                'crm_bi.msg_query_parameter_unique'),
            ]

    @classmethod
    def default_type(cls):
        return 'char'

    @classmethod
    def validate_fields(cls, parameters, field_names):
        super().validate_fields(parameters, field_names)
        for parameter in parameters:
            parameter.parse(parameter.default)

    def parse(self, text):
        "Return the value of the text, or raise a translated error"
        try:
            return parse_value(self.type, text)
        except (ValueError, InvalidOperation) as exception:
            raise ValidationError(gettext(
                    'crm_bi.msg_query_parameter_value',
                    parameter=self.string or self.name, value=text,
                    type=dict(PARAMETER_TYPES)[self.type])
                ) from exception


class QueryRunStart(ModelView):
    __name__ = 'crm.bi.query.run.start'
    __string__ = "Run Query"

    query = fields.Many2One('crm.bi.query', "Query", readonly=True)
    values = fields.One2Many(
        'crm.bi.query.run.value', None, "Parameters")


class QueryRunValue(ModelView):
    __name__ = 'crm.bi.query.run.value'
    __string__ = "Run Query Parameter"

    name = fields.Char("Name", readonly=True)
    string = fields.Char("Label", readonly=True)
    type = fields.Selection(PARAMETER_TYPES, "Type", readonly=True)
    value = fields.Char("Value")


class QueryRunResult(ModelView):
    __name__ = 'crm.bi.query.run.result'
    __string__ = "Query Result"

    result = fields.Text("Result", readonly=True)
    truncated = fields.Boolean("Truncated", readonly=True)


class QueryRun(Wizard):
    "Ask the values of the query's parameters, run it and show its rows"
    __name__ = 'crm.bi.query.run'

    start = StateView('crm.bi.query.run.start',
        'crm_bi.query_run_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Run", 'run_query', 'tryton-launch', default=True),
            ])
    # Not "execute": that is the wizard's own method that sao calls
    run_query = StateTransition()
    result = StateView('crm.bi.query.run.result',
        'crm_bi.query_run_result_view_form', [
            Button("CSV", 'csv', 'tryton-download'),
            Button("Excel", 'xlsx', 'tryton-download'),
            Button("Close", 'end', 'tryton-close', default=True),
            ])
    csv = StateAction('crm_bi.url_export')
    xlsx = StateAction('crm_bi.url_export')

    def default_start(self, fields):
        return {
            'query': self.record.id,
            'values': [{
                    'name': p.name,
                    'string': p.string or p.name,
                    'type': p.type,
                    'value': p.default,
                    } for p in self.record.parameters],
            }

    def transition_run_query(self):
        values = self._values()
        columns, rows, truncated = self.record.execute(values)
        self.result.result = csv_text(columns, rows)
        self.result.truncated = truncated
        return 'result'

    def default_result(self, fields):
        return {
            'result': self.result.result,
            'truncated': self.result.truncated,
            }

    def _values(self):
        return self.record.values(
            {v.name: v.value for v in self.start.values})

    def do_csv(self, action):
        action['url'] = query_url(self.record, 'csv', self._values())
        return action, {}

    def do_xlsx(self, action):
        action['url'] = query_url(self.record, 'xlsx', self._values())
        return action, {}


def csv_text(columns, rows):
    "Return the columns and rows as CSV text"
    output = io.StringIO()
    write_csv(output, columns, rows)
    return output.getvalue()
