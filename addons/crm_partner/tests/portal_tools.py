# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The records of the portal tests: two customers and a partner with their
web users, cases, orders, invoices, products and articles."""
import datetime
import re
from decimal import Decimal
from unittest.mock import patch

from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_sales.tests.tools import set_up_class_data
from trytond.model import ModelSingleton, ModelSQL
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

PASSWORD = 'portal-secret-42'
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SLEEP = 'trytond.modules.web_user.user.time.sleep'
SENDER = 'trytond.modules.web_user.user.send_message_transactional'
NOTIFY = ('trytond.modules.crm_partner.portal_notify.'
    'send_message_transactional')


def sent_emails(send):
    "The (to, subject, text, html) of each e-mail given to the send mock"
    emails = []
    for call in send.call_args_list:
        message = call.args[0]
        emails.append((message['To'], message['Subject'],
                message.get_body(('plain',)).get_content(),
                message.get_body(('html',)).get_content()))
    return emails


def _singleton_tables(pool):
    "The tables locked when a singleton or a sequence is first written"
    tables = ['ir_sequence', 'ir_sequence_strict']
    for _, model in pool.iterobject():
        if (issubclass(model, ModelSingleton) and issubclass(model, ModelSQL)
                and not callable(model.table_query)):
            tables.append(model._table)
    return tables


def create_portal_data():
    "Create the records and return their ids by name"
    pool = Pool()
    Party = pool.get('party.party')
    WebUser = pool.get('web.user')
    Case = pool.get('crm.service.case')
    Category = pool.get('product.category')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    PriceList = pool.get('product.price_list')
    ProductCustomer = pool.get('sale.product_customer')
    Sale = pool.get('sale.sale')
    Invoice = pool.get('account.invoice')
    Article = pool.get('crm.knowledge.article')
    Lang = pool.get('ir.lang')
    company = create_company()
    with set_company(company):
        create_chart(company)
        receivable, = pool.get('account.account').search([
                ('type.receivable', '=', True),
                ('company', '=', company.id),
                ], limit=1)
        journal, = pool.get('account.journal').search(
            [('type', '=', 'revenue')], limit=1)
        alice, bob, partner = Party.create([
                {'name': "Alice Customer", 'addresses': [('create', [{}])]},
                {'name': "Bob Customer", 'addresses': [('create', [{}])],
                    'is_partner': True, 'partner_type': 'reseller'},
                {'name': "Pat Partner", 'addresses': [('create', [{}])],
                    'is_partner': True, 'partner_type': 'reseller'},
                ])
        WebUser.create([
                {'email': 'alice@example.com', 'password': PASSWORD,
                    'party': alice.id},
                {'email': 'bob@example.com', 'password': PASSWORD,
                    'party': bob.id},
                {'email': 'pat@example.com', 'password': PASSWORD,
                    'party': partner.id},
                ])
        cases = Case.create([
                {'subject': f"Alice question {i:02d}", 'party': alice.id,
                    'description': "Question <b>bold</b>"}
                for i in range(23)] + [
                {'subject': "Bob secret", 'party': bob.id},
                {'subject': "Alice resolved", 'party': alice.id,
                    'resolution': "Replaced the toner."},
                ])
        # The agent of Alice's first case is e-mailed her replies
        agent = create_employee(company, "Agent Smith")
        agent.party.contact_mechanisms = [
            {'type': 'email', 'value': 'agent@example.com'}]
        agent.party.save()
        Case.write([cases[0]], {'agent': agent.id})
        resolved = cases[-1]
        Case.start([resolved])
        Case.resolve([resolved])

        unit, = Uom.search([('name', '=', 'Unit')])
        category, = Category.create([{'name': "Goods", 'accounting': True}])
        templates = Template.create([{
                    'name': name, 'code': code, 'type': 'service',
                    'list_price': Decimal('100'), 'salable': True,
                    'default_uom': unit.id, 'sale_uom': unit.id,
                    'account_category': category.id,
                    'active': active,
                    'products': [('create', [{'suffix_code': ''}])],
                    } for name, code, active in [
                    ("Toner cartridge", 'TON-1', True),
                    ("Drum unit", 'DRU-1', True),
                    ("Old printer", 'OLD-1', False),
                    ]])
        with Transaction().set_context(active_test=False):
            toner, drum, old = [t.products[0] for t in
                Template.browse(templates)]
        # Carol buys through Pat, Dave does not: their own codes
        carol, dave = Party.create([{'name': "Carol Customer"},
                {'name': "Dave Customer"}])
        pool.get('party.relation').create([{
                    'from_': carol.id, 'to': partner.id,
                    'type': pool.get('ir.model.data').get_id(
                        'crm_partner', 'relation_type_partner')}])
        ProductCustomer.create([{
                    'template': toner.template.id, 'party': partner.id,
                    'code': 'PAT-TONER'}, {
                    'template': drum.template.id, 'product': drum.id,
                    'party': carol.id, 'code': 'CAROL-DRUM'}, {
                    'template': toner.template.id, 'party': dave.id,
                    'code': 'DAVE-TONER'}])
        price_list, = PriceList.create([{
                    'name': "Partners", 'company': company.id,
                    'price': 'list_price',
                    'lines': [('create', [{'formula': 'unit_price * 0.8'}])],
                    }])
        partner.sale_price_list = price_list
        partner.save()

        sales = Sale.create([{
                    'party': p.id, 'company': company.id,
                    'invoice_address': p.addresses[0].id,
                    'shipment_address': p.addresses[0].id,
                    'reference': ref,
                    'lines': [('create', [{
                                    'product': drum.id, 'quantity': 2,
                                    'unit': unit.id,
                                    'unit_price': Decimal('100'),
                                    }])],
                    } for p, ref in [(alice, 'ALICE-PO'), (bob, 'BOB-PO')]])
        Sale.quote(sales)

        invoices = Invoice.create([{
                    'type': 'out', 'party': p.id, 'company': company.id,
                    'invoice_address': p.addresses[0].id,
                    'currency': company.currency.id,
                    'account': receivable.id, 'journal': journal.id,
                    'invoice_date': datetime.date.today(),
                    } for p in [alice, bob]])
        # Posted without their moves: the portal reads only the header
        table = Invoice.__table__()
        cursor = Transaction().connection.cursor()
        for invoice, number in zip(invoices, ['INV-A', 'INV-B']):
            cursor.execute(*table.update(
                    [table.state, table.number], ['posted', number],
                    where=table.id == invoice.id))

        en, = Lang.search([('code', '=', 'en')])
        zh, = Lang.search([('code', '=', 'zh_CN')])
        articles = Article.create([{
                    'title': title, 'body': body, 'audience': audience,
                    'language': lang.id, 'state': 'published',
                    'published_at': datetime.datetime.now(),
                    } for title, body, audience, lang in [
                    ("Clear a paper jam", "<p>Open the tray, pull the "
                        "paper gently.</p><script>alert(1)</script>",
                        'public', en),
                    ("打印机卡纸怎么办", "<p>打开纸盒，轻轻取出卡住的纸张。</p>",
                        'public', zh),
                    ("Internal price rules", "<p>Internal paper margins."
                        "</p>", 'internal', en),
                    ("Partner rebates on paper", "<p>Partners get paper "
                        "rebates.</p>", 'partners', en),
                    ]])
    return {
        'alice_case': cases[0].id, 'bob_case': cases[-2].id,
        'resolved': resolved.id,
        'alice_sale': sales[0].id, 'bob_sale': sales[1].id,
        'alice_invoice': invoices[0].id, 'bob_invoice': invoices[1].id,
        'toner': toner.id, 'drum': drum.id, 'old': old.id,
        'public': articles[0].id, 'chinese': articles[1].id,
        'internal': articles[2].id, 'partners': articles[3].id,
        }


class PortalTestCase(RouteTestCase):
    "The portal driven over HTTP as a browser would"
    module = 'crm_partner'

    @classmethod
    def setUpClass(cls):
        # RouteTestCase's set-up, but the records are created outside its
        # transaction: once, then cached with the database
        super(RouteTestCase, cls).setUpClass()
        cls.ids = set_up_class_data(cls, cls._create_data_locked)

    @classmethod
    def _create_data_locked(cls):
        "create_data in a transaction that takes its locks upfront"
        with Transaction().new_transaction(
                _lock_tables=_singleton_tables(Pool())) as transaction:
            ids = cls.create_data()
            transaction.commit()
        return ids

    @classmethod
    def create_data(cls):
        "Create the class's records and return their ids by name"
        return create_portal_data()

    def url(self, path=''):
        return f'/{self.db_name}/crm_partner/portal/{path}'

    def csrf(self, client, path):
        response = client.get(self.url(path))
        return CSRF_RE.search(response.get_data(as_text=True)).group(1)

    def login(self, email='alice@example.com', password=PASSWORD,
            client=None):
        client = client or self.client()
        token = self.csrf(client, 'login')
        with patch(SLEEP):
            response = client.post(self.url('login'), data={
                    'email': email, 'password': password,
                    'csrf_token': token})
        return client, response

    def post(self, client, path, data, form=None):
        "Post the data with the CSRF token of the form's page"
        data = dict(data)
        data['csrf_token'] = self.csrf(
            client, form if form is not None else path)
        return client.post(self.url(path), data=data)

    def text(self, response):
        return response.get_data(as_text=True)

    @staticmethod
    def set_cookies(response):
        "The cookies the response sets, by name"
        return {
            h.split('=', 1)[0]: h
            for h in response.headers.getlist('Set-Cookie')}

    def query(self, function):
        with Transaction().start(self.db_name, 0):
            return function(Pool())
