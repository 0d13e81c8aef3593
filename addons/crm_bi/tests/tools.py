# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Crafted data shared by the tests of crm_bi"
import contextlib
import datetime as dt
from decimal import Decimal
from unittest import mock

from dateutil.relativedelta import relativedelta

from trytond import backend
from trytond.modules.crm_sales.tests.tools import (
    SALESPERSON, create_customer, create_staff, create_teams)
from trytond.pool import Pool
from trytond.transaction import Transaction

from .. import query as query_module

PASSWORD = 'A-long-enough-password-1'
ANALYST = ['crm_sales.group_crm_analyst']
SELLER = SALESPERSON + ['sale.group_sale']


@contextlib.contextmanager
def _cursor_of_the_test(statement, params, timeout):
    cursor = Transaction().connection.cursor()
    cursor.execute(query_module.postgresql_text(statement), params)
    yield cursor


def reading_uncommitted():
    """On PostgreSQL a user's query reads on a connection of its own only
    what is committed: run it in the test's transaction instead"""
    if backend.name != 'postgresql':
        return contextlib.nullcontext()
    return mock.patch.object(
        query_module, '_postgresql_cursor', _cursor_of_the_test)


def next_month(today, months=1):
    return today.replace(day=1) + relativedelta(months=months)


def create_pipeline(company):
    """Create the staff, two teams and opportunities with crafted figures;
    return the users by login and the campaign

    Open: North's lead of 1,000 at 20% and opportunity of 2,000 at 60%
    closing next month, South's opportunity of 4,000 at 80% in two months.
    Closed in the last year: won 3,000 (40 days ago) and lost 1,000 (60 days
    ago) at 60%, won 500 and lost 1,500 (10 and 20 days ago) at 10%."""
    pool = Pool()
    Date = pool.get('ir.date')
    Campaign = pool.get('marketing.campaign')
    Opportunity = pool.get('sale.opportunity')
    today = Date.today()
    users = create_staff(company, {
            'north': ("North Seller", SELLER),
            'south': ("South Seller", SELLER),
            'analyst': ("Analyst", ANALYST),
            }, PASSWORD)
    create_teams({"North": [users['north']], "South": [users['south']]})
    north, south = users['north'].employee, users['south'].employee
    campaign, = Campaign.create([{'name': "Spring"}])
    party = create_customer()

    def opportunity(employee, state, amount, probability, end_date,
            **values):
        return dict(
            party=party.id, company=company.id, employee=employee.id,
            description="Deal", state=state, amount=Decimal(amount),
            conversion_probability=probability, end_date=end_date,
            start_date=today - dt.timedelta(days=90), **values)
    Opportunity.create([
            opportunity(north, 'lead', 1000, 0.2, next_month(today),
                marketing_campaign=campaign.id),
            opportunity(north, 'opportunity', 2000, 0.6, next_month(today)),
            opportunity(south, 'opportunity', 4000, 0.8,
                next_month(today, 2)),
            opportunity(north, 'won', 3000, 0.6,
                today - dt.timedelta(days=40),
                marketing_campaign=campaign.id),
            opportunity(north, 'lost', 1000, 0.6,
                today - dt.timedelta(days=60)),
            opportunity(south, 'won', 500, 0.1,
                today - dt.timedelta(days=10)),
            opportunity(south, 'lost', 1500, 0.1,
                today - dt.timedelta(days=20)),
            ])
    return users, campaign


def pipeline_records():
    "Return the users by login and the campaign of create_pipeline"
    pool = Pool()
    User = pool.get('res.user')
    Campaign = pool.get('marketing.campaign')
    users = {u.login: u for u in User.search([
                ('login', 'in', ['north', 'south', 'analyst'])])}
    campaign, = Campaign.search([('name', '=', "spring")])
    return users, campaign


def create_cases(company, team):
    """Create three cases of the team opened on the first of this month:
    one answered in 2 h, resolved in 10 h, SLA met; one answered in 4 h,
    resolved in 30 h, SLA breached; one open and never answered"""
    pool = Pool()
    Date = pool.get('ir.date')
    Case = pool.get('crm.service.case')
    opened = dt.datetime.combine(Date.today().replace(day=1), dt.time(9))
    h = dt.timedelta(hours=1)
    cases = Case.create([{
                'subject': "Case %s" % i,
                'company': company.id,
                'channel': 'phone',
                'team': team.id,
                } for i in range(3)])
    table = Case.__table__()
    cursor = Transaction().connection.cursor()
    for case, (state, response, resolution, sla) in zip(cases, [
                ('resolved', 2 * h, 10 * h, 'met'),
                ('closed', 4 * h, 30 * h, 'breached'),
                ('in_progress', None, None, 'on_track'),
                ]):
        cursor.execute(*table.update(
                [table.create_date, table.state, table.first_response_at,
                    table.resolved_at, table.sla_status],
                [opened, state, response and opened + response,
                    resolution and opened + resolution, sla],
                where=table.id == case.id))
    return cases
