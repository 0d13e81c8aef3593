# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null, Union
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.crm_sales.target import BASES
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.transaction import Transaction

from .common import ReportMixin, context_dates, restrict
from .revenue import revenue_query
from .sales import (
    OPEN_STATES, WON_STATES, ReportCurrencyMixin, count, opportunity_amount,
    opportunity_where)


class TerritoryPerformance(
        ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    "Territories: their team's targets beside the revenue of the territory"
    __name__ = 'crm.bi.territory'
    __string__ = "Territory Performance"

    company = fields.Many2One('company.company', "Company")
    territory = fields.Many2One('crm.territory', "Territory")
    team = fields.Many2One('crm.sales.team', "Team")
    leads = fields.Integer(
        "Leads", help="The opportunities started in the period.")
    won = fields.Integer(
        "Won", help="The opportunities won or converted in the period.")
    pipeline_amount = Monetary(
        "Open Pipeline", currency='currency', digits='currency',
        help="The expected revenue of the open opportunities.")
    target_amount = Monetary(
        "Target Amount", currency='currency', digits='currency',
        help="The targets of the territory's team in the period.")
    achieved_amount = Monetary(
        "Achieved Amount", currency='currency', digits='currency',
        help="The revenue of the territory's opportunities in the periods "
        "of the targets, on the basis of each target.")
    achievement = fields.Function(fields.Float(
            "Achievement (%)", digits=(16, 1)), 'get_achievement')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('achieved_amount', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _targets(cls):
        "Return the query of the targets of the context with their territory"
        pool = Pool()
        Target = pool.get('crm.target')
        Territory = pool.get('crm.territory')
        target = Target.__table__()
        territory = Territory.__table__()
        context = Transaction().context
        from_date, to_date = context_dates()
        where = target.company == context.get('company', -1)
        if from_date:
            where &= target.end_date >= from_date
        if to_date:
            where &= target.start_date <= to_date
        where = restrict(where, 'crm.target', target.id)
        return (target
            .join(territory, condition=territory.team == target.team)
            .select(
                territory.id.as_('territory'),
                target.id.as_('target'),
                target.basis.as_('basis'),
                target.start_date.as_('start_date'),
                target.end_date.as_('end_date'),
                Coalesce(target.target_amount, 0).as_('amount'),
                where=where))

    @classmethod
    def _achieved(cls):
        "Return the query of (territory, amount) achieved in target periods"
        Opportunity = Pool().get('sale.opportunity')
        queries = []
        for basis, _ in BASES:
            targets = cls._targets()
            documents = revenue_query(basis)
            opportunity = Opportunity.__table__()
            queries.append(targets
                .join(opportunity,
                    condition=opportunity.crm_territory == targets.territory)
                .join(documents, condition=(
                        (documents.opportunity == opportunity.id)
                        & (documents.date >= targets.start_date)
                        & (documents.date <= targets.end_date)))
                .select(
                    targets.territory.as_('territory'),
                    Sum(documents.amount).as_('amount'),
                    where=(targets.basis == basis)
                    & opportunity_where(opportunity),
                    group_by=[targets.territory]))
        return Union(*queries, all_=True)

    @classmethod
    def _opportunities(cls):
        "Return the query of the leads, won and pipeline per territory"
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_date, to_date = context_dates()
        started = won = Literal(True)
        if from_date:
            started &= opportunity.start_date >= from_date
            won &= opportunity.end_date >= from_date
        if to_date:
            started &= opportunity.start_date <= to_date
            won &= opportunity.end_date <= to_date
        from_item, amount = opportunity_amount(opportunity)
        return from_item.select(
            opportunity.crm_territory.as_('territory'),
            count(started).as_('leads'),
            count(won & opportunity.state.in_(WON_STATES)).as_('won'),
            Sum(Case((opportunity.state.in_(OPEN_STATES), amount),
                    else_=0)).as_('pipeline'),
            where=(opportunity.crm_territory != Null)
            & (opportunity.state != 'cancelled')
            & opportunity_where(opportunity),
            group_by=[opportunity.crm_territory])

    @classmethod
    def table_query(cls):
        Territory = Pool().get('crm.territory')
        territory = Territory.__table__()
        context = Transaction().context
        targets = cls._targets()
        target = targets.select(
            targets.territory, Sum(targets.amount).as_('amount'),
            group_by=[targets.territory])
        achieved = cls._achieved()
        achieved = achieved.select(
            achieved.territory, Sum(achieved.amount).as_('amount'),
            group_by=[achieved.territory])
        opportunities = cls._opportunities()
        where = (target.territory != Null) | (opportunities.territory != Null)
        if context.get('territory'):
            where &= territory.id == context['territory']
        if context.get('team'):
            where &= territory.team == context['team']
        return (territory
            .join(target, 'LEFT', condition=target.territory == territory.id)
            .join(achieved, 'LEFT',
                condition=achieved.territory == territory.id)
            .join(opportunities, 'LEFT',
                condition=opportunities.territory == territory.id)
            .select(
                territory.id.as_('id'),
                Literal(context.get('company', -1)).as_('company'),
                territory.id.as_('territory'),
                territory.team.as_('team'),
                Coalesce(opportunities.leads, 0).as_('leads'),
                Coalesce(opportunities.won, 0).as_('won'),
                cls.pipeline_amount.sql_cast(
                    Coalesce(opportunities.pipeline, 0)
                    ).as_('pipeline_amount'),
                cls.target_amount.sql_cast(
                    Coalesce(target.amount, 0)).as_('target_amount'),
                cls.achieved_amount.sql_cast(
                    Coalesce(achieved.amount, 0)).as_('achieved_amount'),
                where=where))

    def get_achievement(self, name):
        if self.target_amount:
            return round(
                float(self.achieved_amount / self.target_amount * 100), 1)
