# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Customer value segments: module recompute vs one hand-written statement.

On the suite's PostgreSQL, builds a database with 100,000 parties and
2,000,000 posted customer invoice lines (times --scale) plus one receivable
line per party, then times crm.party.value.recompute and a single SQL
statement computing the same classification (median of 3 alternated runs
after an untimed one), checks they agree and prints the ratio (target: at
most 1.5x).

    .venv/bin/python bench/segments.py [--scale 0.01]
"""
import argparse
import datetime
import os
import statistics
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTIES = 100_000
LINES = 2_000_000
LINES_PER_INVOICE = 4
WINDOW_MONTHS = 12
RUNS = 3
DB_NAME = 'bench_segments'

# The same classification as crm.party.value.classification_query, written
# by hand for PostgreSQL.
BASELINE = """
CREATE TEMP TABLE baseline AS
WITH invoiced AS (
    SELECT i.party,
        SUM(l.quantity::numeric * l.unit_price)
            FILTER (WHERE i.invoice_date >= %(from_date)s) AS revenue,
        COUNT(DISTINCT i.id)
            FILTER (WHERE i.invoice_date >= %(from_date)s) AS frequency,
        MAX(i.invoice_date) AS last_date
    FROM account_invoice i
    JOIN account_invoice_line l ON l.invoice = i.id
    WHERE i.company = %(company)s AND i.type = 'out'
        AND i.state IN ('posted', 'paid') AND i.invoice_date <= %(today)s
        AND l.type = 'line'
    GROUP BY i.party),
overdue AS (
    SELECT ml.party, SUM(ml.debit - ml.credit) AS amount
    FROM account_move_line ml
    JOIN account_move mv ON mv.id = ml.move
    JOIN account_account a ON a.id = ml.account
    JOIN account_account_type t ON t.id = a.type
    WHERE t.receivable AND a.company = %(company)s
        AND ml.reconciliation IS NULL AND ml.party IS NOT NULL
        AND COALESCE(ml.maturity_date, mv.date) < %(today)s
    GROUP BY ml.party),
customer AS (
    SELECT COALESCE(i.party, o.party) AS party,
        COALESCE(i.revenue, 0) AS revenue,
        COALESCE(i.frequency, 0) AS frequency,
        i.last_date, COALESCE(o.amount, 0) AS overdue
    FROM invoiced i FULL JOIN overdue o ON o.party = i.party),
ranked AS (
    SELECT *,
        SUM(revenue) OVER (ORDER BY revenue DESC, party) - revenue AS before,
        SUM(revenue) OVER () AS total,
        COUNT(*) OVER () AS n,
        COUNT(*) OVER () + 1
            - RANK() OVER (ORDER BY last_date DESC NULLS LAST) AS r,
        COUNT(*) OVER () + 1 - RANK() OVER (ORDER BY frequency DESC) AS f,
        COUNT(*) OVER () + 1 - RANK() OVER (ORDER BY revenue DESC) AS m
    FROM customer)
SELECT party,
    CASE WHEN before < 0.80 * total THEN 'A'
        WHEN before < 0.95 * total THEN 'B' ELSE 'C' END AS segment,
    revenue,
    ((5 * r + n - 1) / n) * 100 + ((5 * f + n - 1) / n) * 10
        + (5 * m + n - 1) / n AS rfm,
    overdue > 0 AS credit_risk
FROM ranked
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scale', type=float, default=1.0,
        help="fraction of the full size (default: 1)")
    return parser.parse_args()


