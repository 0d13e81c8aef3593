# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from email.message import EmailMessage

from trytond.modules.crm_sales.tests.tools import with_company
from trytond.modules.crm_service.tests.test_intake import (
    create_caller, create_line)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module


def message(subject, body, sender='known@example.com', message_id=None,
        in_reply_to=None, references=None, attachments=()):
    "Return the bytes of an e-mail"
    msg = EmailMessage()
    msg['From'] = f'Customer <{sender}>'
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
