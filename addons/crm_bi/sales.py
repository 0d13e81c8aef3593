# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Null, Union
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import DateTrunc

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.crm_sales.common import CompanyCurrencyGraphMixin
from trytond.modules.crm_sales.target import (
    BASES, attribution_query, member_query)
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.transaction import Transaction

from .common import ReportMixin, context_dates, history_window, one, restrict
from .currency import company_amount

OPEN_STATES = ['lead', 'opportunity', 'converted']
WON_STATES = ['converted', 'won']
QUALIFIED_STATES = ['opportunity', 'converted', 'won', 'lost']
STATES = [
    ('lead', "Lead"),
    ('opportunity', "Opportunity"),
    ('converted', "Converted"),
    ('won', "Won"),
    ('lost', "Lost"),
    ('cancelled', "Cancelled"),
    ]
# The upper bounds of the probability bands that calibrate the forecast
BANDS = [0.25, 0.5, 0.75]


def opportunity_where(opportunity, date_column=None):
    """Return the condition of the opportunities of the context filters
    that the user may read, with date_column between its dates"""
    context = Transaction().context
    where = opportunity.company == context.get('company', -1)
    from_date, to_date = context_dates()
    if date_column is not None:
        if from_date:
            where &= date_column >= from_date
        if to_date:
            where &= date_column <= to_date
    for name, column in [
            ('team', opportunity.crm_team),
            ('territory', opportunity.crm_territory),
            ('salesperson', opportunity.employee),
            ('campaign', opportunity.marketing_campaign),
            ]:
        if context.get(name):
            where &= column == context[name]
    return restrict(where, 'sale.opportunity', opportunity.id)


def opportunity_amount(opportunity):
    """Return opportunity joined to the currency rates and the expression of
    its expected revenue in the company currency at its start date"""
    return company_amount(
        opportunity, Coalesce(opportunity.amount, 0), opportunity.currency,
        opportunity.company, opportunity.start_date)


def count(condition):
    return Sum(Case((condition, 1), else_=0))


class ReportCurrencyMixin(CompanyCurrencyGraphMixin):
    __slots__ = ()

    @classmethod
    def get_currency(cls, records, name):
        return {r.id: r.company.currency.id for r in records}


