# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Delta sync of a phone: server time and payload of 10,000 changes.

Creates a salesperson with 10,000 activities (times --scale), takes a sync
cursor, changes every activity and deletes a hundredth of them, then times
the delta sync the phone asks for (resources.sync as the API answers it,
as the salesperson, record rules included) and the size of its JSON
payload. Prints the median of 5 syncs and the ratio to the 1 s target.

    .venv/bin/python bench/sync.py [--scale 0.1] [--postgresql]
"""
import datetime
import json
import statistics
import time

from common import parse_args

CHANGES = 10_000
RUNS = 5
TARGET_S = 1


def main():
    args = parse_args(__doc__, 'bench_sync')

    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.modules.crm_mobile import resources
    from trytond.modules.crm_sales.tests.tools import (
        SALESPERSON, create_user)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction
    from trytond.transaction import Transaction, check_access

    activate_module(['crm_mobile'])
    count = int(CHANGES * args.scale)

    @with_transaction()
    def run():
        pool = Pool()
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Activity = pool.get('crm.activity')
        # Before the transaction's first write: PostgreSQL stamps the
        # records with the transaction's start
        cursor = (datetime.datetime.now()
            - datetime.timedelta(seconds=1)).isoformat()
        company = create_company()
        with set_company(company):
            employee = create_employee(company, "Phone User")
            user = create_user('phone', company, employee, SALESPERSON)
            party, = Party.create([{'name': "Customer"}])
            start = time.perf_counter()
            activities = Activity.create([{
                        'subject': "Call %s" % i, 'party': party.id,
                        'employee': employee.id,
                        } for i in range(count)])
            Activity.write(activities, {'outcome': "Reached the buyer"})
            Activity.delete(activities[:count // 100])
            print("setup: %s activities changed, %s deleted in %.1f s" % (
                    count, count // 100, time.perf_counter() - start))

        transaction = Transaction()
        timings = []
        with transaction.set_user(user.id), check_access():
            with transaction.set_context(
                    User.get_preferences(context_only=True)):
                for _ in range(RUNS):
                    start = time.perf_counter()
                    payload = json.dumps(
                        resources.sync(cursor, 'activities'))
                    timings.append(time.perf_counter() - start)
        data = json.loads(payload)
        changed = len(data['changes']['activities'])
        deleted = len(data['deletions']['activities'])
        assert changed == count - count // 100, changed
        assert deleted == count // 100, deleted
        median = statistics.median(timings)
        print("%s: delta sync of %s changes and %s deletions: median "
            "%.3f s over %s syncs (max %.3f s), payload %s bytes (%.0f "
            "bytes a record); target < %s s, ratio %.2f" % (
                args.backend, changed, deleted, median, RUNS, max(timings),
                len(payload), len(payload) / max(changed, 1), TARGET_S,
                median / TARGET_S))
    run()


if __name__ == '__main__':
    main()
