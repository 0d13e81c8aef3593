# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.crm_sales.segment import SEGMENTS
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.transaction import Transaction

from .common import ReportMixin, context_dates, restrict
from .revenue import invoice_line_query
from .sales import (
    OPEN_STATES, ReportCurrencyMixin, opportunity_amount, opportunity_where)


class CustomerSegment(ReportMixin, ReportCurrencyMixin, ModelSQL, ModelView):
    """Customers by value segment and by the country, subdivision and city
    of their first address: their revenue and open pipeline"""
    __name__ = 'crm.bi.segment'
    __string__ = "Customer Segments and Geography"

    company = fields.Many2One('company.company', "Company")
    segment = fields.Selection(
        [(None, "")] + SEGMENTS, "Segment",
        help="The ABC class of the customer's invoiced revenue.")
    country = fields.Many2One('country.country', "Country")
    subdivision = fields.Many2One('country.subdivision', "Subdivision")
    city = fields.Char("City")
    customers = fields.Integer(
        "Customers", help="The customers invoiced in the period or with "
        "open opportunities.")
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency',
        help="The invoiced revenue of the period.")
    opportunities = fields.Integer("Open Opportunities")
    pipeline_amount = Monetary(
        "Open Pipeline", currency='currency', digits='currency',
        help="The expected revenue of the open opportunities.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _revenue(cls):
        "Return the query of (party, amount) invoiced in the period"
        lines = invoice_line_query()
        context = Transaction().context
        from_date, to_date = context_dates()
        where = lines.company == context.get('company', -1)
        if from_date:
            where &= lines.date >= from_date
        if to_date:
            where &= lines.date <= to_date
        where = restrict(where, 'account.invoice', lines.invoice)
        return lines.select(
            lines.party.as_('party'),
            Sum(lines.amount).as_('amount'),
            where=where,
            group_by=[lines.party])

    @classmethod
    def _pipeline(cls):
        "Return the query of (party, number, amount) of the open pipeline"
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_item, amount = opportunity_amount(opportunity)
        return from_item.select(
            opportunity.party.as_('party'),
            Count(opportunity.id).as_('number'),
            Sum(amount).as_('amount'),
            where=opportunity.state.in_(OPEN_STATES)
            & opportunity_where(opportunity),
            group_by=[opportunity.party])

    @classmethod
    def table_query(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        PartyValue = pool.get('crm.party.value')
        party = Party.__table__()
        address = Address.__table__()
        first_address = Address.__table__()
        value = PartyValue.__table__()
        context = Transaction().context
        company = context.get('company', -1)
        revenue = cls._revenue()
        pipeline = cls._pipeline()
        first = first_address.select(
            first_address.party.as_('party'),
            Min(first_address.id).as_('address'),
            where=first_address.active == Literal(True),
            group_by=[first_address.party])
        where = (revenue.party != Null) | (pipeline.party != Null)
        if context.get('territory'):
            where &= party.crm_territory == context['territory']
        where = restrict(where, 'party.party', party.id)
        return (party
            .join(revenue, 'LEFT', condition=revenue.party == party.id)
            .join(pipeline, 'LEFT', condition=pipeline.party == party.id)
            .join(first, 'LEFT', condition=first.party == party.id)
            .join(address, 'LEFT', condition=address.id == first.address)
            .join(value, 'LEFT', condition=(value.party == party.id)
                & (value.company == company))
            .select(
                Min(party.id).as_('id'),
                Literal(company).as_('company'),
                value.segment.as_('segment'),
                address.country.as_('country'),
                address.subdivision.as_('subdivision'),
                address.city.as_('city'),
                Count(party.id).as_('customers'),
                cls.revenue.sql_cast(
                    Sum(Coalesce(revenue.amount, 0))).as_('revenue'),
                Sum(Coalesce(pipeline.number, 0)).as_('opportunities'),
                cls.pipeline_amount.sql_cast(
                    Sum(Coalesce(pipeline.amount, 0))
                    ).as_('pipeline_amount'),
                where=where,
                group_by=[value.segment, address.country,
                    address.subdivision, address.city]))
