# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The territory, campaign, segment and channel reports from the attacker's
side, over JSON-RPC as sao"""
from decimal import Decimal

from trytond.modules.crm_sales.tests.rpc import RpcClient, RpcError
from trytond.modules.crm_sales.tests.tools import set_up_class_data
from trytond.tests.test_tryton import RouteTestCase

from .test_catalogue import create_company_catalogue
from .tools import PASSWORD


class AttackCatalogueTestCase(RouteTestCase):
    "Another team's salesperson and anonymous callers"
    module = 'crm_bi'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ids, cls.company_id = set_up_class_data(
            cls, create_company_catalogue)

    def read(self, login, model, fields, **context):
        client = RpcClient(self.db_name)
        if login:
            client.login(login, PASSWORD)
        return client.model(model, 'search_read', [], 0, None, None,
            fields, context=dict(company=self.company_id, **context))

    def assertRefused(self, call, *args, **kwargs):
        with self.assertRaises(RpcError) as cm:
            call(*args, **kwargs)
        return cm.exception

    def test_territory_other_team(self):
        "South reads South's territory only, even filtering on North"
        rows = self.read('south', 'crm.bi.territory',
            ['territory', 'leads', 'achieved_amount'])
        self.assertEqual(
            [(r['territory'], r['leads'], r['achieved_amount'])
                for r in rows],
            [(self.ids['south_territory'], 2, Decimal(2000))])
        self.assertEqual(
            self.read('south', 'crm.bi.territory', ['id'],
                team=self.ids['north_team']),
            [])

    def test_campaign_other_team(self):
        "South is credited with South's opportunities only"
        rows = self.read('south', 'crm.bi.campaign',
            ['campaign', 'opportunities', 'won', 'revenue_linear'])
        self.assertEqual(
            sorted((r['campaign'], r['opportunities'], r['won'],
                    r['revenue_linear']) for r in rows),
            sorted([(self.ids['spring'], 1, 0, Decimal(0)),
                    (self.ids['summer'], 1, 1, Decimal(1000))]))

    def test_segment_other_team(self):
        "South reads the open pipeline of South's opportunities only"
        rows = self.read('south', 'crm.bi.segment',
            ['country', 'pipeline_amount'])
        self.assertEqual(
            sorted((r['country'], r['pipeline_amount']) for r in rows),
            sorted([(self.ids['xa'], Decimal(0)),
                    (self.ids['xb'], Decimal(800))]))

    def test_salesperson_no_channel(self):
        "A salesperson reads neither the channel report nor the costs"
        for model in ['crm.bi.channel', 'crm.bi.cost']:
            with self.subTest(model=model):
                error = self.assertRefused(
                    self.read, 'south', model, ['id'])
                self.assertEqual(error.type, 'UserError')

    def test_anonymous(self):
        "Without a session nothing is read"
        for model in ['crm.bi.territory', 'crm.bi.campaign',
                'crm.bi.segment', 'crm.bi.competitor', 'crm.bi.channel']:
            with self.subTest(model=model):
                self.assertRefused(self.read, None, model, ['id'])

    def test_analyst_writes_no_cost(self):
        "The analyst reads the costs and writes none"
        client = RpcClient(self.db_name).login('analyst', PASSWORD)
        self.assertEqual(
            len(client.model('crm.bi.cost', 'search', [], 0, None, None,
                    context={'company': self.company_id})),
            4)
        error = self.assertRefused(
            client.model, 'crm.bi.cost', 'create', [{
                    'company': self.company_id, 'channel': 'phone',
                    'date': '2026-01-01', 'amount': Decimal(1),
                    'currency': 1}],
            context={'company': self.company_id})
        self.assertEqual(error.type, 'UserError')
