# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phones' API under load: 50 devices at once for 60 s on loopback.

Creates 10,000 located customers (times --scale) and 50 salespersons of 5
teams, each with a device key, serves trytond's WSGI application on
127.0.0.1 (werkzeug, a thread per request) and runs 50 devices that each
send, one after the other for --duration seconds: nearby customers (40 %),
me (20 %), opportunities (20 %), a customer search (10 %) and a check-in
with an idempotency key (10 %). Prints requests/s, the p50/p95 and the
errors, against the targets (p95 < 150 ms, zero errors).

    .venv/bin/python bench/mobile_api.py [--scale 0.1] [--duration 60]
        [--postgresql]
"""
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
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


def main():
    sys.argv, duration = _duration(sys.argv)
    args = parse_args(__doc__, 'bench_mobile_api')
    if args.backend == 'sqlite':
        # The server's threads share a database file, not one in memory
        os.environ['TRYTOND_DATABASE__PATH'] = tempfile.mkdtemp()
        os.environ['DB_NAME'] = 'bench_mobile_api'

    from werkzeug.serving import WSGIRequestHandler, make_server

    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.modules.crm_sales.tests.tools import (
        SALESPERSON, create_user)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import (
        DB_NAME, activate_module, with_transaction)
    from trytond.transaction import Transaction
    from trytond.wsgi import app

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

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
    server = make_server(
        '127.0.0.1', 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    prefix = f'/{DB_NAME}/crm_mobile/api/v1'
    results = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def request(rng):
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

    def device(key, seed):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection('127.0.0.1', port)
        mine = []
        while time.monotonic() < stop:
            method, path, body, headers = request(rng)
            headers.update({
                    'Authorization': f'Bearer {key}',
                    'Content-Type': 'application/json'})
            start = time.perf_counter()
            try:
                connection.request(
                    method, prefix + path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection('127.0.0.1', port)
            mine.append(((time.perf_counter() - start) * 1000, status))
        with lock:
            results.extend(mine)

    start = time.monotonic()
    threads = [threading.Thread(target=device, args=(k, i))
        for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    server.shutdown()

    timings = sorted(t for t, _ in results)
    errors = sum(1 for _, s in results if not 200 <= s < 300)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print("%s: %s devices for %.0f s over %s customers: %s requests, "
        "%.1f requests/s, p50 %.1f ms, p95 %.1f ms, %s errors; target "
        "p95 < %s ms (ratio %.2f) and zero errors" % (
            args.backend, DEVICES, elapsed, count, len(results),
            len(results) / elapsed, statistics.median(timings), p95,
            errors, TARGET_P95_MS, p95 / TARGET_P95_MS))


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
