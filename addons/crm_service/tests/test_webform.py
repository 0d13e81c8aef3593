# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import io
import re
import time
from http import HTTPStatus
from unittest.mock import patch

from trytond.modules.company.tests import create_company
from trytond.modules.crm_service import intake, webform
from trytond.modules.crm_service.tests.test_intake import (
    create_caller, create_line)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, RouteTestCase, with_transaction)
from trytond.transaction import Transaction

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


class WebFormRouteTestCase(RouteTestCase):
    "Test the public web form"
    module = 'crm_service'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Creating the configuration singleton locks its table
        with Transaction().start(DB_NAME, 1,
                _lock_tables=['crm_service_configuration']):
            Configuration = Pool().get('crm.service.configuration')
            Configuration.write([Configuration(1)], {
                    'request_line': cls.line_id})

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        cls.line_id = create_line(company).id
        Category = Pool().get('crm.service.case.category')
        general, = Category.search([('name', '=', "General")])
        # Listed under its parent, not after "Software" as by its name
        Category.create([{'name': "Toner", 'parent': general.id}])
        cls.party_id = create_caller(
            company, "Known Customer", email='known@example.com').id

    def url(self, lang=None):
        url = f'/{self.db_name}/crm_service/request'
        return url + (f'?lang={lang}' if lang else '')

    def get_token(self, ip):
        response = self.client().get(
            self.url(), environ_base={'REMOTE_ADDR': ip})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        return TOKEN_RE.search(response.get_data(as_text=True)).group(1)

    def post(self, ip, data, delay=10, lang=None):
        "Post the form as if it was filled in delay seconds"
        with patch.object(intake, 'time') as clock:
            clock.time.return_value = time.time() + delay
            return self.client().post(
                self.url(lang), data=data,
                environ_base={'REMOTE_ADDR': ip})

    def form(self, ip, **values):
        data = {
            'token': self.get_token(ip),
            'name': "Ann Smith",
            'email': 'ann@example.com',
            'phone': '+86 139 0000 0002',
            'subject': "Printer jams",
            'description': "Paper jams on every page.",
            'website': '',
            'consent': 'yes',
            }
        data.update(values)
        return data

    @with_transaction()
    def cases(self, **domain):
        Case = Pool().get('crm.service.case')
        return [(c.number, c.party.id if c.party else None, c.channel,
                c.requester_email, c.caller_number, c.subject)
            for c in Case.search(
                [(k, '=', v) for k, v in domain.items()])]

    def test_form_languages(self):
        "The form speaks English or Chinese as asked"
        client = self.client()
        for args, headers, lang in [
                ({}, {}, 'en'),
                ({'lang': 'zh_CN'}, {}, 'zh-CN'),
                ({}, {'Accept-Language': 'zh-CN,zh;q=0.9'}, 'zh-CN'),
                ({'lang': 'en'}, {'Accept-Language': 'zh-CN'}, 'en'),
                ]:
            with self.subTest(args=args, headers=headers):
                response = client.get(
                    self.url(args.get('lang')), headers=headers)
                self.assertEqual(response.status_code, HTTPStatus.OK)
                self.assertEqual(response.mimetype, 'text/html')
                text = response.get_data(as_text=True)
                self.assertIn(f'<html lang="{lang}">', text)
                self.assertRegex(text, TOKEN_RE)
                self.assertIn('name="website"', text)
                self.assertIn('Hardware', text)

    def test_request(self):
        "A request creates a web case of the customer with the e-mail"
        response = self.post('10.0.0.1', self.form(
                '10.0.0.1', email='KNOWN@example.com'))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        text = response.get_data(as_text=True)
        number = re.search(r'case (\S+):', text).group(1)
        (case,) = self.cases(number=number)
        self.assertEqual(case, (
                number, self.party_id, 'web', 'KNOWN@example.com',
                '+8613900000002', "Printer jams"))

    @with_transaction()
    def stored(self, subject):
        "The consent, its time and the attachments of the case"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Attachment = pool.get('ir.attachment')
        case, = Case.search([('subject', '=', subject)])
        attachments = Attachment.search([('resource', '=', str(case))])
        return (case.privacy_consent, case.privacy_consent_date,
            [(a.name, bytes(a.data)) for a in attachments])

    def test_form_layout(self):
        "The form marks its required fields, asks consent and a file"
        client = self.client()
        for lang, switch in [(None, '简体中文'), ('zh_CN', 'English')]:
            with self.subTest(lang=lang):
                text = client.get(self.url(lang)).get_data(as_text=True)
                self.assertIn('enctype="multipart/form-data"', text)
                self.assertIn('id="privacy-notice"', text)
                self.assertRegex(
                    text, r'id="consent" name="consent" type="checkbox" '
                    r'value="yes" required')
                self.assertIn('type="file" accept=".pdf,.png,.jpg', text)
                self.assertIn('hreflang', text)
                self.assertIn(switch, text)
                for name in ['name', 'email', 'subject']:
                    self.assertRegex(
                        text, rf'<input id="{name}" [^>]* required')
                self.assertRegex(text, r'<input id="phone" (?![^>]*required)')

    def test_categories_sorted(self):
        "The categories are listed by name, each under its parent"
        text = self.client().get(self.url()).get_data(as_text=True)
        names = re.findall(
            r'<option value="\d+">([^<]+)</option>', text)
        self.assertEqual(names, [
                "General", "General / Toner", "Hardware", "Software"])

    def test_request_attachment_consent(self):
        "A request keeps the consent with its time and the attached file"
        before = datetime.datetime.now()
        content = b'%PDF-1.4\n1 0 obj\n'
        response = self.post('10.0.1.1', self.form('10.0.1.1',
                subject="With file", attachment=(
                    io.BytesIO(content), '../../tmp/jam.pdf')))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        consent, date, attachments = self.stored("With file")
        self.assertTrue(consent)
        self.assertGreaterEqual(date, before.replace(microsecond=0))
        self.assertEqual(attachments, [('jam.pdf', content)])

    def test_no_consent(self):
        "A request without consent shows the form again, nothing created"
        data = self.form('10.0.1.2', subject="No consent")
        del data['consent']
        response = self.post('10.0.1.2', data)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        text = response.get_data(as_text=True)
        self.assertIn('id="consent-error">Agree to the privacy notice', text)
        self.assertIn('value="No consent"', text)
        self.assertEqual(self.cases(subject="No consent"), [])

    def test_attachment_too_large(self):
        "A file over the limit is refused with 413, translated"
        content = b'%PDF-' + b'0' * webform.ATTACHMENT_SIZE
        response = self.post('10.0.1.3', self.form('10.0.1.3',
                subject="Big file",
                attachment=(io.BytesIO(content), 'big.pdf')), lang='zh_CN')
        self.assertEqual(
            response.status_code, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        text = response.get_data(as_text=True)
        self.assertIn(
            'id="attachment-error">The attachment is larger than 5 MB', text)
        self.assertIn('value="Big file"', text)
        self.assertEqual(self.cases(subject="Big file"), [])

    def test_request_too_large(self):
        "A post over the request limit is refused with 413, translated"
        content = b'0' * (webform.ATTACHMENT_SIZE + webform.FORM_SIZE)
        response = self.post('10.0.1.4', self.form('10.0.1.4',
                subject="Huge post",
                attachment=(io.BytesIO(content), 'huge.pdf')))
        self.assertEqual(
            response.status_code, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        text = response.get_data(as_text=True)
        self.assertIn('larger than 5 MB', text)
        self.assertEqual(self.cases(subject="Huge post"), [])

    def test_attachment_type(self):
        "A file of another type, or named as another, is refused with 415"
        for filename, content in [
                ('run.exe', b'MZ\x90\x00'),
                ('page.html', b'<script>alert(1)</script>'),
                ('fake.pdf', b'<script>alert(1)</script>'),
                ('photo.png', b'\xff\xd8\xff\xe0'),
                ('notes.txt', b'\x00\x01binary'),
                ('empty.txt', b''),
                ]:
            with self.subTest(filename=filename):
                response = self.post('10.0.1.5', self.form('10.0.1.5',
                        email=f'{filename}@example.com', subject="Typed",
                        attachment=(io.BytesIO(content), filename)))
                self.assertEqual(response.status_code,
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
                self.assertIn('id="attachment-error">This type of file',
                    response.get_data(as_text=True))
        self.assertEqual(self.cases(subject="Typed"), [])

    def test_request_unknown_email(self):
        "A request from an unknown e-mail makes a case without party"
        response = self.post('10.0.0.2', self.form(
                '10.0.0.2', email='new@example.com', phone='',
                subject="Refund"))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        (case,) = self.cases(subject="Refund")
        self.assertEqual(case[1:], (
                None, 'web', 'new@example.com', None, "Refund"))

    def test_honeypot(self):
        "A form with the hidden field filled creates nothing"
        response = self.post('10.0.0.3', self.form(
                '10.0.0.3', website='http://spam.example.com',
                subject="Honeypot"))
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('could not be verified', response.get_data(
                as_text=True))
        self.assertEqual(self.cases(subject="Honeypot"), [])

    def test_too_fast(self):
        "A form posted within seconds of its rendering creates nothing"
        response = self.post(
            '10.0.0.4', self.form('10.0.0.4', subject="Fast"), delay=0)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        text = response.get_data(as_text=True)
        self.assertIn('too fast', text)
        self.assertIn('value="Fast"', text)
        self.assertEqual(self.cases(subject="Fast"), [])

    def test_forged_token(self):
        "A forged, missing or expired token creates nothing"
        token = self.get_token('10.0.0.5')
        stamp, signature = token.split('.')
        old = str(int(stamp) - 60)
        for token, delay in [
                (f'{old}.{signature}', 10),
                (f'{stamp}.{"0" * len(signature)}', 10),
                ('', 10),
                ('garbage', 10),
                (token, 2 * 24 * 60 * 60),
                ]:
            with self.subTest(token=token, delay=delay):
                response = self.post('10.0.0.5', self.form(
                        '10.0.0.5', token=token, subject="Forged"),
                    delay=delay)
                self.assertEqual(
                    response.status_code, HTTPStatus.BAD_REQUEST)
                self.assertIn('could not be verified',
                    response.get_data(as_text=True))
        self.assertEqual(self.cases(subject="Forged"), [])

    def test_bad_input(self):
        "Missing or invalid fields show the form with errors, nothing created"
        response = self.post('10.0.0.6', self.form(
                '10.0.0.6', name='', email='not-an-email',
                subject="Bad input", description='', category='999999'))
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        text = response.get_data(as_text=True)
        self.assertIn('id="name-error">Name is required.', text)
        self.assertIn('id="description-error">Description is required.',
            text)
        self.assertIn('id="email-error">Write a valid e-mail', text)
        self.assertIn('id="category-error"', text)
        self.assertIn('value="Bad input"', text)
        self.assertEqual(self.cases(subject="Bad input"), [])

    def test_rate_limit(self):
        "An e-mail or an address posting too often is refused"
        for i in range(intake.REQUEST_RATE_EMAIL):
            response = self.post('10.0.0.7', self.form(
                    '10.0.0.7', email='busy@example.com',
                    subject=f"Busy {i}"))
            self.assertEqual(response.status_code, HTTPStatus.OK)
        response = self.post('10.0.0.8', self.form(
                '10.0.0.8', email='busy@example.com', subject="Busy x"))
        self.assertEqual(response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertIn('Too many requests', response.get_data(as_text=True))
        self.assertEqual(self.cases(subject="Busy x"), [])

        for i in range(intake.REQUEST_RATE_IP - 1):
            self.post('10.0.0.8', self.form(
                    '10.0.0.8', email=f'user{i}@example.com', name=''))
        response = self.post('10.0.0.8', self.form(
                '10.0.0.8', email='other@example.com', subject="Busy ip"))
        self.assertEqual(response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertEqual(self.cases(subject="Busy ip"), [])


del RouteTestCase
