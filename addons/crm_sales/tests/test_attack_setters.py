# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Attacks through the computed fields and the checks before the access
check, over JSON-RPC as sao sends it, from the other team's side"""
import datetime

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction

from .rpc import RpcClient, RpcError
from .tools import (
    SALESPERSON, create_customer, create_opportunity, create_sale,
    create_staff, create_teams, post_invoice, setup_accounting)

PASSWORD = 'Attack-Test-2026-pw'
# The 360° lists and a change of a field of each listed model
LISTS = {
    'crm_open_opportunities': ('sale.opportunity', 'description'),
    'crm_recent_activities': ('crm.activity', 'subject'),
    'crm_recent_sales': ('sale.sale', 'description'),
    'crm_recent_invoices': ('account.invoice', 'comment'),
    }


class AttackSettersTestCase(RouteTestCase):
    "Test that the other team, an analyst and strangers cannot go around"
    module = 'crm_sales'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Activity = pool.get('crm.activity')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'sales1': ("Salesperson North", SALESPERSON),
                    'sales2': ("Salesperson South", SALESPERSON),
                    'analyst': ("Analyst", []),
                    }, PASSWORD)
            create_teams({
                    "North": [users['sales1']], "South": [users['sales2']]})
            north = users['sales1'].employee

            customer = create_customer()
            opportunity = create_opportunity(company, north, customer)
            activity, = Activity.create([{
                        'subject': "Call", 'party': customer.id,
                        'employee': north.id,
                        'resource': str(opportunity),
                        }])
            sale = create_sale(opportunity, [100])
        cls.company_id = company.id
        cls.party_id = customer.id
        cls.north_id = north.id
        cls.records = {
            'crm_open_opportunities': opportunity.id,
            'crm_recent_activities': activity.id,
            'crm_recent_sales': sale.id,
            }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setUpInvoice()

    @classmethod
    @with_transaction()
    def setUpInvoice(cls):
        """Post an invoice of the customer and commit it

        Not in setUpDatabase: the chart of accounts locks tables, which
        only a transaction started again by with_transaction can do."""
        pool = Pool()
        Company = pool.get('company.company')
        Party = pool.get('party.party')
        company = Company(cls.company_id)
        today = datetime.date.today()
        with set_company(company):
            setup_accounting(company, today)
            invoice = post_invoice(
                company, Party(cls.party_id), today, 100)
        cls.records['crm_recent_invoices'] = invoice.id
        Transaction().commit()

    def attackers(self):
        "The other team's salesperson, an analyst and an anonymous client"
        for login in ['sales2', 'analyst', None]:
            client = RpcClient()
            if login:
                client.login(login, PASSWORD)
            yield login, client

    def preferences(self, client):
        "The context sao sends with each call"
        return client.model('res.user', 'get_preferences', True)

    @with_transaction()
    def read(self, model, id_, field):
        return getattr(Pool().get(model)(id_), field)

    def test_360_lists_read_only(self):
        "The 360° lists are read-only for the client"
        client = RpcClient().login('sales1', PASSWORD)
        definitions = client.model(
            'party.party', 'fields_get', list(LISTS),
            context=self.preferences(client))
        for name in LISTS:
            with self.subTest(name=name):
                self.assertTrue(definitions[name]['readonly'])

    def test_write_through_360_list(self):
        "Nobody changes the listed records through the party"
        for login, client in self.attackers():
            context = self.preferences(client) if login else {}
            for name, (model, field) in LISTS.items():
                id_ = self.records[name]
                before = self.read(model, id_, field)
                with self.subTest(login=login, name=name), \
                        self.assertRaises(RpcError):
                    client.model('party.party', 'write', [self.party_id], {
                            name: [('write', [id_], {field: "Forged"})],
                            }, context=context)
                self.assertEqual(self.read(model, id_, field), before)

    def test_delete_through_360_list(self):
        "Nobody deletes the listed records through the party"
        for login, client in self.attackers():
            context = self.preferences(client) if login else {}
            for name, (model, field) in LISTS.items():
                id_ = self.records[name]
                with self.subTest(login=login, name=name), \
                        self.assertRaises(RpcError):
                    client.model('party.party', 'write', [self.party_id], {
                            name: [('delete', [id_])],
                            }, context=context)
                self.assertTrue(self.read(model, id_, 'id'))

    def test_delete_opportunity_access_first(self):
        """Deleting another team's opportunity answers the access error,
        not its state"""
        client = RpcClient().login('sales2', PASSWORD)
        id_ = self.records['crm_open_opportunities']
        with self.assertRaises(RpcError) as cm:
            client.model('sale.opportunity', 'delete', [id_],
                context=self.preferences(client))
        self.assertIn("not allowed", cm.exception.message)
        self.assertNotIn("cancel", cm.exception.message)
        self.assertEqual(self.read('sale.opportunity', id_, 'id'), id_)

    def test_preferences_other_employee(self):
        "A user does not take another user's employee as theirs"
        client = RpcClient().login('sales2', PASSWORD)
        with self.assertRaises(RpcError) as cm:
            client.model('res.user', 'set_preferences',
                {'employee': self.north_id},
                context=self.preferences(client))
        self.assertEqual(cm.exception.type, 'UserError')
        employee = client.model('res.user', 'get_preferences', True)[
            'employee']
        self.assertNotEqual(employee, self.north_id)


del RouteTestCase
