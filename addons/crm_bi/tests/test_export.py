# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Exports and feeds of the reports and queries, parsed back and compared
with the rows the user reads"""
import base64
import csv
import datetime as dt
import io
import json
import tempfile
import tracemalloc
import unittest
from decimal import Decimal

from openpyxl import load_workbook

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.tools import as_user, create_staff
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    RouteTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

from ..export import report_rows, report_url, write
from .tools import PASSWORD, create_pipeline

DESIGNER = ['crm_bi.group_crm_bi_designer']
COLUMNS = ['day', 'amount', 'name', 'empty']
ROWS = [
    (dt.date(2026, 1, 31), Decimal('12.50'), "Ünïcode, \"quoted\"", None),
    (dt.datetime(2026, 2, 1, 8, 30), Decimal('-3'), "二", None),
    ]


def parse_csv(data):
    return list(csv.reader(io.StringIO(data.decode('utf-8'))))


def parse_xlsx(data):
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


class WritersTestCase(unittest.TestCase):
    "The writers of the exports"

    def _write(self, format_, columns=COLUMNS, rows=ROWS):
        file = io.BytesIO()
        write(file, format_, columns, iter(rows))
        return file.getvalue()

    def test_csv(self):
        "CSV writes ISO dates and exact decimals"
        self.assertEqual(parse_csv(self._write('csv')), [
                COLUMNS,
                ['2026-01-31', '12.50', "Ünïcode, \"quoted\"", ''],
                ['2026-02-01T08:30:00', '-3', "二", ''],
                ])

    def test_json(self):
        "JSON writes a list of objects keyed by the columns"
        self.assertEqual(json.loads(self._write('json')), [
                {'day': '2026-01-31', 'amount': '12.50',
                    'name': "Ünïcode, \"quoted\"", 'empty': None},
                {'day': '2026-02-01T08:30:00', 'amount': '-3', 'name': "二",
                    'empty': None},
                ])

    def test_xlsx(self):
        "XLSX keeps dates as dates and numbers as numbers"
        self.assertEqual(parse_xlsx(self._write('xlsx')), [
                COLUMNS,
                [dt.datetime(2026, 1, 31), 12.5, "Ünïcode, \"quoted\"", None],
                [dt.datetime(2026, 2, 1, 8, 30), -3, "二", None],
                ])

    def _peak(self, format_, count):
        rows = ((i, 'row %d' % i, dt.date(2026, 1, 1)) for i in range(count))
        with tempfile.TemporaryFile() as output:
            tracemalloc.start()
            try:
                write(output, format_, ['id', 'name', 'day'], rows)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    def test_memory_flat(self):
        "The memory of an export does not grow with the row count"
        for format_, count in [('csv', 20_000), ('xlsx', 2_000)]:
            with self.subTest(format_=format_):
                small = self._peak(format_, count)
                large = self._peak(format_, count * 10)
                self.assertLess(large, small * 1.5 + 64 * 1024)


class ExportUrlTestCase(unittest.TestCase):
    "The URLs of the downloads that sao opens"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    @with_transaction()
    def test_report_url(self):
        "A report's URL carries the filters of its context"
        url = report_url('crm.bi.pipeline', 'csv', {
                'company': 1, 'from_date': dt.date(2026, 1, 1),
                'team': None, 'language': 'en'})
        self.assertTrue(url.endswith(
                '/crm_bi/export/report/crm.bi.pipeline.csv'
                '?company=1&from_date=2026-01-01'), url)


class ExportTestCase(RouteTestCase):
    "The downloads and feeds over HTTP"
    module = 'crm_bi'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Application = pool.get('res.user.application')
        Query = pool.get('crm.bi.query')
        company = create_company()
        with set_company(company):
            users, _ = create_pipeline(company)
            users.update(create_staff(company, {
                        'designer': ("Designer", DESIGNER),
                        }, PASSWORD))
            cls.company_id = company.id
            cls.keys = {}
            for login in ['south', 'analyst', 'designer']:
                application, = Application.create([{
                            'user': users[login].id,
                            'application': 'crm_bi',
                            'key': 'key-of-%s-%s' % (login, 'x' * 20),
                            'state': 'validated',
                            }])
                cls.keys[login] = application.key
            cls.rest_key, = [a.key for a in Application.create([{
                            'user': users['analyst'].id,
                            'application': 'rest',
                            'key': 'rest-key-of-the-analyst-0123456789',
                            'state': 'validated',
                            }])]
            with as_user(users['designer']):
                query, = Query.create([{
                            'name': "Languages",
                            'sql': "SELECT code, name FROM ir_lang "
                            "WHERE code LIKE :prefix ORDER BY code",
                            'parameters': [('create', [{
                                            'name': 'prefix',
                                            'type': 'char',
                                            'default': 'e%',
                                            }])],
                            }])
            cls.query_id = query.id

    def feed(self, path, login=None, key=None):
        headers = {}
        if login or key:
            headers['Authorization'] = 'Bearer ' + (key or self.keys[login])
        return self.client().get(
            f'/{self.db_name}/crm_bi/feed/{path}', headers=headers)

    def report(self, login, name):
        """Return the columns and rows of the report as the user reads it
        in the database"""
        with Transaction().start(self.db_name, 0, readonly=True):
            pool = Pool()
            User = pool.get('res.user')
            user, = User.search([('login', '=', login)])
            with as_user(user), Transaction().set_context(
                    company=self.company_id):
                rows = report_rows(pool.get(name))
                return next(rows), list(rows)

    def test_no_key_refused(self):
        "A feed without a key, with a wrong key or another kind of key: 401"
        for key in [None, 'wrong-key-0123456789012345', self.rest_key]:
            with self.subTest(key=key):
                response = self.feed('report/crm.bi.pipeline.json', key=key)
                self.assertEqual(response.status_code, 401)
                self.assertNotIn(b'4000', response.data)

    def test_report_feed_json(self):
        "The JSON feed is the report's rows with ISO dates and its columns"
        columns, rows = self.report('analyst', 'crm.bi.pipeline')
        response = self.feed(
            'report/crm.bi.pipeline.json?company=%s' % self.company_id,
            'analyst')
        self.assertEqual(response.status_code, 200)
        data = json.loads(response.data)
        self.assertEqual(len(data), len(rows))
        self.assertEqual(list(data[0]), columns)
        self.assertEqual(
            sorted(Decimal(r['amount']) for r in data),
            sorted(Decimal(str(r[columns.index('amount')])) for r in rows))
        self.assertEqual(
            sum(Decimal(r['amount']) for r in data), Decimal(7000))

    def test_report_feed_rules(self):
        "South's feed holds South's rows only; another company's nothing"
        data = json.loads(self.feed(
                'report/crm.bi.pipeline.json?company=%s' % self.company_id,
                'south').data)
        self.assertEqual(
            [Decimal(r['amount']) for r in data], [Decimal(4000)])
        data = json.loads(self.feed(
                'report/crm.bi.pipeline.json?company=%s' % 9999,
                'analyst').data)
        self.assertEqual(data, [])

    def test_report_feed_csv_xlsx(self):
        "The CSV and XLSX of every report parse back to the report's rows"
        for name in ['crm.bi.pipeline', 'crm.bi.forecast', 'crm.bi.funnel',
                'crm.bi.performance']:
            columns, rows = self.report('analyst', name)
            for format_ in ['csv', 'xlsx']:
                with self.subTest(name=name, format_=format_):
                    response = self.feed('report/%s.%s?company=%s' % (
                            name, format_, self.company_id), 'analyst')
                    self.assertEqual(response.status_code, 200)
                    parse = parse_csv if format_ == 'csv' else parse_xlsx
                    data = parse(response.data)
                    self.assertEqual(data[0], columns)
                    self.assertEqual(len(data) - 1, len(rows))
                    for row, got in zip(rows, data[1:]):
                        self.assertEqual(got[0], row[0] if format_ == 'xlsx'
                            else str(row[0]))

    def test_report_refused(self):
        "A report the user may not read is 403; a model that is not one 404"
        self.assertEqual(self.feed(
                'report/crm.bi.service.csv', 'south').status_code, 403)
        self.assertEqual(self.feed(
                'report/res.user.csv', 'analyst').status_code, 404)
        self.assertEqual(self.feed(
                'report/crm.bi.pipeline.pdf', 'analyst').status_code, 404)

    def test_query_feed(self):
        "A saved query's feed binds the parameters of the request"
        data = json.loads(self.feed(
                'query/%s.json' % self.query_id, 'designer').data)
        codes = [r['code'] for r in data]
        self.assertIn('en', codes)
        self.assertTrue(all(c.startswith('e') for c in codes))
        data = json.loads(self.feed(
                'query/%s.json?prefix=fr' % self.query_id, 'designer').data)
        self.assertEqual([r['code'] for r in data], ['fr'])
        # The CRM analyst is no BI user: no query at all
        self.assertEqual(self.feed(
                'query/%s.json' % self.query_id, 'analyst').status_code, 403)

    def login(self, login):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login', json={
                'method': 'common.db.login',
                'params': [login, {'password': PASSWORD}, 'en'],
                })
        self.assertEqual(response.status_code, 200)
        return client

    def test_query_export_session(self):
        "sao's session downloads the query's XLSX; without it: 401"
        path = f'/{self.db_name}/crm_bi/export/query/{self.query_id}.xlsx'
        self.assertEqual(self.client().get(path).status_code, 401)
        response = self.login('designer').get(path + '?prefix=%25')
        self.assertEqual(response.status_code, 200)
        data = parse_xlsx(response.data)
        self.assertEqual(data[0], ['code', 'name'])
        self.assertTrue({'en', 'fr', 'zh_CN'} <= {r[0] for r in data[1:]})
        # A session is not a feed key
        self.assertEqual(self.login('designer').get(
                f'/{self.db_name}/crm_bi/feed/query/{self.query_id}.csv'
                ).status_code, 401)

    def test_report_export_session(self):
        "sao's session downloads a report as CSV"
        client = self.login('analyst')
        response = client.get(
            f'/{self.db_name}/crm_bi/export/report/crm.bi.pipeline.csv'
            f'?company={self.company_id}')
        self.assertEqual(response.status_code, 200)
        self.assertIn('attachment', response.headers['Content-Disposition'])
        columns, rows = self.report('analyst', 'crm.bi.pipeline')
        self.assertEqual(parse_csv(response.data)[0], columns)
        self.assertEqual(len(parse_csv(response.data)) - 1, len(rows))

    def test_basic_auth_key(self):
        "Excel's Power Query sends the key as the Basic password"
        headers = {'Authorization': 'Basic ' + base64.b64encode(
                ('analyst:' + self.keys['analyst']).encode()).decode()}
        response = self.client().get(
            f'/{self.db_name}/crm_bi/feed/report/crm.bi.pipeline.csv'
            f'?company={self.company_id}', headers=headers)
        self.assertEqual(response.status_code, 200)
