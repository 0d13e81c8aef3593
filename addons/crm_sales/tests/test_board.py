# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pipeline board over HTTP, as sao's session opens it: the columns and
their totals, the filters, and a card moved by the user or refused."""
import datetime
import re
from decimal import Decimal
from http import HTTPStatus

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.currency.tests import add_currency_rate, create_currency
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

from .tools import (
    MANAGER, SALESPERSON, create_customer, create_staff, create_teams,
    set_up_class_data)

PASSWORD = 'A-long-enough-password-1'
SELLER = SALESPERSON + ['sale.group_sale']


class BoardTestCase(RouteTestCase):
    "The pipeline board"
    module = 'crm_sales'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, id_ in set_up_class_data(cls, cls.create_data).items():
            setattr(cls, name, id_)

    @staticmethod
    def create_data():
        "Create the staff and their deals; return the deals' ids by name"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Lang = pool.get('ir.lang')
        # The board speaks Chinese once the language is loaded
        Lang.load_translations(Lang.search([('code', '=', 'zh_CN')]))
        company = create_company()
        today = datetime.date.today()
        euro = create_currency('EUR')
        # 2 euros buy a dollar: 400 EUR count 200 in the company's USD
        add_currency_rate(euro, 2)
        with set_company(company):
            users = create_staff(company, {
                    'sales1': ("Salesperson One", SELLER),
                    'mate': ("Team Mate", SELLER),
                    'sales2': ("Salesperson Two", SELLER),
                    'manager': ("Sales Manager", MANAGER),
                    'analyst': ("Analyst", [
                            'crm_sales.group_crm_analyst']),
                    }, PASSWORD)
            create_teams({
                    'North': [users['sales1'], users['mate']],
                    'South': [users['sales2']],
                    })
            customer = create_customer("Customer <b>")

            def deal(login, description, amount, state='lead', **values):
                opportunity, = Opportunity.create([{
                            'party': customer.id,
                            'employee': users[login].employee.id,
                            'description': description,
                            'amount': Decimal(amount),
                            'start_date': today,
                            'end_date': today + datetime.timedelta(days=30),
                            'conversion_probability': 0.4,
                            **values,
                            }])
                if state != 'lead':
                    Opportunity.write([opportunity], {'state': state})
                return opportunity.id
            deals = {
                'north_lead': deal('sales1', "North lead", 1000),
                'north_move': deal('sales1', "North to move", 300),
                'mate_lead': deal('mate', "Mate lead", 800),
                'south_lead': deal('sales2', "South lead", 4000),
                }
            deal('sales2', "South euro lead", 400, currency=euro.id)
            deal('sales2', "South opportunity", 1500, 'opportunity')
            deal('sales2', "South won", 700, 'won',
                end_date=today - datetime.timedelta(days=5))
            deal('sales2', "South won long ago", 900, 'won',
                end_date=today - datetime.timedelta(days=400))
        return deals

    def login(self, login):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login', json={
                'method': 'common.db.login',
                'params': [login, {'password': PASSWORD}, 'en'],
                })
        self.assertEqual(response.status_code, HTTPStatus.OK)
        return client

    def url(self, path='', **args):
        query = '&'.join(f'{k}={v}' for k, v in args.items())
        return f'/{self.db_name}/crm_sales/board{path}' + (
            f'?{query}' if query else '')

    def board(self, client, **args):
        response = client.get(self.url(**args))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        return response.get_data(as_text=True)

    @staticmethod
    def token(page):
        return re.search(r'data-csrf-token="([0-9a-f]+)"', page).group(1)

    @staticmethod
    def cards(page):
        "The ids of the cards by the stage of their column"
        columns = {}
        for stage, body in re.findall(
                r'<ol data-stage="(\w+)">(.*?)</ol>', page, re.S):
            columns[stage] = {
                int(i) for i in re.findall(r'data-id="(\d+)"', body)}
        return columns

    @staticmethod
    def column(page, stage):
        "The count and total shown on the column of the stage"
        section = re.search(
            r'<section class="column[^"]*" data-stage="%s".*?</header>'
            % stage, page, re.S).group(0)
        count = re.search(r'data-count>([^<]*)<', section).group(1)
        total = re.search(r'data-total>([^<]*)<', section).group(1)
        return count, total

    def move(self, client, opportunity, stage, token, **args):
        return client.post(self.url('/move', **args), data={
                'opportunity': opportunity,
                'stage': stage,
                'csrf_token': token,
                })

    def state(self, opportunity):
        with Transaction().start(self.db_name, 0, readonly=True):
            Opportunity = Pool().get('sale.opportunity')
            return Opportunity(opportunity).state

    def test_anonymous(self):
        "Without sao's session: 401, a page that says where to sign in"
        client = self.client()
        response = client.get(self.url())
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        text = response.get_data(as_text=True)
        self.assertIn("Sign in to the CRM first", text)
        self.assertNotIn('data-id=', text)
        response = self.move(client, self.north_lead, 'opportunity', 'x')
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        self.assertEqual(self.state(self.north_lead), 'lead')

    def test_forged_session(self):
        "A session cookie that trytond did not give is refused"
        client = self.client()
        client.set_cookie(
            'session_id', f'sales1:1:{"0" * 32}', path=f'/{self.db_name}')
        self.assertEqual(
            client.get(self.url()).status_code, HTTPStatus.UNAUTHORIZED)

    def test_columns_and_totals(self):
        """The columns of the stages with their counts and totals in the
        company currency; the closed ones of the last 90 days only"""
        page = self.board(self.login('sales2'))
        self.assertEqual(self.column(page, 'lead'),
            ("Opportunities: 2", "usd4,200.00"))
        self.assertEqual(self.column(page, 'opportunity'),
            ("Opportunities: 1", "usd1,500.00"))
        self.assertEqual(self.column(page, 'won'),
            ("Opportunities: 1", "usd700.00"))
        self.assertEqual(self.column(page, 'lost'),
            ("Opportunities: 0", "usd0.00"))
        # The card: party (escaped), amount in its currency, probability
        self.assertIn('Customer &lt;b&gt;', page)
        self.assertIn('400.00', page)
        self.assertIn('40 %', page)
        self.assertIn('Salesperson Two', page)
        self.assertNotIn('South won long ago', page)

    def test_scopes(self):
        "Mine, my teams' and all mean what the pipeline tabs mean"
        sales1 = self.login('sales1')
        north = {self.north_lead, self.north_move}
        mine = self.cards(self.board(sales1, scope='mine'))
        self.assertTrue(north <= set().union(*mine.values()))
        self.assertNotIn(self.mate_lead, set().union(*mine.values()))
        team = set().union(*self.cards(self.board(sales1, scope='team'))
            .values())
        self.assertIn(self.mate_lead, team)
        self.assertNotIn(self.south_lead, team)
        # All is what the user may read: not another team's
        every = set().union(*self.cards(self.board(sales1, scope='all'))
            .values())
        self.assertNotIn(self.south_lead, every)
        manager = set().union(*self.cards(
                self.board(self.login('manager'), scope='all')).values())
        self.assertTrue({self.south_lead, self.mate_lead} <= manager)

    def test_move(self):
        "Dropping a card on the next column moves the opportunity"
        client = self.login('sales1')
        token = self.token(self.board(client))
        response = self.move(client, self.north_move, 'opportunity', token)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        data = response.get_json()
        self.assertEqual(data['stage'], 'opportunity')
        self.assertEqual(self.state(self.north_move), 'opportunity')
        columns = {c['stage']: c for c in data['columns']}
        self.assertEqual(columns['opportunity']['count'], "Opportunities: 1")
        self.assertEqual(columns['opportunity']['total'], 'usd300.00')
        self.assertIn('moved to Opportunity', data['message'])
        # And back: the lead button of the workflow
        response = self.move(client, self.north_move, 'lead', token)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(self.state(self.north_move), 'lead')

    def test_other_team_refused(self):
        "Another team's salesperson cannot move the card, even crafted"
        client = self.login('sales1')
        token = self.token(self.board(client))
        response = self.move(client, self.south_lead, 'opportunity', token)
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertIn("not yours to change", response.get_json()['error'])
        self.assertEqual(self.state(self.south_lead), 'lead')

    def test_transition_refused(self):
        """A stage the workflow does not reach from the card's is refused
        with the reason, in the user's language"""
        client = self.login('sales1')
        token = self.token(self.board(client))
        response = self.move(client, self.north_lead, 'won', token)
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertIn("won when its sales are confirmed",
            response.get_json()['error'])
        # The Convert button shows on opportunities only
        response = self.move(client, self.north_lead, 'converted', token)
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        response = self.move(
            client, self.north_lead, 'won', token, lang='zh_CN')
        self.assertIn("转换为销售", response.get_json()['error'])
        self.assertEqual(self.state(self.north_lead), 'lead')

    def test_read_only_refused(self):
        "The analyst reads the board but moves nothing"
        client = self.login('analyst')
        page = self.board(client, scope='all')
        self.assertIn(str(self.south_lead), page)
        response = self.move(
            client, self.south_lead, 'opportunity', self.token(page))
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertEqual(self.state(self.south_lead), 'lead')

    def test_csrf(self):
        "A move without the page's token is refused"
        client = self.login('sales1')
        self.board(client)
        response = self.move(client, self.north_lead, 'opportunity', '')
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        # The token of another session does not do either
        token = self.token(self.board(self.login('mate')))
        response = self.move(client, self.north_lead, 'opportunity', token)
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertEqual(self.state(self.north_lead), 'lead')

    def test_chinese(self):
        "The board speaks Simplified Chinese"
        page = self.board(self.login('sales1'), lang='zh_CN')
        self.assertIn('<html lang="zh-CN">', page)
        self.assertIn('销售管道看板', page)
        self.assertIn('我的销售管道', page)

    def test_menu_opens_board(self):
        "The CRM menu's wizard answers the URL of the board"
        with Transaction().start(self.db_name, 0):
            pool = Pool()
            OpenBoard = pool.get('crm.sales.board.open', type='wizard')
            session_id, _, _ = OpenBoard.create()
            action, _ = OpenBoard(session_id).do_open({})
        self.assertEqual(action['url'], self.url())

    def test_static(self):
        "The board's script is served; nothing else of the folder"
        response = self.client().get(self.url('/static/board.js'))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn(b'Sortable.create', response.data)
        self.assertEqual(self.client().get(
                self.url('/static/board.py')).status_code,
            HTTPStatus.NOT_FOUND)
