# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Skill-based routing of service cases: decision time and burst rate.

Creates a database with 1,000 agents in 20 teams (3 to 5 skills each among
50 categories and 4 languages, capacities 100 to 200, a tenth away and one
in twenty inside an absence) and 100,000 open cases of 20,000 customers
(times --scale), inserted in bulk. Then times:

- one routing decision (crm.service.case.route of one new case, writes
  included) over 500 cases: median and p99 (target: p99 < 20 ms);
- a burst of 10,000 new cases: created without agent (creation routes them)
  and, apart, routed in one call after a bulk insert: cases per second.

    .venv/bin/python bench/routing.py [--scale 0.1] [--postgresql]
"""
import datetime
import random
import statistics
import time

from common import parse_args
from sql.aggregate import Max

AGENTS = 1_000
TEAMS = 20
CUSTOMERS = 20_000
OPEN_CASES = 100_000
DECISIONS = 500
BURST = 10_000
TARGET_P99_MS = 20
PRIORITIES = ['low', 'normal', 'normal', 'normal', 'high', 'urgent']


def main():
    args = parse_args(__doc__, 'bench_routing')

    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction
    from trytond.tools import grouped_slice
    from trytond.transaction import Transaction

    activate_module(['crm_service'])
    rng = random.Random(42)
    n_agents = max(TEAMS, int(AGENTS * args.scale))
    n_customers = max(10, int(CUSTOMERS * args.scale))
    n_cases = int(OPEN_CASES * args.scale)
    n_burst = max(10, int(BURST * args.scale))
    n_decisions = min(DECISIONS, max(20, int(DECISIONS * args.scale)))

    def insert(table, columns, rows):
        "Insert the rows of the columns in bulk and return their ids"
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Max(table.id)))
        last, = cursor.fetchone()
        stamps = [0]
        if 'create_date' not in columns:
            columns = columns + ['create_date']
            stamps.insert(0, datetime.datetime.now())
        columns = [getattr(table, n) for n in columns] + [table.create_uid]
        for sub in grouped_slice(rows, 1000):
            cursor.execute(*table.insert(columns,
                    [list(r) + stamps for r in sub]))
        cursor.execute(*table.select(table.id,
                where=table.id > (last or 0), order_by=[table.id.asc]))
        return [i for i, in cursor]

    def setup(company):
        pool = Pool()
        Party = pool.get('party.party')
        PartyLang = pool.get('party.party.lang')
        Employee = pool.get('company.employee')
        Team = pool.get('crm.sales.team')
        Member = pool.get('crm.sales.team-company.employee')
        Category = pool.get('crm.service.case.category')
        Skill = pool.get('crm.service.skill')
        AgentSkill = pool.get('crm.service.agent.skill')
        Absence = pool.get('crm.service.agent.absence')
        Case = pool.get('crm.service.case')
        Lang = pool.get('ir.lang')
        now = datetime.datetime.now()

        langs = Lang.search([('code', 'in', ['en', 'zh_CN', 'fr', 'de'])])
        tops = Category.create([{
                    'name': f"Area {i}",
                    'children': [('create', [
                                {'name': f"Topic {i}.{j}"}
                                for j in range(4)])],
                    } for i in range(10)])
        categories = tops + [c for t in tops for c in t.children]
        skills = Skill.create([{
                    'name': c.rec_name, 'kind': 'category',
                    'category': c.id} for c in categories]
            + [{'name': l.name, 'kind': 'language', 'language': l.id}
                for l in langs])
        leaves = [c.id for t in tops for c in t.children]

        party_ids = insert(Party.__table__(), ['name', 'code', 'active'], [
                (f"Party {i}", f"BENCH{i}", True)
                for i in range(n_agents + n_customers)])
        customers = party_ids[n_agents:]
        insert(PartyLang.__table__(), ['party', 'lang'], [
                (p, rng.choice(langs).id) for p in customers])
        agents = insert(Employee.__table__(), [
                'party', 'company', 'service_capacity',
                'service_availability'], [
                (p, company.id, rng.randint(100, 200),
                    'away' if rng.random() < 0.1 else 'on_duty')
                for p in party_ids[:n_agents]])
        insert(Absence.__table__(), ['employee', 'start', 'end'], [
                (a, now - datetime.timedelta(days=1),
                    now + datetime.timedelta(days=2))
                for a in agents if rng.random() < 0.05])
        insert(AgentSkill.__table__(), ['employee', 'skill', 'level'], [
                (a, s.id, rng.randint(1, 5)) for a in agents
                for s in rng.sample(skills, rng.randint(3, 5))])
        teams = Team.create([{'name': f"Team {i}", 'company': company.id}
                for i in range(TEAMS)])
        members = {t.id: agents[i::TEAMS] for i, t in enumerate(teams)}
        insert(Member.__table__(), ['team', 'employee'], [
                (t, a) for t, ids in members.items() for a in ids])

        start = now - datetime.timedelta(days=60)
        states = ['assigned', 'in_progress', 'in_progress', 'waiting']

        def case_row(i, state, agent=None):
            team = rng.choice(teams).id
            return (f"B{i}", f"Case {i}", company.id, rng.choice(customers),
                'phone', rng.choice(leaves), rng.choice(PRIORITIES), team,
                agent(team) if agent else None, state,
                rng.choice(langs).id, 0,
                start + datetime.timedelta(minutes=i % 86400))
        names = [
            'number', 'subject', 'company', 'party', 'channel', 'category',
            'priority', 'team', 'agent', 'state', 'language',
            'reopened_count', 'create_date']

        def insert_cases(rows):
            return insert(Case.__table__(), names, rows)
        insert_cases([
                case_row(i, rng.choice(states),
                    lambda t: rng.choice(members[t]))
                for i in range(n_cases)])
        return insert_cases, case_row, customers, leaves, teams, langs

    @with_transaction()
    def run():
        pool = Pool()
        Case = pool.get('crm.service.case')
        company = create_company()
        with set_company(company):
            start = time.perf_counter()
            insert_cases, case_row, customers, leaves, teams, langs = (
                setup(company))
            if args.backend == 'postgresql':
                Transaction().connection.cursor().execute('ANALYZE')
            print("setup: %s agents, %s open cases in %.1f s" % (
                    n_agents, n_cases, time.perf_counter() - start))

            # One decision at a time, as cases come in one by one
            ids = insert_cases([
                    case_row(n_cases + i, 'new') for i in range(n_decisions)])
            timings = []
            routed = 0
            for id_ in ids:
                case = Case(id_)
                start = time.perf_counter()
                routed += len(Case.route([case]))
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            median = statistics.median(timings)
            p99 = timings[min(len(timings) - 1,
                    int(round(0.99 * len(timings))) - 1)]

            # A burst of new cases through creation
            values = [{
                    'subject': f"Burst {i}",
                    'party': rng.choice(customers),
                    'category': rng.choice(leaves),
                    'priority': rng.choice(PRIORITIES),
                    'team': rng.choice(teams).id,
                    } for i in range(n_burst)]
            start = time.perf_counter()
            created = Case.create(values)
            create_elapsed = time.perf_counter() - start
            created_routed = sum(1 for c in created if c.agent)

            # The same burst routed in one call
            ids = insert_cases([
                    case_row(n_cases + n_decisions + i, 'new')
                    for i in range(n_burst)])
            start = time.perf_counter()
            burst_routed = len(Case.route(Case.browse(ids)))
            route_elapsed = time.perf_counter() - start

        backend = args.backend
        print("%s: one routing decision among %s agents and %s open cases: "
            "median %.1f ms, p99 %.1f ms over %s decisions (%s routed); "
            "target p99 %s ms, ratio %.2f" % (
                backend, n_agents, n_cases, median, p99, len(timings),
                routed, TARGET_P99_MS, p99 / TARGET_P99_MS))
        print("%s: burst of %s new cases created and routed: %.1f s, "
            "%.0f cases/s (%s got an agent)" % (
                backend, n_burst, create_elapsed, n_burst / create_elapsed,
                created_routed))
        print("%s: burst of %s new cases routed in one call: %.1f s, "
            "%.0f cases/s (%s got an agent)" % (
                backend, n_burst, route_elapsed, n_burst / route_elapsed,
                burst_routed))
    run()


if __name__ == '__main__':
    main()
