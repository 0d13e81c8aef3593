# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond import backend
from trytond.model import ModelView, fields
from trytond.modules.crm_service.case import CHANNELS
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, check_access


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
    "An SQL report of the catalogue whose query can be shown"
    __slots__ = ()

    @classmethod
    def show_sql(cls):
        """Return the SQL text and parameters run for the current context
        and user, with the record rules that apply when the user reads"""
        with check_access():
            query = cls.table_query()
        return str(query), tuple(query.params)


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
