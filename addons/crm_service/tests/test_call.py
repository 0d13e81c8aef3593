# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
import threading
import time
import unittest
from http import HTTPStatus
from unittest.mock import patch

from trytond.modules.company.tests import create_company, create_employee
from trytond.modules.crm_sales.tests.tools import create_user
from trytond.modules.crm_service.call import Call, CallQueue
from trytond.modules.crm_service.tests.test_intake import (
    LINE_NUMBER, create_caller, create_line)
from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction

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

    def take(self, *calls):
        "Return the status and body of the calls taken in one transaction"
        answers = CallQueue(self.db_name).take(list(calls))
        return [answers.get(c) for c in calls]

    def test_calls_taken_together(self):
        """The calls taken together each have their answer, refused by the
        key before the body"""
        values = {
            'ani': '+8613800138000', 'dnis': LINE_NUMBER, 'ivr_choice': '2'}
        before = self.case_count()
        first, same, unknown_line, wrong_key, refused, refused_wrong_key = (
            self.take(
                Call(self.key, values),
                Call(self.key, values),
                Call(self.key, {**values, 'dnis': '+86 21 6000 1999'}),
                Call('wrong', values),
                Call(self.key, error="the body is not valid JSON"),
                Call(self.rest_key, error="the body is not valid JSON")))

        status, pop = first
        self.assertEqual(status, HTTPStatus.CREATED)
        self.assertEqual(pop['case']['category'], "Software")
        self.assertEqual(pop['customer']['id'], self.party_id)
        status, same_pop = same
        self.assertEqual(status, HTTPStatus.OK)
        self.assertEqual(same_pop['outcome'], 'open')
        self.assertEqual(same_pop['case']['id'], pop['case']['id'])
        self.assertEqual(unknown_line[0], HTTPStatus.BAD_REQUEST)
        self.assertIn('+86 21 6000 1999', unknown_line[1])
        self.assertEqual(wrong_key[0], HTTPStatus.UNAUTHORIZED)
        self.assertEqual(
            refused, (HTTPStatus.BAD_REQUEST, "the body is not valid JSON"))
        self.assertEqual(refused_wrong_key[0], HTTPStatus.UNAUTHORIZED)
        self.assertEqual(self.case_count(), before + 1)

    def test_failing_call_alone(self):
        """A call that fails its batch is taken again alone, and so are the
        others: only it fails"""
        Case = Pool(self.db_name).get('crm.service.case')
        intake_calls = Case.intake_calls.__func__

        def failing(cls, calls):
            if any(c['ani'] == 'failing' for c in calls):
                raise ValueError("failing")
            return intake_calls(cls, calls)
        calls = [Call(self.key, {
                        'ani': ani, 'dnis': LINE_NUMBER, 'ivr_choice': None})
            for ani in ['+8613900000011', 'failing', '+8613900000012']]
        before = self.case_count()
        with patch.object(Case, 'intake_calls', classmethod(failing)), \
                self.assertLogs('trytond.modules.crm_service.call', 'ERROR'):
            answers = self.take(*calls)

        self.assertEqual([s for s, _ in answers], [
                HTTPStatus.CREATED, HTTPStatus.INTERNAL_SERVER_ERROR,
                HTTPStatus.CREATED])
        self.assertEqual(self.case_count(), before + 2)

    def test_concurrent_calls_one_case(self):
        """A call taken in a transaction that began before another call of
        the caller was committed finds that call's case, taken again"""
        pool = Pool(self.db_name)
        Case = pool.get('crm.service.case')
        with Transaction().start(self.db_name, 0) as transaction:
            company, = pool.get('company.company').search([])
            create_caller(company, "Concurrent", phone='+8613800138002')
            transaction.commit()
        call = {'ani': '+8613800138002', 'dnis': LINE_NUMBER,
            'ivr_choice': '1'}

        with Transaction().start(self.db_name, 0) as second:
            # The snapshot of the second transaction
            Case.search([], limit=1)
            with Transaction().new_transaction() as first:
                (case, outcome), = Case.intake_calls([call])
                first.commit()
            self.assertEqual(outcome, 'created')
            try:
                result, = Case.intake_calls([call])
            except backend.DatabaseOperationalError:
                # As the call queue does
                second.rollback()
                result, = Case.intake_calls([call])
            second.commit()

        self.assertEqual(result, (case, 'open'))
        with Transaction().start(self.db_name, 0):
            self.assertEqual(Case.search(
                    [('caller_number', '=', '+8613800138002')], count=True),
                1)


del RouteTestCase


class EchoQueue(CallQueue):
    "A queue that answers the values of the calls and keeps its batches"

    def __init__(self):
        super().__init__('test')
        self.batches = []
        self.started = threading.Event()
        self.release = threading.Event()

    def take(self, calls):
        self.batches.append([c.values for c in calls])
        if len(self.batches) == 1:
            self.started.set()
            self.release.wait(30)
        if any(c.values == 'failing' for c in calls):
            raise RuntimeError("failing")
        return {c: (HTTPStatus.OK, c.values) for c in calls}


class CallQueueTestCase(unittest.TestCase):
    "Test the batches of the calls waiting in a process"

    def answer_in_threads(self, queue, values):
        "Return the answers of the calls of the values, posted together"
        answers = {}

        def answer(value):
            try:
                answers[value] = queue.answer(Call('key', value))
            except RuntimeError as e:
                answers[value] = e
        first = threading.Thread(target=answer, args=(values[0],))
        first.start()
        self.assertTrue(queue.started.wait(30))
        others = [threading.Thread(target=answer, args=(v,))
            for v in values[1:]]
        for thread in others:
            thread.start()
        deadline = time.monotonic() + 30
        while len(queue.waiting) < len(others):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        queue.release.set()
        for thread in [first, *others]:
            thread.join(30)
        return answers

    def test_calls_waiting_taken_together(self):
        "The calls that come while a batch runs are the next batch"
        queue = EchoQueue()

        answers = self.answer_in_threads(queue, list(range(6)))

        self.assertEqual(queue.batches[0], [0])
        self.assertEqual(sorted(queue.batches[1]), [1, 2, 3, 4, 5])
        self.assertEqual(len(queue.batches), 2)
        self.assertEqual(
            answers, {i: (HTTPStatus.OK, i) for i in range(6)})
        self.assertFalse(queue.busy)
        # A call alone is taken at once
        self.assertEqual(queue.answer(Call('key', 6)), (HTTPStatus.OK, 6))
        self.assertEqual(queue.batches[2], [6])

    def test_batch_failing(self):
        """A batch that fails answers its calls with an error and the next
        calls are taken"""
        queue = EchoQueue()

        answers = self.answer_in_threads(queue, [0, 'failing', 2])

        self.assertEqual(answers[0], (HTTPStatus.OK, 0))
        self.assertIsInstance(answers['failing'], RuntimeError)
        self.assertEqual(
            answers[2], (HTTPStatus.INTERNAL_SERVER_ERROR, "internal error"))
        self.assertFalse(queue.busy)
        self.assertEqual(queue.answer(Call('key', 3)), (HTTPStatus.OK, 3))
