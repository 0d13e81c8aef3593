# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of the partner programme

Three tiers, four partners covering the countries of the territory tree
(with certifications, one of them expired), open leads without salesperson
distributed to them (half of the proposals accepted) and a deal registration
waiting for the channel manager, for a customer that already exists.
"""
import datetime

from trytond.transaction import Transaction

MODULE = 'crm_partner'
TIERS = [
    # name, weight, sequence, minimal new customers
    ("Gold", 3, 30, 5),
    ("Silver", 2, 20, 2),
    ("Registered", 1, 10, None),
    ]
PARTNERS = [
    # name, type, tier, city, latitude, longitude, capacity
    ("Huangpu Systems Integration Co., Ltd", 'reseller', "Gold",
        "Shanghai", 31.2304, 121.4737, 20),
    ("Pearl River Distribution Ltd", 'distributor', "Silver",
        "Guangzhou", 23.1291, 113.2644, 15),
    ("Bay Area Solutions Inc.", 'service', "Silver",
        "San Francisco", 37.7749, -122.4194, 10),
    ("Isar Consulting GmbH", 'referral', "Registered",
        "Munich", 48.1351, 11.5820, 5),
    ]
LEADS = 12


def populate(pool, rng, today):
    Tier = pool.get('crm.partner.tier')
    Party = pool.get('party.party')
    Territory = pool.get('crm.territory')
    Employee = pool.get('company.employee')
    Opportunity = pool.get('sale.opportunity')
    Assignment = pool.get('crm.partner.assignment')
    Deal = pool.get('crm.partner.deal')
    company = Transaction().context['company']

    tiers = {t.name: t for t in Tier.create([{
                    'name': name, 'weight': weight, 'sequence': sequence,
                    'min_new_customers': new_customers,
                    } for name, weight, sequence, new_customers in TIERS])}
    manager, = Employee.search([
            ('party.name', '=', "Sales Manager"),
            ('company', '=', company),
            ], limit=1)
    # The countries of the territory tree, each partner on one or two
    countries = Territory.search([
            ('parent', '!=', None),
            ('parent.parent', '=', None),
            ], order=[('name', 'ASC')])

    partners = Party.create([{
                'name': name,
                'is_partner': True,
                'partner_type': type_,
                'partner_tier': tiers[tier].id,
                'partner_capacity': capacity,
                'partner_manager': manager.id,
                'partner_territories': [('add', list({
                                countries[i % len(countries)].id,
                                countries[(i + 1) % len(countries)].id,
                                }))] if countries else [],
                'addresses': [('create', [{
                                'city': city,
                                'latitude': latitude,
                                'longitude': longitude,
                                }])],
                'contact_mechanisms': [('create', [{
                                'type': 'email',
                                'value': 'channel@partner%s.example.com' % i,
                                }])],
                'partner_certifications': [('create', [{
                                'name': "Certified Installer",
                                'date': today - datetime.timedelta(days=400),
                                'expiry_date': today + datetime.timedelta(
                                    days=rng.choice([-30, 200, 330])),
                                }, {
                                'name': "Sales Fundamentals",
                                'date': today - datetime.timedelta(days=90),
                                }])],
                } for i, (name, type_, tier, city, latitude, longitude,
                capacity) in enumerate(PARTNERS)])

    leads = Opportunity.search([
            ('state', '=', 'lead'),
            ('company', '=', company),
            ], order=[('id', 'DESC')], limit=LEADS)
    assignments = Assignment.distribute(leads)
    Assignment.accept(assignments[::2])

    customer = next((l.party for l in leads if l.party), None)
    if customer:
        deal = Deal(
            company=company, partner=partners[0],
            customer_name=customer.name,
            contact_name="Wang Fang",
            email='wang.fang@example.com',
            expected_close=today + datetime.timedelta(days=45),
            description="Rooftop installation, phase one.")
        deal.save()
        Deal.submit([deal])
