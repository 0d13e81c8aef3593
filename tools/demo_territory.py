# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo sales teams and territories

Two teams, North (led by the Sales Manager with Salesperson One) and South
(Salesperson Two), and a territory tree built from the countries and
subdivisions of the customers' addresses, whatever they are.
"""
from collections import defaultdict


def _employee(pool, name):
    Employee = pool.get('company.employee')
    employee, = Employee.search([('party.name', '=', name)], limit=1)
    return employee


def populate(pool, rng, today):
    Team = pool.get('crm.sales.team')
    Territory = pool.get('crm.territory')
    Address = pool.get('party.address')
    Party = pool.get('party.party')
    Opportunity = pool.get('sale.opportunity')

    manager = _employee(pool, "Sales Manager")
    north, south = Team.create([{
                'name': "North", 'leader': manager.id,
                'members': [('add', [
                            _employee(pool, "Salesperson One").id])],
                }, {
                'name': "South",
                'members': [('add', [
                            _employee(pool, "Salesperson Two").id])],
                }])

    # The geography the customers actually live in
    geography = defaultdict(set)
    postal_codes = defaultdict(list)
    for address in Address.search([('country', '!=', None)]):
        geography[address.country].add(address.subdivision)
        if address.subdivision and address.postal_code:
            postal_codes[address.subdivision].append(address.postal_code)
    countries = sorted(geography, key=lambda c: c.code or c.name)

    world, = Territory.create([{'name': "Worldwide", 'code': 'WW'}])
    to_create = []
    for i, country in enumerate(countries):
        subdivisions = sorted(
            (s for s in geography[country] if s),
            key=lambda s: s.code or s.name)
        to_create.append({
                'name': country.name, 'code': country.code,
                'parent': world.id,
                'countries': [('add', [country.id])],
                # Alternate the countries between the teams
                'team': (north if i % 2 == 0 else south).id,
                'children': [('create', [{
                                'name': s.name, 'code': s.code,
                                'subdivisions': [('add', [s.id])],
                                } for s in subdivisions])],
                })
    Territory.create(to_create)

    # A downtown territory by postal code inside the busiest subdivision
    if postal_codes:
        subdivision = max(
            sorted(postal_codes, key=lambda s: s.id),
            key=lambda s: len(postal_codes[s]))
        parent, = Territory.search([
                ('subdivisions', '=', subdivision.id)], limit=1)
        prefix = sorted(postal_codes[subdivision])[0][:2]
        Territory.create([{
                    'name': f"{subdivision.name} {prefix}",
                    'parent': parent.id,
                    'postal_codes': [('create', [{'pattern': prefix + '*'}])],
                    }])

    Party.crm_compute_territories()

    teams = {}
    for team in [north, south]:
        for employee in [team.leader] + list(team.members):
            if employee:
                teams.setdefault(employee, team)
    to_write = defaultdict(list)
    for opportunity in Opportunity.search([]):
        territory = opportunity.party.crm_territory if opportunity.party \
            else None
        team = teams.get(opportunity.employee) or (
            territory.get_sales_team() if territory else None)
        to_write[(territory, team)].append(opportunity)
    args = []
    for (territory, team), opportunities in to_write.items():
        args.extend([opportunities, {
                    'crm_territory': territory.id if territory else None,
                    'crm_team': team.id if team else None,
                    }])
    if args:
        Opportunity.write(*args)
