# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The reports and queries from the attacker's side, over JSON-RPC as sao"
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.rpc import RpcClient, RpcError
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase

from .tools import PASSWORD, create_pipeline


class AttackReportsTestCase(RouteTestCase):
    "Reports and queries read by the other team and by the analyst"
    module = 'crm_bi'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Target = pool.get('crm.target')
        company = create_company()
        with set_company(company):
            users, _ = create_pipeline(company)
            cls.company_id = company.id
            Target.create([{
                        'employee': users['north'].employee.id,
                        'company': company.id,
                        'period_type': 'month',
                        'start_date': dt.date.today(),
                        'target_amount': Decimal(1000),
                        }])
            cls.north_team_id, = [
                t.id for t in pool.get('crm.sales.team').search(
                    [('name', '=', "North")])]

    def rpc(self, login):
        return RpcClient(self.db_name).login(login, PASSWORD)

    def assertRefused(self, call, *args, **kwargs):
        with self.assertRaises(RpcError) as cm:
            call(*args, **kwargs)
        self.assertEqual(cm.exception.type, 'UserError')
        return cm.exception

    def read(self, client, model, fields, **context):
        return client.model(model, 'search_read', [], 0, None, None,
            fields, context=dict(company=self.company_id, **context))

    def test_other_team_pipeline(self):
        "South reads the figures of South's deals only, asked or not"
        south = self.rpc('south')
        rows = self.read(south, 'crm.bi.pipeline', ['state', 'amount'])
        self.assertEqual(
            [(r['state'], r['amount']) for r in rows],
            [('opportunity', Decimal(4000))])
        self.assertEqual(
            self.read(south, 'crm.bi.pipeline', ['state'],
                team=self.north_team_id), [])
        for model, field in [
                ('crm.bi.forecast', 'amount'),
                ('crm.bi.funnel', 'leads'),
                ]:
            with self.subTest(model=model):
                rows = self.read(south, model, [field])
                self.assertEqual(
                    sum(r[field] for r in rows),
                    {'amount': Decimal(4000), 'leads': 3}[field])

    def test_other_team_performance(self):
        "South does not read North's target nor what North achieved"
        self.assertEqual(
            self.read(self.rpc('south'), 'crm.bi.performance', ['target']),
            [])
        self.assertEqual(
            len(self.read(
                    self.rpc('north'), 'crm.bi.performance', ['target'])),
            1)

    def test_analyst_reads_company(self):
        "The analyst reads the whole company's pipeline"
        rows = self.read(self.rpc('analyst'), 'crm.bi.pipeline', ['number'])
        self.assertEqual(sum(r['number'] for r in rows), 3)

    def test_salesperson_no_service_no_queries(self):
        "A salesperson reads no service report and no query"
        south = self.rpc('south')
        for model in ['crm.bi.service', 'crm.bi.query']:
            with self.subTest(model=model):
                self.assertRefused(self.read, south, model, ['id'])
        self.assertRefused(south.model, 'crm.bi.query', 'create', [{
                    'name': "Mine", 'sql': "SELECT 1"}])

    def test_show_sql_of_other_model(self):
        "Show SQL refuses a model that is not a report"
        south = self.rpc('south')
        session, _, _ = south.call(
            'wizard.crm.bi.show_sql.create', {})
        error = self.assertRefused(
            south.call, 'wizard.crm.bi.show_sql.execute', session, {},
            'start', {'active_model': 'sale.opportunity', 'active_ids': [],
                'active_id': None})
        self.assertIn("reports of the catalogue", error.message)
