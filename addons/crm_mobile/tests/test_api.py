# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The phones' JSON API over HTTP, as a phone (or an attacker) sends it"
import json
import os
import re
from decimal import Decimal
from http import HTTPStatus
from unittest.mock import patch

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from trytond.modules.company.tests import create_company, create_employee
from trytond.modules.crm_mobile import api
from trytond.modules.crm_sales.tests.tools import (
    MANAGER, SALESPERSON, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction

PASSWORD = 'Mobile-Secret-42'
# The office on the Bund and two customers: one 300 m away, one in Pudong
OFFICE = (31.2400, 121.4900)
with open(os.path.join(
            os.path.dirname(api.__file__), 'static', 'openapi.json')) as f:
    DOCUMENT = json.load(f)


def documented_schema(path, method, status):
    """Return the JSON schema the document gives to the answer of the
    request, or fail"""
    for template, operations in DOCUMENT['paths'].items():
        pattern = re.sub(r'\\{[^}]+\\}', '[^/]+', re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in operations:
            responses = operations[method.lower()]['responses']
            response = responses[str(status)]
            schema = response['content']['application/json']['schema']
            return {'components': DOCUMENT['components'], **schema}
    raise AssertionError(f"{method} {path} is not documented")


class MobileAPITestCase(RouteTestCase):
    "Test the API v1 of the phones"
    module = 'crm_mobile'
    extras = ['crm_knowledge']

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        User = pool.get('res.user')
        Team = pool.get('crm.sales.team')
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        users = {}
        for login, groups in [
                ('boss', MANAGER), ('sales1', SALESPERSON),
                ('sales2', SALESPERSON), ('rival', SALESPERSON)]:
            employee = create_employee(company, login.title())
            users[login] = create_user(login, company, employee, groups)
        User.write(list(users.values()), {'password': PASSWORD})
        Team.create([{
                    'name': "East", 'company': company.id,
                    'members': [('add', [
                                users['sales1'].employee.id,
                                users['sales2'].employee.id])],
                    }, {
                    'name': "West", 'company': company.id,
                    'members': [('add', [users['rival'].employee.id])],
                    }])
        near, far, unlocated = Party.create([{
                    'name': "Bund Trading",
                    'addresses': [('create', [{
                                    'city': "Shanghai",
                                    'latitude': 31.2420,
                                    'longitude': 121.4920}])],
                    }, {
                    'name': "Pudong Machinery",
                    'addresses': [('create', [{
                                    'city': "Shanghai",
                                    'latitude': 31.2200,
                                    'longitude': 121.5400}])],
                    }, {
                    'name': "Nowhere Ltd",
                    }])
        # Archived, and nearer the office than any customer: never listed
        Party.create([{
                    'name': "Closed Kiosk",
                    'active': False,
                    'addresses': [('create', [{
                                    'city': "Shanghai",
                                    'latitude': 31.2405,
                                    'longitude': 121.4905}])],
                    }])
        opportunity, rival_opportunity = Opportunity.create([{
                    'description': "Bund upgrade",
                    'party': near.id, 'company': company.id,
                    'employee': users['sales1'].employee.id,
                    'amount': Decimal('1000.00'),
                    'currency': company.currency.id,
                    }, {
                    'description': "West deal",
                    'party': far.id, 'company': company.id,
                    'employee': users['rival'].employee.id,
                    'currency': company.currency.id,
                    }])
        cls.users = {k: u.id for k, u in users.items()}
        cls.near, cls.far, cls.unlocated = near.id, far.id, unlocated.id
        cls.opportunity = opportunity.id
        cls.rival_opportunity = rival_opportunity.id

    def setUp(self):
        super().setUp()
        self.clear_rate_limits()

    @with_transaction()
    def clear_rate_limits(self):
        RateLimit = Pool().get('crm.mobile.rate_limit')
        table = RateLimit.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete())
        Transaction().commit()

    def url(self, path):
        return f'/{self.db_name}/crm_mobile/api/v1{path}'

    def request(self, method, path, key=None, json_body=None, data=None,
            headers=None, content_type='application/json', **kwargs):
        headers = dict(headers or {})
        if key:
            headers['Authorization'] = f'Bearer {key}'
        if json_body is not None:
            data = json.dumps(json_body)
        response = self.client().open(
            self.url(path), method=method, data=data, headers=headers,
            content_type=content_type, **kwargs)
        self.assertMatchesDocument(path, method, response)
        return response

    def assertMatchesDocument(self, path, method, response):
        "The answer is one the OpenAPI document describes"
        schema = documented_schema(
            path.split('?')[0], method, response.status_code)
        Draft202012Validator(schema).validate(
            json.loads(response.get_data(as_text=True)))

    def ok(self, response, status=HTTPStatus.OK):
        self.assertEqual(
            response.status_code, status, response.get_data(as_text=True))
        self.assertEqual(response.mimetype, 'application/json')
        return json.loads(response.get_data(as_text=True))

    def error(self, response, status, field=None):
        data = self.ok(response, status)
        self.assertTrue(data['error'])
        if field:
            self.assertEqual(data.get('field'), field)
        return data

    def sign_in(self, login='sales1', device="Test phone"):
        return self.ok(self.request('POST', '/signin', json_body={
                    'login': login, 'password': PASSWORD,
                    'device': device}), HTTPStatus.CREATED)['key']

    @with_transaction()
    def count(self, model, domain=None):
        return Pool().get(model).search(domain or [], count=True)

    def test_sign_in(self):
        "The desktop login and password give a device key listed as such"
        key = self.sign_in()
        me = self.ok(self.request('GET', '/me', key))
        self.assertEqual(me['login'], 'sales1')
        self.assertEqual(me['kpis']['pipeline_count'], 1)
        self.assertEqual(
            me['kpis']['pipeline_amount'], self.opportunity_amount())
        self.assertEqual(self.count('res.user.application', [
                    ('key', '=', key), ('application', '=', 'crm_mobile'),
                    ('crm_device_name', '=', "Test phone")]), 1)

    def test_sign_in_wrong(self):
        "A wrong password or missing field is refused in JSON"
        with patch('time.sleep'):
            self.error(self.request('POST', '/signin', json_body={
                        'login': 'sales1', 'password': 'wrong'}),
                HTTPStatus.UNAUTHORIZED)
        self.error(self.request('POST', '/signin', json_body={
                    'login': 'sales1'}), HTTPStatus.BAD_REQUEST, 'password')
        self.error(self.request('POST', '/signin', data='{not json'),
            HTTPStatus.BAD_REQUEST, 'body')

    def test_unauthorized(self):
        "No key, a wrong key, a revoked key: 401 everywhere"
        key = self.sign_in()
        self.ok(self.request('POST', '/signout', key))
        for path in ['/me', '/customers', '/opportunities', '/sync']:
            for bad in [None, 'wrong', key]:
                with self.subTest(path=path, key=bad):
                    response = self.request('GET', path, bad)
                    self.error(response, HTTPStatus.UNAUTHORIZED)
                    self.assertEqual(
                        response.headers['WWW-Authenticate'], 'Bearer')

    def test_customers(self):
        "Search and the 360° summary"
        key = self.sign_in()
        found = self.ok(self.request('GET', '/customers?q=bund', key))
        self.assertEqual([c['id'] for c in found['items']], [self.near])
        self.assertNotIn('address', found['items'][0])
        summary = self.ok(self.request('GET', f'/customers/{self.near}', key))
        self.assertEqual(summary['name'], "Bund Trading")
        self.assertTrue(summary['address'])
        self.assertEqual(
            [o['description'] for o in summary['open_opportunities']],
            ["Bund upgrade"])
        self.error(self.request('GET', '/customers/999999', key),
            HTTPStatus.NOT_FOUND)

    def test_nearby(self):
        "Customers within the radius, nearest first, paginated"
        key = self.sign_in()
        query = '/customers/nearby?latitude=%s&longitude=%s' % OFFICE
        near = self.ok(self.request('GET', query + '&radius=1000', key))
        self.assertEqual([c['id'] for c in near['items']], [self.near])
        # A list item: the formatted address is on the customer's page
        self.assertEqual(set(near['items'][0]), {
                'id', 'name', 'phone', 'city', 'latitude', 'longitude',
                'distance'})
        both = self.ok(self.request('GET', query + '&radius=10000', key))
        self.assertEqual(
            [c['id'] for c in both['items']], [self.near, self.far])
        self.assertLess(
            both['items'][0]['distance'], both['items'][1]['distance'])
        second = self.ok(self.request(
                'GET', query + '&radius=10000&offset=1&limit=1', key))
        self.assertEqual([c['id'] for c in second['items']], [self.far])
        for bad, field in [
                ('latitude=91&longitude=0', 'latitude'),
                ('latitude=x&longitude=0', 'latitude'),
                ('latitude=0&longitude=-181', 'longitude'),
                ('latitude=0&longitude=0&radius=-5', 'radius'),
                ('latitude=0&longitude=0&limit=100000', 'limit'),
                ]:
            with self.subTest(query=bad):
                self.error(self.request(
                        'GET', '/customers/nearby?' + bad, key),
                    HTTPStatus.BAD_REQUEST, field)

    def test_opportunity_other_team(self):
        "Another team's opportunity is not found, nor changed"
        key = self.sign_in('sales2')
        mine = self.ok(self.request('GET', '/opportunities?scope=team', key))
        self.assertEqual(
            [o['id'] for o in mine['items']], [self.opportunity])
        self.assertEqual(self.ok(self.request(
                    'GET', '/opportunities?scope=mine', key))['items'], [])
        rival = self.sign_in('rival')
        self.error(self.request(
                'GET', f'/opportunities/{self.opportunity}', rival),
            HTTPStatus.NOT_FOUND)
        self.error(self.request(
                'PATCH', f'/opportunities/{self.opportunity}', rival,
                json_body={'version': 'x', 'next_step': "Stolen"}),
            HTTPStatus.NOT_FOUND)
        self.error(self.request('GET', '/opportunities?scope=nobody', rival),
            HTTPStatus.BAD_REQUEST, 'scope')

    def test_conflict(self):
        """Two phones edit one opportunity offline: the first wins, the
        second gets 409 with the server's copy and retries on it"""
        phone1, phone2 = self.sign_in('sales1'), self.sign_in('sales2')
        path = f'/opportunities/{self.opportunity}'
        read1 = self.ok(self.request('GET', path, phone1))
        read2 = self.ok(self.request('GET', path, phone2))
        self.assertEqual(read1['version'], read2['version'])
        won = self.ok(self.request('PATCH', path, phone1, json_body={
                    'version': read1['version'], 'next_step': "Demo"}))
        self.assertEqual(won['next_step'], "Demo")
        self.assertNotEqual(won['version'], read1['version'])
        conflict = self.error(self.request('PATCH', path, phone2, json_body={
                    'version': read2['version'], 'amount': 2000}),
            HTTPStatus.CONFLICT, 'version')
        self.assertEqual(conflict['server']['next_step'], "Demo")
        self.assertEqual(conflict['server']['amount'], '1000.00')
        retried = self.ok(self.request('PATCH', path, phone2, json_body={
                    'version': conflict['server']['version'],
                    'amount': 2000}))
        self.assertEqual(retried['amount'], '2000.00')
        self.assertEqual(retried['next_step'], "Demo")
        self.error(self.request('PATCH', path, phone2, json_body={
                    'next_step': "no version"}),
            HTTPStatus.BAD_REQUEST, 'version')
        self.error(self.request('PATCH', path, phone2, json_body={
                    'version': retried['version'], 'probability': 1.5}),
            HTTPStatus.BAD_REQUEST, 'probability')

    def test_activity_idempotent(self):
        "A replayed create gives the first answer and creates nothing"
        key = self.sign_in()
        before = self.count('crm.activity')
        values = {
            'type': 'call', 'subject': "Called about the upgrade",
            'customer': self.near}
        headers = {'Idempotency-Key': 'phone-1-op-1'}
        first = self.ok(self.request(
                'POST', '/activities', key, values, headers=headers),
            HTTPStatus.CREATED)
        again = self.request(
            'POST', '/activities', key, values, headers=headers)
        self.assertEqual(self.ok(again, HTTPStatus.CREATED), first)
        self.assertEqual(again.headers['Idempotent-Replayed'], 'true')
        self.assertEqual(first['state'], 'done')
        self.assertEqual(self.count('crm.activity'), before + 1)
        listed = self.ok(self.request('GET', '/activities', key))
        self.assertIn(first['id'], [a['id'] for a in listed['items']])
        self.error(self.request('POST', '/activities', key, {
                    'type': 'party', 'subject': "x",
                    'customer': self.near}), HTTPStatus.BAD_REQUEST, 'type')
        self.error(self.request('POST', '/activities', key, {
                    'type': 'call', 'subject': "x", 'customer': 'abc'}),
            HTTPStatus.BAD_REQUEST, 'customer')
        self.assertEqual(self.count('crm.activity'), before + 1)

    def test_check_in_out(self):
        "Check in near and far from the customer, then check out"
        key = self.sign_in()
        visit = self.ok(self.request('POST', '/visits', key, {
                    'customer': self.near, 'latitude': 31.2421,
                    'longitude': 121.4921, 'accuracy': 15}),
            HTTPStatus.CREATED)
        self.assertLess(visit['distance'], 50)
        self.assertFalse(visit['far'])
        far = self.ok(self.request('POST', '/visits', key, {
                    'customer': self.near, 'latitude': OFFICE[0] - 0.05,
                    'longitude': OFFICE[1], 'accuracy': 20}),
            HTTPStatus.CREATED)
        self.assertTrue(far['far'])
        done = self.ok(self.request(
                'POST', f"/visits/{visit['id']}/checkout", key,
                {'report': "Met the buyer"}))
        self.assertEqual(done['state'], 'checked_out')
        self.assertEqual(done['report'], "Met the buyer")
        self.error(self.request('POST', '/visits', key, {
                    'customer': self.near, 'latitude': 95,
                    'longitude': 0}), HTTPStatus.BAD_REQUEST, 'latitude')
        self.error(self.request('POST', '/visits', key, {
                    'customer': self.near, 'latitude': 31,
                    'longitude': 121, 'accuracy': -1}),
            HTTPStatus.BAD_REQUEST, 'accuracy')
        rival = self.sign_in('rival')
        self.error(self.request(
                'POST', f"/visits/{visit['id']}/checkout", rival, {}),
            HTTPStatus.NOT_FOUND)
        listed = self.ok(self.request('GET', '/visits', key))
        self.assertEqual(len(listed['items']), 2)

    def test_route_today(self):
        "Today's visits ordered from where the phone is"
        key = self.sign_in()
        for customer in [self.far, self.near]:
            self.ok(self.request('POST', '/activities', key, {
                        'type': 'visit', 'subject': "Visit",
                        'customer': customer, 'state': 'planned'}),
                HTTPStatus.CREATED)
        route = self.ok(self.request(
                'GET', '/route/today?latitude=%s&longitude=%s' % OFFICE,
                key))
        self.assertEqual(
            [s['customer']['id'] for s in route['items']],
            [self.near, self.far])

    def test_cases_and_knowledge(self):
        "My cases and the knowledge search answer lists"
        key = self.sign_in()
        self.assertEqual(
            self.ok(self.request('GET', '/cases', key))['items'], [])
        self.assertIn('items', self.ok(
                self.request('GET', '/knowledge?q=printer', key)))

    def test_instruction(self):
        """A manager sends a task from the phone; the assignee is notified,
        accepts, comments and completes; the manager sees the progress"""
        boss, sales1 = self.sign_in('boss'), self.sign_in('sales1')
        sent = self.ok(self.request('POST', '/instructions', boss, {
                    'subject': "Visit Bund Trading today",
                    'customer': self.near,
                    'assignees': [self.users['sales1']]},
                headers={'Idempotency-Key': 'boss-1'}), HTTPStatus.CREATED)
        self.assertEqual(sent['state'], 'sent')
        self.assertEqual(self.count('res.notification', [
                    ('user', '=', self.users['sales1'])]), 1)
        received = self.ok(self.request('GET', '/instructions', sales1))
        self.assertEqual(
            [i['id'] for i in received['items']], [sent['id']])
        path = f"/instructions/{sent['id']}"
        self.ok(self.request('POST', path + '/accept', sales1, {}))
        self.ok(self.request('POST', path + '/comment', sales1, {
                    'comment': "On my way"}))
        done = self.ok(self.request('POST', path + '/complete', sales1, {}))
        self.assertEqual(done['assignees'][0]['comment'], "On my way")
        self.assertEqual(done['state'], 'done')
        progress = self.ok(self.request('GET', '/instructions', boss))
        self.assertEqual(progress['items'][0]['progress'], 1)
        rival = self.sign_in('rival')
        self.error(self.request('POST', path + '/accept', rival, {}),
            HTTPStatus.NOT_FOUND)
        self.error(self.request('POST', '/instructions', boss, {
                    'subject': "x", 'assignees': []}),
            HTTPStatus.BAD_REQUEST, 'assignees')

    def test_upload(self):
        "A photo is attached; wrong type 415, too large 413"
        key = self.sign_in()
        visit = self.ok(self.request('POST', '/visits', key, {
                    'customer': self.near, 'latitude': 31.2421,
                    'longitude': 121.4921}), HTTPStatus.CREATED)
        query = f"/uploads?resource=visits&id={visit['id']}&name=shop.png"
        photo = self.ok(self.request(
                'POST', query, key, data=b'\x89PNG fake',
                content_type='image/png'), HTTPStatus.CREATED)
        self.assertEqual(photo['size'], 9)
        self.error(self.request(
                'POST', query, key, data=b'MZ', content_type=(
                    'application/x-msdownload')),
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        with patch.object(api, 'UPLOAD_LIMIT', 10):
            self.error(self.request(
                    'POST', query, key, data=b'x' * 11,
                    content_type='image/png'),
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        rival = self.sign_in('rival')
        self.error(self.request(
                'POST', query, rival, data=b'x', content_type='image/png'),
            HTTPStatus.NOT_FOUND)

    def test_sync(self):
        "Delta sync: everything first, then changes and deletions"
        key = self.sign_in()
        first = self.ok(self.request('GET', '/sync', key))
        self.assertEqual(
            [o['id'] for o in first['changes']['opportunities']],
            [self.opportunity])
        activity = self.ok(self.request('POST', '/activities', key, {
                    'type': 'note', 'subject': "Note",
                    'customer': self.near, 'state': 'planned'}),
            HTTPStatus.CREATED)
        delta = self.ok(self.request(
                'GET', '/sync?since=%s' % first['cursor'], key))
        self.assertIn(
            activity['id'], [a['id'] for a in delta['changes']['activities']])
        self.delete_activity(activity['id'])
        later = self.ok(self.request(
                'GET', '/sync?since=%s&resources=activities' % first['cursor'],
                key))
        self.assertEqual(later['deletions']['activities'], [activity['id']])
        self.assertEqual(list(later['changes']), ['activities'])
        self.error(self.request('GET', '/sync?since=yesterday', key),
            HTTPStatus.BAD_REQUEST, 'since')

    @with_transaction()
    def delete_activity(self, activity_id):
        Activity = Pool().get('crm.activity')
        Activity.delete([Activity(activity_id)])
        Transaction().commit()

    @with_transaction()
    def create_opportunities(self, login, count):
        "Open opportunities of the user's employee, committed"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        User = pool.get('res.user')
        user = User(self.users[login])
        opportunities = Opportunity.create([{
                    'description': f"Deal {i}",
                    'party': self.near,
                    'company': user.employee.company.id,
                    'employee': user.employee.id,
                    'currency': user.employee.company.currency.id,
                    } for i in range(count)])
        Transaction().commit()
        return [o.id for o in opportunities]

    @with_transaction()
    def delete_opportunity(self, opportunity_id):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity(opportunity_id)
        Opportunity.cancel([opportunity])
        Opportunity.delete([opportunity])
        Transaction().commit()

    @with_transaction()
    def lose_and_move(self, lost_id, moved_id):
        "One opportunity is lost, the other given to the West team"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Team = pool.get('crm.sales.team')
        User = pool.get('res.user')
        west, = Team.search([('name', '=', "West")])
        Opportunity.lost([Opportunity(lost_id)])
        Opportunity.write([Opportunity(moved_id)], {
                'employee': User(self.users['rival']).employee.id,
                'crm_team': west.id,
                })
        Transaction().commit()

    def sync_since(self, key, cursor, resources='opportunities,activities'):
        return self.ok(self.request(
                'GET', f'/sync?since={cursor}&resources={resources}', key))

    def test_sync_deletions_stay_in_the_team(self):
        """A device of another team never learns the ids deleted in this
        team; the team and the manager do"""
        logins = ['sales1', 'sales2', 'rival', 'boss']
        keys = {login: self.sign_in(login) for login in logins}
        cursors = {login: self.ok(self.request('GET', '/sync', key))['cursor']
            for login, key in keys.items()}
        opportunity, = self.create_opportunities('sales2', 1)
        activity = self.ok(self.request(
                'POST', '/activities', keys['sales2'], {
                    'type': 'call', 'subject': "Secret call",
                    'customer': self.near}), HTTPStatus.CREATED)['id']
        self.delete_activity(activity)
        self.delete_opportunity(opportunity)
        deletions = {login: self.sync_since(key, cursors[login])['deletions']
            for login, key in keys.items()}
        for login in ['sales1', 'sales2', 'boss']:
            self.assertIn(opportunity, deletions[login]['opportunities'])
        self.assertIn(activity, deletions['sales2']['activities'])
        self.assertNotIn(opportunity, deletions['rival']['opportunities'])
        self.assertNotIn(activity, deletions['rival']['activities'])

    def test_sync_opportunity_leaving_scope(self):
        """A lost opportunity, and one given to another team, leave the
        phones that kept them, and only those"""
        sales1, rival = self.sign_in('sales1'), self.sign_in('rival')
        lost, moved = self.create_opportunities('sales1', 2)
        first = self.ok(self.request('GET', '/sync', sales1))
        self.assertTrue({lost, moved} <= {
                o['id'] for o in first['changes']['opportunities']})
        rival_cursor = self.ok(self.request('GET', '/sync', rival))['cursor']
        self.lose_and_move(lost, moved)
        delta = self.sync_since(sales1, first['cursor'], 'opportunities')
        self.assertEqual(
            {lost, moved} & set(delta['deletions']['opportunities']),
            {lost, moved})
        self.assertFalse({lost, moved} & {
                o['id'] for o in delta['changes']['opportunities']})
        theirs = self.sync_since(rival, rival_cursor, 'opportunities')
        self.assertIn(
            moved, [o['id'] for o in theirs['changes']['opportunities']])
        self.assertFalse(
            {lost, moved} & set(theirs['deletions']['opportunities']))

    @with_transaction()
    def opportunity_amount(self):
        "The amount of the opportunity as the API gives it"
        Opportunity = Pool().get('sale.opportunity')
        return str(Opportunity(self.opportunity).amount)

    def test_rate_limit(self):
        "A key sending too many requests gets 429"
        key = self.sign_in()
        with patch.object(api, 'RATE_LIMIT', 2):
            self.ok(self.request('GET', '/me', key))
            self.ok(self.request('GET', '/me', key))
            self.error(self.request('GET', '/me', key),
                HTTPStatus.TOO_MANY_REQUESTS)
            other = self.sign_in('sales2')
            self.ok(self.request('GET', '/me', other))

    def test_rate_limit_shared_by_processes(self):
        """The requests another server process counted for the key count
        here: the counters are in the database, not in the process"""
        key = self.sign_in()
        with patch.object(api, 'RATE_LIMIT', 3):
            self.ok(self.request('GET', '/me', key))
            self.count_elsewhere(f'Bearer {key}', 2)
            self.error(self.request('GET', '/me', key),
                HTTPStatus.TOO_MANY_REQUESTS)

    @with_transaction()
    def count_elsewhere(self, authorization, requests):
        "Count the requests as another process does: its own connection"
        RateLimit = Pool().get('crm.mobile.rate_limit')
        for _ in range(requests):
            RateLimit.allow(authorization, api.RATE_LIMIT)

    def test_openapi_documents_every_route(self):
        "Every route of the API is in the served OpenAPI document"
        document = self.ok(self.request('GET', '/openapi.json'))
        validate_spec(document)
        self.assertEqual(
            document['servers'], [{'url': self.url('')}])
        documented = {
            (path, method.upper())
            for path, operations in document['paths'].items()
            for method in operations}
        prefix = '/<database_name>/crm_mobile/api/v1'
        served = set()
        for rule in api.app.url_map.iter_rules():
            if not rule.rule.startswith(prefix):
                continue
            path = re.sub(r'<(?:[^:>]+:)?([^>(]+)(?:\([^)]*\))?>', r'{\1}',
                rule.rule[len(prefix):])
            path = path.replace('{record_id}', '{id}').replace(
                '{party_id}', '{id}')
            for method in rule.methods - {'HEAD', 'OPTIONS'}:
                served.add((path, method))
        self.assertEqual(served, documented)
