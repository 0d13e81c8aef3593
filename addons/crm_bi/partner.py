# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The partner report, registered when crm_partner is activated"
import datetime

from sql import Null
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .common import ReportMixin, context_dates, day_after
from .revenue import opportunity_revenue
from .sales import WON_STATES, ReportCurrencyMixin, count, opportunity_where
from .service import hours


class PartnerPerformance(
        ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    "Partners: the leads proposed to them, what they made of them"
    __name__ = 'crm.bi.partner'
    __string__ = "Partner Performance"

    company = fields.Many2One('company.company', "Company")
    partner = fields.Many2One(
        'party.party', "Partner",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    leads = fields.Integer(
        "Leads Assigned", help="The leads proposed in the period.")
    accepted = fields.Integer("Accepted")
    won = fields.Integer("Won", help="The accepted leads won or converted.")
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency',
        help="The invoiced revenue of the period of the accepted leads.")
    answered = fields.Integer("Answered")
    response_hours = fields.Float(
        "Response Time (h)", digits=(16, 1),
        help="The average hours from the proposal to the answer.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Opportunity = pool.get('sale.opportunity')
        assignment = Assignment.__table__()
        opportunity = Opportunity.__table__()
        revenue = opportunity_revenue(*context_dates())
        context = Transaction().context
        from_date, to_date = context_dates()
        where = assignment.company == context.get('company', -1)
        if from_date:
            where &= assignment.date >= datetime.datetime.combine(
                from_date, datetime.time())
        if to_date:
            where &= assignment.date < day_after(to_date)
        where &= opportunity_where(opportunity)
        accepted = assignment.state == 'accepted'
        response = hours(assignment.response_date, assignment.date)
        return (assignment
            .join(opportunity,
                condition=opportunity.id == assignment.opportunity)
            .join(revenue, 'LEFT',
                condition=revenue.opportunity == opportunity.id)
            .select(
                Min(assignment.id).as_('id'),
                assignment.company.as_('company'),
                assignment.partner.as_('partner'),
                Count(assignment.id).as_('leads'),
                count(accepted).as_('accepted'),
                count(accepted & opportunity.state.in_(WON_STATES)
                    ).as_('won'),
                cls.revenue.sql_cast(Sum(Case(
                            (accepted, Coalesce(revenue.amount, 0)),
                            else_=0))).as_('revenue'),
                Count(assignment.response_date).as_('answered'),
                cls.response_hours.sql_cast(Avg(Case(
                            (assignment.response_date != Null, response),
                            else_=Null))).as_('response_hours'),
                where=where,
                group_by=[assignment.company, assignment.partner]))
