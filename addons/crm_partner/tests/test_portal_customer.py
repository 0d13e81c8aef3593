# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A customer's cases, articles, orders and invoices on the portal, and
another customer trying to reach them."""
import re
from http import HTTPStatus
from unittest.mock import patch

from trytond.modules.crm_partner.tests.portal_tools import (
    NOTIFY, PortalTestCase, sent_emails)


class PortalCustomerTestCase(PortalTestCase):
    "The customer pages"

    def test_cases_paginated_and_searched(self):
        "The customer's own cases, 20 a page, searched by subject"
        client, _ = self.login()
        page = self.text(client.get(self.url('cases')))
        self.assertEqual(page.count('<tr>') - 1, 20)
        self.assertNotIn('Bob secret', page)
        self.assertIn('rel="next"', page)
        page = self.text(client.get(self.url('cases?page=2')))
        self.assertEqual(page.count('<tr>') - 1, 4)
        page = self.text(client.get(self.url('cases?q=question+07')))
        self.assertIn('Alice question 07', page)
        self.assertEqual(page.count('<tr>') - 1, 1)
        page = self.text(client.get(self.url('cases?q=secret')))
        self.assertNotIn('Bob secret', page)
        self.assertIn('Nothing to show', page)

    def test_case_detail_escaped(self):
        "The case's text is shown escaped"
        client, _ = self.login()
        page = self.text(client.get(
                self.url(f'cases/{self.ids["alice_case"]}')))
        self.assertIn('Question &lt;b&gt;bold&lt;/b&gt;', page)

    def test_new_case_and_reply(self):
        "A new case of the portal channel, then a reply"
        client, _ = self.login()
        response = self.post(client, 'cases/new', {
                'subject': "Printer <script>x</script>",
                'description': "It beeps."})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        path = response.headers['Location']
        case_id = int(re.search(r'cases/(\d+)', path).group(1))
        page = self.text(client.get(path))
        self.assertIn('is received', page)
        self.assertIn('Printer &lt;script&gt;x&lt;/script&gt;', page)
        response = self.post(client, f'cases/{case_id}/reply',
            {'text': "More <i>details</i>"}, form=f'cases/{case_id}')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        page = self.text(client.get(self.url(f'cases/{case_id}')))
        self.assertIn('More &lt;i&gt;details&lt;/i&gt;', page)

        def case(pool):
            Case = pool.get('crm.service.case')
            case = Case(case_id)
            return case.channel, case.party.name
        self.assertEqual(self.query(case), ('portal', "Alice Customer"))

    def test_reply_emailed_escaped(self):
        """The reply goes to the case's agent: as written in the text part,
        escaped in the HTML part and on the page"""
        client, _ = self.login()
        path = f'cases/{self.ids["alice_case"]}'
        reply = "Still <script>alert(1)</script> & jammed"
        escaped = 'Still &lt;script&gt;alert(1)&lt;/script&gt; &amp; jammed'
        with patch(NOTIFY) as send:
            response = self.post(client, f'{path}/reply', {'text': reply},
                form=path)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        (to, subject, text, html), = sent_emails(send)
        self.assertEqual(to, 'agent@example.com')
        self.assertIn("Reply on case", subject)
        self.assertIn(reply, text)
        self.assertIn(escaped, html)
        self.assertNotIn('<script>', html)
        page = self.text(client.get(self.url(path)))
        self.assertIn(escaped, page)
        self.assertNotIn('<script>alert', page)

    def test_new_case_bad_input(self):
        "Missing fields are said on the page, nothing is created"
        client, _ = self.login()
        response = self.post(client, 'cases/new', {
                'subject': "", 'description': "Only a description",
                'category': '999999'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        page = self.text(response)
        self.assertIn('id="subject-error">Subject is required.', page)
        self.assertIn('id="category-error"', page)
        self.assertIn('Only a description', page)

    def test_rate_resolved_case(self):
        "A resolved case is rated once"
        client, _ = self.login()
        path = f'cases/{self.ids["resolved"]}'
        self.assertIn('Rate our service', self.text(client.get(
                    self.url(path))))
        response = self.post(client, f'{path}/rate',
            {'score': '6'}, form=path)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        response = self.post(client, f'{path}/rate',
            {'score': '4', 'comment': "Quick"}, form=path)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn('You rated this case 4 out of 5',
            self.text(client.get(self.url(path))))
        response = self.post(client, f'{path}/rate',
            {'score': '1'}, form=path)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('already rated', self.text(response))

    def test_open_case_not_rated(self):
        "An open case cannot be rated"
        client, _ = self.login()
        path = f'cases/{self.ids["alice_case"]}'
        response = self.post(client, f'{path}/rate', {'score': '5'},
            form=path)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

    def test_articles(self):
        "Public articles and their search, in English and Chinese"
        client, _ = self.login()
        page = self.text(client.get(self.url('articles')))
        self.assertIn('Clear a paper jam', page)
        self.assertIn('打印机卡纸怎么办', page)
        self.assertNotIn('Internal price rules', page)
        page = self.text(client.get(self.url('articles?q=paper')))
        self.assertIn('Clear a paper jam', page)
        self.assertNotIn('Internal', page)
        page = self.text(client.get(self.url('articles?q=卡纸')))
        self.assertIn('打印机卡纸怎么办', page)
        self.assertNotIn('Clear a paper jam', page)
        page = self.text(client.get(
                self.url(f'articles/{self.ids["public"]}')))
        self.assertIn('pull the paper gently', page)
        self.assertNotIn('<script>', page)
        response = client.get(self.url(f'articles/{self.ids["internal"]}'))
        self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND)

    def test_orders_and_invoices(self):
        "The customer's own orders and invoices with their documents"
        client, _ = self.login()
        page = self.text(client.get(self.url('orders')))
        self.assertIn(f'orders/{self.ids["alice_sale"]}', page)
        self.assertNotIn(f'orders/{self.ids["bob_sale"]}', page)
        page = self.text(client.get(self.url('orders?q=ALICE-PO')))
        self.assertIn(f'orders/{self.ids["alice_sale"]}', page)
        page = self.text(client.get(
                self.url(f'orders/{self.ids["alice_sale"]}')))
        self.assertIn('Drum unit', page)
        self.assertIn('200.00', page)
        response = client.get(
            self.url(f'orders/{self.ids["alice_sale"]}/document'))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertIn('attachment', response.headers['Content-Disposition'])
        self.assertTrue(response.data.startswith(b'%PDF'))
        page = self.text(client.get(self.url('invoices')))
        self.assertIn('INV-A', page)
        self.assertNotIn('INV-B', page)
        response = client.get(
            self.url(f'invoices/{self.ids["alice_invoice"]}/document'))
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.mimetype, 'application/pdf')
        self.assertIn('INV-A', response.headers['Content-Disposition'])
        self.assertTrue(
            response.headers['Content-Disposition'].endswith('.pdf'))
        self.assertTrue(response.data.startswith(b'%PDF'))

    def test_another_customers_records(self):
        "Another customer's records by guessed id answer 404"
        client, _ = self.login('bob@example.com')
        ids = self.ids
        for method, path in [
                ('get', f'cases/{ids["alice_case"]}'),
                ('post', f'cases/{ids["alice_case"]}/reply'),
                ('post', f'cases/{ids["resolved"]}/rate'),
                ('get', f'orders/{ids["alice_sale"]}'),
                ('get', f'orders/{ids["alice_sale"]}/document'),
                ('post', f'orders/{ids["alice_sale"]}/confirm'),
                ('get', f'invoices/{ids["alice_invoice"]}/document'),
                ('get', 'cases/999999'),
                ('get', 'orders/999999'),
                ]:
            with self.subTest(method=method, path=path):
                if method == 'get':
                    response = client.get(self.url(path))
                else:
                    response = self.post(client, path, {
                            'text': "Hijack", 'score': '1'}, form='')
                self.assertEqual(
                    response.status_code, HTTPStatus.NOT_FOUND)
                self.assertIn('not yours', self.text(response))

        def unchanged(pool):
            Activity = pool.get('crm.activity')
            Sale = pool.get('sale.sale')
            Case = pool.get('crm.service.case')
            return (
                Activity.search_count([('description', '=', "Hijack")]),
                Sale(ids['alice_sale']).state,
                [r.score for r in Case(ids['resolved']).ratings])
        result = self.query(unchanged)
        self.assertEqual(result[:2], (0, 'quotation'))
        self.assertNotIn(1, result[2])

    def test_chinese_pages(self):
        "The pages speak Chinese when asked"
        client, _ = self.login()
        page = self.text(client.get(self.url('cases?lang=zh_CN')))
        self.assertIn('<html lang="zh-CN">', page)
        # The choice is kept for the next pages
        page = self.text(client.get(self.url('orders')))
        self.assertIn('<html lang="zh-CN">', page)
