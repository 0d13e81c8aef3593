# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from email.message import EmailMessage
from unittest.mock import patch

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_sales.tests.tools import with_company
from trytond.modules.crm_service.tests.test_intake import (
    create_caller, create_line)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, activate_module
from trytond.transaction import Transaction

SENDER = 'trytond.modules.crm_service.satisfaction.send_message_transactional'


def message(subject, body, sender='known@example.com', message_id=None,
        in_reply_to=None, references=None, attachments=(), from_=None):
    """Return the bytes of an e-mail, From the sender with a display name
    unless from_ gives the header as it is"""
    msg = EmailMessage()
    msg['From'] = from_ or f'Customer <{sender}>'
    msg['To'] = 'service@example.com'
    msg['Subject'] = subject
    if message_id:
        msg['Message-ID'] = message_id
    if in_reply_to:
        msg['In-Reply-To'] = in_reply_to
    if references:
        msg['References'] = references
    msg.set_content(body)
    for filename, data in attachments:
        msg.add_attachment(
            data, maintype='application', subtype='octet-stream',
            filename=filename)
    return msg.as_bytes()


class InboundEmailTestCase(unittest.TestCase):
    "Test the intake of e-mails"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def setup_company(self):
        pool = Pool()
        Inbox = pool.get('inbound.email.inbox')
        Rule = pool.get('inbound.email.rule')
        self.line = create_line(self.company)
        self.inbox = Inbox(name="Service")
        self.inbox.save()
        Rule.create([{
                    'inbox': self.inbox.id,
                    'action': 'crm.service.case|from_inbound_email',
                    'crm_service_line': self.line.id,
                    }])
        self.party = create_caller(
            self.company, "Known Customer", email='known@example.com')

    def receive(self, data):
        "Process the e-mail in the inbox and return the case it touched"
        pool = Pool()
        Email = pool.get('inbound.email')
        email, = Email.from_webhook(self.inbox, data, 'raw')
        Email.save([email])
        Email.process([email])
        return email.result

    def activities(self, case):
        Activity = Pool().get('crm.activity')
        return Activity.search([('resource', '=', str(case))])

    def attachments(self, case):
        Attachment = Pool().get('ir.attachment')
        return Attachment.search([('resource', '=', str(case))])

    def resolved_case(self):
        "Return a resolved case of the known customer, from an e-mail"
        Case = Pool().get('crm.service.case')
        case = self.receive(message(
                "Refund", "Please refund.", message_id='<r@example.com>'))
        Case.start([case])
        case.resolution = "Refunded"
        case.save()
        Case.resolve([case])
        return case

    def assertNotAppended(self, case, reply):
        "The reply made another case and left the case as it was"
        self.assertNotEqual(reply, case)
        self.assertEqual(reply.channel, 'email')
        self.assertEqual(case.state, 'resolved')
        self.assertEqual(case.reopened_count, 0)
        self.assertEqual(self.activities(case), [])
        self.assertEqual(self.attachments(case), [])
        self.assertEqual(
            [e.message_id for e in case.emails], ['<r@example.com>'])

    @with_company
    def test_new_thread(self):
        "An e-mail of a new thread creates a case of the sender"
        case = self.receive(message(
                "Laptop does not boot", "It shows a black screen.",
                message_id='<m1@example.com>'))
        self.assertEqual(case.channel, 'email')
        self.assertEqual(case.party, self.party)
        self.assertEqual(case.subject, "Laptop does not boot")
        self.assertEqual(case.description, "It shows a black screen.")
        self.assertEqual(case.company, self.company)
        self.assertEqual(case.line, self.line)
        self.assertEqual(case.category, self.line.category)
        self.assertEqual(case.requester_email, 'known@example.com')
        self.assertEqual(
            [e.message_id for e in case.emails], ['<m1@example.com>'])

    @with_company
    def test_unknown_sender(self):
        "An e-mail of an unknown sender makes a case without party"
        case = self.receive(message(
                "Question", "Hello", sender='stranger@example.org'))
        self.assertIsNone(case.party)
        self.assertEqual(case.requester_email, 'stranger@example.org')

    @with_company
    def test_reply_appends(self):
        "A reply to a message of the case appends to it instead of creating"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.receive(message(
                "Printer jams", "Every page.", message_id='<a@example.com>'))
        Case.start([case])
        Case.wait([case])

        reply = self.receive(message(
                "Re: Printer jams", "It still jams.",
                message_id='<b@example.com>',
                in_reply_to='<a@example.com>',
                references='<a@example.com>'))
        self.assertEqual(reply, case)
        self.assertEqual(case.state, 'in_progress')
        activity, = self.activities(case)
        self.assertEqual(activity.type, 'email')
        self.assertEqual(activity.description, "It still jams.")
        self.assertEqual(activity.party, self.party)
        self.assertEqual(Case.search([], count=True), 1)

        # A reply to the reply belongs to the same thread
        again = self.receive(message(
                "Re: Re: Printer jams", "Fixed by itself.",
                in_reply_to='<b@example.com>',
                references='<x@example.com> <b@example.com>'))
        self.assertEqual(again, case)
        self.assertEqual(len(self.activities(case)), 2)

    @with_company
    def test_reply_by_number(self):
        "A subject with the case number in brackets appends to the case"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.receive(message("Refund", "Please refund."))
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "Any news?"))
        self.assertEqual(reply, case)
        self.assertEqual(Case.search([], count=True), 1)
        other = self.receive(message("[CASE99999] Refund", "Other."))
        self.assertNotEqual(other, case)

    @with_company
    def test_reply_reopens(self):
        "A reply to a resolved case reopens it"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.receive(message(
                "Server overheats", "Alarm.", message_id='<s@example.com>'))
        Case.start([case])
        case.resolution = "Cleaned the fan"
        case.save()
        Case.resolve([case])

        reply = self.receive(message(
                "Re: Server overheats", "It overheats again.",
                in_reply_to='<s@example.com>'))
        self.assertEqual(reply, case)
        self.assertEqual(case.state, 'in_progress')
        self.assertEqual(case.reopened_count, 1)
        self.assertIsNone(case.resolved_at)

    @with_company
    def test_attachments(self):
        "The files of the e-mails are attached to the case"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        case = self.receive(message(
                "Invoice amount unclear", "See the scan.",
                message_id='<i@example.com>',
                attachments=[('invoice.pdf', b'%PDF-1.4 scan')]))
        self.receive(message(
                "Re: Invoice amount unclear", "And the order.",
                in_reply_to='<i@example.com>',
                attachments=[('order.pdf', b'%PDF-1.4 order')]))
        attachments = Attachment.search(
            [('resource', '=', str(case))], order=[('name', 'ASC')])
        self.assertEqual(
            [(a.name, a.data) for a in attachments],
            [('invoice.pdf', b'%PDF-1.4 scan'),
                ('order.pdf', b'%PDF-1.4 order')])

    @with_company
    def test_stranger_case_number(self):
        "A stranger with the case number in the subject makes a new case"
        case = self.resolved_case()
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "Send the files here.",
                sender='stranger@attacker.org',
                message_id='<evil@attacker.org>',
                attachments=[('evil.pdf', b'%PDF-1.4 evil')]))
        self.assertNotAppended(case, reply)
        self.assertIsNone(reply.party)
        self.assertEqual(reply.requester_email, 'stranger@attacker.org')
        self.assertEqual(
            [a.name for a in self.attachments(reply)], ['evil.pdf'])

    @with_company
    def test_customer_address_appends(self):
        "The customer's address, in any case, appends to the case"
        case = self.resolved_case()
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "Not refunded yet.",
                sender='Known@EXAMPLE.com',
                attachments=[('bank.pdf', b'%PDF-1.4 bank')]))
        self.assertEqual(reply, case)
        self.assertEqual(case.state, 'in_progress')
        self.assertEqual(len(self.activities(case)), 1)
        self.assertEqual(
            [a.name for a in self.attachments(case)], ['bank.pdf'])

    @with_company
    def test_colleague_appends(self):
        "A colleague of the customer's company domain appends to the case"
        case = self.resolved_case()
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "I am his colleague.",
                sender='colleague@example.com'))
        self.assertEqual(reply, case)
        self.assertEqual(case.state, 'in_progress')

    @with_company
    def test_contact_appends(self):
        "The contact of the case appends to it, and a colleague of theirs"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        case = self.resolved_case()
        contact = ContactMechanism(
            party=self.party, type='email', value='buyer@customer.cn')
        contact.save()
        case.contact = contact
        case.save()
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "From the buyer.",
                sender='assistant@customer.cn'))
        self.assertEqual(reply, case)

    @with_company
    def test_look_alike_domain(self):
        "A domain that only ends or starts like the customer's is not theirs"
        for sender in [
                'known@evil-example.com', 'known@example.com.evil.org',
                'known@mail.example.com', 'known@example.co',
                'known.example.com@attacker.org']:
            with self.subTest(sender=sender):
                case = self.resolved_case()
                reply = self.receive(message(
                        f"Re: [{case.number}] Refund", "Look alike.",
                        sender=sender,
                        attachments=[('evil.pdf', b'%PDF-1.4 evil')]))
                self.assertNotAppended(case, reply)
                Pool().get('crm.service.case.email').delete(case.emails)

    @with_company
    def test_display_name_trick(self):
        "The address counts, not a display name nor a second address"
        for from_ in [
                '"known@example.com" <stranger@attacker.org>',
                'known@example.com <stranger@attacker.org>',
                '<known@example.com>stranger@attacker.org',
                'stranger@attacker.org, known@example.com',
                'known@example.com, stranger@attacker.org',
                'known@example.com@attacker.org']:
            with self.subTest(from_=from_):
                case = self.resolved_case()
                reply = self.receive(message(
                        f"Re: [{case.number}] Refund", "Display name.",
                        from_=from_,
                        attachments=[('evil.pdf', b'%PDF-1.4 evil')]))
                self.assertNotAppended(case, reply)
                Pool().get('crm.service.case.email').delete(case.emails)

    @with_company
    def test_free_mail_domain(self):
        "A free-mail domain is nobody's company domain"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        ContactMechanism.create([{
                    'party': self.party.id, 'type': 'email',
                    'value': 'known.customer@gmail.com',
                    }])
        case = self.resolved_case()
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "Another gmail user.",
                sender='someone@gmail.com'))
        self.assertNotAppended(case, reply)
        reply = self.receive(message(
                f"Re: [{case.number}] Refund", "From my gmail.",
                sender='known.customer@gmail.com'))
        self.assertEqual(reply, case)

    @with_company
    def test_reply_to_sent_email(self):
        "A reply to an e-mail the suite sent appends from any address"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.resolved_case()
        case.contact, = [
            m for m in self.party.contact_mechanisms if m.type == 'email']
        case.save()
        with patch(SENDER) as send:
            Case.close([case])
        msg, _, _ = send.call_args.args
        sent, = [e for e in case.emails if e.direction == 'outgoing']
        self.assertEqual(sent.message_id, msg['Message-ID'])

        reply = self.receive(message(
                "Re: Rate our service", "Forwarded to me: still broken.",
                sender='someone@elsewhere.org',
                in_reply_to=msg['Message-ID']))
        self.assertEqual(reply, case)
        self.assertEqual(case.state, 'in_progress')
        self.assertEqual(case.reopened_count, 1)

    @with_company
    def test_forged_in_reply_to(self):
        "A stranger's reference to no e-mail the suite sent appends nothing"
        case = self.resolved_case()
        for references in [
                # the customer's own message, not one the suite sent
                '<r@example.com>',
                '<forged@example.com>']:
            with self.subTest(references=references):
                reply = self.receive(message(
                        "Re: Refund", "Forged.",
                        sender='stranger@attacker.org',
                        in_reply_to=references, references=references,
                        attachments=[('evil.pdf', b'%PDF-1.4 evil')]))
                self.assertNotAppended(case, reply)

    @with_company
    def test_quoted_rating_links(self):
        "A reply quoting the rating e-mail does not show its links to agents"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.resolved_case()
        case.contact, = [
            m for m in self.party.contact_mechanisms if m.type == 'email']
        case.save()
        with patch(SENDER) as send:
            Case.close([case])
        msg, _, _ = send.call_args.args
        rating, = case.ratings
        signature = rating.token.partition('.')[2]
        quoted = '\n'.join(
            f'> {line}' for line in msg.get_content().splitlines())
        # Long lines are sent quoted-printable, Chinese text in base64
        for text in ["Still broken.", "还是坏的。"]:
            with self.subTest(text=text):
                reply = self.receive(message(
                        "Re: Rate our service", f"{text}\n\n{quoted}",
                        in_reply_to=msg['Message-ID']))
                self.assertEqual(reply, case)
                activity, = self.activities(case)
                self.assertTrue(activity.description.startswith(text))
                self.assertIn('/crm_service/rate/', activity.description)
                self.assertNotIn(signature[:16], activity.description)
                self.assertNotIn(signature[-16:], activity.description)
                Pool().get('crm.activity').delete([activity])


