# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Partner scorecards: what each partner brought in a period

A sale counts for a partner when it comes from an opportunity the partner
accepted (its assignment is in the state "Accepted"): the sale's origin is
the opportunity, as when it is converted. Its invoices count through their
lines made from the sale's lines.
"""
import datetime
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.operators import Concat

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.crm_sales.common import CompanyCurrencyGraphMixin
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

SALE_STATES = ['confirmed', 'processing', 'done']
INVOICE_STATES = ['posted', 'paid']
WON_STATES = ['converted', 'won']
LOST_STATES = ['lost', 'cancelled']


class ScorecardContext(ModelView):
    __name__ = 'crm.partner.scorecard.context'
    __string__ = "Partner Scorecard Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date'))],
        help="The previous period is as long and ends the day before.")
    to_date = fields.Date(
        "To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date'))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        today = Pool().get('ir.date').today()
        return datetime.date(today.year, 1, 1)

    @classmethod
    def default_to_date(cls):
        today = Pool().get('ir.date').today()
        return datetime.date(today.year, 12, 31)


def _period():
    """Return the company, the period of the context and the period as long
    before it"""
    pool = Pool()
    Context = pool.get('crm.partner.scorecard.context')
    context = Transaction().context
    company = context.get('company') or -1
    from_date = context.get('from_date') or Context.default_from_date()
    to_date = context.get('to_date') or Context.default_to_date()
    length = to_date - from_date + datetime.timedelta(days=1)
    return (company, from_date, to_date,
        from_date - length, from_date - datetime.timedelta(days=1))


def _datetimes(from_date, to_date):
    "Return the bounds of the timestamps of the days"
    return (datetime.datetime.combine(from_date, datetime.time.min),
        datetime.datetime.combine(to_date, datetime.time.max))


def attributed_sales(company):
    """Return the from item of the sales of the company with the partner who
    accepted their opportunity, and the sale table"""
    pool = Pool()
    Sale = pool.get('sale.sale')
    Opportunity = pool.get('sale.opportunity')
    Assignment = pool.get('crm.partner.assignment')
    sale = Sale.__table__()
    opportunity = Opportunity.__table__()
    assignment = Assignment.__table__()
    from_item = (sale
        .join(opportunity, condition=(
                sale.origin == Concat('sale.opportunity,', opportunity.id)))
        .join(assignment, condition=(
                (assignment.opportunity == opportunity.id)
                & (assignment.state == 'accepted'))))
    where = (sale.company == company) & sale.state.in_(SALE_STATES)
    return from_item, sale, assignment, where


class Scorecard(CompanyCurrencyGraphMixin, ModelSQL, ModelView):
    "The figures of a partner in the period of the context"
    __name__ = 'crm.partner.scorecard'
    __string__ = "Partner Scorecard"

    partner = fields.Many2One(
        'party.party', "Partner",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    tier = fields.Many2One('crm.partner.tier', "Tier")
    company = fields.Many2One('company.company', "Company")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    revenue = Monetary(
        "Revenue", currency='currency', digits='currency',
        help="The untaxed amount of the confirmed sales of the period.")
    previous_revenue = Monetary(
        "Previous Revenue", currency='currency', digits='currency')
    growth = fields.Function(
        fields.Float("Growth", digits=(16, 4),
            help="The change of revenue from the previous period."),
        'get_growth')
    invoiced = Monetary(
        "Invoiced", currency='currency', digits='currency',
        help="The untaxed amount of the posted invoices of the period.")
    new_customers = fields.Integer(
        "New Customers",
        help="The customers whose first sale was in the period, "
        "through the partner.")
    products = fields.Integer("Products", help="The distinct products sold.")
    categories = fields.Integer(
        "Categories", help="The distinct product categories sold.")
    leads = fields.Integer("Leads", help="The leads proposed in the period.")
    accepted = fields.Integer("Accepted")
    won = fields.Integer("Won")
    lost = fields.Integer("Lost")
    win_rate = fields.Function(
        fields.Float("Win Rate", digits=(16, 4),
            help="Won among the closed leads accepted in the period."),
        'get_rate')
    response_hours = fields.Function(
        fields.Float("Response Time", digits=(16, 1),
            help="The average hours the partner took to answer a lead."),
        'get_response_hours')
    deals_approved = fields.Integer("Deals Approved")
    deals_rejected = fields.Integer("Deals Rejected")
    approval_rate = fields.Function(
        fields.Float("Approval Rate", digits=(16, 4)), 'get_rate')
    proposed_tier = fields.Function(
        fields.Many2One('crm.partner.tier', "Proposed Tier",
            help="The highest tier whose thresholds the period reaches."),
        'get_proposed_tier')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('revenue', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        company, from_date, to_date, prev_from, prev_to = _period()
        revenue = cls._revenue_query(company, from_date, to_date, prev_from)
        invoiced = cls._invoiced_query(company, from_date, to_date)
        breadth = cls._breadth_query(company, from_date, to_date)
        customers = cls._new_customer_query(company, from_date, to_date)
        leads = cls._lead_query(company, from_date, to_date)
        deals = cls._deal_query(company, from_date, to_date)
        from_item = party
        for query in [revenue, invoiced, breadth, customers, leads, deals]:
            from_item = from_item.join(query, 'LEFT',
                condition=query.partner == party.id)
        return from_item.select(
            party.id.as_('id'),
            party.id.as_('partner'),
            party.partner_tier.as_('tier'),
            Literal(company).as_('company'),
            Coalesce(revenue.revenue, 0).as_('revenue'),
            Coalesce(revenue.previous_revenue, 0).as_('previous_revenue'),
            Coalesce(invoiced.invoiced, 0).as_('invoiced'),
            Coalesce(customers.new_customers, 0).as_('new_customers'),
            Coalesce(breadth.products, 0).as_('products'),
            Coalesce(breadth.categories, 0).as_('categories'),
            Coalesce(leads.leads, 0).as_('leads'),
            Coalesce(leads.accepted, 0).as_('accepted'),
            Coalesce(leads.won, 0).as_('won'),
            Coalesce(leads.lost, 0).as_('lost'),
            Coalesce(deals.approved, 0).as_('deals_approved'),
            Coalesce(deals.rejected, 0).as_('deals_rejected'),
            where=party.is_partner == Literal(True))

    @classmethod
    def _revenue_query(cls, company, from_date, to_date, prev_from):
        from_item, sale, assignment, where = attributed_sales(company)
        amount = Coalesce(sale.untaxed_amount_cache, 0)
        return from_item.select(
            assignment.partner.as_('partner'),
            Sum(Case((sale.sale_date >= from_date, amount), else_=0)
                ).as_('revenue'),
            Sum(Case((sale.sale_date < from_date, amount), else_=0)
                ).as_('previous_revenue'),
            where=where & (sale.sale_date >= prev_from)
            & (sale.sale_date <= to_date),
            group_by=[assignment.partner])

    @classmethod
    def _invoiced_query(cls, company, from_date, to_date):
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        from_item, sale, assignment, where = attributed_sales(company)
        sale_line = SaleLine.__table__()
        invoice_line = InvoiceLine.__table__()
        invoice = Invoice.__table__()
        return (from_item
            .join(sale_line, condition=sale_line.sale == sale.id)
            .join(invoice_line, condition=(
                    invoice_line.origin == Concat('sale.line,', sale_line.id)))
            .join(invoice, condition=invoice_line.invoice == invoice.id)
            .select(
                assignment.partner.as_('partner'),
                Sum(InvoiceLine.unit_price.sql_cast(invoice_line.quantity)
                    * invoice_line.unit_price).as_('invoiced'),
                where=where & invoice.state.in_(INVOICE_STATES)
                & (invoice.type == 'out')
                & (invoice_line.type == 'line')
                & (invoice.invoice_date >= from_date)
                & (invoice.invoice_date <= to_date),
                group_by=[assignment.partner]))

    @classmethod
    def _breadth_query(cls, company, from_date, to_date):
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Product = pool.get('product.product')
        TemplateCategory = pool.get('product.template-product.category')
        from_item, sale, assignment, where = attributed_sales(company)
        sale_line = SaleLine.__table__()
        product = Product.__table__()
        template_category = TemplateCategory.__table__()
        return (from_item
            .join(sale_line, condition=sale_line.sale == sale.id)
            .join(product, condition=sale_line.product == product.id)
            .join(template_category, 'LEFT',
                condition=template_category.template == product.template)
            .select(
                assignment.partner.as_('partner'),
                Count(product.id, distinct=True).as_('products'),
                Count(template_category.category, distinct=True
                    ).as_('categories'),
                where=where & (sale.sale_date >= from_date)
                & (sale.sale_date <= to_date),
                group_by=[assignment.partner]))

    @classmethod
    def _new_customer_query(cls, company, from_date, to_date):
        "Customers whose first sale of the company is the partner's"
        pool = Pool()
        Sale = pool.get('sale.sale')
        first_sale = Sale.__table__()
        first = first_sale.select(
            first_sale.party.as_('party'),
            Min(first_sale.sale_date).as_('date'),
            where=(first_sale.company == company)
            & first_sale.state.in_(SALE_STATES),
            group_by=[first_sale.party])
        from_item, sale, assignment, where = attributed_sales(company)
        return (from_item
            .join(first, condition=(first.party == sale.party)
                & (first.date == sale.sale_date))
            .select(
                assignment.partner.as_('partner'),
                Count(sale.party, distinct=True).as_('new_customers'),
                where=where & (sale.sale_date >= from_date)
                & (sale.sale_date <= to_date),
                group_by=[assignment.partner]))

    @classmethod
    def _lead_query(cls, company, from_date, to_date):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Opportunity = pool.get('sale.opportunity')
        assignment = Assignment.__table__()
        opportunity = Opportunity.__table__()
        start, end = _datetimes(from_date, to_date)
        accepted = assignment.state == 'accepted'

        def count(condition):
            return Sum(Case((condition, 1), else_=0))
        return (assignment
            .join(opportunity,
                condition=assignment.opportunity == opportunity.id)
            .select(
                assignment.partner.as_('partner'),
                Count(assignment.id).as_('leads'),
                count(accepted).as_('accepted'),
                count(accepted & opportunity.state.in_(WON_STATES)
                    ).as_('won'),
                count(accepted & opportunity.state.in_(LOST_STATES)
                    ).as_('lost'),
                where=(assignment.company == company)
                & (assignment.date >= start) & (assignment.date <= end),
                group_by=[assignment.partner]))

    @classmethod
    def _deal_query(cls, company, from_date, to_date):
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        deal = Deal.__table__()
        start, end = _datetimes(from_date, to_date)
        return deal.select(
            deal.partner.as_('partner'),
            Sum(Case((deal.state == 'approved', 1), else_=0)
                ).as_('approved'),
            Sum(Case((deal.state == 'rejected', 1), else_=0)
                ).as_('rejected'),
            where=(deal.company == company)
            & (deal.decision_date != Null)
            & (deal.decision_date >= start) & (deal.decision_date <= end),
            group_by=[deal.partner])

    @classmethod
    def get_currency(cls, scorecards, name):
        return {s.id: s.company.currency.id if s.company else None
            for s in scorecards}

    def get_growth(self, name):
        if self.previous_revenue:
            return float(
                (self.revenue - self.previous_revenue)
                / self.previous_revenue)

    def get_rate(self, name):
        good, bad = {
            'win_rate': (self.won, self.lost),
            'approval_rate': (self.deals_approved, self.deals_rejected),
            }[name]
        if good + bad:
            return good / (good + bad)

    @classmethod
    def get_response_hours(cls, scorecards, name):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        cursor = Transaction().connection.cursor()
        company, from_date, to_date, _, _ = _period()
        start, end = _datetimes(from_date, to_date)
        delays = defaultdict(list)
        for sub_ids in grouped_slice([s.partner.id for s in scorecards]):
            assignment = Assignment.__table__()
            cursor.execute(*assignment.select(
                    assignment.partner, assignment.date,
                    assignment.response_date,
                    where=reduce_ids(assignment.partner, sub_ids)
                    & (assignment.company == company)
                    & (assignment.trigger != 'deal')
                    & (assignment.response_date != Null)
                    & (assignment.date >= start) & (assignment.date <= end)))
            for partner, date, response_date in cursor:
                delays[partner].append(
                    (response_date - date).total_seconds() / 3600)
        return {
            s.id: (sum(delays[s.partner.id]) / len(delays[s.partner.id])
                if delays[s.partner.id] else None)
            for s in scorecards}

    @classmethod
    def get_proposed_tier(cls, scorecards, name):
        pool = Pool()
        Tier = pool.get('crm.partner.tier')
        tiers = Tier.search([], order=[('sequence', 'DESC'), ('id', 'DESC')])
        result = {}
        for scorecard in scorecards:
            result[scorecard.id] = next(
                (t.id for t in tiers if t.qualifies(
                        scorecard.revenue, scorecard.new_customers,
                        scorecard.products)),
                None)
        return result
