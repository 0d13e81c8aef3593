# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Cast, Literal, Null, Union, Window
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import RowNumber

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .channel import CHANNELS
from .common import ReportMixin, context_dates, one, restrict
from .currency import company_amount
from .revenue import opportunity_revenue
from .sales import WON_STATES, ReportCurrencyMixin, opportunity_where

MODELS = ['first', 'last', 'linear']


class CampaignTouch(ModelSQL, ModelView):
    "A campaign that reached the customer of an opportunity"
    __name__ = 'crm.campaign.touch'
    __string__ = "Campaign Touch"

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True,
        ondelete='CASCADE')
    campaign = fields.Many2One(
        'marketing.campaign', "Campaign", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.opportunity, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def touches_query(cls):
        """Return the query of (opportunity, campaign, date) of the touches
        and of the campaign of each opportunity at its start"""
        Opportunity = Pool().get('sale.opportunity')
        touch = cls.__table__()
        opportunity = Opportunity.__table__()
        return Union(
            touch.select(
                touch.opportunity.as_('opportunity'),
                touch.campaign.as_('campaign'),
                touch.date.as_('date')),
            opportunity.select(
                opportunity.id.as_('opportunity'),
                opportunity.marketing_campaign.as_('campaign'),
                opportunity.start_date.as_('date'),
                where=opportunity.marketing_campaign != Null))

    @classmethod
    def credit_query(cls):
        """Return the query of (opportunity, campaign, first, last, linear):
        the share of the opportunity credited to the campaign by each
        attribution model"""
        touches = cls.touches_query()
        order = [touches.date.asc, touches.campaign.asc]
        reverse = [touches.date.desc, touches.campaign.desc]
        ranked = touches.select(
            touches.opportunity, touches.campaign,
            RowNumber(window=Window([touches.opportunity], order_by=order)
                ).as_('rank'),
            RowNumber(window=Window([touches.opportunity], order_by=reverse)
                ).as_('reverse_rank'),
            Count(Literal(1), window=Window([touches.opportunity])
                ).as_('touches'))
        return ranked.select(
            ranked.opportunity.as_('opportunity'),
            ranked.campaign.as_('campaign'),
            Case((ranked.rank == 1, 1), else_=0).as_('first'),
            Case((ranked.reverse_rank == 1, 1), else_=0).as_('last'),
            (Literal(one()) / Cast(ranked.touches, 'NUMERIC')
                ).as_('linear'))


class Cost(ModelSQL, ModelView):
    "What a channel or a campaign cost"
    __name__ = 'crm.bi.cost'
    __string__ = "Marketing and Channel Cost"

    company = fields.Many2One('company.company', "Company", required=True)
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    campaign = fields.Many2One(
        'marketing.campaign', "Campaign", ondelete='RESTRICT',
        states={
            'invisible': Eval('channel') != 'campaign',
            'required': Eval('channel') == 'campaign',
            })
    date = fields.Date("Date", required=True)
    description = fields.Char("Description")
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True,
        help="Converted into the company currency at the date.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        Company = Pool().get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('channel', 'campaign')
    def on_change_channel(self):
        if self.channel != 'campaign':
            self.campaign = None

    @classmethod
    def cost_query(cls):
        """Return the query of the costs of the context company and period
        with columns channel, campaign and amount in the company currency"""
        cost = cls.__table__()
        context = Transaction().context
        from_date, to_date = context_dates()
        where = cost.company == context.get('company', -1)
        if from_date:
            where &= cost.date >= from_date
        if to_date:
            where &= cost.date <= to_date
        where = restrict(where, cls.__name__, cost.id)
        from_item, amount = company_amount(
            cost, cost.amount, cost.currency, cost.company, cost.date)
        return from_item.select(
            cost.channel.as_('channel'),
            cost.campaign.as_('campaign'),
            amount.as_('amount'),
            where=where)


class CampaignROI(ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    """Campaigns: the revenue and margin of the opportunities they touched
    under first-touch, last-touch and linear attribution, beside their cost"""
    __name__ = 'crm.bi.campaign'
    __string__ = "Campaign Effectiveness and ROI"

    company = fields.Many2One('company.company', "Company")
    campaign = fields.Many2One('marketing.campaign', "Campaign")
    opportunities = fields.Integer(
        "Opportunities", help="The opportunities the campaign touched.")
    won = fields.Integer("Won")
    revenue_first = Monetary(
        "Revenue (First Touch)", currency='currency', digits='currency',
        help="The invoiced revenue of the period credited to the first "
        "campaign that touched the opportunity.")
    revenue_last = Monetary(
        "Revenue (Last Touch)", currency='currency', digits='currency',
        help="Credited to the last campaign that touched the opportunity.")
    revenue_linear = Monetary(
        "Revenue (Linear)", currency='currency', digits='currency',
        help="Split evenly between the touches of the opportunity.")
    margin_first = Monetary(
        "Margin (First Touch)", currency='currency', digits='currency',
        help="The revenue less the cost of the products invoiced.")
    margin_last = Monetary(
        "Margin (Last Touch)", currency='currency', digits='currency')
    margin_linear = Monetary(
        "Margin (Linear)", currency='currency', digits='currency')
    cost = Monetary(
        "Cost", currency='currency', digits='currency',
        help="The costs of the campaign in the period.")
    roi_first = fields.Function(fields.Float(
            "ROI (First Touch) (%)", digits=(16, 1),
            help="The margin less the cost, over the cost."),
        'get_roi')
    roi_last = fields.Function(fields.Float(
            "ROI (Last Touch) (%)", digits=(16, 1)), 'get_roi')
    roi_linear = fields.Function(fields.Float(
            "ROI (Linear) (%)", digits=(16, 1)), 'get_roi')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue_linear', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _attributed(cls):
        "Return the query of the figures credited to each campaign"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Touch = pool.get('crm.campaign.touch')
        opportunity = Opportunity.__table__()
        credit = Touch.credit_query()
        revenue = opportunity_revenue(*context_dates())
        amount = Coalesce(revenue.amount, 0)
        margin = amount - Coalesce(revenue.cost, 0)
        won = opportunity.state.in_(WON_STATES)
        # The campaign filter keeps the campaign's row, not the
        # opportunities whose own campaign it is
        with Transaction().set_context(campaign=None):
            where = opportunity_where(opportunity)
        columns = []
        for model in MODELS:
            weight = getattr(credit, model)
            columns.append(Sum(amount * weight).as_('revenue_' + model))
            columns.append(Sum(margin * weight).as_('margin_' + model))
        return (credit
            .join(opportunity, condition=opportunity.id == credit.opportunity)
            .join(revenue, 'LEFT',
                condition=revenue.opportunity == opportunity.id)
            .select(
                credit.campaign.as_('campaign'),
                Count(opportunity.id, distinct=True).as_('opportunities'),
                Count(Case((won, opportunity.id)), distinct=True).as_('won'),
                *columns,
                where=where,
                group_by=[credit.campaign]))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        Cost = pool.get('crm.bi.cost')
        campaign = Campaign.__table__()
        context = Transaction().context
        attributed = cls._attributed()
        costs = Cost.cost_query()
        cost = costs.select(
            costs.campaign, Sum(costs.amount).as_('amount'),
            where=costs.campaign != Null,
            group_by=[costs.campaign])
        where = (attributed.campaign != Null) | (cost.campaign != Null)
        if context.get('campaign'):
            where &= campaign.id == context['campaign']
        columns = []
        for model in MODELS:
            for name in ['revenue_' + model, 'margin_' + model]:
                columns.append(getattr(cls, name).sql_cast(
                        Coalesce(getattr(attributed, name), 0)).as_(name))
        return (campaign
            .join(attributed, 'LEFT',
                condition=attributed.campaign == campaign.id)
            .join(cost, 'LEFT', condition=cost.campaign == campaign.id)
            .select(
                campaign.id.as_('id'),
                Literal(context.get('company', -1)).as_('company'),
                campaign.id.as_('campaign'),
                Coalesce(attributed.opportunities, 0).as_('opportunities'),
                Coalesce(attributed.won, 0).as_('won'),
                *columns,
                cls.cost.sql_cast(Coalesce(cost.amount, 0)).as_('cost'),
                where=where))

    def get_roi(self, name):
        margin = getattr(self, name.replace('roi_', 'margin_'))
        if self.cost:
            return round(float((margin - self.cost) / self.cost * 100), 1)
