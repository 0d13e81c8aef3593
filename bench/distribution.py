# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Distribution of leads to partners: leads per second.

Creates a database with 2,000 partners (tiers, one or two of 50 territories,
specialities among 20 product categories, capacities, coordinates) and
10,000 leads (times --scale) of 1,000 located customers, a third of them
with a product line, then times crm.partner.assignment.distribute on all of
them in one call (target: >= 300/s).

    .venv/bin/python bench/distribution.py [--scale 0.1] [--postgresql]
"""
import random
import time

from common import parse_args

LEADS = 10_000
PARTNERS = 2_000
CUSTOMERS = 1_000
TERRITORIES = 50
CATEGORIES = 20
TARGET = 300


def main():
    args = parse_args(__doc__, 'bench_distribution')

    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import activate_module, with_transaction

    activate_module(['crm_partner'])
    leads_count = int(LEADS * args.scale)
    partners_count = max(int(PARTNERS * args.scale), 10)
    customers_count = max(int(CUSTOMERS * args.scale), 10)
    rng = random.Random(14)

    def point():
        "A point around Shanghai, within some 300 km"
        return (round(31.2 + rng.uniform(-1.5, 1.5), 7),
            round(121.5 + rng.uniform(-1.5, 1.5), 7))

    @with_transaction()
    def run():
        pool = Pool()
        Territory = pool.get('crm.territory')
        Tier = pool.get('crm.partner.tier')
        Category = pool.get('product.category')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Assignment = pool.get('crm.partner.assignment')
        company = create_company()
        with set_company(company):
            employee = create_employee(company, "Channel Manager")
            regions = Territory.create(
                [{'name': 'Region %s' % i} for i in range(5)])
            territories = Territory.create([{
                        'name': 'Territory %s' % i,
                        'parent': regions[i % 5].id,
                        } for i in range(TERRITORIES)])
            tiers = Tier.create([
                    {'name': "Gold", 'weight': 3, 'sequence': 30},
                    {'name': "Silver", 'weight': 2, 'sequence': 20},
                    {'name': "Bronze", 'weight': 1, 'sequence': 10}])
            categories = Category.create(
                [{'name': 'Category %s' % i} for i in range(CATEGORIES)])
            unit, = Uom.search([('name', '=', "Unit")])
            templates = Template.create([{
                        'name': 'Product %s' % i, 'default_uom': unit.id,
                        'salable': True, 'sale_uom': unit.id,
                        'categories': [('add', [categories[i].id])],
                        'products': [('create', [{}])],
                        } for i in range(CATEGORIES)])
            products = [t.products[0] for t in templates]

            def partner(i):
                latitude, longitude = point()
                return {
                    'name': 'Partner %s' % i,
                    'is_partner': True,
                    'partner_type': 'reseller',
                    'partner_tier': rng.choice(tiers).id,
                    'partner_capacity': rng.randint(20, 100),
                    'partner_territories': [('add', list({
                                    rng.choice(territories).id
                                    for _ in range(rng.randint(1, 2))}))],
                    'partner_specialities': [('add', list({
                                    rng.choice(categories).id
                                    for _ in range(rng.randint(1, 3))}))],
                    'addresses': [('create', [{
                                    'latitude': latitude,
                                    'longitude': longitude}])],
                    }
            start = time.perf_counter()
            Party.create([partner(i) for i in range(partners_count)])

            def customer(i):
                latitude, longitude = point()
                return {
                    'name': 'Customer %s' % i,
                    'addresses': [('create', [{
                                    'latitude': latitude,
                                    'longitude': longitude}])],
                    }
            customers = Party.create(
                [customer(i) for i in range(customers_count)])

            def lead(i):
                values = {
                    'party': rng.choice(customers).id,
                    'crm_territory': rng.choice(territories).id,
                    # With a salesperson the assignment rules skip them
                    'employee': employee.id,
                    'description': 'Lead %s' % i,
                    }
                if i % 3 == 0:
                    values['lines'] = [('create', [{
                                    'product': rng.choice(products).id,
                                    'quantity': 1, 'unit': unit.id}])]
                return values
            leads = Opportunity.create([lead(i) for i in range(leads_count)])
            setup_elapsed = time.perf_counter() - start

            start = time.perf_counter()
            assignments = Assignment.distribute(leads)
            elapsed = time.perf_counter() - start
            assert len(assignments) == leads_count, len(assignments)
        rate = leads_count / elapsed
        print("%s: data set-up %.1f s" % (args.backend, setup_elapsed))
        print("%s: %s leads to %s partners: distribute %.2f s, %.0f leads/s "
            "(target %s/s, ratio %.2f)" % (
                args.backend, leads_count, partners_count, elapsed, rate,
                TARGET, rate / TARGET))
    run()


if __name__ == '__main__':
    main()
