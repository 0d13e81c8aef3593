# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of targets, co-sellers and customer value segments."""
import datetime
from decimal import Decimal

from trytond.transaction import Transaction

SALESPERSONS = ["Salesperson One", "Salesperson Two"]
BIG_DEALS = 5


def _month_starts(today):
    "First days of the months of last and current year"
    for year in (today.year - 1, today.year):
        for month in range(1, 13):
            yield datetime.date(year, month, 1)


def populate(pool, rng, today):
    Employee = pool.get('company.employee')
    Opportunity = pool.get('sale.opportunity')
    PartyValue = pool.get('crm.party.value')
    Target = pool.get('crm.target')
    Team = pool.get('crm.sales.team')
    company = Transaction().context['company']

    salespersons = Employee.search([
            ('party.name', 'in', SALESPERSONS),
            ('company', '=', company),
            ], order=[('id', 'ASC')])
    teams = Team.search([('company', '=', company)])

    targets = []
    months = list(_month_starts(today))
    for employee in salespersons:
        for month in months:
            targets.append({
                    'employee': employee.id,
                    'period_type': 'month',
                    'basis': 'confirmed',
                    'start_date': month,
                    'target_amount': Decimal(rng.randrange(20, 60) * 1000),
                    'target_count': rng.randrange(3, 10),
                    })
        for month in months[::3]:
            targets.append({
                    'employee': employee.id,
                    'period_type': 'quarter',
                    'basis': 'invoiced',
                    'start_date': month,
                    'target_amount': Decimal(rng.randrange(60, 150) * 1000),
                    'target_count': rng.randrange(5, 20),
                    })
    for team in teams:
        for month in months[::3]:
            targets.append({
                    'team': team.id,
                    'period_type': 'quarter',
                    'basis': 'confirmed',
                    'start_date': month,
                    'target_amount': Decimal(rng.randrange(150, 400) * 1000),
                    'target_count': rng.randrange(10, 40),
                    })
    Target.create(targets)

    if len(salespersons) >= 2:
        deals = Opportunity.search([
                ('company', '=', company),
                ('employee', 'in', [e.id for e in salespersons]),
                ('amount', '!=', None),
                ], order=[('amount', 'DESC'), ('id', 'ASC')],
            limit=BIG_DEALS)
        for deal in deals:
            other, = [e for e in salespersons if e != deal.employee]
            lead_split = Decimal(rng.choice([50, 60, 70]))
            Opportunity.write([deal], {
                    'co_sellers': [('create', [{
                                    'employee': deal.employee.id,
                                    'role': 'lead',
                                    'split': lead_split,
                                    }, {
                                    'employee': other.id,
                                    'role': 'technical',
                                    'split': 100 - lead_split,
                                    }])],
                    })

    PartyValue.recompute([company])
