# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo intake of crm_service: service lines, the call key, the web form
and the e-mail inbox, and one case from each of these channels.

- "+86 21 6000 1000" Service Desk with the IVR choices 1 Hardware,
  2 Software (high priority) and 3 Billing, also the line of the web form;
- "+44 20 3000 1000" English Support, Software by default;
- an application key of type crm_service_call for the Service Agent user,
  validated; its value is kept in var/secrets/service-call-key;
- an e-mail inbox "Service" whose rule creates and updates cases.
"""
from email.message import EmailMessage

from tools import crmctl

MODULE = 'crm_service'
LINES = [
    ("Service Desk", '+86 21 6000 1000', None, 'normal',
        [('1', "Hardware", None), ('2', "Software", 'high'),
            ('3', "Billing", None)]),
    ("English Support", '+44 20 3000 1000', "Software", 'normal', []),
    ]


def populate(pool, rng, today):
    Category = pool.get('crm.service.case.category')
    Configuration = pool.get('crm.service.configuration')
    Line = pool.get('crm.service.line')
    Team = pool.get('crm.sales.team')
    User = pool.get('res.user')
    Application = pool.get('res.user.application')

    team, = Team.search([('name', '=', "Service Desk")], limit=1)
    categories = {c.name: c for c in Category.search(
            [('parent', '=', None)])}
    lines = Line.create([{
                'name': name,
                'number': number,
                'team': team.id,
                'category': categories[default].id if default else None,
                'priority': priority,
                'ivr_choices': [('create', [{
                                'choice': choice,
                                'category': categories[category].id,
                                'priority': ivr_priority,
                                } for choice, category, ivr_priority
                            in ivr])],
                } for name, number, default, priority, ivr in LINES])
    Configuration.write([Configuration(1)], {'request_line': lines[0].id})

    agent, = User.search([('login', '=', 'agent')])
    Application.create([{
                'user': agent.id,
                'application': 'crm_service_call',
                'key': crmctl.secret('service-call-key', 32).read_text(),
                'state': 'validated',
                }])
    inbox = _inbox(pool, lines[0])
    _sample_cases(pool, rng, lines[0], inbox)


def _inbox(pool, line):
    Inbox = pool.get('inbound.email.inbox')
    inbox, = Inbox.create([{
                'name': "Service",
                'rules': [('create', [{
                                'action': (
                                    'crm.service.case|from_inbound_email'),
                                'crm_service_line': line.id,
                                }])],
                }])
    Inbox.new_identifier([inbox])
    return inbox


def _sample_cases(pool, rng, line, inbox):
    "A call, a web request and an e-mail go through the intake"
    Case = pool.get('crm.service.case')
    ContactMechanism = pool.get('party.contact_mechanism')
    Email = pool.get('inbound.email')

    phones = ContactMechanism.search([
            ('type', 'in', ['phone', 'mobile']),
            ('value_compact', 'like', '+86%'),
            ], order=[('id', 'ASC')])
    emails = ContactMechanism.search(
        [('type', '=', 'email')], order=[('id', 'ASC')])
    if phones:
        Case.intake_call(rng.choice(phones).value, line.number, '1')
    Case.intake_call('+86 139 0000 0000', line.number, '3')
    Case.intake_request(line, "Li Wei", 'li.wei@example.com',
        "Licence key rejected", "The key of the new seat is refused.",
        phone='+86 139 0000 0001')
    message = EmailMessage()
    sender = rng.choice(emails).value if emails else 'mail@example.com'
    message['From'] = sender
    message['To'] = 'service@crm-demo.example.com'
    message['Subject'] = "Parcel not delivered"
    message['Message-ID'] = '<demo-parcel@crm-demo.example.com>'
    message.set_content("The parcel of my last order never arrived.")
    email, = Email.from_webhook(inbox, message.as_bytes(), 'raw')
    Email.save([email])
    Email.process([email])
