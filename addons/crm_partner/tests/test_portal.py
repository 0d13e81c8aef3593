# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's accounts, customer pages and partner pages over HTTP, and
what an attacker tries against them."""
import datetime
import re
from http import HTTPStatus
from unittest.mock import patch

from trytond.modules.crm_partner.tests.portal_tools import (
    PASSWORD, SENDER, SLEEP, PortalTestCase)
from trytond.pool import Pool
from trytond.transaction import Transaction


class PortalAccountTestCase(PortalTestCase):
    "Log in, out, reset the password, validate the e-mail"

    def test_anonymous_redirected_to_login(self):
        "An anonymous visitor of any page is sent to the login"
        client = self.client()
        for path in ['', 'cases', f'cases/{self.ids["alice_case"]}',
                'orders', 'invoices', 'articles', 'catalogue', 'cart']:
            with self.subTest(path=path):
                response = client.get(self.url(path))
                self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
                self.assertIn('/crm_partner/portal/login?next=',
                    response.headers['Location'])

    def test_login_page(self):
        "The login page in English and Chinese, with labels and a token"
        client = self.client()
        # The test database has no Chinese translations loaded
        for lang, html_lang, text in [
                ('en', 'en', 'Log in'), ('zh_CN', 'zh-CN', '简体中文')]:
            with self.subTest(lang=lang):
                response = client.get(self.url(f'login?lang={lang}'))
                self.assertEqual(response.status_code, HTTPStatus.OK)
                page = self.text(response)
                self.assertIn(f'<html lang="{html_lang}">', page)
                self.assertIn(text, page)
                self.assertIn('<label for="email">', page)
                self.assertIn('name="csrf_token"', page)
                self.assertEqual(
                    response.headers['X-Frame-Options'], 'DENY')
        # The choice is kept by a cookie
        self.assertIn('<html lang="zh-CN">',
            self.text(client.get(self.url('login'))))

    def test_login_cookie(self):
        "The session cookie is HttpOnly, SameSite=Lax and expires"
        client, response = self.login()
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        cookie = self.set_cookies(response)['crm_portal_session']
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertIn('Max-Age=', cookie)
        self.assertIn('Path=/', cookie)
        page = self.text(client.get(self.url()))
        self.assertIn('Welcome, Alice Customer', page)

    def test_wrong_password(self):
        "A wrong password answers a clear message, no session"
        client, response = self.login(password='wrong')
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        self.assertIn('Wrong e-mail or password.', self.text(response))
        self.assertNotIn('crm_portal_session', self.set_cookies(response))

    def test_throttled(self):
        "After too many failures the login says to wait"
        client = self.client()
        for _ in range(8):
            client, response = self.login(
                email='throttle@example.com', password='x', client=client)
        self.assertEqual(
            response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertIn('Too many failed logins', self.text(response))

    def test_session_fixation(self):
        "A session key set before the login is never the logged-in one"
        client = self.client()
        client.set_cookie('crm_portal_session', 'attacker-chosen-key',
            path=f'/{self.db_name}/crm_partner/portal/')
        client, response = self.login(client=client)
        cookie = self.set_cookies(response)['crm_portal_session']
        self.assertNotIn('attacker-chosen-key', cookie)
        # The known key opens nothing
        other = self.client()
        other.set_cookie('crm_portal_session', 'attacker-chosen-key',
            path=f'/{self.db_name}/crm_partner/portal/')
        self.assertEqual(other.get(self.url('cases')).status_code,
            HTTPStatus.SEE_OTHER)

    def test_new_session_each_login(self):
        "Two logins make two sessions"
        _, first = self.login()
        _, second = self.login()
        self.assertNotEqual(
            self.set_cookies(first)['crm_portal_session'],
            self.set_cookies(second)['crm_portal_session'])

    def test_logout(self):
        "The session ends at the logout, on the server too"
        client, response = self.login()
        key = re.search(r'crm_portal_session=([^;]+)',
            self.set_cookies(response)['crm_portal_session']).group(1)
        response = self.post(client, 'logout', {}, form='')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        other = self.client()
        other.set_cookie('crm_portal_session', key,
            path=f'/{self.db_name}/crm_partner/portal/')
        self.assertEqual(other.get(self.url('')).status_code,
            HTTPStatus.SEE_OTHER)

    def test_post_without_csrf(self):
        "A POST without the token or with another's token is refused"
        client, _ = self.login()
        for data in [{}, {'csrf_token': 'forged'}]:
            with self.subTest(data=data):
                response = client.post(self.url('cases/new'), data=dict(
                        data, subject="CSRF case", description="x"))
                self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
                self.assertIn('Nothing was saved', self.text(response))
        # The token of another session
        other, _ = self.login('bob@example.com')
        token = self.csrf(other, 'cases/new')
        response = client.post(self.url('cases/new'), data={
                'csrf_token': token, 'subject': "CSRF case",
                'description': "x"})
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertEqual(self.query(lambda pool: pool.get(
                    'crm.service.case').search_count(
                    [('subject', '=', "CSRF case")])), 0)

    def test_login_without_csrf(self):
        "The login form checks its token too"
        with patch(SLEEP):
            response = self.client().post(self.url('login'), data={
                    'email': 'alice@example.com', 'password': PASSWORD})
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)

    def test_expired_session_mid_form(self):
        "A form posted after the session expired writes nothing"
        client, _ = self.login()
        token = self.csrf(client, 'cases/new')
        # [session] web_timeout passed while the customer wrote
        with patch('trytond.modules.web_user.user.UserSession.timeout',
                return_value=datetime.timedelta(0)):
            response = client.post(self.url('cases/new'), data={
                    'csrf_token': token, 'subject': "Late case",
                    'description': "x"})
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        self.assertIn('Your session has expired', self.text(response))
        self.assertEqual(self.query(lambda pool: pool.get(
                    'crm.service.case').search_count(
                    [('subject', '=', "Late case")])), 0)

    def test_reset_password(self):
        "The reset token sets the password once, not after it expired"
        client = self.client()
        with patch(SENDER) as send:
            response = self.post(client, 'reset-password',
                {'email': 'bob@example.com'})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn('If an account has this e-mail', self.text(response))
        self.assertEqual(send.call_count, 1)
        message = send.call_args[0][0]
        self.assertIn('/crm_partner/portal/set-password?',
            message.get_payload(decode=True).decode())
        token = self.query(lambda pool: pool.get('web.user').search(
                [('email', '=', 'bob@example.com')])[0].reset_password_token)
        data = {'email': 'bob@example.com', 'token': token,
            'password': 'new-secret-77', 'confirm': 'new-secret-77'}
        with patch(SLEEP):
            response = self.post(client, 'set-password', data)
            self.assertEqual(response.status_code, HTTPStatus.OK)
            self.assertIn('Your new password is set', self.text(response))
            # Single use
            response = self.post(client, 'set-password', data)
            self.assertEqual(
                response.status_code, HTTPStatus.BAD_REQUEST)
        _, response = self.login('bob@example.com', 'new-secret-77')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)

        # An expired token
        with patch(SENDER):
            self.post(client, 'reset-password', {'email': 'bob@example.com'})

        def expire(pool):
            WebUser = pool.get('web.user')
            users = WebUser.search([('email', '=', 'bob@example.com')])
            WebUser.write(users, {
                    'reset_password_token_expire': (
                        datetime.datetime.now()
                        - datetime.timedelta(minutes=1))})
            return users[0].reset_password_token
        token = with_commit(self, expire)
        with patch(SLEEP):
            response = self.post(client, 'set-password', dict(
                    data, token=token, password='other-secret-88',
                    confirm='other-secret-88'))
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('invalid or has expired', self.text(response))
        _, response = self.login('bob@example.com', 'other-secret-88')
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        # Back to the password the other tests use
        with_commit(self, lambda pool: pool.get('web.user').write(
                pool.get('web.user').search(
                    [('email', '=', 'bob@example.com')]),
                {'password': PASSWORD}))

    def test_reset_unknown_email(self):
        "An unknown address gets the same answer, and no e-mail"
        with patch(SENDER) as send:
            response = self.post(self.client(), 'reset-password',
                {'email': 'nobody@example.com'})
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn('If an account has this e-mail', self.text(response))
        send.assert_not_called()

    def test_validate_email(self):
        "The validation link confirms the address once"
        def token(pool):
            WebUser = pool.get('web.user')
            user, = WebUser.search([('email', '=', 'pat@example.com')])
            user.email_token = 'validate-me-1234'
            user.save()
        with_commit(self, token)
        client = self.client()
        response = client.get(
            self.url('validate-email?token=validate-me-1234'))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn('is confirmed', self.text(response))
        response = client.get(
            self.url('validate-email?token=validate-me-1234'))
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)


def with_commit(test, function):
    "Run the function in a committed transaction of the test database"
    with Transaction().start(test.db_name, 0) as transaction:
        result = function(Pool())
        transaction.commit()
    return result
