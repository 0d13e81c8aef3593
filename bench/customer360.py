# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customer 360° form load: server milliseconds.

Creates a database with one customer holding 1,000 activities and 500
customer invoices (times --scale; a fifth of the invoices posted, the rest
draft), then times what the client asks when it opens the party form: the
form view (fields_view_get) and the read of every field of that view. Prints
the median of 20 loads and the ratio to the 300 ms target.

    .venv/bin/python bench/customer360.py [--scale 0.1] [--postgresql]
"""
import datetime
import statistics
import time

from common import parse_args

ACTIVITIES = 1_000
INVOICES = 500
RUNS = 20
TARGET_MS = 300


def main():
    args = parse_args(__doc__, 'bench_customer360')

    from decimal import Decimal

    from trytond.modules.account.tests import create_chart, get_fiscalyear
    from trytond.modules.account_invoice.tests import set_invoice_sequences
    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction

    activate_module(['crm_sales'])
    n_activities = int(ACTIVITIES * args.scale)
    n_invoices = int(INVOICES * args.scale)

    def setup(company, today):
        "The customer with its activities, opportunities and invoices"
        pool = Pool()
        Party = pool.get('party.party')
        Activity = pool.get('crm.activity')
        Opportunity = pool.get('sale.opportunity')
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        Invoice = pool.get('account.invoice')
        FiscalYear = pool.get('account.fiscalyear')

        create_chart(company)
        fiscalyear = set_invoice_sequences(get_fiscalyear(company, today))
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        receivable, = Account.search([
                ('type.receivable', '=', True), ('closed', '!=', True)],
            limit=1)
        revenue, = Account.search([
                ('type.revenue', '=', True), ('closed', '!=', True)],
            limit=1)
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        employee = create_employee(company)
        customer, = Party.create([{
                    'name': "Big Customer",
                    'account_receivable': receivable.id,
                    'addresses': [('create', [{}])],
                    }])
        now = datetime.datetime.now().replace(microsecond=0)
        types = ['call', 'meeting', 'email', 'visit', 'task', 'note']
        activities = Activity.create([{
                    'type': types[i % len(types)],
                    'subject': f"Activity {i}",
                    'party': customer.id,
                    'employee': employee.id,
                    # a third planned ahead, the rest over two years back
                    'planned_date': now + datetime.timedelta(
                        days=(30 - i) if i % 3 == 0 else -i * 0.7),
                    } for i in range(n_activities)])
        Activity.do([a for i, a in enumerate(activities) if i % 3])
        Opportunity.create([{
                    'party': customer.id, 'employee': employee.id,
                    } for _ in range(30)])
        start = today.replace(month=1, day=1)
        span = (today - start).days + 1
        invoices = Invoice.create([{
                    'type': 'out',
                    'company': company.id,
                    'currency': company.currency.id,
                    'party': customer.id,
                    'invoice_address': customer.addresses[0].id,
                    'account': receivable.id,
                    'journal': journal.id,
                    'invoice_date': start + datetime.timedelta(days=i % span),
                    'lines': [('create', [{
                                    'account': revenue.id,
                                    'description': f"Service {i}",
                                    'quantity': 1,
                                    'unit_price': Decimal(100 + i),
                                    }])],
                    } for i in range(n_invoices)])
        Invoice.post(invoices[:n_invoices // 5])
        return customer

    @with_transaction()
    def run():
        pool = Pool()
        Party = pool.get('party.party')
        company = create_company()
        today = datetime.date.today()
        with set_company(company):
            start = time.perf_counter()
            customer = setup(company, today)
            print("setup: %s activities, %s invoices in %.1f s" % (
                    n_activities, n_invoices, time.perf_counter() - start))

            timings = []
            for _ in range(RUNS + 1):
                start = time.perf_counter()
                view = Party.fields_view_get(view_type='form')
                values, = Party.read([customer.id], list(view['fields']))
                timings.append((time.perf_counter() - start) * 1000)
            # the first load fills the view cache as the server's first
            # client would
            first, timings = timings[0], timings[1:]
            assert len(values['crm_recent_activities']) == 20
            assert len(values['crm_recent_invoices']) == 20
            assert values['receivable'] > 0

        backend = args.backend
        median = statistics.median(timings)
        print("%s: 360° form load of a party with %s activities and %s "
            "invoices: median %.1f ms over %s runs (first %.1f ms, "
            "max %.1f ms), %s fields; target %s ms, ratio %.2f" % (
                backend, n_activities, n_invoices, median, RUNS, first,
                max(timings), len(view['fields']), TARGET_MS,
                median / TARGET_MS))
    run()


if __name__ == '__main__':
    main()
