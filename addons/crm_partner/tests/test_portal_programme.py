# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The partner programme on the portal: the scorecard, the leads proposed
to the partner and their deal registrations, from the partner's side and
from an attacker's."""
import datetime
import re
from http import HTTPStatus
from unittest.mock import patch

from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.crm_partner.tests.portal_tools import (
    NOTIFY, PortalTestCase, sent_emails)

BULK_LEADS = 21


def create_programme_data():
    pool = Pool()
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    Opportunity = pool.get('sale.opportunity')
    Assignment = pool.get('crm.partner.assignment')
    Activity = pool.get('crm.activity')
    Deal = pool.get('crm.partner.deal')
    Employee = pool.get('company.employee')
    company, = Company.search([])
    alice, = Party.search([('name', '=', "Alice Customer")])
    bob, = Party.search([('name', '=', "Bob Customer")])
    pat, = Party.search([('name', '=', "Pat Partner")])
    with Transaction().set_context(company=company.id):
        manager, = Employee.create([{
                    'company': company.id,
                    'party': Party.create([{'name': "Channel Manager",
                                    'contact_mechanisms': [('create', [{
                                                    'type': 'email',
                                                    'value':
                                                    'channel@example.com',
                                                    }])]}])[0].id,
                    }])
        pat.partner_manager = manager
        pat.save()
        names = ["Pat first", "Pat second", "Pat to decline", "Pat won",
            "Pat reassigned", "Pat withdrawn", "Pat closed", "Pat late",
            "Bob own"] + [
            f"Bulk lead {i:02d}" for i in range(BULK_LEADS)]
        opportunities = Opportunity.create([{
                    'company': company.id,
                    'currency': company.currency.id,
                    'party': alice.id,
                    'address': alice.addresses[0].id,
                    'description': name,
                    'comment': "Internal margin 40%",
                    } for name in names])
        by_name = dict(zip(names, opportunities))
        now = datetime.datetime.now()
        week = datetime.timedelta(days=7)
        assignments = Assignment.create([{
                    'company': company.id,
                    'opportunity': o.id,
                    'partner': (bob if name == "Bob own" else pat).id,
                    'reasons': "Internal scoring: territory",
                    'date': now - datetime.timedelta(hours=2),
                    'deadline': now - week if name == "Pat late"
                    else now + week,
                    } for name, o in by_name.items()])
        by_name = dict(zip(names, assignments))
        # Taken back from Pat while the page is open, given to Bob
        Assignment.withdraw(
            [by_name["Pat reassigned"], by_name["Pat withdrawn"]])
        Assignment.create([{
                    'company': company.id,
                    'opportunity': by_name["Pat reassigned"].opportunity.id,
                    'partner': bob.id,
                    'date': now,
                    }])
        # Lost by the staff while still proposed to Pat
        Opportunity.lost([by_name["Pat closed"].opportunity])
        Activity.create([{
                    'company': company.id, 'type': 'note', 'state': 'done',
                    'subject': "Staff note",
                    'description': "Internal: discount up to 30",
                    'resource': str(by_name["Pat first"].opportunity),
                    'planned_date': now,
                    }])
        today = datetime.date.today()
        held, = Deal.create([{
                    'company': company.id, 'partner': bob.id,
                    'currency': company.currency.id,
                    'customer_name': "Acme Widgets Ltd",
                    'state': 'approved',
                    'protected_until': today + datetime.timedelta(days=30),
                    }])
    ids = {name: by_name[name].id for name in [
            "Pat first", "Pat second", "Pat to decline", "Pat won",
            "Pat reassigned", "Pat withdrawn", "Pat closed", "Pat late",
            "Bob own"]}
    ids['held_deal'] = held.id
    return ids


