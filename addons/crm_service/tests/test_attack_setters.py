# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Attacks on the service cases through the customer 360°, over JSON-RPC as
sao sends it, from the other team's side"""
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.rpc import RpcClient, RpcError
from trytond.modules.crm_sales.tests.tools import (
    SALESPERSON, create_customer, create_opportunity, create_staff,
    create_teams)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction

PASSWORD = 'Attack-Test-2026-pw'
AGENT = ['crm_service.group_crm_service_agent']


class AttackSettersTestCase(RouteTestCase):
    "Test that agents of another team and salespersons keep off the cases"
    module = 'crm_service'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Case = pool.get('crm.service.case')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'agent': ("Agent North", AGENT),
                    'south': ("Agent South", []),
                    'sales': ("Salesperson", SALESPERSON),
                    }, PASSWORD)
            _, south_team = create_teams({
                    "North": [users['agent']], "South": [users['south']]})
            seller = users['sales'].employee
            customer = create_customer()
            case = Case(
                subject="Printer jams", party=customer, team=south_team)
            case.save()
            opportunity = create_opportunity(company, seller, customer)
        cls.party_id = customer.id
        cls.records = {
            'crm_recent_cases': ('crm.service.case', case.id, 'subject'),
            'crm_open_opportunities': (
                'sale.opportunity', opportunity.id, 'description'),
            }

    @with_transaction()
    def read(self, model, id_, field):
        records = Pool().get(model).search([('id', '=', id_)])
        return getattr(records[0], field) if records else None

    def test_cases_through_360(self):
        "Nobody changes or deletes cases or opportunities through the party"
        for login in ['agent', 'sales', None]:
            client = RpcClient()
            context = {}
            if login:
                client.login(login, PASSWORD)
                context = client.model('res.user', 'get_preferences', True)
                definition = client.model('party.party', 'fields_get',
                    ['crm_recent_cases'], context=context)
                with self.subTest(login=login, readonly=True):
                    self.assertTrue(
                        definition['crm_recent_cases']['readonly'])
            for name, (model, id_, field) in self.records.items():
                before = self.read(model, id_, field)
                for action in [
                        ('write', [id_], {field: "Forged"}),
                        ('delete', [id_])]:
                    with self.subTest(login=login, name=name,
                            action=action[0]):
                        with self.assertRaises(RpcError):
                            client.model('party.party', 'write',
                                [self.party_id], {name: [action]},
                                context=context)
                        self.assertEqual(
                            self.read(model, id_, field), before)


del RouteTestCase
