# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The chart page of a query, behind sao's session"
import html
import json
import re

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.tools import as_user, create_staff
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

from .tools import PASSWORD

DESIGNER = ['crm_bi.group_crm_bi_designer']


class ChartTestCase(RouteTestCase):
    "The chart page over HTTP"
    module = 'crm_bi'

    @classmethod
    def setUpDatabase(cls):
        Query = Pool().get('crm.bi.query')
        company = create_company()
        with set_company(company):
            users = create_staff(company, {
                    'designer': ("Designer", DESIGNER),
                    'other': ("Other", DESIGNER),
                    }, PASSWORD)
            with as_user(users['designer']):
                query, = Query.create([{
                            'name': "Languages <b>",
                            'sql': "SELECT code, LENGTH(name) AS size "
                            "FROM ir_lang WHERE code LIKE :prefix "
                            "ORDER BY code",
                            'parameters': [('create', [{
                                            'name': 'prefix',
                                            'type': 'char',
                                            'default': 'e%',
                                            }])],
                            }])
            cls.query_id = query.id

    def login(self, login):
        client = self.client()
        client.post(f'/{self.db_name}/session/login', json={
                'method': 'common.db.login',
                'params': [login, {'password': PASSWORD}, 'en'],
                })
        return client

    def path(self, args=''):
        return f'/{self.db_name}/crm_bi/query/{self.query_id}/chart' + args

    def data(self, response):
        match = re.search(
            r'<script type="application/json" id="chart-data">(.*?)</script>',
            response.get_data(as_text=True))
        return json.loads(html.unescape(match.group(1)))

    def test_chart_page(self):
        "The page holds the rows, the chosen type and columns, escaped"
        response = self.login('designer').get(
            self.path('?type=pie&x=code&y=size&prefix=fr'))
        self.assertEqual(response.status_code, 200)
        text = response.get_data(as_text=True)
        self.assertIn('Languages &lt;b&gt;', text)
        self.assertIn('/crm_bi/static/echarts.min.js', text)
        data = self.data(response)
        self.assertEqual(data['type'], 'pie')
        self.assertEqual((data['x'], data['y']), ('code', ['size']))
        self.assertEqual(data['columns'], ['code', 'size'])
        self.assertEqual([r[0] for r in data['rows']], ['fr'])

    def test_chart_defaults(self):
        "Without a choice: bars of the first numbers by the first text"
        data = self.data(self.login('designer').get(self.path('?type=x')))
        self.assertEqual(
            (data['type'], data['x'], data['y']), ('bar', 'code', ['size']))

    def test_chart_chinese(self):
        "The page is asked in Simplified Chinese"
        response = self.login('designer').get(self.path('?lang=zh_CN'))
        text = response.get_data(as_text=True)
        self.assertIn('<html lang="zh-CN">', text)
        self.assertIn('name="lang" value="zh_CN"', text)

    def test_chart_refused(self):
        "No session: 401; another designer's query: 404"
        self.assertEqual(self.client().get(self.path()).status_code, 401)
        self.assertEqual(
            self.login('other').get(self.path()).status_code, 404)

    def test_chart_button(self):
        "The Chart button of sao answers the URL of the page"
        with Transaction().start(self.db_name, 0):
            Query = Pool().get('crm.bi.query')
            action = Query.chart([Query(self.query_id)])
        self.assertEqual(action['type'], 'ir.action.url')
        self.assertTrue(action['url'].endswith(self.path()))

    def test_static(self):
        "The script that draws is served; nothing else of the folder"
        response = self.client().get(
            f'/{self.db_name}/crm_bi/static/chart.js')
        self.assertEqual(response.status_code, 200)
        self.assertIn(b'echarts.init', response.data)
        self.assertEqual(self.client().get(
                f'/{self.db_name}/crm_bi/static/query.py').status_code, 404)