class PortalProgrammeTestCase(PortalTestCase):
    "The partner programme pages"

    @classmethod
    def create_data(cls):
        ids = super().create_data()
        ids.update(create_programme_data())
        return ids

    def assignment(self, name):
        def read(pool):
            Assignment = pool.get('crm.partner.assignment')
            a = Assignment(self.ids[name])
            return a.state, a.decline_reason, a.opportunity.state
        return self.query(read)

    def deals_of(self, party_name):
        return self.query(lambda pool: [
                (d.customer_name, d.state)
                for d in pool.get('crm.partner.deal').search(
                    [('partner.name', '=', party_name)])])

    def test_dashboard(self):
        "The partner's home shows this quarter and the previous one"
        client, _ = self.login('pat@example.com')
        page = self.text(client.get(self.url()))
        self.assertIn('Your scorecard', page)
        for label in ['This quarter', 'Previous quarter', 'Revenue',
                'Win rate', 'Response time', 'Deal approval rate',
                'Proposed tier']:
            self.assertIn(label, page)
        client, _ = self.login('alice@example.com')
        self.assertNotIn('Your scorecard', self.text(client.get(self.url())))

    def test_leads_list_search_pages(self):
        "The live leads of the partner, searched and by pages"
        client, _ = self.login('pat@example.com')
        page = self.text(client.get(self.url('leads')))
        self.assertIn('Bulk lead', page)
        self.assertIn('1 / 2', page)
        self.assertNotIn('Bob own', page)
        self.assertNotIn('Internal scoring', page)
        page = self.text(client.get(self.url('leads?page=2')))
        self.assertIn('2 / 2', page)
        page = self.text(client.get(self.url('leads?q=second')))
        self.assertIn('Pat second', page)
        self.assertNotIn('Bulk lead', page)
        page = self.text(client.get(self.url('leads?q=reassigned')))
        self.assertIn('Nothing to show', page)

    def test_accept_stage_and_note(self):
        "An accepted lead is qualified, noted and lost by the partner"
        client, _ = self.login('pat@example.com')
        lead = f"leads/{self.ids['Pat first']}"
        page = self.text(client.get(self.url(lead)))
        self.assertNotIn('Internal', page)
        response = self.post(client, f'{lead}/stage',
            {'stage': 'opportunity'}, form=lead)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertIn('Accept the lead', self.text(response))
        response = self.post(client, f'{lead}/accept', {}, form=lead)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(self.assignment('Pat first')[0], 'accepted')

        response = self.post(client, f'{lead}/stage',
            {'stage': 'opportunity'}, form=lead)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(self.assignment('Pat first')[2], 'opportunity')
        response = self.post(client, f'{lead}/stage',
            {'stage': 'opportunity'}, form=lead)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)

        note = "Met them <script>alert(1)</script> & Co"
        with patch(NOTIFY) as send:
            response = self.post(client, f'{lead}/note', {'text': note},
                form=lead)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        (to, subject, text, html), = sent_emails(send)
        self.assertEqual(to, 'channel@example.com')
        self.assertIn("Note of Pat Partner", subject)
        self.assertIn(note, text)
        self.assertIn(
            'Met them &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co', html)
        self.assertNotIn('<script>', html)
        page = self.text(client.get(response.headers['Location']))
        self.assertIn(
            'Met them &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co', page)
        self.assertNotIn('<script>alert', page)
        self.assertNotIn('discount up to 30', page)
        self.assertNotIn('Internal margin', page)

        response = self.post(client, f'{lead}/stage', {'stage': 'lost'},
            form=lead)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(self.assignment('Pat first')[2], 'lost')

    def test_won(self):
        "A won lead is converted: the quotation is made for the customer"
        client, _ = self.login('pat@example.com')
        lead = f"leads/{self.ids['Pat won']}"
        self.post(client, f'{lead}/accept', {}, form=lead)
        response = self.post(client, f'{lead}/stage', {'stage': 'converted'},
            form=lead)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)

        def sales(pool):
            Assignment = pool.get('crm.partner.assignment')
            opportunity = Assignment(self.ids['Pat won']).opportunity
            return opportunity.state, [
                (s.party.name, s.state) for s in opportunity.sales]
        self.assertEqual(self.query(sales),
            ('converted', [("Alice Customer", 'draft')]))
        page = self.text(client.get(self.url(lead)))
        self.assertIn('Converted', page)
        self.assertNotIn('name="stage"', page)

    def test_decline(self):
        "A declined lead needs a reason and leaves the partner's list"
        client, _ = self.login('pat@example.com')
        lead = f"leads/{self.ids['Pat to decline']}"
        response = self.post(client, f'{lead}/decline', {'reason': ''},
            form=lead)
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        self.assertEqual(self.assignment('Pat to decline')[0], 'proposed')
        response = self.post(client, f'{lead}/decline',
            {'reason': "Too far"}, form=lead)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(self.assignment('Pat to decline')[:2],
            ('declined', "Too far"))
        self.assertEqual(client.get(self.url(lead)).status_code,
            HTTPStatus.NOT_FOUND)

    def test_decline_reassigned_or_late(self):
        """A lead given to another partner, taken back, lost or past its
        deadline: the message, no change"""
        client, _ = self.login('pat@example.com')
        token = self.csrf(client, 'leads')
        for name, message in [
                ("Pat reassigned", 'has been given to another partner'),
                ("Pat withdrawn", 'is no longer proposed'),
                ("Pat closed", 'is no longer open: it is Lost'),
                ("Pat late", 'had to be answered by')]:
            for action in ['decline', 'accept']:
                with self.subTest(name=name, action=action):
                    before = self.assignment(name)
                    response = client.post(
                        self.url(f'leads/{self.ids[name]}/{action}'),
                        data={'reason': "Busy", 'csrf_token': token})
                    self.assertEqual(
                        response.status_code, HTTPStatus.BAD_REQUEST)
                    self.assertIn(message, self.text(response))
                    self.assertEqual(self.assignment(name), before)

    def test_other_partner_lead(self):
        "Another partner's lead by its id: 404 and nothing changes"
        client, _ = self.login('pat@example.com')
        token = self.csrf(client, 'leads')
        other = self.ids['Bob own']
        self.assertEqual(client.get(self.url(f'leads/{other}')).status_code,
            HTTPStatus.NOT_FOUND)
        for action in ['accept', 'decline', 'stage', 'note']:
            with self.subTest(action=action):
                response = client.post(
                    self.url(f'leads/{other}/{action}'), data={
                        'reason': "x", 'text': "x", 'stage': 'lost',
                        'csrf_token': token})
                self.assertEqual(
                    response.status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(self.assignment('Bob own')[0], 'proposed')

    def test_answer_without_csrf(self):
        "Accept or decline without the CSRF token: 403, nothing changes"
        client, _ = self.login('pat@example.com')
        for action in ['accept', 'decline']:
            with self.subTest(action=action):
                response = client.post(self.url(
                        f"leads/{self.ids['Pat second']}/{action}"),
                    data={'reason': "x", 'csrf_token': 'forged'})
                self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        self.assertEqual(self.assignment('Pat second')[0], 'proposed')

    def test_customer_has_no_programme(self):
        "A customer that is not a partner gets 404 on leads and deals"
        client, _ = self.login('alice@example.com')
        token = self.csrf(client, 'cases')
        for path in ['leads', f"leads/{self.ids['Pat first']}", 'deals',
                'deals/new', f"deals/{self.ids['held_deal']}"]:
            with self.subTest(path=path):
                self.assertEqual(client.get(self.url(path)).status_code,
                    HTTPStatus.NOT_FOUND)
        response = client.post(self.url('deals/new'), data={
                'customer_name': "Sneaky", 'csrf_token': token})
        self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(self.deals_of("Alice Customer"), [])
        self.assertNotIn('Leads', self.text(client.get(self.url())))

    def test_register_deal(self):
        """A deal is registered, submitted and listed, its text escaped on
        the portal and in the e-mail to the channel manager"""
        client, _ = self.login('pat@example.com')
        description = "Two floors <script>alert(1)</script> & roof"
        with patch(NOTIFY) as send:
            response = self.post(client, 'deals/new', {
                    'customer_name': "Zeta <b>Corp</b>",
                    'contact_name': "Li Wei", 'email': 'li@zeta.example.com',
                    'phone': '+86 21 5555 0101', 'tax_identifier': 'CN-9911',
                    'product-0': 'TON-1', 'quantity-0': '4',
                    'description': description, 'amount': '1200.50',
                    'expected_close': '2027-03-31'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        (to, subject, text, html), = sent_emails(send)
        self.assertEqual(to, 'channel@example.com')
        self.assertIn("Zeta <b>Corp</b>", subject)
        self.assertIn(description, text)
        self.assertIn('Zeta &lt;b&gt;Corp&lt;/b&gt;', html)
        self.assertIn('Two floors &lt;script&gt;alert(1)&lt;/script&gt; '
            '&amp; roof', html)
        self.assertNotIn('<script>', html)
        self.assertNotIn('<b>Corp', html)
        path = response.headers['Location']
        page = self.text(client.get(path))
        self.assertIn('Two floors &lt;script&gt;alert(1)&lt;/script&gt; '
            '&amp; roof', page)
        self.assertIn('Zeta &lt;b&gt;Corp&lt;/b&gt;', page)
        self.assertIn('Submitted', page)
        self.assertIn('Toner cartridge', page)
        self.assertIn('1200.50', page)
        self.assertIn(("Zeta <b>Corp</b>", 'submitted'),
            self.deals_of("Pat Partner"))
        page = self.text(client.get(self.url('deals')))
        self.assertIn('Zeta &lt;b&gt;Corp&lt;/b&gt;', page)
        self.assertNotIn('Acme', page)
        # No way for the partner to approve their own registration
        deal_id = int(re.search(r'deals/(\d+)', path).group(1))
        token = self.csrf(client, 'deals')
        for action in ['approve', 'reject']:
            response = client.post(self.url(f'deals/{deal_id}/{action}'),
                data={'csrf_token': token})
            self.assertIn(response.status_code,
                {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED})
        self.assertIn(("Zeta <b>Corp</b>", 'submitted'),
            self.deals_of("Pat Partner"))

    def test_register_deal_held(self):
        "A customer another partner holds: the message, no registration"
        client, _ = self.login('pat@example.com')
        before = self.deals_of("Pat Partner")
        response = self.post(client, 'deals/new', {
                'customer_name': "ACME Widgets", 'amount': '10'})
        self.assertEqual(response.status_code, HTTPStatus.CONFLICT)
        page = self.text(response)
        self.assertIn('already registered by another partner', page)
        self.assertNotIn('Bob Customer', page)
        self.assertIn('value="ACME Widgets"', page)
        self.assertEqual(self.deals_of("Pat Partner"), before)

    def test_register_deal_invalid(self):
        "Bad values are shown on their fields and nothing is written"
        client, _ = self.login('pat@example.com')
        before = self.deals_of("Pat Partner")
        response = self.post(client, 'deals/new', {
                'customer_name': '', 'amount': 'lots',
                'expected_close': '31/03/2027',
                'product-0': 'NOPE', 'quantity-0': '-2'})
        self.assertEqual(response.status_code, HTTPStatus.BAD_REQUEST)
        page = self.text(response)
        for text in ['Customer name is required', 'amount is not valid',
                'date is not valid', 'No product has the code',
                'is not valid: write a whole number']:
            self.assertIn(text, page)
        self.assertEqual(self.deals_of("Pat Partner"), before)

    def test_other_partner_deal(self):
        "Another partner's deal by its id: 404"
        client, _ = self.login('pat@example.com')
        response = client.get(self.url(f"deals/{self.ids['held_deal']}"))
        self.assertEqual(response.status_code, HTTPStatus.NOT_FOUND)
        client, _ = self.login('bob@example.com')
        page = self.text(client.get(self.url('deals')))
        self.assertIn('Acme Widgets Ltd', page)
        self.assertIn('Approved', page)
