# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The e-mails the portal sends to the staff when a customer or a partner
writes: a new case or a reply to the case's agent (else the team's
leader), a lead note or a deal registration to the partner's manager.

What they wrote goes as written in the plain text part and escaped in the
HTML part, a template with autoescaping (email_notice.html). The e-mail
leaves when the transaction is committed: nothing for a rolled back form.
"""
from email.message import EmailMessage

from trytond.config import config
from trytond.i18n import gettext
from trytond.modules.crm_sales.web import render
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction


def employee_email(employee):
    "The e-mail address of the employee's party, or None"
    if employee and employee.party:
        return employee.party.email or None


def employee_language(employee):
    if employee and employee.party and employee.party.lang:
        return employee.party.lang.code
    return config.get('database', 'language', default='en')


def notify_staff(employee, subject_id, author, record, text, url, **values):
    """E-mail the employee that the author wrote the text on the record
    (the message subject_id with the values is the subject); return the
    message or None when the employee has no e-mail address"""
    to = employee_email(employee)
    if not to:
        return None
    language = employee_language(employee)
    with Transaction().set_context(language=language):
        subject = gettext(f'crm_partner.{subject_id}', **values)
        intro = gettext('crm_partner.msg_notice_intro',
            author=author, record=record)
    message = EmailMessage()
    message['From'] = config.get('email', 'from')
    message['To'] = to
    message['Subject'] = subject
    message.set_content('\n\n'.join(filter(None, [intro, text, url])))
    message.add_alternative(render('crm_partner', 'email_notice.html',
            language, subject=subject, intro=intro, text=text, url=url),
        subtype='html')
    send_message_transactional(message)
    return message
