# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The call endpoint under load: requests/s and latency on loopback.

Builds a database bench_intake with the Service Desk line (IVR 1-3) of a
team of 30 agents with skills in its categories and languages, a standard
SLA policy on a working-time calendar and 5,000 customers (times --scale)
with a mobile number. Serves it as in production: trytond's WSGI
application in pre-forked processes (WORKERS) of THREADS threads each
(gunicorn's gthread workers: the calls a process gets at once are taken
together, in one transaction), warmed up; then 20 clients post calls for
30 s: 80 % from known customers (random IVR choice, so some find their
open case), 20 % from unknown numbers. Each new case is
routed to an agent and gets its SLA deadlines before the answer. Prints
requests/s, the p50/p95/p99 latency (target: p95 < 150 ms) and the errors
(target: 0).

    .venv/bin/python bench/intake.py [--scale 0.1] [--postgresql]
"""
import datetime
import json
import os
import random
import statistics
import threading
import time
import urllib.error
import urllib.request

from common import parse_args

DATABASE = 'bench_intake'
CUSTOMERS = 5_000
CLIENTS = 20
AGENTS = 30
# A process a core, each answering the calls of all its clients at once:
# the calls a process gets together are taken in one transaction
WORKERS = int(os.environ.get(
    'BENCH_WORKERS', os.cpu_count() or 1))
THREADS = int(os.environ.get('BENCH_THREADS', CLIENTS))
SECONDS = 30
TARGET_P95 = 0.150
LINE = '+86 21 6000 1000'


def customer_number(i):
    return f'+86138{i:08d}'


def build(backend, scale):
    """Create the database with the line, the customers and a key, or
    update its modules when their code changed"""
    from tools import crmctl
    stamp = backend.db_path() / f'{DATABASE}.bench.json'
    state = {'code': crmctl.addons_hash(), 'scale': scale}
    (crmctl.VAR / 'log').mkdir(parents=True, exist_ok=True)
    log_path = crmctl.VAR / 'log' / 'bench-intake.log'
    if backend.exists(DATABASE) and stamp.exists():
        built = json.loads(stamp.read_text())
        if built['scale'] == scale:
            if built['code'] != state['code']:
                with open(log_path, 'w') as log:
                    crmctl._admin(backend, DATABASE, '-u', 'crm_service',
                        log=log)
                stamp.write_text(json.dumps(state))
            return
    stamp.unlink(missing_ok=True)
    backend.drop(DATABASE)
    backend.create(DATABASE)
    password = crmctl.secret('bench-password')
    with open(log_path, 'w') as log:
        print(f"creating {DATABASE} on {backend.name} (a few minutes)",
            flush=True)
        crmctl._admin(backend, DATABASE, '--all', '--email',
            'admin@example.com', log=log,
            env=backend.env(TRYTONPASSFILE=str(password)))
        crmctl._admin(backend, DATABASE, '-u', 'crm_service',
            '--activate-dependencies', log=log)
    populate(backend, int(CUSTOMERS * scale))
    stamp.write_text(json.dumps(state))


def populate(backend, customers):
    os.environ['TRYTOND_CONFIG'] = str(backend.config_file())
    if backend.postgresql:
        os.environ['TRYTOND_DATABASE__URI'] = backend.uri
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    with Transaction().start(DATABASE, 0, _lock_tables=[
                'crm_service_configuration']) as transaction:
        from trytond.modules.company.tests import create_company
        Category = pool.get('crm.service.case.category')
        Line = pool.get('crm.service.line')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        Application = pool.get('res.user.application')
        company = create_company()
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'companies': [('add', [company.id])],
                'company': company.id})
        categories = Category.create([{'name': n} for n in
                ["Hardware", "Software", "Billing"]])
        team = service_desk(pool, company, categories)
        sla_policy(pool, company)
        Line.create([{
                    'company': company.id, 'name': "Service Desk",
                    'number': LINE, 'category': categories[0].id,
                    'team': team.id,
                    'ivr_choices': [('create', [
                                {'choice': str(i + 1), 'category': c.id}
                                for i, c in enumerate(categories)])],
                    }])
        for start in range(0, customers, 1000):
            Party.create([{
                        'name': f'Customer {i}',
                        'contact_mechanisms': [('create', [{
                                        'type': 'mobile',
                                        'value': customer_number(i)}])],
                        } for i in range(
                        start, min(start + 1000, customers))])
        Application.create([{
                    'user': admin.id, 'application': 'crm_service_call',
                    'key': key_file().read_text()}])
        transaction.commit()


def service_desk(pool, company, categories):
    "The team of the agents, each skilled in categories and languages"
    Party = pool.get('party.party')
    Employee = pool.get('company.employee')
    Team = pool.get('crm.sales.team')
    Skill = pool.get('crm.service.skill')
    Lang = pool.get('ir.lang')
    rng = random.Random(0)
    skills = Skill.create([{
                'name': c.name, 'kind': 'category', 'category': c.id}
            for c in categories] + [{
                'name': l.name, 'kind': 'language', 'language': l.id}
            for l in Lang.search([('code', 'in', ['en', 'zh_CN'])])])
    parties = Party.create([{'name': f'Agent {i}'} for i in range(AGENTS)])
    agents = Employee.create([{
                'party': p.id, 'company': company.id,
                'service_capacity': 1000,
                'service_skills': [('create', [
                            {'skill': s.id, 'level': rng.randint(1, 5)}
                            for s in rng.sample(skills, 3)])],
                } for p in parties])
    team, = Team.create([{
                'name': "Service Desk", 'company': company.id,
                'leader': agents[0].id,
                'members': [('add', [a.id for a in agents[1:]])],
                }])
    return team


def sla_policy(pool, company):
    "The standard policy: office hours in Shanghai, targets by priority"
    from trytond.transaction import Transaction
    Calendar = pool.get('crm.service.calendar')
    Policy = pool.get('crm.service.sla.policy')
    Configuration = pool.get('crm.service.configuration')
    calendar, = Calendar.create([{
                'name': "Standard", 'timezone': 'Asia/Shanghai',
                'hours': [('create', [{
                                'weekday': str(d), 'from_time': f,
                                'to_time': t} for d in range(5)
                            for f, t in [
                                (datetime.time(9), datetime.time(12)),
                                (datetime.time(13), datetime.time(18))]])],
                }])
    hour = datetime.timedelta(hours=1)
    policy, = Policy.create([{
                'name': "Standard", 'calendar': calendar.id,
                'company': company.id,
                'lines': [('create', [{
                                'priority': p, 'response_target': r * hour,
                                'resolution_target': 8 * r * hour}
                            for p, r in [('urgent', 1), ('high', 2),
                                ('normal', 4), ('low', 8)]])],
                }])
    with Transaction().set_context(company=company.id):
        configuration = Configuration(1)
        configuration.sla_policy = policy
        configuration.save()


def key_file():
    from tools import crmctl
    return crmctl.secret('bench-intake-key', 32)


def client(url, key, customers, deadline, results, seed):
    rng = random.Random(seed)
    latencies, errors = [], []
    while time.monotonic() < deadline:
        if rng.random() < 0.8:
            ani = customer_number(rng.randrange(customers))
        else:
            ani = f'+86139{rng.randrange(10 ** 8):08d}'
        body = json.dumps({
                'ani': ani, 'dnis': LINE,
                'ivr_choice': str(rng.randint(1, 4))}).encode()
        request = urllib.request.Request(url, data=body, method='POST',
            headers={'Authorization': f'Bearer {key}',
                'Content-Type': 'application/json'})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                if response.status not in {200, 201}:
                    errors.append(response.status)
        except (urllib.error.URLError, OSError) as e:
            errors.append(getattr(e, 'code', str(e)))
        latencies.append(time.monotonic() - started)
    results.append((latencies, errors))


def main():
    args = parse_args(__doc__, DATABASE)
    from tools import crmctl
    backend = crmctl.Backend(args.backend)
    build(backend, args.scale)
    customers = int(CUSTOMERS * args.scale)
    key = key_file().read_text()
    workers = WORKERS if backend.postgresql else 1
    server = crmctl.Server(
        backend, DATABASE, crmctl.free_port(), cron=False, workers=workers,
        threads=THREADS)
    url = f'{server.url}{DATABASE}/crm_service/call'
    with open(crmctl.VAR / 'log' / 'bench-intake-server.log', 'w') as log:
        server.start(log=log)
        try:
            # Warm the caches of every process
            warm = [threading.Thread(target=client,
                    args=(url, key, customers, time.monotonic() + 5, [],
                        -i - 1))
                for i in range(CLIENTS)]
            for thread in warm:
                thread.start()
            for thread in warm:
                thread.join()
            results = []
            deadline = time.monotonic() + SECONDS
            started = time.monotonic()
            client_cpu = time.process_time()
            threads = [threading.Thread(target=client,
                    args=(url, key, customers, deadline, results, i + 1))
                for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            client_cpu = time.process_time() - client_cpu
        finally:
            server.stop()
    latencies = sorted(t for r in results for t in r[0])
    errors = [e for r in results for e in r[1]]
    quantiles = statistics.quantiles(latencies, n=100)
    p50, p95, p99 = quantiles[49], quantiles[94], quantiles[98]
    print(f"call intake on {args.backend}, {customers} customers, "
        f"{AGENTS} agents, {workers} server processes of {THREADS} "
        f"threads, "
        f"{CLIENTS} clients for {SECONDS} s")
    print(f"  requests: {len(latencies)} ({len(latencies) / elapsed:.1f}/s)")
    print(f"  latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms (target p95 < {TARGET_P95 * 1000:.0f} ms,"
        f" ratio {p95 / TARGET_P95:.2f})")
    print(f"  the clients' own CPU on this machine: "
        f"{client_cpu / len(latencies) * 1000:.1f} ms a request")
    print(f"  errors: {len(errors)}"
        + (f" {sorted(set(map(str, errors)))[:5]}" if errors else ''))


if __name__ == '__main__':
    main()
