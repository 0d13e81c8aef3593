# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Report catalogue of crm_bi at scale on PostgreSQL, and a 1M-row export.

Builds 1,000,000 opportunities, a confirmed sale of each won or converted
one (250,000) with 20 lines each (5,000,000 sale lines) and 500,000 service
cases (times --scale), with 200,000 campaign touches, 100,000 competitor
changes and the monthly targets of 24 months. The rows are copies of a
template row made by INSERT ... SELECT on generate_series (bulk SQL, a
benchmark's licence: the ORM would take hours). Invoices are not built: the
reports that read invoice lines (campaign ROI margin, invoiced targets) run
on none.

Then, for a typical filter (the company, the last 12 months), times each
report of the catalogue 5 times as sao reads it: the first page
(search with sao's limit of 1,000 rows, read of every field) and the totals
(every row read, as a goal's measure or an export reads it), beside the
report's SQL (Show SQL) run directly on the cursor. Targets (issue 15): a
ratio to the direct SQL of at most 1.5 for every report, under 2 s for the
pipeline and the forecast.

Before the reports (each line printed as it is measured), a saved query of
1,000,000 sale lines (fewer below --scale 0.2) is exported to CSV through
the streamed export: rows/s and the growth of the process's resident memory
after 100,000 rows and at its peak (flat when the export streams).

    .venv/bin/python bench/reports.py --postgresql [--scale 0.1]
"""
import datetime as dt
import math
import os
import random
import statistics
import sys
import threading
import time

from common import parse_args

OPPORTUNITIES = 1_000_000
LINES_PER_SALE = 20
CASES = 500_000
EXPORT_ROWS = 1_000_000
PAGE = 1_000
REPEAT = 5
DB_NAME = 'bench_reports'
TARGET_RATIO = 1.5
TARGET_SECONDS = {'crm.bi.pipeline': 2, 'crm.bi.forecast': 2}
STATES = ['lead'] * 3 + ['opportunity'] * 3 + ['converted', 'won', 'won',
    'lost', 'lost', 'cancelled']
LEAD_CHANNELS = ['phone', 'email', 'web', 'partner', 'field', None]
CASE_STATES = ['new', 'in_progress', 'waiting', 'resolved', 'closed',
    'closed']
CASE_CHANNELS = ['phone', 'email', 'web', 'portal']


def sql_array(values):
    "Return the SQL array of the values, for (ARRAY[...])[1 + mod(g, n)]"
    def literal(value):
        if value is None:
            return 'NULL'
        if isinstance(value, str):
            return "'%s'" % value
        return str(value)
    return 'ARRAY[%s]' % ', '.join(map(literal, values))


def pick(values, expression):
    "Return the SQL expression of the value of values at expression modulo"
    return '(%s)[1 + mod(%s, %d)]' % (
        sql_array(values), expression, len(values))


def clone(cursor, table, template_id, source, overrides, params=()):
    """Insert a copy of the template row of table for each row of source
    (an SQL FROM item), the columns of overrides set to their SQL
    expressions on source; return the number of rows inserted"""
    cursor.execute('SELECT * FROM "%s" WHERE id = %%s' % table,
        (template_id,))
    names = [d[0] for d in cursor.description if d[0] != 'id']
    values = [overrides.get(n, 't."%s"' % n) for n in names]
    cursor.execute(
        'INSERT INTO "%s" (%s) SELECT %s FROM "%s" AS t, %s '
        'WHERE t.id = %%s' % (
            table, ', '.join('"%s"' % n for n in names), ', '.join(values),
            table, source),
        tuple(params) + (template_id,))
    return cursor.rowcount


def populate(scale):
    "Create the company, the template rows and their bulk copies"
    from decimal import Decimal

    from bi_reports import populate_marketing

    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.modules.crm_sales.tests.tools import create_customer
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Date = pool.get('ir.date')
    Team = pool.get('crm.sales.team')
    Territory = pool.get('crm.territory')
    Target = pool.get('crm.target')
    Opportunity = pool.get('sale.opportunity')
    Sale = pool.get('sale.sale')
    Case = pool.get('crm.service.case')
    cursor = Transaction().connection.cursor()
    counts = {}
    company = create_company()
    with set_company(company):
        today = Date.today()
        employees = [create_employee(company, 'E%s' % i) for i in range(10)]
        teams = Team.create([{
                    'name': 'Team %s' % t, 'company': company.id,
                    'members': [('add', [e.id for e in employees[t::2]])],
                    } for t in range(2)])
        territories = Territory.create([{
                    'name': 'Territory %s' % t, 'team': team.id,
                    } for t, team in enumerate(teams)])
        party = create_customer()
        address, = party.addresses
        opportunity, = Opportunity.create([{
                    'party': party.id, 'company': company.id,
                    'employee': employees[0].id, 'description': "Deal",
                    'amount': Decimal(1000),
                    }])
        cursor.execute('SELECT setseed(0.15)')
        # g chooses the employee, hence the team and territory of its
        # parity; random() the dates and amounts
        counts['opportunities'] = clone(cursor, 'sale_opportunity',
            opportunity.id,
            '(SELECT g, random() AS r, current_date '
            '- (random() * 730)::integer AS start '
            'FROM generate_series(1, %s) AS g) AS v', {
                'number': "'B' || v.g",
                'employee': pick([e.id for e in employees], 'v.g'),
                'crm_team': pick([t.id for t in teams], 'v.g'),
                'crm_territory': pick([t.id for t in territories], 'v.g'),
                'crm_channel': pick(LEAD_CHANNELS, 'v.g / 10'),
                'state': pick(STATES, 'v.g / 10'),
                'amount': '(100 + floor(v.r * 99900))::numeric',
                'conversion_probability': pick(
                    [0.1, 0.3, 0.6, 0.9], 'v.g / 7'),
                'start_date': 'v.start',
                'end_date': 'v.start + 10 + mod(v.g, 170)',
                }, [int(OPPORTUNITIES * scale)])

        sale, = Sale.create([{
                    'company': company.id, 'party': party.id,
                    'invoice_address': address.id,
                    'shipment_address': address.id,
                    'currency': company.currency.id,
                    'lines': [('create', [{
                                    'type': 'line', 'quantity': 1,
                                    'unit_price': Decimal(50),
                                    'description': "Service"}])],
                    }])
        # What confirming a sale stores, without products and stock
        counts['sales'] = clone(cursor, 'sale_sale', sale.id,
            "(SELECT id, amount, end_date FROM sale_opportunity "
            "WHERE state IN ('won', 'converted') AND id != %s) AS o", {
                'number': "'S' || o.id",
                'origin': "'sale.opportunity,' || o.id",
                'state': "'confirmed'",
                'sale_date': 'o.end_date',
                'untaxed_amount_cache': 'o.amount',
                'tax_amount_cache': '0',
                'total_amount_cache': 'o.amount',
                }, [opportunity.id])
        line, = sale.lines
        counts['sale lines'] = clone(cursor, 'sale_line', line.id,
            '(SELECT s.id AS sale, s.untaxed_amount_cache AS amount, k '
            'FROM sale_sale AS s, generate_series(1, %s) AS k '
            'WHERE s.id != %s) AS s', {
                'sale': 's.sale',
                'sequence': 's.k',
                'unit_price': 'round(s.amount / %d, 4)' % LINES_PER_SALE,
                }, [LINES_PER_SALE, sale.id])

        case, = Case.create([{
                    'subject': "Case", 'company': company.id,
                    'channel': 'phone', 'team': teams[0].id,
                    }])
        done = "v.state IN ('resolved', 'closed')"
        counts['cases'] = clone(cursor, 'crm_service_case', case.id,
            '(SELECT g, %s AS state, current_timestamp::timestamp(0) '
            "- (random() * 730)::integer * interval '1 day' AS opened "
            'FROM generate_series(1, %%s) AS g) AS v' % pick(
                CASE_STATES, 'g'), {
                'number': "'C' || v.g",
                'team': pick([t.id for t in teams], 'v.g'),
                'channel': pick(CASE_CHANNELS, 'v.g / 6'),
                'state': 'v.state',
                'create_date': 'v.opened',
                'first_response_at': "CASE WHEN mod(v.g, 5) > 0 "
                "THEN v.opened + (5 + mod(v.g, 595)) * interval '1 minute' "
                "END",
                'resolved_at': "CASE WHEN %s THEN v.opened "
                "+ (1 + mod(v.g, 99)) * interval '1 hour' END" % done,
                'sla_status': "CASE WHEN %s THEN %s ELSE 'on_track' END" % (
                    done, pick(['met', 'met', 'met', 'breached'], 'v.g')),
                }, [int(CASES * scale)])

        # The planner's statistics of the bulk rows, before the ORM's
        # queries on them (targets compute their achievement)
        cursor.execute('ANALYZE')
        populate_marketing(
            company, opportunity, counts['opportunities'], random.Random(15))

        first_month = today.replace(day=1)
        Target.create([{
                    'employee': employee.id, 'company': company.id,
                    'period_type': 'month', 'basis': 'confirmed',
                    'start_date': first_month - dt.timedelta(days=31 * m),
                    'target_amount': Decimal(5_000_000),
                    } for m in range(24) for employee in employees]
            + [{
                    'team': team.id, 'company': company.id,
                    'period_type': 'month', 'basis': 'confirmed',
                    'start_date': first_month - dt.timedelta(days=31 * m),
                    'target_amount': Decimal(25_000_000),
                    } for m in range(24) for team in teams])
    return company.id, counts


def percentile(times, share):
    "The nearest-rank percentile of the times"
    ordered = sorted(times)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_reports(company, repeat):
    """Print the rows, the first page's and the totals' p50 and p95, the
    SQL's p50 and the ratios to the targets of each report"""
    from trytond.modules.crm_bi.export import report_models
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Date = pool.get('ir.date')
    cursor = Transaction().connection.cursor()
    today = Date.today()
    context = {
        'company': company,
        'from_date': today - dt.timedelta(days=365), 'to_date': today,
        }
    print("typical filter: the company, the last 12 months; "
        "%d runs after a warm-up; seconds" % repeat)
    print("%-18s %6s %8s %8s %8s %8s %8s %6s %6s %s" % (
            "report", "rows", "page p50", "page p95", "tot p50", "tot p95",
            "SQL p50", "ratio", "/1.5", "target"))
    with Transaction().set_context(**context):
        for name in report_models():
            Report = pool.get(name)
            fields = [f for f in Report._fields if f != 'id']
            sql, params = Report.show_sql()
            page, totals, raw = [], [], []
            # An untimed round first: every run reads warm caches
            for round_ in range(repeat + 1):
                start = time.perf_counter()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                raw.append(time.perf_counter() - start)

                start = time.perf_counter()
                records = Report.search([], limit=PAGE)
                Report.read([r.id for r in records], fields)
                page.append(time.perf_counter() - start)

                start = time.perf_counter()
                records = Report.search([])
                Report.read([r.id for r in records], fields)
                totals.append(time.perf_counter() - start)
            page, totals, raw = page[1:], totals[1:], raw[1:]
            total = statistics.median(totals)
            sql_time = statistics.median(raw)
            ratio = total / sql_time if sql_time else 0
            target = ''
            if name in TARGET_SECONDS:
                target = '%.2f of %d s' % (
                    total / TARGET_SECONDS[name], TARGET_SECONDS[name])
            print("%-18s %6d %8.3f %8.3f %8.3f %8.3f %8.3f %6.2f %6.2f %s"
                % (name, len(rows), statistics.median(page),
                    percentile(page, 0.95), total, percentile(totals, 0.95),
                    sql_time, ratio, ratio / TARGET_RATIO, target),
                flush=True)


def resident_memory():
    "The resident memory of the process in bytes"
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class MemorySampler(threading.Thread):
    "The highest resident memory seen, every 20 ms, until stopped"

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = resident_memory()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.02):
            self.peak = max(self.peak, resident_memory())


def time_export(rows):
    """Export a saved query of rows sale lines to CSV as the export route
    does; return the rows, seconds, the memory growth after 100,000 rows
    and the peak growth"""
    from trytond.modules.crm_bi.export import write
    from trytond.pool import Pool

    pool = Pool()
    Query = pool.get('crm.bi.query')
    User = pool.get('res.user')
    admin, = User.search([('login', '=', 'admin')])
    query, = Query.create([{
                'name': "Sale lines", 'owner': admin.id,
                'sql': 'SELECT id, sale, "sequence", quantity, unit_price, '
                'description FROM sale_line ORDER BY id LIMIT %d' % rows,
                'timeout': 300,
                }])
    stream = query.stream({})
    columns = next(stream)
    counted = {'rows': 0, 'at_100k': None}
    before = resident_memory()

    def counting(rows):
        for row in rows:
            counted['rows'] += 1
            if counted['rows'] == 100_000:
                counted['at_100k'] = resident_memory() - before
            yield row

    sampler = MemorySampler()
    sampler.start()
    start = time.perf_counter()
    with open(os.devnull, 'wb') as sink:
        write(sink, 'csv', columns, counting(stream))
    seconds = time.perf_counter() - start
    sampler.stopped.set()
    sampler.join()
    return (counted['rows'], seconds, counted['at_100k'],
        max(sampler.peak, resident_memory()) - before)


def main():
    args = parse_args(__doc__, DB_NAME)
    if args.backend != 'postgresql':
        sys.exit("bench/reports.py runs on PostgreSQL: add --postgresql")

    from trytond.tests.test_tryton import activate_module
    from trytond.transaction import Transaction, TransactionError

    started = time.perf_counter()
    activate_module(['crm_bi'])
    print("database created in %.0f s" % (time.perf_counter() - started),
        flush=True)

    started = time.perf_counter()
    extras = {}
    while True:
        with Transaction().start(DB_NAME, 0, **extras) as transaction:
            try:
                company, counts = populate(args.scale)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            break
    with Transaction().start(DB_NAME, 0) as transaction:
        transaction.connection.cursor().execute('ANALYZE')
        transaction.commit()
    print("scale %s: %s built in %.0f s" % (args.scale, ', '.join(
                '%s %s' % (n, c) for n, c in counts.items()),
            time.perf_counter() - started), flush=True)

    with Transaction().start(DB_NAME, 0, context={'company': company}):
        rows = min(EXPORT_ROWS, counts['sale lines'])
        rows, seconds, at_100k, peak = time_export(rows)
    print("CSV export of %d rows: %.1f s, %.0f rows/s; resident memory "
        "growth %.1f MB after 100,000 rows, %.1f MB at its peak" % (
            rows, seconds, rows / seconds,
            (at_100k or 0) / 2 ** 20, peak / 2 ** 20), flush=True)

    with Transaction().start(DB_NAME, 0, context={'company': company}):
        time_reports(company, REPEAT)


if __name__ == '__main__':
    main()
