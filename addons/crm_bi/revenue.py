# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The revenue the reports credit: confirmed sales and posted invoice lines"
from sql import Null
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce
from sql.operators import Concat

from trytond.modules.crm_sales.target import INVOICE_STATES, SALE_STATES
from trytond.pool import Pool

from .currency import company_amount


def _opportunity_id(sale):
    "Return the id of the opportunity a sale comes from, or NULL"
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Sale = pool.get('sale.sale')
    return Case(
        (sale.origin.like(Opportunity.__name__ + ',%'),
            Sale.origin.sql_id(sale.origin, Opportunity)),
        else_=Null)


def sale_query():
    """Return the query of the confirmed sales with columns company, party,
    date, opportunity and amount (untaxed, in the company currency)"""
    Sale = Pool().get('sale.sale')
    sale = Sale.__table__()
    from_item, amount = company_amount(
        sale, Coalesce(sale.untaxed_amount_cache, 0), sale.currency,
        sale.company, sale.sale_date)
    return from_item.select(
        sale.company.as_('company'),
        sale.party.as_('party'),
        sale.sale_date.as_('date'),
        _opportunity_id(sale).as_('opportunity'),
        amount.as_('amount'),
        where=sale.state.in_(SALE_STATES))


def invoice_line_query():
    """Return the query of the lines of the posted customer invoices with
    columns invoice, company, party, date, opportunity, amount and cost

    The amount is in the company currency at the invoice date; the cost is
    the quantity at the product's cost price of the company (the margin is
    the amount less the cost)."""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    SaleLine = pool.get('sale.line')
    Sale = pool.get('sale.sale')
    CostPrice = pool.get('product.cost_price')
    invoice = Invoice.__table__()
    line = InvoiceLine.__table__()
    sale_line = SaleLine.__table__()
    sale = Sale.__table__()
    cost_price = CostPrice.__table__()
    quantity = InvoiceLine.unit_price.sql_cast(line.quantity)
    from_item = (line
        .join(invoice, condition=line.invoice == invoice.id)
        .join(sale_line, 'LEFT', condition=(
                line.origin == Concat('sale.line,', sale_line.id)))
        .join(sale, 'LEFT', condition=sale_line.sale == sale.id)
        .join(cost_price, 'LEFT', condition=(
                (cost_price.product == line.product)
                & (cost_price.company == invoice.company))))
    from_item, amount = company_amount(
        from_item, quantity * line.unit_price, invoice.currency,
        invoice.company, invoice.invoice_date)
    return from_item.select(
        invoice.id.as_('invoice'),
        invoice.company.as_('company'),
        invoice.party.as_('party'),
        invoice.invoice_date.as_('date'),
        _opportunity_id(sale).as_('opportunity'),
        amount.as_('amount'),
        (quantity * Coalesce(cost_price.cost_price, 0)).as_('cost'),
        where=invoice.state.in_(INVOICE_STATES)
        & (invoice.type == 'out')
        & (line.type == 'line'))


def revenue_query(basis):
    "Return the query of the documents of the basis of a target"
    return sale_query() if basis == 'confirmed' else invoice_line_query()


def opportunity_revenue(from_date=None, to_date=None):
    """Return the query of (opportunity, amount, cost) of the posted invoice
    lines dated between the dates"""
    lines = invoice_line_query()
    where = lines.opportunity != Null
    if from_date:
        where &= lines.date >= from_date
    if to_date:
        where &= lines.date <= to_date
    return lines.select(
        lines.opportunity.as_('opportunity'),
        Sum(lines.amount).as_('amount'),
        Sum(lines.cost).as_('cost'),
        where=where,
        group_by=[lines.opportunity])
