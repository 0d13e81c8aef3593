# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The agent that a rating measures, or any staff user, cannot read the
rating links through the client: only the customer's e-mail holds them."""
import json
from unittest.mock import patch

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_sales.tests.rpc import RpcClient, RpcError
from trytond.modules.crm_sales.tests.tools import create_user
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

SENDER = 'trytond.modules.crm_service.satisfaction.send_message_transactional'
PASSWORD = 'Wq7#vX2m-pL9s'
STAFF = {
    'agent': ['crm_service.group_crm_service_agent'],
    'manager': ['crm_service.group_crm_service_manager'],
    }


class RatingAccessTestCase(RouteTestCase):
    "Test that no staff user reads the rating links over JSON-RPC"
    module = 'crm_service'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Case = pool.get('crm.service.case')
        Configuration = pool.get('crm.service.configuration')
        ContactMechanism = pool.get('party.contact_mechanism')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        # The first signature creates the key with its table locked, which
        # restarts a request's transaction but not this one: lock it first
        with Transaction().new_transaction(
                _lock_tables=[Configuration._table]) as transaction:
            Configuration.signing_key_for('crm.service.rating')
            transaction.commit()
        company = create_company()
        with set_company(company), patch(SENDER) as send:
            for login, groups in STAFF.items():
                employee = create_employee(company, login.title())
                user = create_user(login, company, employee, groups)
                User.write([user], {'password': PASSWORD})
                if login == 'agent':
                    agent = employee
            party, = Party.create([{'name': "Customer"}])
            contact, = ContactMechanism.create([{
                        'party': party.id, 'type': 'email',
                        'value': 'customer@example.com',
                        }])
            case, = Case.create([{
                        'subject': "Printer jams", 'party': party.id,
                        'contact': contact.id, 'agent': agent.id,
                        'resolution': "Fixed",
                        }])
            Case.start([case])
            Case.resolve([case])
            Case.close([case])
            rating, = Case(case.id).ratings
            cls.case, cls.rating = case.id, rating.id
            cls.token, cls.nonce = rating.token, rating.nonce
            msg = send.call_args.args[0]
            cls.email = msg.get_content()

    def login(self, login):
        rpc = RpcClient(self.db_name).login(login, PASSWORD)
        self.context = rpc.call('model.res.user.get_preferences', True, {})
        return rpc

    def assertRefused(self, rpc, model, method, *params):
        with self.assertRaises(RpcError):
            rpc.model(model, method, *params, context=self.context)

    def assertNoSecret(self, result):
        text = json.dumps(result, default=str)
        self.assertNotIn(self.token, text)
        self.assertNotIn(self.nonce, text)

    def test_customer_email_has_links(self):
        "The e-mail to the customer carries the links, which work"
        self.assertIn(f'/crm_service/rate/{self.token}?score=5', self.email)
        response = self.client().get(
            f'/{self.db_name}/crm_service/rate/{self.token}?score=5')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you", response.get_data(as_text=True))

    def test_read(self):
        "Staff read the rating but not its links nor its nonce"
        for login in STAFF:
            with self.subTest(login=login):
                rpc = self.login(login)
                rating, = rpc.model(
                    'crm.service.rating', 'read', [self.rating],
                    ['score', 'agent'], context=self.context)
                self.assertEqual(rating['id'], self.rating)
                for fields in [['nonce'], ['links'], ['rec_name', 'nonce']]:
                    self.assertRefused(
                        rpc, 'crm.service.rating', 'read', [self.rating],
                        fields)
                self.assertRefused(
                    rpc, 'crm.service.case', 'read', [self.case],
                    ['rating_links'])
                self.assertRefused(
                    rpc, 'crm.service.case', 'read', [self.case],
                    ['ratings.nonce'])

    def test_read_every_field(self):
        "The fields of the views read without the links"
        for login in STAFF:
            for model, id_ in [
                    ('crm.service.rating', self.rating),
                    ('crm.service.case', self.case)]:
                with self.subTest(login=login, model=model):
                    rpc = self.login(login)
                    fields = rpc.model(
                        model, 'fields_get', None, context=self.context)
                    self.assertNotIn('links', fields)
                    self.assertNotIn('rating_links', fields)
                    if 'nonce' in fields:
                        # trytond lists the fields a user cannot read
                        self.assertRefused(
                            rpc, model, 'read', [id_], list(fields))
                    else:
                        self.assertNoSecret(rpc.model(
                                model, 'read', [id_], list(fields),
                                context=self.context))
                    for view_type in ['form', 'tree']:
                        view = rpc.model(
                            model, 'fields_view_get', None, view_type,
                            context=self.context)
                        self.assertNotIn('nonce', view['fields'])
                        self.assertNotIn('links', view['fields'])
                        self.assertNotIn('rating_links', view['fields'])
                        result = rpc.model(
                            model, 'read', [id_], list(view['fields']),
                            context=self.context)
                        self.assertNoSecret(result)

    def test_search_read(self):
        "search_read gives no links nor nonce"
        for login in STAFF:
            with self.subTest(login=login):
                rpc = self.login(login)
                for fields in [['nonce'], ['links'], ['score', 'nonce']]:
                    self.assertRefused(
                        rpc, 'crm.service.rating', 'search_read', [], 0,
                        None, None, fields)
                self.assertRefused(
                    rpc, 'crm.service.case', 'search_read', [], 0, None,
                    None, ['rating_links'])

    def test_search_nonce(self):
        "The nonce cannot be guessed through a search"
        for login in STAFF:
            with self.subTest(login=login):
                rpc = self.login(login)
                for domain in [
                        [('nonce', '=', self.nonce)],
                        [('nonce', 'like', self.nonce[:1] + '%')],
                        [('nonce', '!=', None)]]:
                    self.assertRefused(
                        rpc, 'crm.service.rating', 'search', domain, 0,
                        None, None)
                    self.assertRefused(
                        rpc, 'crm.service.rating', 'search_count', domain)
                self.assertRefused(
                    rpc, 'crm.service.case', 'search',
                    [('ratings.nonce', 'like', self.nonce[:1] + '%')],
                    0, None, None)
                self.assertRefused(
                    rpc, 'crm.service.rating', 'search', [], 0, None,
                    [('nonce', 'ASC')])

    def test_export(self):
        "The export of the ratings or of the cases gives no links"
        for login in STAFF:
            with self.subTest(login=login):
                rpc = self.login(login)
                for fields in [['nonce'], ['links'], ['score', 'nonce']]:
                    self.assertRefused(
                        rpc, 'crm.service.rating', 'export_data',
                        [self.rating], fields, False)
                    self.assertRefused(
                        rpc, 'crm.service.rating', 'export_data_domain',
                        [], fields, 0, None, None, False)
                for fields in [['rating_links'], ['ratings/nonce']]:
                    self.assertRefused(
                        rpc, 'crm.service.case', 'export_data',
                        [self.case], fields, False)
