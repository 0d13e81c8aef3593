# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
from http import HTTPStatus

from trytond.modules.company.tests import create_company, create_employee
from trytond.modules.crm_sales.tests.tools import create_user
from trytond.modules.crm_service.tests.test_intake import (
    LINE_NUMBER, create_caller, create_line)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction

AGENT = ['crm_service.group_crm_service_agent']


class CallRouteTestCase(RouteTestCase):
    "Test the call endpoint"
    module = 'crm_service'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Application = pool.get('res.user.application')
        Team = pool.get('crm.sales.team')
        company = create_company()
        employee = create_employee(company, "Telephony")
        user = create_user('telephony', company, employee, AGENT)
        team, = Team.create([{
                    'name': "Service Desk", 'company': company.id,
                    'members': [('add', [employee.id])]}])
        create_line(company, team)
        cls.party_id = create_caller(
            company, "Known Caller", email='known@example.com').id
        key, rest, cancelled = Application.create([
                {'user': user.id, 'application': 'crm_service_call'},
                {'user': user.id, 'application': 'rest'},
                {'user': user.id, 'application': 'crm_service_call'},
                ])
        Application.cancel([cancelled])
        cls.key, cls.rest_key, cls.cancelled_key = (
            key.key, rest.key, cancelled.key)

    def post(self, body, key=None, content_type='application/json'):
        headers = {'Authorization': f'Bearer {key}'} if key else {}
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        return self.client().post(
            f'/{self.db_name}/crm_service/call', data=body,
            headers=headers, content_type=content_type)

    def assertJSONError(self, response, status, text=None):
        self.assertEqual(response.status_code, status)
        self.assertEqual(response.mimetype, 'application/json')
        error = json.loads(response.get_data(as_text=True))['error']
        if text:
            self.assertIn(text, error)
        return error

    @with_transaction()
    def case_count(self):
        return Pool().get('crm.service.case').search([], count=True)

    def test_unauthenticated(self):
        "A call without a valid key of the application is refused with 401"
        call = {'ani': '+8613800138000', 'dnis': LINE_NUMBER}
        before = self.case_count()
        for key in [None, 'wrong', self.rest_key, self.cancelled_key]:
            for content_type in ['application/json', 'text/plain']:
                with self.subTest(key=key, content_type=content_type):
                    response = self.post(call, key, content_type)
                    self.assertJSONError(
                        response, HTTPStatus.UNAUTHORIZED, 'key')
                    self.assertEqual(
                        response.headers['WWW-Authenticate'], 'Bearer')
        self.assertEqual(self.case_count(), before)

    def test_bad_request(self):
        "A body that is not a call is refused with 400 and creates nothing"
        before = self.case_count()
        for body, text in [
                ('{"ani": ', 'JSON'),
                ('', 'JSON'),
                ('[1, 2]', 'object'),
                ({'dnis': LINE_NUMBER}, 'ani is required'),
                ({'ani': '+8613800138000'}, 'dnis is required'),
                ({'ani': '  ', 'dnis': LINE_NUMBER}, 'ani is required'),
                ({'ani': ['1'], 'dnis': LINE_NUMBER}, 'ani must be'),
                ({'ani': '1', 'dnis': LINE_NUMBER, 'ivr_choice': {}},
                    'ivr_choice must be'),
                ({'ani': '+8613800138000', 'dnis': '+86 21 6000 1999'},
                    'unknown service line'),
                ]:
            for content_type in ['application/json', 'text/plain']:
                with self.subTest(body=body, content_type=content_type):
                    response = self.post(body, self.key, content_type)
                    self.assertJSONError(
                        response, HTTPStatus.BAD_REQUEST, text)
        self.assertEqual(self.case_count(), before)

    def test_call(self):
        "A call creates a case and answers the screen pop, then finds it"
        response = self.post({
                'ani': '+86 138 0013 8000', 'dnis': LINE_NUMBER,
                'ivr_choice': 1}, self.key)
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        self.assertEqual(response.mimetype, 'application/json')
        pop = response.json
        self.assertEqual(pop['outcome'], 'created')
        self.assertTrue(pop['case']['number'])
        self.assertEqual(pop['case']['state'], 'new')
        self.assertEqual(pop['case']['category'], "Hardware")
        self.assertEqual(pop['case']['priority'], 'high')
        self.assertEqual(pop['case']['ivr_choice'], '1')
        self.assertEqual(pop['team']['name'], "Service Desk")
        self.assertIn('agent', pop)
        self.assertEqual(pop['customer']['id'], self.party_id)
        self.assertEqual(pop['customer']['name'], "Known Caller")
        self.assertEqual(pop['customer']['email'], 'known@example.com')
        self.assertEqual(pop['customer']['tier'], 'A')
        self.assertEqual(pop['value_segment'], 'A')
        self.assertIn(pop['case']['number'],
            [c['number'] for c in pop['open_cases']])

        response = self.post({
                'ani': '+8613800138000', 'dnis': LINE_NUMBER,
                'ivr_choice': '1'}, self.key, 'text/plain')
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.json['outcome'], 'open')
        self.assertEqual(response.json['case']['id'], pop['case']['id'])

    def test_unknown_caller(self):
        "An unknown or malformed caller number still makes a case"
        for ani, recorded in [
                ('+86 139 0000 0001', '+8613900000001'),
                ('anonymous', 'anonymous')]:
            with self.subTest(ani=ani):
                response = self.post(
                    {'ani': ani, 'dnis': LINE_NUMBER, 'ivr_choice': '7'},
                    self.key)
                self.assertEqual(response.status_code, HTTPStatus.CREATED)
                pop = response.json
                self.assertIsNone(pop['customer'])
                self.assertEqual(pop['case']['caller_number'], recorded)
                self.assertEqual(pop['case']['category'], "General")


del RouteTestCase
