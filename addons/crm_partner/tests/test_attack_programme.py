# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The partner programme of a party over JSON-RPC as sao sends it: a
salesperson reads it but cannot change it, the channel manager can"""
import datetime

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.rpc import RpcClient, RpcError
from trytond.modules.crm_sales.tests.tools import SALESPERSON, create_staff
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction

from ..party import PROGRAMME_FIELDS
from .tools import CHANNEL_MANAGER, create_partner

PASSWORD = 'Programme-Attack-2026'


class AttackProgrammeTestCase(RouteTestCase):
    "Test that only the channel manager changes the partner programme"
    module = 'crm_partner'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Territory = pool.get('crm.territory')
        Tier = pool.get('crm.partner.tier')
        Category = pool.get('product.category')
        Certification = pool.get('crm.partner.certification')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'sales': ("Salesperson", SALESPERSON),
                    'channel': ("Channel Manager", CHANNEL_MANAGER),
                    }, PASSWORD)
            territory, = Territory.create([{'name': "East"}])
            gold, silver = Tier.create([
                    {'name': "Gold", 'sequence': 20},
                    {'name': "Silver", 'sequence': 10}])
            category, = Category.create([{'name': "Solar"}])
            partner = create_partner("Reseller", tier=gold, capacity=5)
            other = create_partner("Other Reseller", tier=gold)
            Certification.create([{
                        'party': partner.id, 'name': "Installer",
                        'date': datetime.date.today()}])
        cls.partner_id = partner.id
        cls.other_id = other.id
        # A forged change of each field of the programme
        cls.changes = {
            'is_partner': False,
            'partner_active': False,
            'partner_type': 'referral',
            'partner_tier': silver.id,
            'partner_territories': [('add', [territory.id])],
            'partner_specialities': [('add', [category.id])],
            'partner_certifications': [('create', [{
                            'name': "Forged",
                            'date': datetime.date.today()}])],
            'partner_capacity': 500,
            'partner_manager': users['sales'].employee.id,
            }

    def client(self, login):
        client = RpcClient().login(login, PASSWORD)
        client.context = client.model('res.user', 'get_preferences', True)
        return client

    @with_transaction()
    def programme(self, party_id=None):
        party = Pool().get('party.party')(party_id or self.partner_id)
        return {
            'is_partner': party.is_partner,
            'partner_active': party.partner_active,
            'partner_type': party.partner_type,
            'partner_tier': party.partner_tier and party.partner_tier.name,
            'partner_territories': len(party.partner_territories),
            'partner_specialities': len(party.partner_specialities),
            'partner_certifications': len(party.partner_certifications),
            'partner_capacity': party.partner_capacity,
            'partner_manager': party.partner_manager,
            }

    def test_salesperson_reads(self):
        "The salesperson reads the programme, shown read-only"
        client = self.client('sales')
        record, = client.model('party.party', 'read', [self.partner_id],
            PROGRAMME_FIELDS + ['partner_tier.name'],
            context=client.context)
        self.assertEqual(record['partner_type'], 'reseller')
        self.assertEqual(record['partner_tier.']['name'], "Gold")
        self.assertEqual(record['partner_capacity'], 5)
        self.assertEqual(len(record['partner_certifications']), 1)
        definitions = client.model('party.party', 'fields_get',
            PROGRAMME_FIELDS, context=client.context)
        for name in PROGRAMME_FIELDS:
            with self.subTest(name=name):
                self.assertTrue(definitions[name].get('readonly'))

    def test_salesperson_cannot_write(self):
        "Each field of the programme written by a salesperson: refused"
        client = self.client('sales')
        before = self.programme()
        for name, value in self.changes.items():
            with self.subTest(name=name), self.assertRaises(RpcError) as cm:
                client.model('party.party', 'write', [self.partner_id],
                    {name: value}, context=client.context)
            self.assertIn("not allowed", cm.exception.message)
        self.assertEqual(self.programme(), before)

    def test_salesperson_keeps_parties(self):
        """The salesperson still creates and copies parties: a copy of a
        partner is no partner"""
        client = self.client('sales')
        client.model('party.party', 'create',
            [{'name': "New customer"}], context=client.context)
        with self.assertRaises(RpcError):
            client.model('party.party', 'create',
                [{'name': "Forged partner", 'is_partner': True}],
                context=client.context)
        copy, = client.model('party.party', 'copy', [self.partner_id], {},
            context=client.context)
        self.assertFalse(self.programme(copy)['is_partner'])

    def test_channel_manager_writes(self):
        "The channel manager changes the programme"
        client = self.client('channel')
        definitions = client.model('party.party', 'fields_get',
            PROGRAMME_FIELDS, context=client.context)
        self.assertFalse(definitions['partner_tier'].get('readonly'))
        changes = dict(self.changes)
        del changes['is_partner']
        client.model('party.party', 'write', [self.other_id], changes,
            context=client.context)
        after = self.programme(self.other_id)
        self.assertEqual(after['partner_tier'], "Silver")
        self.assertEqual(after['partner_capacity'], 500)
        self.assertEqual(after['partner_certifications'], 1)
        self.assertEqual(after['partner_territories'], 1)


del RouteTestCase
