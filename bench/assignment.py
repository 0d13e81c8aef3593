# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Assignment of new leads through the rules: leads per second.

Creates a database with 20 assignment rules (the last one a catch-all
round robin over a team) and 10,000 leads (times --scale) inserted in bulk,
then times crm.assignment.rule.assign on all of them (target: >= 500/s).
It also times the creation of as many leads without salesperson, which
assigns and scores them on the way.

    .venv/bin/python bench/assignment.py [--scale 0.1] [--postgresql]
"""
import time

from common import parse_args

LEADS = 10_000
RULES = 20
TARGET = 500


def main():
    args = parse_args(__doc__, 'bench_assignment')

    from decimal import Decimal

    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction

    activate_module(['crm_sales'])
    count = int(LEADS * args.scale)

    @with_transaction()
    def run():
        pool = Pool()
        Rule = pool.get('crm.assignment.rule')
        Team = pool.get('crm.sales.team')
        Source = pool.get('marketing.source')
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            employees = [create_employee(company, 'E%s' % i)
                for i in range(10)]
            team, = Team.create([{
                        'name': "All", 'company': company.id,
                        'members': [('add', [e.id for e in employees])]}])
            sources = Source.create(
                [{'name': 'source %s' % i} for i in range(RULES)])
            Rule.create([{
                        'name': 'Rule %s' % i, 'sequence': i,
                        'company': company.id,
                        'sources': [('add', [sources[i].id])],
                        'amount_min': Decimal(i * 10),
                        'team': team.id,
                        'method': ('round_robin', 'least_loaded')[i % 2],
                        } for i in range(RULES - 1)]
                + [{'name': 'Catch-all', 'sequence': 99,
                        'company': company.id, 'team': team.id,
                        'method': 'round_robin'}])
            # Leads come with a salesperson so creation does not assign them
            leads = Opportunity.create([{
                        'employee': employees[0].id,
                        'marketing_source': sources[i % RULES].id,
                        'amount': Decimal(i % 500),
                        } for i in range(count)])
            Opportunity.write(leads, {'employee': None})
            start = time.perf_counter()
            assigned = Rule.assign(leads, trigger='manual')
            elapsed = time.perf_counter() - start
            start = time.perf_counter()
            created = Opportunity.create([{
                        'marketing_source': sources[i % RULES].id,
                        'amount': Decimal(i % 500),
                        } for i in range(count)])
            create_elapsed = time.perf_counter() - start
            assert all(o.employee for o in created)
        backend = args.backend
        rate = len(assigned) / elapsed
        print("%s: %s leads through %s rules: assign %.2f s, %.0f leads/s "
            "(target %s/s, ratio %.2f)" % (
                backend, count, RULES, elapsed, rate, TARGET, rate / TARGET))
        print("%s: create + assign + score %s leads: %.2f s, %.0f leads/s" % (
                backend, count, create_elapsed, count / create_elapsed))
    run()


if __name__ == '__main__':
    main()
