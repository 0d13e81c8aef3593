# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Nearby customers of a phone: p95 of the search over 1,000,000 addresses.

Creates 1,000,000 customers (times --scale) with one located address each,
scattered around 20 cities (about 100 km across), then times 200 nearby
searches of the phones' API (resources.nearby: the bounding box on the
composite latitude/longitude index of crm_sales, then the exact distance,
sorted, first page of 50) within 5 km of random points of those cities.
Prints the p50/p95 and the ratio to the 50 ms target.

The customers are inserted with SQL (the ORM would take hours for a
million); the search runs through the ORM as the API does.

    .venv/bin/python bench/nearby.py [--scale 0.1] [--postgresql]
"""
import random
import statistics
import time

from common import parse_args

ADDRESSES = 1_000_000
CITIES = 20
SPREAD = 0.5  # degrees around each city
SEARCHES = 200
RADIUS = 5000  # metres
TARGET_MS = 50
BATCH = 10_000


def main():
    args = parse_args(__doc__, 'bench_nearby')

    from sql import Table

    from trytond.modules.crm_mobile import resources
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction
    from trytond.transaction import Transaction

    activate_module(['crm_sales'])
    count = int(ADDRESSES * args.scale)
    rng = random.Random(42)
    cities = [(rng.uniform(22, 40), rng.uniform(100, 122))
        for _ in range(CITIES)]

    def insert(cursor):
        "The parties and their addresses, by batches of SQL inserts"
        party = Table('party_party')
        address = Table('party_address')
        cursor.execute('SELECT MAX(id) FROM party_party')
        first = (cursor.fetchone()[0] or 0) + 1
        for start in range(0, count, BATCH):
            ids = range(first + start, first + min(start + BATCH, count))
            cursor.execute(*party.insert(
                    [party.id, party.name, party.code, party.active],
                    [[i, 'Customer %s' % i, 'B%s' % i, True] for i in ids]))
            rows = []
            for i in ids:
                latitude, longitude = cities[i % CITIES]
                rows.append([i, True, 'City %s' % (i % CITIES),
                        round(latitude + rng.uniform(-SPREAD, SPREAD), 7),
                        round(longitude + rng.uniform(-SPREAD, SPREAD), 7)])
            cursor.execute(*address.insert(
                    [address.party, address.active, address.city,
                        address.latitude, address.longitude], rows))

    @with_transaction()
    def run():
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        start = time.perf_counter()
        insert(cursor)
        if args.backend == 'postgresql':
            cursor.execute('ANALYZE party_address')
            cursor.execute('ANALYZE party_party')
        else:
            cursor.execute('ANALYZE')
        print("setup: %s addresses in %.1f s" % (
                count, time.perf_counter() - start))
        Pool().get('party.address')  # the pool is ready
        timings, found = [], []
        for _ in range(SEARCHES + 1):
            latitude, longitude = rng.choice(cities)
            latitude += rng.uniform(-SPREAD / 2, SPREAD / 2)
            longitude += rng.uniform(-SPREAD / 2, SPREAD / 2)
            start = time.perf_counter()
            result = resources.nearby(latitude, longitude, RADIUS, 0, 50)
            timings.append((time.perf_counter() - start) * 1000)
            found.append(result['total'])
        # The first search fills the caches as a server's first phone would
        first, timings = timings[0], timings[1:]
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print("%s: nearby search (%s m) over %s addresses: p50 %.1f ms, "
            "p95 %.1f ms over %s searches (first %.1f ms), %.0f customers "
            "found on average; target p95 < %s ms, ratio %.2f" % (
                args.backend, RADIUS, count, statistics.median(timings),
                p95, SEARCHES, first, statistics.mean(found[1:]), TARGET_MS,
                p95 / TARGET_MS))
    run()


if __name__ == '__main__':
    main()
