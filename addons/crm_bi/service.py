# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case
from sql.functions import DateTrunc, Extract

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.crm_service.case import CHANNELS
from trytond.pool import Pool
from trytond.transaction import Transaction

from .common import ReportMixin, context_dates, day_after, restrict

OPEN_STATES = ['new', 'assigned', 'in_progress', 'waiting']


def hours(end, start):
    "Return the hours between two timestamps, on both backends"
    return (Extract('EPOCH', end) - Extract('EPOCH', start)) / 3600


class Service(ReportMixin, ModelSQL, ModelView):
    "Service cases by month opened, team and channel"
    __name__ = 'crm.bi.service'
    __string__ = "Service Volume and SLA"

    company = fields.Many2One('company.company', "Company")
    month = fields.Date("Month")
    team = fields.Many2One('crm.sales.team', "Team")
    channel = fields.Selection(CHANNELS, "Channel")
    cases = fields.Integer("Cases")
    responded = fields.Integer("Responded")
    first_response_hours = fields.Float(
        "First Response (h)", digits=(16, 2),
        help="The average time from opening to the first response.")
    resolved = fields.Integer("Resolved")
    resolution_hours = fields.Float(
        "Resolution (h)", digits=(16, 2),
        help="The average time from opening to the resolution.")
    sla_met = fields.Integer("SLA Met")
    sla_breached = fields.Integer("SLA Breached")
    sla_compliance = fields.Function(fields.Float(
            "SLA Compliance (%)", digits=(3, 1),
            help="Met among the cases that met or breached their SLA."),
        'get_sla_compliance')
    backlog = fields.Integer(
        "Backlog", help="The cases still open (not resolved nor closed).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Case_ = Pool().get('crm.service.case')
        case = Case_.__table__()
        context = Transaction().context
        from_date, to_date = context_dates()
        where = case.company == context.get('company', -1)
        if from_date:
            where &= case.create_date >= datetime.datetime.combine(
                from_date, datetime.time())
        if to_date:
            where &= case.create_date < day_after(to_date)
        if context.get('team'):
            where &= case.team == context['team']
        if context.get('channel'):
            where &= case.channel == context['channel']
        where = restrict(where, 'crm.service.case', case.id)
        # The month is computed once: PostgreSQL does not recognise two
        # parameterised DATE_TRUNC as the same grouping expression
        cases = case.select(
            case.id, case.company, case.team, case.channel, case.state,
            case.sla_status,
            cls.month.sql_cast(
                DateTrunc('month', case.create_date)).as_('month'),
            hours(case.first_response_at, case.create_date).as_('response'),
            hours(case.resolved_at, case.create_date).as_('resolution'),
            where=where)

        def count(condition):
            return Sum(Case((condition, 1), else_=0))
        return cases.select(
            Min(cases.id).as_('id'),
            cases.company.as_('company'),
            cases.month.as_('month'),
            cases.team.as_('team'),
            cases.channel.as_('channel'),
            Count(cases.id).as_('cases'),
            Count(cases.response).as_('responded'),
            cls.first_response_hours.sql_cast(
                Avg(cases.response)).as_('first_response_hours'),
            Count(cases.resolution).as_('resolved'),
            cls.resolution_hours.sql_cast(
                Avg(cases.resolution)).as_('resolution_hours'),
            count(cases.sla_status == 'met').as_('sla_met'),
            count(cases.sla_status == 'breached').as_('sla_breached'),
            count(cases.state.in_(OPEN_STATES)).as_('backlog'),
            group_by=[cases.company, cases.month, cases.team,
                cases.channel])

    def get_sla_compliance(self, name):
        evaluated = (self.sla_met or 0) + (self.sla_breached or 0)
        if evaluated:
            return round(100.0 * self.sla_met / evaluated, 1)
