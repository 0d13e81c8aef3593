# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Report catalogue of crm_bi: the time of each report's query.

Creates a database with 100,000 opportunities and 50,000 service cases
(times --scale) over two teams, two territories, the channels, two years and
every stage, copied in bulk from a template row, 20 monthly targets, 20,000
campaign touches over 5 campaigns with their costs and 10,000 competitor
page changes. Then times, for the whole
company and for one team, each report read as sao reads it (search and
read of every field) beside its SQL (Show SQL) run directly on the cursor.

    .venv/bin/python bench/bi_reports.py [--scale 0.1] [--postgresql]
"""
import datetime as dt
import random
import time

from common import parse_args

OPPORTUNITIES = 100_000
CASES = 50_000
BATCH = 1_000
TOUCHES = 20_000
CHANGES = 10_000
REPORTS = [
    'crm.bi.pipeline', 'crm.bi.forecast', 'crm.bi.funnel',
    'crm.bi.performance', 'crm.bi.service', 'crm.bi.territory',
    'crm.bi.campaign', 'crm.bi.segment', 'crm.bi.competitor',
    'crm.bi.channel']
LEAD_CHANNELS = ['phone', 'email', 'web', 'partner', 'field', None]
STATES = ['lead'] * 3 + ['opportunity'] * 3 + ['converted', 'won', 'won',
    'lost', 'lost', 'cancelled']
CASE_STATES = ['new', 'in_progress', 'waiting', 'resolved', 'closed',
    'closed']


def copy_rows(Model, template, count, values):
    """Insert count copies of the template record, with the columns of
    values(i) changed, in batches"""
    from trytond.transaction import Transaction
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(where=table.id == template.id))
    names = [d[0] for d in cursor.description if d[0] != 'id']
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    columns = [getattr(table, n) for n in names]
    for start in range(0, count, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, count)):
            copy = dict(row, **values(i))
            rows.append([copy[n] for n in names])
        cursor.execute(*table.insert(columns, rows))


def populate(count_opportunities, count_cases):
    from decimal import Decimal

    from trytond.modules.company.tests import create_employee
    from trytond.modules.crm_sales.tests.tools import create_customer
    from trytond.pool import Pool

    pool = Pool()
    Date = pool.get('ir.date')
    Team = pool.get('crm.sales.team')
    Target = pool.get('crm.target')
    Opportunity = pool.get('sale.opportunity')
    Case = pool.get('crm.service.case')
    Company = pool.get('company.company')
    company, = Company.search([])
    today = Date.today()
    Territory = pool.get('crm.territory')
    rng = random.Random(15)
    employees = [create_employee(company, 'E%s' % i) for i in range(10)]
    teams = Team.create([{
                'name': 'Team %s' % t, 'company': company.id,
                'members': [('add', [e.id for e in employees[t::2]])],
                } for t in range(2)])
    territories = Territory.create([{
                'name': 'Territory %s' % t, 'team': team.id,
                } for t, team in enumerate(teams)])
    party = create_customer()
    template, = Opportunity.create([{
                'party': party.id, 'company': company.id,
                'employee': employees[0].id, 'description': "Deal",
                'amount': Decimal(1000),
                }])

    def opportunity(i):
        start = today - dt.timedelta(days=rng.randrange(730))
        state = STATES[i % len(STATES)]
        employee = employees[i % len(employees)]
        return {
            'number': 'B%s' % i,
            'employee': employee.id,
            'crm_team': teams[i % len(employees) % 2].id,
            'crm_territory': territories[i % len(employees) % 2].id,
            'crm_channel': LEAD_CHANNELS[i % len(LEAD_CHANNELS)],
            'state': state,
            'amount': Decimal(rng.randrange(100, 100_000)),
            'conversion_probability': rng.choice([0.1, 0.3, 0.6, 0.9]),
            'start_date': start,
            'end_date': start + dt.timedelta(days=rng.randrange(10, 180)),
            }
    copy_rows(Opportunity, template, count_opportunities, opportunity)
    populate_marketing(company, template, count_opportunities, rng)

    template, = Case.create([{
                'subject': "Case", 'company': company.id,
                'channel': 'phone', 'team': teams[0].id,
                }])

    def case(i):
        opened = dt.datetime.combine(
            today - dt.timedelta(days=rng.randrange(730)), dt.time(9))
        state = CASE_STATES[i % len(CASE_STATES)]
        done = state in {'resolved', 'closed'}
        return {
            'number': 'C%s' % i,
            'team': teams[i % 2].id,
            'channel': rng.choice(['phone', 'email', 'web', 'portal']),
            'state': state,
            'create_date': opened,
            'first_response_at': opened + dt.timedelta(
                minutes=rng.randrange(5, 600)) if i % 5 else None,
            'resolved_at': opened + dt.timedelta(
                hours=rng.randrange(1, 100)) if done else None,
            'sla_status': rng.choice(['met', 'met', 'met', 'breached'])
            if done else 'on_track',
            }
    copy_rows(Case, template, count_cases, case)

    Target.create([{
                'employee': employees[m % len(employees)].id,
                'company': company.id, 'period_type': 'month',
                'start_date': today.replace(day=1) - dt.timedelta(
                    days=31 * m),
                'target_amount': Decimal(500_000),
                } for m in range(20)])
    return company, teams


def populate_marketing(company, opportunity, count_opportunities, rng):
    """Create 5 campaigns, touches on the copies of the opportunity, costs
    per channel and campaign and competitor page changes"""
    from decimal import Decimal

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Date = pool.get('ir.date')
    Campaign = pool.get('marketing.campaign')
    Touch = pool.get('crm.campaign.touch')
    Cost = pool.get('crm.bi.cost')
    Party = pool.get('party.party')
    Competitor = pool.get('crm.competitor')
    Page = pool.get('crm.competitor.page')
    Snapshot = pool.get('crm.competitor.snapshot')
    Change = pool.get('crm.competitor.change')
    today = Date.today()
    campaigns = Campaign.create([{'name': 'C%s' % i} for i in range(5)])
    table = opportunity.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.id))
    ids = [i for i, in cursor]
    count = int(TOUCHES * count_opportunities / OPPORTUNITIES)
    template, = Touch.create([{
                'opportunity': opportunity.id, 'campaign': campaigns[0].id,
                'date': today}])
    copy_rows(Touch, template, count, lambda i: {
            'opportunity': rng.choice(ids),
            'campaign': rng.choice(campaigns).id,
            'date': today - dt.timedelta(days=rng.randrange(730)),
            })
    Cost.create([{
                'company': company.id, 'channel': channel,
                'campaign': campaign,
                'date': today - dt.timedelta(days=30 * m),
                'amount': Decimal(1000), 'currency': company.currency.id,
                } for m in range(24)
            for channel, campaign in [
                ('phone', None), ('web', None), ('field', None)]
            + [('campaign', c.id) for c in campaigns]])
    party, = Party.create([{'name': "Competitor"}])
    competitor, = Competitor.create([{'party': party.id}])
    page, = Page.create([{
                'name': "Prices", 'competitor': competitor.id,
                'url': 'https://www.example.com/prices'}])
    now = dt.datetime.now()
    snapshot, = Snapshot.create([{'page': page.id, 'fetched_at': now}])
    template, = Change.create([{
                'page': page.id, 'competitor': competitor.id,
                'snapshot': snapshot.id, 'detected_at': now}])
    copy_rows(Change, template,
        int(CHANGES * count_opportunities / OPPORTUNITIES), lambda i: {
            'detected_at': now - dt.timedelta(hours=rng.randrange(17_520)),
            'added_lines': rng.randrange(20),
            'removed_lines': rng.randrange(20),
            })


def main():
    args = parse_args(__doc__, 'bench_bi_reports')

    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction
    from trytond.transaction import Transaction

    activate_module(['crm_bi'])
    count_opportunities = int(OPPORTUNITIES * args.scale)
    count_cases = int(CASES * args.scale)

    @with_transaction()
    def run():
        pool = Pool()
        company = create_company()
        with set_company(company):
            start = time.perf_counter()
            company, teams = populate(count_opportunities, count_cases)
            print("%s: %s opportunities, %s cases in %.1f s" % (
                    args.backend, count_opportunities, count_cases,
                    time.perf_counter() - start))
            cursor = Transaction().connection.cursor()
            print("%-22s %-8s %6s %10s %10s %6s" % (
                    "report", "filter", "rows", "read (s)", "SQL (s)",
                    "ratio"))
            for filter_name, context in [
                    ('company', {}), ('team', {'team': teams[0].id})]:
                for name in REPORTS:
                    Report = pool.get(name)
                    with Transaction().set_context(
                            company=company.id, **context):
                        sql, params = Report.show_sql()
                        start = time.perf_counter()
                        cursor.execute(sql, params)
                        cursor.fetchall()
                        raw = time.perf_counter() - start
                        start = time.perf_counter()
                        records = Report.search([])
                        Report.read(
                            [r.id for r in records],
                            list(Report._fields.keys()))
                        read = time.perf_counter() - start
                    print("%-22s %-8s %6s %10.3f %10.3f %6.2f" % (
                            name, filter_name, len(records), read, raw,
                            read / raw if raw else 0))
    run()


if __name__ == '__main__':
    main()
