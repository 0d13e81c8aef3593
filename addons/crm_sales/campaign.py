# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null, With
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce

from trytond.model import fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.marketing_campaign.marketing import (
    MarketingCampaignMixin)
from trytond.modules.marketing_campaign.sale_opportunity_reporting import (
    Marketing, MarketingContext)
from trytond.pool import Pool

from .common import CompanyCurrencyGraphMixin


class CampaignAttributionContext(MarketingCampaignMixin, MarketingContext):
    __name__ = 'crm.campaign.attribution.context'
    __string__ = "Campaign Attribution Context"

    @classmethod
    def default_group_by_marketing_campaign(cls):
        return True

    @classmethod
    def default_group_by_marketing_medium(cls):
        return True

    @classmethod
    def default_group_by_marketing_source(cls):
        return True


class CampaignAttribution(CompanyCurrencyGraphMixin, Marketing):
    "Upstream opportunities per marketing, with the revenue they won"
    __name__ = 'crm.campaign.attribution'
    __string__ = "Campaign Attribution"

    opportunities = fields.Integer(
        "Opportunities",
        help="Leads qualified into opportunities "
        "(opportunity, converted, won or lost).")
    won = fields.Integer("Won")
    winning_rate = fields.Function(
        fields.Float("Winning Rate", digits=(1, 4)), 'get_rate')
    won_revenue = Monetary(
        "Won Revenue", currency='currency', digits='currency',
        help="Untaxed amount of the confirmed sales of the won and "
        "converted opportunities, in the company currency.")

    @classmethod
    def _joins(cls):
        from_item, tables, withs = super()._joins()
        revenue = cls._revenue_query(withs)
        tables['revenue'] = revenue
        from_item = from_item.join(revenue, 'LEFT',
            condition=revenue.opportunity == tables['opportunity'].id)
        return from_item, tables, withs

    @classmethod
    def _revenue_query(cls, withs):
        "Confirmed sales revenue per opportunity in the company currency"
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        company = Company.__table__()
        withs['currency_revenue_sale'] = currency_sale = With(
            query=Currency.currency_rate_sql())
        withs['currency_revenue_company'] = currency_company = With(
            query=Currency.currency_rate_sql())

        def rate_at(rate, currency, date):
            return ((rate.currency == currency)
                & (rate.start_date <= date)
                & ((rate.end_date == Null) | (rate.end_date > date)))

        # A sale in its company's currency needs no rate
        amount = Case(
            (sale.currency == company.currency, sale.untaxed_amount_cache),
            else_=(sale.untaxed_amount_cache
                * currency_company.rate / currency_sale.rate))
        # Grouped on the origin column: PostgreSQL does not match a
        # parameterised id expression between select and group by
        revenue = (sale
            .join(company, condition=sale.company == company.id)
            .join(currency_sale, 'LEFT', condition=rate_at(
                    currency_sale, sale.currency, sale.sale_date))
            .join(currency_company, 'LEFT', condition=rate_at(
                    currency_company, company.currency, sale.sale_date))
            .select(
                sale.origin.as_('origin'),
                Sum(amount).as_('amount'),
                where=sale.state.in_(Opportunity._sale_won_states())
                & sale.origin.like(Opportunity.__name__ + ',%'),
                group_by=[sale.origin]))
        return revenue.select(
            Sale.origin.sql_id(revenue.origin, Opportunity).as_('opportunity'),
            revenue.amount.as_('amount'))

    @classmethod
    def _columns(cls, tables, withs):
        opportunity = tables['opportunity']
        revenue = tables['revenue']
        return super()._columns(tables, withs) + [
            Sum(Case(
                    (opportunity.state.in_(cls._qualified_states()),
                        Literal(1)), else_=Literal(0))).as_('opportunities'),
            Sum(Case(
                    (opportunity.state.in_(cls._won_states()),
                        Literal(1)), else_=Literal(0))).as_('won'),
            Sum(Case(
                    (opportunity.state.in_(cls._revenue_states()),
                        Coalesce(revenue.amount, Literal(0))),
                    else_=Literal(0))).as_('won_revenue'),
            ]

    @classmethod
    def _qualified_states(cls):
        return ['opportunity', 'converted', 'won', 'lost']

    @classmethod
    def _won_states(cls):
        return ['won']

    @classmethod
    def _revenue_states(cls):
        return ['converted', 'won']
