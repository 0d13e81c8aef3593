# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Schemathesis against the served OpenAPI document: requests generated
from the document, sent by a signed-in phone to trytond's WSGI
application, get no server error and answers the document describes."""
import json
from decimal import Decimal
from http import HTTPStatus
from unittest.mock import patch

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance,
    status_code_conformance)

from trytond.modules.company.tests import create_company
from trytond.modules.crm_mobile import api
from trytond.modules.crm_sales.tests.tools import (
    MANAGER, SALESPERSON, create_staff)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.wsgi import app

PASSWORD = 'Fuzz-Secret-42'
# Examples per operation: 23 operations, the run stays under a minute
# on a loaded machine
EXAMPLES = 10
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance]


class MobileOpenAPIFuzzTestCase(RouteTestCase):
    "Fuzz the API v1 of the phones from its OpenAPI document"
    module = 'crm_mobile'
    extras = ['crm_knowledge']

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Team = pool.get('crm.sales.team')
        company = create_company()
        users = create_staff(company, {
                'sales1': ("Sales One", SALESPERSON),
                'boss': ("Boss", MANAGER),
                }, PASSWORD)
        Team.create([{
                    'name': "East", 'company': company.id,
                    'members': [('add', [users['sales1'].employee.id])],
                    }])
        party, = Party.create([{
                    'name': "Bund Trading",
                    'addresses': [('create', [{
                                    'city': "Shanghai",
                                    'latitude': 31.2420,
                                    'longitude': 121.4920}])],
                    }])
        Opportunity.create([{
                    'description': "Bund upgrade",
                    'party': party.id, 'company': company.id,
                    'employee': users['sales1'].employee.id,
                    'amount': Decimal('1000.00'),
                    'currency': company.currency.id,
                    }])

    def url(self, path):
        return f'/{self.db_name}/crm_mobile/api/v1{path}'

    def sign_in(self):
        response = self.client().post(self.url('/signin'), data=json.dumps({
                    'login': 'sales1', 'password': PASSWORD}))
        self.assertEqual(response.status_code, HTTPStatus.CREATED)
        return json.loads(response.get_data(as_text=True))['key']

    @patch('time.sleep')
    def test_generated_requests(self, sleep):
        "No 5xx and no answer outside the document, whatever is sent"
        key = self.sign_in()
        headers = {'Authorization': f'Bearer {key}'}
        schema = schemathesis.openapi.from_wsgi(
            self.url('/openapi.json'), app)
        # Signing out revokes the key the other requests are sent with
        schema = schema.exclude(path='/signout')

        def run(strategy):
            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=True, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))
            def call(case):
                case.call_and_validate(headers=headers, checks=CHECKS)
            call()

        operations = 0
        with patch.object(api, 'RATE_LIMIT', 10 ** 6):
            for result in schema.get_all_operations():
                operation = result.ok()
                operations += 1
                with self.subTest(operation=operation.label):
                    run(operation.as_strategy())
        self.assertGreater(operations, 20)
