# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Literal, Null, Union
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .common import ReportMixin, context_dates, day_after, restrict
from .revenue import opportunity_revenue
from .sales import WON_STATES, ReportCurrencyMixin, opportunity_where

CHANNELS = [
    ('phone', "Phone"),
    ('email', "E-mail"),
    ('web', "Web"),
    ('partner', "Partner"),
    ('field', "Field"),
    ('campaign', "Campaign"),
    ]
# The channel of a service case by the way it came in
CASE_CHANNELS = {
    'phone': 'phone',
    'mobile': 'phone',
    'email': 'email',
    'fax': 'email',
    'web': 'web',
    'portal': 'web',
    'chat': 'web',
    'field': 'field',
    }


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_channel = fields.Selection(
        [(None, "")] + CHANNELS, "Channel",
        help="How the lead came in (the campaign's when empty and the "
        "opportunity has a campaign).")


def _index(column):
    "Return the position of the channel of column, the id of its row"
    return Case(*((column == c, i) for i, (c, _) in enumerate(
                CHANNELS, 1)), else_=Null)


class ChannelOptimisation(
        ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    """Channels: the leads, cases, conversions and revenue they bring beside
    what they cost"""
    __name__ = 'crm.bi.channel'
    __string__ = "Channel Optimisation"

    company = fields.Many2One('company.company', "Company")
    channel = fields.Selection(CHANNELS, "Channel")
    leads = fields.Integer(
        "Leads", help="The opportunities started in the period.")
    conversions = fields.Integer(
        "Conversions", help="The opportunities won or converted in the "
        "period.")
    cases = fields.Integer("Cases", help="The service cases opened.")
    resolved = fields.Integer(
        "Resolved Cases", help="The cases opened in the period and "
        "resolved.")
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency',
        help="The invoiced revenue of the period of the opportunities.")
    cost = Monetary("Cost", currency='currency', digits='currency')
    cost_per_lead = fields.Function(Monetary(
            "Cost per Lead", currency='currency', digits='currency'),
        'get_cost_per')
    cost_per_conversion = fields.Function(Monetary(
            "Cost per Conversion", currency='currency', digits='currency'),
        'get_cost_per')
    cost_per_outcome = fields.Function(Monetary(
            "Cost per Outcome", currency='currency', digits='currency',
            help="The cost over the conversions and resolved cases."),
        'get_cost_per')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]

    @classmethod
    def _opportunities(cls):
        "Return the leads, conversions and revenue of each channel"
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        revenue = opportunity_revenue(*context_dates())
        from_date, to_date = context_dates()
        started, converted = Literal(True), opportunity.state.in_(WON_STATES)
        if from_date:
            started &= opportunity.start_date >= from_date
            converted &= opportunity.end_date >= from_date
        if to_date:
            started &= opportunity.start_date <= to_date
            converted &= opportunity.end_date <= to_date
        channel = Coalesce(opportunity.crm_channel, Case(
                (opportunity.marketing_campaign != Null, 'campaign'),
                else_=Null))
        return (opportunity
            .join(revenue, 'LEFT',
                condition=revenue.opportunity == opportunity.id)
            .select(
                channel.as_('channel'),
                Case((started, 1), else_=0).as_('leads'),
                Case((converted, 1), else_=0).as_('conversions'),
                Literal(0).as_('cases'),
                Literal(0).as_('resolved'),
                Coalesce(revenue.amount, 0).as_('revenue'),
                Literal(0).as_('cost'),
                where=(opportunity.state != 'cancelled')
                & opportunity_where(opportunity)))

    @classmethod
    def _cases(cls):
        "Return the cases and resolved cases of each channel"
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
        where = restrict(where, Case_.__name__, case.id)
        channel = Case(*((case.channel == c, m)
                for c, m in CASE_CHANNELS.items()), else_=Null)
        return case.select(
            channel.as_('channel'),
            Literal(0).as_('leads'),
            Literal(0).as_('conversions'),
            Literal(1).as_('cases'),
            Case((case.resolved_at != Null, 1), else_=0).as_('resolved'),
            Literal(0).as_('revenue'),
            Literal(0).as_('cost'),
            where=where)

    @classmethod
    def _costs(cls):
        Cost = Pool().get('crm.bi.cost')
        costs = Cost.cost_query()
        return costs.select(
            costs.channel.as_('channel'),
            Literal(0).as_('leads'),
            Literal(0).as_('conversions'),
            Literal(0).as_('cases'),
            Literal(0).as_('resolved'),
            Literal(0).as_('revenue'),
            costs.amount.as_('cost'))

    @classmethod
    def table_query(cls):
        context = Transaction().context
        facts = Union(
            cls._opportunities(), cls._cases(), cls._costs(), all_=True)
        where = facts.channel != Null
        channel = CASE_CHANNELS.get(context.get('channel'))
        if channel:
            where &= facts.channel == channel
        # One row per channel: its position is its id
        channels = facts.select(
            _index(facts.channel).as_('id'),
            facts.channel, facts.leads, facts.conversions, facts.cases,
            facts.resolved, facts.revenue, facts.cost,
            where=where)
        return channels.select(
            channels.id.as_('id'),
            Literal(context.get('company', -1)).as_('company'),
            channels.channel.as_('channel'),
            Sum(channels.leads).as_('leads'),
            Sum(channels.conversions).as_('conversions'),
            Sum(channels.cases).as_('cases'),
            Sum(channels.resolved).as_('resolved'),
            cls.revenue.sql_cast(Sum(channels.revenue)).as_('revenue'),
            cls.cost.sql_cast(Sum(channels.cost)).as_('cost'),
            group_by=[channels.id, channels.channel])

    def get_cost_per(self, name):
        outcomes = {
            'cost_per_lead': self.leads,
            'cost_per_conversion': self.conversions,
            'cost_per_outcome': (
                (self.conversions or 0) + (self.resolved or 0)),
            }[name]
        if outcomes and self.cost is not None:
            return self.currency.round(self.cost / outcomes)
