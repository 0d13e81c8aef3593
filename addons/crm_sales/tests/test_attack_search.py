# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Attacks by search and by role over JSON-RPC, as sao sends them"
import datetime
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction

from .rpc import RpcClient, RpcError
from .tools import (
    MANAGER, SALESPERSON, create_customer, create_sale, create_staff,
    create_teams)

PASSWORD = 'A-long-enough-password-1'
SELLER = SALESPERSON + ['sale.group_sale']
ANALYST = ['crm_sales.group_crm_analyst']


class AttackSearchTestCase(RouteTestCase):
    "Searches and roles from the attacker's side"
    module = 'crm_sales'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Target = pool.get('crm.target')
        AssignmentLog = pool.get('crm.assignment.log')
        Factor = pool.get('crm.scoring.factor')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'north': ("North Seller", SELLER),
                    'south': ("South Seller", SELLER),
                    'boss': ("Boss", MANAGER + ['sale.group_sale']),
                    'agent': ("Agent", [
                            'crm_sales.group_crm_salesperson',
                            'sale.group_sale']),
                    'analyst': ("Analyst", ANALYST),
                    }, PASSWORD)
            create_teams({
                    "North": [users['north']], "South": [users['south']]})
            north = users['north'].employee
            opportunity = cls.create_opportunity(company, north)
            sale = create_sale(opportunity, [1234])
            # A quotation may not be deleted: its state is North's to know
            Sale.quote([sale])
            cls.sale_id = sale.id
            cls.sale_line_id, = [l.id for l in sale.lines]
            # South may see a sale it created of North's deal, not the deal
            with Transaction().set_user(users['south'].id):
                create_sale(opportunity, [1])
            AssignmentLog.create([{
                        'company': company.id,
                        'opportunity': opportunity.id,
                        'employee': north.id,
                        'trigger': 'manual',
                        }])
            Factor.create([{
                        'opportunity': opportunity.id, 'kind': 'rule',
                        'label': "Big customer", 'contribution': 20,
                        }])
            cls.opportunity_id = opportunity.id
            cls.north_id = north.id
            Target.create([{
                        'employee': north.id,
                        'company': company.id,
                        'period_type': 'month',
                        'start_date': datetime.date(2026, 1, 1),
                        'target_amount': Decimal(1000),
                        }])

    @classmethod
    def create_opportunity(cls, company, employee):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity(
            party=create_customer(), company=company, employee=employee,
            description="North deal", amount=Decimal(1234),
            start_date=datetime.date.today())
        opportunity.save()
        return opportunity

    def rpc(self, login):
        return RpcClient(self.db_name).login(login, PASSWORD)

    def count(self, client, model, domain):
        return client.model(model, 'search_count', domain)

    def assertRefused(self, call, *args):
        with self.assertRaises(RpcError) as cm:
            call(*args)
        self.assertEqual(cm.exception.type, 'UserError')
        return cm.exception

    def test_password_hash_oracle(self):
        "A user cannot search or sort users by password hash or reset"
        client = self.rpc('south')
        for domain in [
                [('password_hash', '>=', '$')],
                [('password_reset', '!=', None)],
                [('create_uid.password_hash', '>=', '$')],
                [('applications.key', '>=', '0')],
                ]:
            with self.subTest(domain=domain):
                error = self.assertRefused(
                    self.count, client, 'res.user', domain)
                self.assertIn("secret", error.message)
        self.assertRefused(
            client.model, 'res.user', 'search', [], 0, None,
            [('password_hash', 'ASC')])
        self.assertRefused(
            client.model, 'sale.opportunity', 'search', [], 0, None,
            [('create_uid.password_hash', 'ASC')])

    def test_password_hash_through_other_model(self):
        "A dotted path from any model does not reach a secret"
        client = self.rpc('south')
        for model, domain in [
                ('party.party', [('create_uid.password_hash', '>=', '$')]),
                ('sale.line', [('sale.origin.create_uid.password_hash',
                            '>=', '$', 'sale.opportunity')]),
                ]:
            with self.subTest(model=model, domain=domain):
                self.assertRefused(self.count, client, model, domain)

    @with_transaction()
    def test_root_may_search_secrets(self):
        "Root (user 0) still finds users by password hash"
        User = Pool().get('res.user')
        self.assertTrue(User.search_count([('password_hash', '>=', '$')]))

    def test_other_team_records_of_a_deal(self):
        "What belongs to a deal is read only by who may read the deal"
        deal = [('opportunity', '=', self.opportunity_id)]
        for model in ['crm.assignment.log', 'crm.scoring.factor']:
            with self.subTest(model=model):
                self.assertGreater(
                    self.count(self.rpc('north'), model, deal), 0)
                self.assertEqual(
                    self.count(self.rpc('south'), model, deal), 0)

    def test_anonymous(self):
        "An anonymous client cannot search at all"
        with self.assertRaises(RpcError):
            RpcClient(self.db_name).model(
                'res.user', 'search_count', [('password_hash', '>=', '$')])

    def test_other_team_origin_oracle(self):
        "South cannot learn North's deal through the origin of its sale"
        client = self.rpc('south')
        self.assertEqual(self.count(client, 'sale.sale', []), 1)
        for domain in [
                [('origin.amount', '=', 1234, 'sale.opportunity')],
                [('origin.employee', '=', self.north_id, 'sale.opportunity')],
                ]:
            with self.subTest(domain=domain):
                self.assertEqual(self.count(client, 'sale.sale', domain), 0)

    def test_other_team_many2one_oracle(self):
        "South cannot learn North's deal through a Many2One either"
        client = self.rpc('south')
        self.assertEqual(self.count(client, 'crm.assignment.log', [
                    ('opportunity.amount', '=', 1234)]), 0)
        self.assertEqual(self.count(self.rpc('north'), 'crm.assignment.log', [
                    ('opportunity.amount', '=', 1234)]), 1)

    def test_own_team_sale_and_target(self):
        "North sees its sale and target, South sees neither"
        north, south = self.rpc('north'), self.rpc('south')
        self.assertEqual(self.count(north, 'sale.sale', []), 2)
        self.assertEqual(self.count(north, 'crm.target', []), 1)
        self.assertEqual(self.count(south, 'sale.sale', [
                    ('id', '=', self.sale_id)]), 0)
        self.assertEqual(self.count(south, 'crm.target', []), 0)
        self.assertEqual(self.count(self.rpc('agent'), 'crm.target', []), 0)

    def test_delete_answers_access_first(self):
        "Deleting another team's quotation tells nothing of its state"
        south = self.rpc('south')
        for model, record in [
                ('sale.sale', self.sale_id),
                ('sale.line', self.sale_line_id)]:
            with self.subTest(model=model):
                error = self.assertRefused(
                    south.model, model, 'delete', [record])
                self.assertNotIn('cancel', error.message)
        # North, who may read it, is told to cancel it first
        error = self.assertRefused(
            self.rpc('north').model, 'sale.sale', 'delete', [self.sale_id])
        self.assertIn('cancel', error.message)

    def test_manager_sees_all(self):
        "The manager sees every sale and target, and may search origins"
        client = self.rpc('boss')
        self.assertEqual(self.count(client, 'sale.sale', []), 2)
        self.assertEqual(self.count(client, 'crm.target', []), 1)
        self.assertEqual(self.count(client, 'sale.sale', [
                    ('origin.amount', '=', 1234, 'sale.opportunity')]), 2)

    def test_analyst_reads_only(self):
        "The analyst reads opportunities and sales but changes nothing"
        client = self.rpc('analyst')
        self.assertEqual(self.count(client, 'sale.opportunity', []), 1)
        self.assertEqual(self.count(client, 'sale.sale', []), 2)
        self.assertEqual(self.count(client, 'crm.target', []), 1)
        for model, record in [
                ('sale.opportunity', self.opportunity_id),
                ('sale.sale', self.sale_id)]:
            with self.subTest(model=model):
                self.assertRefused(
                    client.model, model, 'write', [record],
                    {'comment': "changed"})
                self.assertRefused(client.model, model, 'delete', [record])