class InboundEmailRouteTestCase(RouteTestCase):
    "Test the e-mails the mail server posts to the inbox"
    module = 'crm_service'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Case = pool.get('crm.service.case')
        Inbox = pool.get('inbound.email.inbox')
        company = create_company()
        with set_company(company):
            line = create_line(company)
            party = create_caller(
                company, "Known Customer", email='known@example.com')
            agent = create_employee(company, "Agent")
            inbox, = Inbox.create([{
                        'name': "Service",
                        'rules': [('create', [{
                                        'action': (
                                            'crm.service.case'
                                            '|from_inbound_email'),
                                        'crm_service_line': line.id,
                                        }])],
                        }])
            Inbox.new_identifier([inbox])
            cls.identifier = inbox.identifier
            case, = Case.create([{
                        'subject': "Refund", 'party': party.id,
                        'agent': agent.id, 'resolution': "Refunded",
                        }])
            Case.start([case])
            Case.resolve([case])
            cls.case, cls.number = case.id, case.number

    def post(self, data):
        return self.client().post(
            f'/{self.db_name}/inbound_email/inbox/{self.identifier}',
            data=data)

    def test_stranger_case_number(self):
        "The mail server posts a stranger's mail with the case number"
        response = self.post(message(
                f"Re: [{self.number}] Refund", "Send the files here.",
                sender='stranger@attacker.org',
                message_id='<route-evil@attacker.org>',
                attachments=[('evil.pdf', b'%PDF-1.4 evil')]))
        self.assertEqual(response.status_code, 204)
        with Transaction().start(self.db_name, 0):
            pool = Pool()
            Case = pool.get('crm.service.case')
            Attachment = pool.get('ir.attachment')
            Email = pool.get('crm.service.case.email')
            case = Case(self.case)
            self.assertEqual(case.state, 'resolved')
            self.assertEqual(Attachment.search(
                    [('resource', '=', str(case))]), [])
            email, = Email.search(
                [('message_id', '=', '<route-evil@attacker.org>')])
            self.assertNotEqual(email.case, case)
            self.assertEqual(
                Attachment.search_count(
                    [('resource', '=', str(email.case))]), 1)