class Pipeline(ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    "Open opportunities by stage with their expected and weighted revenue"
    __name__ = 'crm.bi.pipeline'
    __string__ = "Pipeline by Stage"

    company = fields.Many2One('company.company', "Company")
    state = fields.Selection(STATES, "Stage", sort=False)
    number = fields.Integer("Opportunities")
    amount = Monetary(
        "Expected Revenue", currency='currency', digits='currency')
    weighted_amount = Monetary(
        "Weighted Revenue", currency='currency', digits='currency',
        help="The expected revenue times the conversion probability.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('state', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_item, amount = opportunity_amount(opportunity)
        return from_item.select(
            Min(opportunity.id).as_('id'),
            opportunity.company.as_('company'),
            opportunity.state.as_('state'),
            Count(opportunity.id).as_('number'),
            cls.amount.sql_cast(Sum(amount)).as_('amount'),
            cls.weighted_amount.sql_cast(
                Sum(amount * opportunity.conversion_probability)
                ).as_('weighted_amount'),
            where=opportunity.state.in_(OPEN_STATES)
            & opportunity_where(opportunity, opportunity.end_date),
            group_by=[opportunity.company, opportunity.state])


class Forecast(ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    """Open opportunities by expected close month, weighted by their
    probability and by the rate at which the past pipeline was won"""
    __name__ = 'crm.bi.forecast'
    __string__ = "Revenue Forecast"

    company = fields.Many2One('company.company', "Company")
    month = fields.Date("Month")
    number = fields.Integer("Opportunities")
    amount = Monetary(
        "Expected Revenue", currency='currency', digits='currency')
    weighted_amount = Monetary(
        "Weighted Revenue", currency='currency', digits='currency',
        help="The expected revenue times the conversion probability.")
    calibrated_amount = Monetary(
        "Calibrated Revenue", currency='currency', digits='currency',
        help="The expected revenue times the share of the revenue that "
        "was won, over the history, among the closed opportunities of "
        "the same probability band (the probability when there is no "
        "history).")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def _band(opportunity):
        "Return the index of the probability band of the opportunity"
        return Case(*((opportunity.conversion_probability < bound, i)
                for i, bound in enumerate(BANDS)),
            else_=len(BANDS))

    @classmethod
    def history_query(cls):
        """Return the query of (band, rate): the share of the revenue of the
        opportunities of the band closed during the history that was won"""
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        start, end = history_window()
        # sale.opportunity keeps no history of its stages, but keeps its
        # last probability when it is won or lost: the band is the stage
        from_item, amount = opportunity_amount(opportunity)
        closed = from_item.select(
            cls._band(opportunity).as_('band'),
            amount.as_('amount'),
            opportunity.state.as_('state'),
            where=opportunity.state.in_(['won', 'lost'])
            & (opportunity.end_date >= start)
            & (opportunity.end_date < end)
            & opportunity_where(opportunity))
        return closed.select(
            closed.band.as_('band'),
            (Sum(Case((closed.state == 'won', closed.amount), else_=0))
                * one() / NullIf(Sum(closed.amount), 0)).as_('rate'),
            group_by=[closed.band])

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        history = cls.history_query()
        # The month and band are computed once: PostgreSQL does not
        # recognise two parameterised expressions as the same grouping
        from_item, amount = opportunity_amount(opportunity)
        pipeline = from_item.select(
            opportunity.id.as_('id'),
            opportunity.company.as_('company'),
            cls.month.sql_cast(
                DateTrunc('month', opportunity.end_date)).as_('month'),
            cls._band(opportunity).as_('band'),
            amount.as_('amount'),
            opportunity.conversion_probability.as_('probability'),
            where=opportunity.state.in_(OPEN_STATES)
            & (opportunity.end_date != Null)
            & opportunity_where(opportunity, opportunity.end_date))
        return (pipeline
            .join(history, 'LEFT', condition=history.band == pipeline.band)
            .select(
                Min(pipeline.id).as_('id'),
                pipeline.company.as_('company'),
                pipeline.month.as_('month'),
                Count(pipeline.id).as_('number'),
                cls.amount.sql_cast(Sum(pipeline.amount)).as_('amount'),
                cls.weighted_amount.sql_cast(
                    Sum(pipeline.amount * pipeline.probability)
                    ).as_('weighted_amount'),
                cls.calibrated_amount.sql_cast(
                    Sum(pipeline.amount
                        * Coalesce(history.rate, pipeline.probability))
                    ).as_('calibrated_amount'),
                group_by=[pipeline.company, pipeline.month]))


class Funnel(ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    "Leads through qualification to won or lost by campaign, source, territory"
    __name__ = 'crm.bi.funnel'
    __string__ = "Funnel and Win/Loss"

    company = fields.Many2One('company.company', "Company")
    campaign = fields.Many2One('marketing.campaign', "Campaign")
    source = fields.Many2One('marketing.source', "Source")
    territory = fields.Many2One('crm.territory', "Territory")
    leads = fields.Integer("Leads", help="Every opportunity started.")
    qualified = fields.Integer(
        "Qualified", help="Opportunities, converted, won or lost.")
    won = fields.Integer("Won", help="Converted or won.")
    lost = fields.Integer("Lost")
    won_amount = Monetary(
        "Won Revenue", currency='currency', digits='currency')
    lost_amount = Monetary(
        "Lost Revenue", currency='currency', digits='currency')
    win_rate = fields.Function(fields.Float(
            "Win Rate (%)", digits=(3, 1),
            help="Won among the won and lost."),
        'get_win_rate')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('leads', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_item, amount = opportunity_amount(opportunity)
        won = opportunity.state.in_(WON_STATES)
        lost = opportunity.state == 'lost'
        return from_item.select(
            Min(opportunity.id).as_('id'),
            opportunity.company.as_('company'),
            opportunity.marketing_campaign.as_('campaign'),
            opportunity.marketing_source.as_('source'),
            opportunity.crm_territory.as_('territory'),
            Count(opportunity.id).as_('leads'),
            count(opportunity.state.in_(QUALIFIED_STATES)).as_('qualified'),
            count(won).as_('won'),
            count(lost).as_('lost'),
            cls.won_amount.sql_cast(
                Sum(Case((won, amount), else_=0))).as_('won_amount'),
            cls.lost_amount.sql_cast(
                Sum(Case((lost, amount), else_=0))).as_('lost_amount'),
            where=(opportunity.state != 'cancelled')
            & opportunity_where(opportunity, opportunity.start_date),
            group_by=[opportunity.company, opportunity.marketing_campaign,
                opportunity.marketing_source, opportunity.crm_territory])

    def get_win_rate(self, name):
        closed = (self.won or 0) + (self.lost or 0)
        if closed:
            return round(100.0 * self.won / closed, 1)


class Performance(ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    "Salesperson and team targets beside what they achieved"
    __name__ = 'crm.bi.performance'
    __string__ = "Performance against Targets"

    target = fields.Many2One('crm.target', "Target")
    company = fields.Many2One('company.company', "Company")
    employee = fields.Many2One('company.employee', "Salesperson")
    team = fields.Many2One('crm.sales.team', "Team")
    basis = fields.Selection(BASES, "Basis")
    start_date = fields.Date("Start Date")
    end_date = fields.Date("End Date")
    target_amount = Monetary(
        "Target Amount", currency='currency', digits='currency')
    achieved_amount = Monetary(
        "Achieved Amount", currency='currency', digits='currency')
    achievement = fields.Function(fields.Float(
            "Achievement (%)", digits=(16, 1)), 'get_achievement')
    target_count = fields.Integer("Target Count")
    achieved_count = fields.Integer("Achieved Count")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _achieved(cls):
        "Return the query of (target, amount, count) of every target"
        pool = Pool()
        Target = pool.get('crm.target')
        Sale = pool.get('sale.sale')
        Invoice = pool.get('account.invoice')
        queries = []
        for basis, _ in BASES:
            target = Target.__table__()
            member = member_query()
            attribution = attribution_query(basis)
            # The attributed documents are sales or invoices: their
            # currency converts the amount to the company's at their date
            document = (
                Sale if basis == 'confirmed' else Invoice).__table__()
            from_item, amount = company_amount(
                member
                .join(target, condition=target.id == member.target)
                .join(attribution, condition=(
                        (attribution.employee == member.employee)
                        & (attribution.company == target.company)
                        & (attribution.date >= target.start_date)
                        & (attribution.date <= target.end_date)))
                .join(document,
                    condition=document.id == attribution.document),
                attribution.amount, document.currency, attribution.company,
                attribution.date)
            queries.append(from_item
                .select(
                    target.id.as_('target'),
                    Sum(amount).as_('amount'),
                    Count(attribution.document, distinct=True).as_('count'),
                    where=target.basis == basis,
                    group_by=target.id))
        return Union(*queries, all_=True)

    @classmethod
    def table_query(cls):
        Target = Pool().get('crm.target')
        target = Target.__table__()
        context = Transaction().context
        from_date, to_date = context_dates()
        where = target.company == context.get('company', -1)
        if from_date:
            where &= target.end_date >= from_date
        if to_date:
            where &= target.start_date <= to_date
        if context.get('team'):
            where &= target.team == context['team']
        if context.get('salesperson'):
            where &= target.employee == context['salesperson']
        where = restrict(where, 'crm.target', target.id)
        achieved = cls._achieved()
        return (target
            .join(achieved, 'LEFT', condition=achieved.target == target.id)
            .select(
                target.id.as_('id'),
                target.id.as_('target'),
                target.company.as_('company'),
                target.employee.as_('employee'),
                target.team.as_('team'),
                target.basis.as_('basis'),
                target.start_date.as_('start_date'),
                target.end_date.as_('end_date'),
                target.target_amount.as_('target_amount'),
                cls.achieved_amount.sql_cast(
                    Coalesce(achieved.amount, 0)).as_('achieved_amount'),
                target.target_count.as_('target_count'),
                Coalesce(achieved.count, 0).as_('achieved_count'),
                where=where))

    def get_achievement(self, name):
        if self.target_amount:
            return round(
                float(self.achieved_amount / self.target_amount * 100), 1)
