# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of assignment rules and lead scoring."""
from decimal import Decimal

from trytond.transaction import Transaction

BIG_AMOUNT = Decimal(20000)
NEW_LEADS = 8


def populate(pool, rng, today):
    Employee = pool.get('company.employee')
    Opportunity = pool.get('sale.opportunity')
    Rule = pool.get('crm.assignment.rule')
    Territory = pool.get('crm.territory')
    Campaign = pool.get('marketing.campaign')
    Source = pool.get('marketing.source')
    ScoringRule = pool.get('crm.scoring.rule')
    Model = pool.get('crm.scoring.model')
    company = Transaction().context['company']

    employees = {
        e.party.name: e for e in Employee.search([
                ('party.name', 'in', ["Sales Manager", "Salesperson Two"]),
                ('company', '=', company),
                ])}
    campaign = Campaign.search([], order=[('id', 'ASC')], limit=1)
    # The highest territories with a team: the countries
    territories = Territory.search([
            ('team', '!=', None),
            ('parent.team', '=', None),
            ], order=[('name', 'ASC')])

    rules = [{
            'name': "Big deals",
            'sequence': 10,
            'amount_min': BIG_AMOUNT,
            'employee': employees["Sales Manager"].id,
            }]
    if campaign:
        rules.append({
                'name': "Campaign %s" % campaign[0].rec_name,
                'sequence': 20,
                'campaigns': [('add', [campaign[0].id])],
                'employee': employees["Salesperson Two"].id,
                })
    for i, territory in enumerate(territories):
        rules.append({
                'name': territory.rec_name,
                'sequence': 30 + i,
                'territories': [('add', [territory.id])],
                'team': territory.team.id,
                'method': ('round_robin', 'least_loaded')[i % 2],
                })
    for values in rules:
        values['company'] = company
    Rule.create(rules)

    leads = Opportunity.search([('state', '=', 'lead')])
    Rule.assign(leads, reassign=True, trigger='manual')

    # New leads without salesperson are assigned as they are created
    sources = Source.search([])
    parties = [l.party for l in leads if l.party]
    new = []
    for i in range(NEW_LEADS):
        party = rng.choice(parties) if parties else None
        new.append({
                'party': party.id if party else None,
                'description': "Web enquiry %s" % (i + 1),
                'amount': Decimal(rng.choice([800, 3000, 12000, 45000])),
                'marketing_source': (
                    rng.choice(sources).id if sources else None),
                'start_date': today,
                })
    Opportunity.create(new)

    ScoringRule.create([{
                'name': "Large amount",
                'company': company,
                'field': 'amount',
                'operator': '>=',
                'value': str(BIG_AMOUNT),
                'points': 10,
                }, {
                'name': "Key account",
                'company': company,
                'field': 'party.crm_value_segment',
                'operator': '=',
                'value': 'A',
                'points': 15,
                }, {
                'name': "Low-value customer",
                'company': company,
                'field': 'party.crm_value_segment',
                'operator': '=',
                'value': 'C',
                'points': -10,
                }])
    Model.train_all()
    Opportunity.crm_score_open()
