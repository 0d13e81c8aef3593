# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from contextvars import ContextVar
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from sql import Column, Union, Values

from trytond import backend
from trytond.cache import Cache
from trytond.model import ModelView, fields
from trytond.modules.crm_service.case import CHANNELS
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, check_access

# The columns ModelSQL gives every row of a table query alike, not the query
META_COLUMNS = {'create_uid', 'create_date', 'write_uid', 'write_date'}
# The report and the rows its read is served from
_served = ContextVar('crm_bi_served', default=(None, None))


def one():
    "Return the unit that makes a SQL division decimal on both backends"
    # SQLite divides integers as integers
    return 1.0 if backend.name == 'sqlite' else 1


def sql_literal(value):
    "Return the SQL literal of a parameter value"
    if value is None:
        return 'NULL'
    if isinstance(value, bool):
        return 'TRUE' if value else 'FALSE'
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        # python-sql compares to a list with "= ANY (%s)" on PostgreSQL;
        # an empty array is written as a literal that takes the type of
        # what it is compared to (ARRAY[] has none)
        if not value:
            return "'{}'"
        return 'ARRAY[%s]' % ', '.join(map(sql_literal, value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat(sep=' ') if isinstance(
            value, datetime.datetime) else value.isoformat()
    return "'%s'" % str(value).replace("'", "''")


def inline_sql(sql, params):
    """Return the SQL with its parameters written in as literals, to copy
    into a SQL console

    The queries are built by python-sql, which passes every value as a
    parameter: the only placeholders are those of the parameters."""
    if backend.name == 'sqlite':
        parts = sql.split('?')
    else:
        parts = [p.replace('%%', '%') for p in sql.split('%s')]
    assert len(parts) == len(params) + 1
    text = parts[0]
    for value, part in zip(params, parts[1:]):
        text += sql_literal(value) + part
    return text


def readable(model_name, column):
    """Return the condition that keeps the rows of column (an id of
    model_name) the user may read through the record rules, or None

    Reports aggregate the base tables directly: without this, a
    salesperson would read the figures of the teams the rules hide."""
    Rule = Pool().get('ir.rule')
    if Rule.domain_get(model_name, mode='read'):
        return column.in_(Rule.query_get(model_name, mode='read'))


def restrict(where, model_name, column):
    "Return where restricted to the rows of model_name the user may read"
    condition = readable(model_name, column)
    return where if condition is None else where & condition


class ReportMixin:
    """An SQL report of the catalogue whose query can be shown

    A report's row cannot be found by its id without running the report's
    query again: a search keeps the rows it fetched, by model, user, access
    check and context, for a minute, and the read of those ids (sao's next
    call, a record's fields) is served from them instead of the query."""
    __slots__ = ()
    _searched = Cache('crm_bi.report.searched', duration=60)

    @classmethod
    def show_sql(cls):
        """Return the SQL text and parameters run for the current context
        and user, with the record rules that apply when the user reads"""
        with check_access():
            query = cls.table_query()
        return str(query), tuple(query.params)

    @classmethod
    def _searched_key(cls, checked):
        return (cls.__name__, Transaction().user, checked)

    @classmethod
    def _searched_rows(cls):
        """The rows of the user's last search in the context: with the
        access checked, those of a search that checked it; without (Tryton
        reading the fields of searched records), those of any search"""
        checks = [True] if Transaction().check_access else [False, True]
        for checked in checks:
            rows = cls._searched.get(cls._searched_key(checked))
            if rows:
                return rows

    @classmethod
    def _row_columns(cls):
        "The names of the columns of the report's query"
        return ['id'] + sorted(n for n, f in cls._fields.items()
            if n != 'id' and n not in META_COLUMNS and not hasattr(f, 'get'))

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        if count or query:
            return super().search(domain, offset=offset, limit=limit,
                order=order, count=count, query=query)
        select = super().search(
            domain, offset=offset, limit=limit, order=order, query=True)
        # The searched ids with the values of their row
        table = select.columns[0].expression.table
        cursor = Transaction().connection.cursor()
        if isinstance(table, Union):
            # A domain searched as a union of queries: only ids
            cursor.execute(*select)
            return cls.browse([i for i, in cursor])
        select.columns = [
            Column(table, n).as_(cls._output_name(n))
            for n in cls._row_columns()]
        cursor.execute(*select)
        rows = cursor.fetchall()
        cls._keep(rows)
        return cls.browse([r[0] for r in rows])

    @classmethod
    def _keep(cls, rows):
        """Keep the searched rows for the reads to come and, as ModelSQL's
        search does, in the transaction's cache of the records"""
        transaction = Transaction()
        cls._searched.set(cls._searched_key(transaction.check_access),
            {r[0]: tuple(r[1:]) for r in rows})
        columns = cls._row_columns()[1:]
        cache = transaction.get_cache()[cls.__name__]
        for row in rows:
            cache[row[0]]._update(zip(columns, row[1:]))

    @classmethod
    def _output_name(cls, name):
        "The name of the column as the backend converts its type"
        if backend.name == 'sqlite' and name != 'id':
            return '%s [%s]' % (name, cls._fields[name].sql_type().base)
        return name

    @classmethod
    def read(cls, ids, fields_names):
        rows = cls._searched_rows()
        if not ids or not rows or any(i not in rows for i in ids):
            return super().read(ids, fields_names)
        result = []
        # Each value is a parameter of the query
        size = 30_000 // len(cls._row_columns())
        for sub_ids in grouped_slice(ids, size):
            sub_ids = list(sub_ids)
            token = _served.set((cls, [(i,) + rows[i] for i in sub_ids]))
            try:
                result.extend(super().read(sub_ids, fields_names))
            finally:
                _served.reset(token)
        return result

    @classmethod
    def __table__(cls):
        """The report's query, or while a read is served from kept rows,
        those rows (VALUES): ModelSQL's read does the rest (access, related
        and function fields) as it does on the query"""
        served, rows = _served.get()
        if served is not cls:
            return super().__table__()
        values = Values(rows)
        return values.select(*(Column(values, f'column{i}').as_(name)
                for i, name in enumerate(cls._row_columns(), 1)))


class ReportContext(ModelView):
    "The filters shared by the reports of the catalogue"
    __name__ = 'crm.bi.context'
    __string__ = "CRM Report Filters"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')), ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ()),
            ])
    team = fields.Many2One(
        'crm.sales.team', "Team",
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    territory = fields.Many2One('crm.territory', "Territory")
    # Not "employee": the user preferences set it in every context
    salesperson = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    campaign = fields.Many2One('marketing.campaign', "Campaign")
    channel = fields.Selection(
        [(None, "")] + CHANNELS, "Channel",
        help="The channel of the service cases.")
    history_months = fields.Integer(
        "History (months)", required=True,
        domain=[
            ('history_months', '>', 0),
            ],
        help="The months before the From Date (or today) whose closed "
        "opportunities calibrate the forecast.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_history_months(cls):
        return 12


def context_dates():
    "Return the from and to dates of the context"
    context = Transaction().context
    return context.get('from_date'), context.get('to_date')


def history_window():
    "Return the first and the day after the last day of the history"
    pool = Pool()
    Date = pool.get('ir.date')
    context = Transaction().context
    end = context.get('from_date') or Date.today()
    months = context.get('history_months') or 12
    return end - relativedelta(months=months), end


def day_after(date):
    return datetime.datetime.combine(
        date + datetime.timedelta(days=1), datetime.time())
