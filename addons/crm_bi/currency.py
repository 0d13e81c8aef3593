# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Amounts of documents in the currency of their company"
from sql import Null
from sql.conditionals import Case

from trytond.pool import Pool


def _rate_at(rate, currency, date):
    return ((rate.currency == currency)
        & (rate.start_date <= date)
        & ((rate.end_date == Null) | (rate.end_date > date)))


def company_amount(from_item, amount, currency, company, date):
    """Return from_item joined to the currency rates and the expression of
    amount (in currency) in the currency of company at date

    The rates are Tryton's (currency.currency.rate): the rate of a date is
    the last one set on or before it. An amount in the company's currency
    needs no rate; one without a rate at its date is NULL."""
    pool = Pool()
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    company_table = Company.__table__()
    document_rate = Currency.currency_rate_sql()
    company_rate = Currency.currency_rate_sql()
    from_item = (from_item
        .join(company_table, condition=company_table.id == company)
        .join(document_rate, 'LEFT',
            condition=_rate_at(document_rate, currency, date))
        .join(company_rate, 'LEFT',
            condition=_rate_at(company_rate, company_table.currency, date)))
    converted = Case(
        (currency == company_table.currency, amount),
        else_=amount * company_rate.rate / document_rate.rate)
    return from_item, converted
