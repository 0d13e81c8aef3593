# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sorting on what another team's salesperson may not read, and checking
a page they may only read or running the cron's check of the due pages,
over JSON-RPC"""
import datetime
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.rpc import RpcClient, RpcError
from trytond.modules.crm_sales.tests.tools import (
    SALESPERSON, create_customer, create_staff, create_teams)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase

PASSWORD = 'A-long-enough-password-1'


class AttackOrderTestCase(RouteTestCase):
    "The order of the rows tells nothing of the records one may not read"
    module = 'crm_knowledge'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        Competitor = pool.get('crm.competitor')
        Page = pool.get('crm.competitor.page')
        Snapshot = pool.get('crm.competitor.snapshot')
        Change = pool.get('crm.competitor.change')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'north': ("North Seller", SALESPERSON),
                    'south': ("South Seller", SALESPERSON),
                    }, PASSWORD)
            create_teams({
                    "North": [users['north']], "South": [users['south']]})
            deals = Opportunity.create([{
                        'party': create_customer(customer).id,
                        'company': company.id,
                        'employee': users[login].employee.id,
                        'description': description,
                        'amount': Decimal(amount),
                        'start_date': datetime.date.today(),
                        } for login, description, amount, customer in [
                        ('north', "Zeta", 9000, "Zulu"),
                        ('north', "Alpha", 10, "Able"),
                        ('south', "Mid", 500, "Mike")]])
            party, = Party.create([{'name': "Acme"}])
            competitor, = Competitor.create([{'party': party.id}])
            now = datetime.datetime.now()
            # Due: the cron would enqueue it and move its next check on
            page, = Page.create([{
                        'name': "Prices", 'competitor': competitor.id,
                        'url': 'https://www.example.com/prices',
                        'next_check': now - datetime.timedelta(hours=1)}])
            snapshot, = Snapshot.create([{
                        'page': page.id, 'fetched_at': now}])
            # Each team notes the change on its deal
            changes = Change.create([{
                        'page': page.id, 'competitor': competitor.id,
                        'snapshot': snapshot.id, 'detected_at': now,
                        'opportunity': deal.id,
                        } for deal in deals])
        cls.page_id = page.id
        cls.change_ids = {
            d.description: c.id for d, c in zip(deals, changes)}

    def order(self, login, order):
        client = RpcClient(self.db_name).login(login, PASSWORD)
        ids = client.model(
            'crm.competitor.change', 'search', [], 0, None, order)
        names = {v: k for k, v in self.change_ids.items()}
        return [names[i] for i in ids]

    def test_own_team_sorts_by_its_deals(self):
        "North sorts its own deals by amount and by customer"
        for order, expected in [
                ('opportunity.amount', ["Alpha", "Zeta"]),
                ('opportunity.party.name', ["Alpha", "Zeta"]),
                ]:
            with self.subTest(order=order):
                rows = self.order('north', [(order, 'ASC')])
                self.assertEqual(
                    [r for r in rows if r != "Mid"], expected)

    def test_other_team_deals_sort_as_empty(self):
        "South sees North's notes, but not the order of North's deals"
        for order in [
                [('opportunity.amount', 'ASC'), ('id', 'ASC')],
                [('opportunity.amount', 'DESC'), ('id', 'ASC')],
                [('opportunity', 'DESC'), ('id', 'ASC')],
                [('opportunity.party.name', 'ASC'), ('id', 'ASC')],
                ]:
            with self.subTest(order=order):
                rows = self.order('south', order)
                # Unreadable deals sort as nothing: in creation order
                north = [r for r in rows if r != "Mid"]
                self.assertEqual(north, ["Zeta", "Alpha"])

    def test_salesperson_cannot_check_page(self):
        "A salesperson's call of Check Now is refused: no snapshot written"
        client = RpcClient(self.db_name).login('south', PASSWORD)
        with self.assertRaises(RpcError) as cm:
            client.model(
                'crm.competitor.page', 'check_now', [self.page_id])
        self.assertIn('check_now', cm.exception.message)
        self.assertEqual(
            client.model('crm.competitor.snapshot', 'search_count', []), 1)

    def test_salesperson_cannot_run_cron_check(self):
        "A salesperson's call of the cron's check is refused: nothing moved"
        client = RpcClient(self.db_name).login('south', PASSWORD)
        before, = client.model(
            'crm.competitor.page', 'read', [self.page_id], ['next_check'])
        with self.assertRaises(RpcError) as cm:
            client.model('crm.competitor.page', 'check_due')
        self.assertIn('403 Forbidden', cm.exception.message)
        after, = client.model(
            'crm.competitor.page', 'read', [self.page_id], ['next_check'])
        self.assertEqual(after['next_check'], before['next_check'])
