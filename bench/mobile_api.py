# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phones' API under load: 50 devices at once for 60 s on loopback.

Creates 10,000 located customers (times --scale) and 50 salespersons of 5
teams, each with a device key, then serves the database with trytond as
`./crm run` deploys it, in its own processes (on PostgreSQL, gunicorn's
pre-forked workers, one a core, of 16 threads; on SQLite one threaded
trytond), and runs 50 devices on 127.0.0.1 that each send: nearby
customers (40 %), me (20 %), opportunities (20 %), a customer search
(10 %) and a check-in with an idempotency key (10 %).

Two runs of --duration seconds each:
- phones in hand: each device waits 1 to 3 s between requests (a person
  reading the screen or walking to the next door): requests/s, the p50
  and p95 against the target (p95 < 150 ms) and the errors (zero);
- saturation: the devices send their next request as soon as they get an
  answer: the throughput the server reaches, and the latency that many
  requests at once queue for (mean = devices / throughput).

    .venv/bin/python bench/mobile_api.py [--scale 0.1] [--duration 60]
        [--postgresql]
"""
import collections
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid

from common import parse_args

CUSTOMERS = 10_000
DEVICES = 50
TEAMS = 5
TARGET_P95_MS = 150
CENTRE = (31.2304, 121.4737)
PASSWORD = 'Bench-Mobile-1'
DATABASE = 'bench_mobile_api'
PAUSE = (1, 3)  # seconds a person takes between two requests
THREADS = 16


def main():
    sys.argv, duration = _duration(sys.argv)
    args = parse_args(__doc__, DATABASE)
    from tools import crmctl
    backend = crmctl.Backend(args.backend)
    if args.backend == 'sqlite':
        # A database file the server's processes open
        backend.drop(DATABASE)
        backend.db_path().mkdir(parents=True, exist_ok=True)
        os.environ['TRYTOND_DATABASE__PATH'] = str(backend.db_path())
        os.environ['DB_NAME'] = DATABASE

    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.modules.crm_sales.tests.tools import (
        SALESPERSON, create_user)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction
    from trytond.transaction import Transaction

    activate_module(['crm_mobile'])
    count = int(CUSTOMERS * args.scale)
    rng = random.Random(42)

    @with_transaction()
    def setup():
        pool = Pool()
        Party = pool.get('party.party')
        Team = pool.get('crm.sales.team')
        Application = pool.get('res.user.application')
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            users = [create_user(
                    'phone%s' % i, company,
                    create_employee(company, "Phone %s" % i), SALESPERSON)
                for i in range(DEVICES)]
            Team.create([{
                        'name': "Team %s" % t, 'company': company.id,
                        'members': [('add', [
                                    u.employee.id for u in users[t::TEAMS]])],
                        } for t in range(TEAMS)])
            parties = Party.create([{
                        'name': "Customer %s" % i,
                        'addresses': [('create', [{
                                        'city': "Shanghai",
                                        'latitude': round(CENTRE[0]
                                            + rng.uniform(-0.3, 0.3), 7),
                                        'longitude': round(CENTRE[1]
                                            + rng.uniform(-0.3, 0.3), 7),
                                        }])],
                        } for i in range(count)])
            Opportunity.create([{
                        'description': "Deal %s" % i,
                        'party': parties[i % count].id,
                        'employee': users[i % DEVICES].employee.id,
                        'company': company.id,
                        'currency': company.currency.id,
                        } for i in range(DEVICES * 10)])
            keys = Application.create([{
                        'user': u.id, 'application': 'crm_mobile',
                        'state': 'validated'} for u in users])
        Pool().get('res.user').write(users, {'password': PASSWORD})
        result = [k.key for k in keys], [p.id for p in parties]
        # The test decorator rolls back: the server must see the data
        Transaction().commit()
        return result

    keys, parties = setup()
    workers = (os.cpu_count() or 1) if backend.postgresql else 1
    server = crmctl.Server(backend, DATABASE, crmctl.free_port(),
        cron=False, workers=workers, threads=THREADS)
    print("%s: %s devices over %s customers, served by %s process(es) "
        "of %s threads" % (
            args.backend, DEVICES, count, workers, THREADS), flush=True)
    (crmctl.VAR / 'log').mkdir(parents=True, exist_ok=True)
    with open(crmctl.VAR / 'log' / 'bench-mobile-api-server.log',
            'w') as log:
        server.start(log=log)
        try:
            prefix = f'/{DATABASE}/crm_mobile/api/v1'
            run_devices(server.port, prefix, keys, parties, 5, None, 1000)
            for name, pause in [('phones in hand', PAUSE), (
                        'saturation', None)]:
                elapsed, results = run_devices(
                    server.port, prefix, keys, parties, duration, pause, 0)
                report(name, elapsed, results, pause)
        finally:
            server.stop()


def request(rng, parties):
    "A random request of a device: method, path, body, headers"
    roll = rng.random()
    latitude = CENTRE[0] + rng.uniform(-0.2, 0.2)
    longitude = CENTRE[1] + rng.uniform(-0.2, 0.2)
    if roll < 0.4:
        return 'GET', (f'/customers/nearby?latitude={latitude:.6f}'
            f'&longitude={longitude:.6f}&radius=3000'), None, {}
    if roll < 0.6:
        return 'GET', '/me', None, {}
    if roll < 0.8:
        return 'GET', '/opportunities', None, {}
    if roll < 0.9:
        return 'GET', '/customers?q=Customer%201&limit=20', None, {}
    return 'POST', '/visits', json.dumps({
            'customer': rng.choice(parties),
            'latitude': round(latitude, 6),
            'longitude': round(longitude, 6), 'accuracy': 10,
            }), {'Idempotency-Key': str(uuid.uuid4())}


def run_devices(port, prefix, keys, parties, duration, pause, seed):
    """Run a device a key for duration seconds, pausing between requests
    (None: no pause); the elapsed time and the (ms, status, endpoint) of
    each request"""
    results = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def device(key, seed):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection('127.0.0.1', port)
        served = False
        mine = []
        # The phones do not all start in the same millisecond
        time.sleep(rng.uniform(0, pause[1] if pause else 0.1))
        while time.monotonic() < stop:
            method, path, body, headers = request(rng, parties)
            headers.update({
                    'Authorization': f'Bearer {key}',
                    'Content-Type': 'application/json'})
            start = time.perf_counter()
            # A kept-alive connection the server closed meanwhile is opened
            # again once, as a browser does; a second failure is an error
            for retry in [served, False]:
                try:
                    connection.request(
                        method, prefix + path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                    served = True
                    break
                except (OSError, http.client.HTTPException):
                    status = 0
                    connection.close()
                    connection = http.client.HTTPConnection(
                        '127.0.0.1', port)
                    served = False
                    if not retry:
                        break
            mine.append((
                    (time.perf_counter() - start) * 1000, status,
                    method + ' ' + path.split('?')[0]))
            if pause:
                time.sleep(rng.uniform(*pause))
        with lock:
            results.extend(mine)

    start = time.monotonic()
    threads = [threading.Thread(target=device, args=(k, seed + i))
        for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start, results


def report(name, elapsed, results, pause):
    timings = sorted(t for t, _, _ in results)
    errors = collections.Counter(
        s for _, s, _ in results if not 200 <= s < 300)
    print("  %s: %s requests in %.0f s, %.1f requests/s, p50 %.1f ms, "
        "p95 %.1f ms, %s errors %s" % (
            name, len(results), elapsed, len(results) / elapsed,
            statistics.median(timings), _p95(timings), errors.total(),
            dict(errors) or ''))
    endpoints = collections.defaultdict(list)
    for timing, _, endpoint in results:
        endpoints[endpoint].append(timing)
    for endpoint, timings in sorted(endpoints.items()):
        timings.sort()
        print("    %-32s %5s requests, p50 %7.1f ms, p95 %7.1f ms" % (
                endpoint, len(timings), statistics.median(timings),
                _p95(timings)))
    if pause:
        p95 = _p95(sorted(t for t, _, _ in results))
        print("    target p95 < %s ms and zero errors: ratio %.2f, %s" % (
                TARGET_P95_MS, p95 / TARGET_P95_MS,
                'met' if p95 < TARGET_P95_MS and not errors
                else 'NOT met'))
    else:
        print("    %s devices without a pause: mean latency = devices / "
            "throughput = %.0f ms (Little's law)" % (
                DEVICES, DEVICES / (len(results) / elapsed) * 1000))


def _p95(timings):
    return timings[max(int(len(timings) * 0.95) - 1, 0)]


def _duration(argv):
    "Take --duration N out of the arguments common.parse_args reads"
    duration = 60.
    if '--duration' in argv:
        i = argv.index('--duration')
        duration = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    return argv, duration


if __name__ == '__main__':
    main()