def copy_rows(cursor, table, template_id, count, overrides):
    """Insert count copies of a template row, generate_series g from 0,
    with the SQL expressions of overrides for some columns."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id'", (table,))
    columns = [c for c, in cursor.fetchall()]
    # Doubled: the statement takes parameters, and modulo is "%" too
    values = [overrides.get(c, 't."%s"' % c).replace('%', '%%')
        for c in columns]
    cursor.execute(
        'INSERT INTO "%s" (%s) SELECT %s FROM "%s" t, '
        'generate_series(0, %%s - 1) g WHERE t.id = %%s' % (
            table, ', '.join('"%s"' % c for c in columns), ', '.join(values),
            table),
        (count, template_id))
    cursor.execute('SELECT MAX(id) FROM "%s"' % table)
    last_id, = cursor.fetchone()
    return last_id - count + 1


def populate(scale, today):
    "Create the company, a template of each row and their bulk copies"
    from trytond.modules.account.tests import create_chart
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    parties = max(int(PARTIES * scale), 10)
    invoices = max(int(LINES * scale) // LINES_PER_INVOICE, 10)
    pool = Pool()
    Account = pool.get('account.account')
    Configuration = pool.get('crm.configuration')
    Invoice = pool.get('account.invoice')
    Journal = pool.get('account.journal')
    Move = pool.get('account.move')
    Party = pool.get('party.party')
    Period = pool.get('account.period')
    FiscalYear = pool.get('account.fiscalyear')
    from trytond.modules.account.tests import get_fiscalyear

    company = create_company()
    with set_company(company):
        create_chart(company)
        config = Configuration(1)
        config.segment_window_months = WINDOW_MONTHS
        config.credit_risk_threshold = 0
        config.save()
        fiscalyear = get_fiscalyear(company, today=today)
        fiscalyear.save()
        FiscalYear.create_period([fiscalyear])
        party = Party(name="Template", addresses=[{}])
        party.save()
        revenue, = Account.search([
                ('type.revenue', '=', True),
                ('closed', '!=', True),
                ], limit=1)
        receivable = party.account_receivable_used
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        invoice = Invoice(
            type='out', journal=journal, party=party,
            invoice_address=party.addresses[0],
            account=receivable, invoice_date=today,
            lines=[{'account': revenue.id, 'quantity': 1,
                    'unit_price': 10, 'description': "Line"}])
        invoice.save()
        period = Period.find(company, date=today)
        move = Move(journal=journal, period=period, date=today, lines=[
                {'account': receivable.id, 'party': party.id, 'debit': 10,
                    'credit': 0, 'maturity_date': today},
                {'account': revenue.id, 'debit': 0, 'credit': 10},
                ])
        move.save()
        receivable_line, = [l for l in move.lines if l.party]

        cursor = Transaction().connection.cursor()
        first_party = copy_rows(cursor, 'party_party', party.id, parties, {
                'name': "'Customer ' || g",
                'code': "'BENCH' || g",
                })
        first_invoice = copy_rows(
            cursor, 'account_invoice', invoice.id, invoices, {
                'party': '%s + g %% %s' % (first_party, parties),
                'invoice_date': "'%s'::date - (g %% 730)" % today,
                'state': "'posted'",
                'number': "'B' || g",
                })
        copy_rows(cursor, 'account_invoice_line', invoice.lines[0].id,
            invoices * LINES_PER_INVOICE, {
                'invoice': '%s + g / %s' % (
                    first_invoice, LINES_PER_INVOICE),
                'party': 'NULL',
                'quantity': '1 + g % 5',
                'unit_price': '(g::bigint * 7919 % 1000) + 0.5',
                })
        copy_rows(cursor, 'account_move_line', receivable_line.id, parties, {
                'party': '%s + g' % first_party,
                'debit': 'g % 500',
                'maturity_date': "'%s'::date + 30 - (g %% 120)" % today,
                })
        return company.id, parties, invoices * LINES_PER_INVOICE


def main():
    args = parse_args()
    from tools import pgcluster
    uri = pgcluster.uri()
    os.environ['TRYTOND_DATABASE__URI'] = uri
    os.environ['DB_NAME'] = DB_NAME
    from trytond.tests.test_tryton import activate_module, drop_db
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    today = datetime.date.today()
    drop_db()
    started = time.perf_counter()
    activate_module(['crm_sales'])
    print(f"database created in {time.perf_counter() - started:.0f} s",
        flush=True)

    started = time.perf_counter()
    # Locking tables asks for a restart with the locks taken upfront
    extras = {}
    while True:
        with Transaction().start(DB_NAME, 0, **extras) as transaction:
            try:
                company, parties, lines = populate(args.scale, today)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            break
    print(f"{parties} parties, {lines} invoice lines "
        f"inserted in {time.perf_counter() - started:.0f} s", flush=True)
    with Transaction().start(DB_NAME, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute('ANALYZE')
        transaction.commit()

    with Transaction().start(DB_NAME, 0, context={'company': company}):
        pool = Pool()
        PartyValue = pool.get('crm.party.value')
        from dateutil.relativedelta import relativedelta
        cursor = Transaction().connection.cursor()
        parameters = {
            'company': company, 'today': today,
            'from_date': today - relativedelta(months=WINDOW_MONTHS),
            }

        def run_module():
            PartyValue.recompute([company])

        def run_baseline():
            cursor.execute('DROP TABLE IF EXISTS baseline')
            cursor.execute(BASELINE, parameters)

        # Alternated after an untimed round, so both read warm caches
        timings = {run_module: [], run_baseline: []}
        for round_ in range(RUNS + 1):
            for run, times in timings.items():
                started = time.perf_counter()
                run()
                if round_:
                    times.append(time.perf_counter() - started)
        module = statistics.median(timings[run_module])
        baseline = statistics.median(timings[run_baseline])

        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE b.party IS NULL "
            "OR b.segment != v.segment OR b.rfm::varchar != v.rfm_score "
            "OR b.credit_risk != v.credit_risk "
            "OR b.revenue != v.revenue) "
            "FROM crm_party_value v LEFT JOIN baseline b "
            "ON b.party = v.party WHERE v.company = %s", (company,))
        rows, different = cursor.fetchone()
        cursor.execute(
            "SELECT segment, COUNT(*) FROM crm_party_value "
            "GROUP BY segment ORDER BY segment")
        segments = dict(cursor.fetchall())

    print(f"customers classified: {rows} {segments}, "
        f"different from baseline: {different}")
    print(f"module recompute: {module:.2f} s (median of {RUNS})")
    print(f"hand-written SQL: {baseline:.2f} s (median of {RUNS})")
    print(f"ratio: {module / baseline:.2f}x (target <= 1.5x)")
    return 1 if different else 0


if __name__ == '__main__':
    sys.exit(main())
