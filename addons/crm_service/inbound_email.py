# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""E-mail intake through inbound_email: a rule with the action "Create or
Update Service Case" turns a new thread into a case of the rule's service
line and appends a reply to the case it answers, when the reply proves it
belongs there: it answers an e-mail the suite sent about the case, or its
sender is the customer of the case (address or company domain on record).
Case numbers are sequential, so a number in the subject proves nothing."""
import datetime
import email
import re
import secrets
from email.errors import ObsoleteHeaderDefect
from email.policy import default as email_policy_default
from email.utils import make_msgid

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.url import host

ACTION = 'crm.service.case|from_inbound_email'
MESSAGE_ID_RE = re.compile(r'<[^<>\s]+>')
SUBJECT_NUMBER_RE = re.compile(r'\[([^\[\]\s]+)\]')
TAG_RE = re.compile(r'<[^>]*>')
RATING_TOKEN_RE = re.compile(r'(/crm_service/rate/)[^\s?#<>"\']+')
# Anyone can have an address there: they are no company's domain
FREE_MAIL_DOMAINS = frozenset({
        '126.com', '139.com', '163.com', '188.com', 'aliyun.com', 'aol.com',
        'foxmail.com', 'gmail.com', 'gmx.com', 'gmx.de', 'googlemail.com',
        'hotmail.com', 'icloud.com', 'live.com', 'mail.com', 'mail.ru',
        'me.com', 'msn.com', 'outlook.com', 'proton.me', 'protonmail.com',
        'qq.com', 'sina.com', 'sina.cn', 'sohu.com', 'yahoo.com',
        'yahoo.com.cn', 'yandex.com', 'yandex.ru', 'yeah.net', 'zoho.com',
        })


class CaseEmail(ModelSQL, ModelView):
    __name__ = 'crm.service.case.email'
    __string__ = "Service Case E-mail"

    case = fields.Many2One(
        'crm.service.case', "Case", required=True, ondelete='CASCADE')
    message_id = fields.Char("Message-ID", required=True, readonly=True)
    sender = fields.Char("Sender", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    direction = fields.Selection([
            ('incoming', "Incoming"),
            ('outgoing', "Outgoing"),
            ], "Direction", required=True, readonly=True,
        help="Whether the e-mail was received or sent by the suite.\n"
        "A reply to an outgoing e-mail goes to its case.")

    @classmethod
    def __setup__(cls):
        cls.message_id.search_unaccented = False
        super().__setup__()
        cls.__access__.add('case')
        t = cls.__table__()
        cls._sql_constraints += [
            ('message_id_unique', Unique(t, t.message_id),
                'crm_service.msg_case_email_message_id_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.case, Index.Range())))

    @classmethod
    def default_direction(cls):
        return 'incoming'

    @classmethod
    def keep_sent(cls, case, msg):
        """Give the message about the case its Message-ID and remember it,
        so that the replies to it go to the case"""
        # make_msgid's own random part is not meant to be unguessable
        msg['Message-ID'] = make_msgid(
            idstring=secrets.token_urlsafe(16), domain=host())
        cls.create([{
                    'case': case.id,
                    'message_id': msg['Message-ID'],
                    'sender': msg['From'],
                    'subject': (msg['Subject'] or '')[:200],
                    'direction': 'outgoing',
                    }])


class Email(metaclass=PoolMeta):
    __name__ = 'inbound.email'

    def _as_dict(self, raw):
        "Give the texts decoded: inbound_email gives them still encoded"
        value = super()._as_dict(raw)
        if isinstance(raw, str):
            message = email.message_from_string(
                raw, policy=email_policy_default)
        else:
            message = email.message_from_bytes(
                raw, policy=email_policy_default)
        for key, subtype in [('text', 'plain'), ('html', 'html')]:
            body = message.get_body(preferencelist=(subtype,))
            if body is not None:
                try:
                    value[key] = body.get_content()
                except LookupError:
                    # An unknown charset: keep the text as it came
                    pass
        return value


class Rule(metaclass=PoolMeta):
    __name__ = 'inbound.email.rule'

    crm_service_line = fields.Many2One(
        'crm.service.line', "Service Line",
        states={
            'invisible': Eval('action') != ACTION,
            'required': Eval('action') == ACTION,
            },
        help="The company, team and defaults of the cases created from "
        "the e-mails.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.append((ACTION, "Create or Update Service Case"))


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    emails = fields.One2Many(
        'crm.service.case.email', 'case', "E-mails", readonly=True,
        help="The e-mails of the thread of the case.")

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('emails')
        return super().copy(cases, default=default)

    @classmethod
    def from_inbound_email(cls, email_, rule):
        "Create a case from a new thread or append a reply to its case"
        message = email_.as_dict()
        line = rule.crm_service_line
        with Transaction().set_context(company=line.company.id):
            case = cls._email_thread_case(line, message)
            if case:
                cls._append_email(case, message)
            else:
                case = cls._create_from_email(line, message)
            cls._keep_email(case, message)
        return case

    @classmethod
    def _email_thread_case(cls, line, message):
        "Return the case the message is proved to reply to or None"
        case = cls._email_answered_case(line, message)
        if case:
            return case
        case = cls._email_mentioned_case(line, message)
        if case and case.is_customer_email(cls._email_sender(message)):
            return case

    @classmethod
    def _email_references(cls, message):
        headers = message.get('headers', {})
        return MESSAGE_ID_RE.findall(' '.join(
                str(headers.get(h) or '')
                for h in ['In-Reply-To', 'References']))

    @classmethod
    def _email_answered_case(cls, line, message):
        "Return the case of the e-mail the suite sent that the message answers"
        return cls._email_referenced_case(
            line, message, [('direction', '=', 'outgoing')])

    @classmethod
    def _email_referenced_case(cls, line, message, domain=None):
        "Return the case of the newest e-mail of the domain the message cites"
        CaseEmail = Pool().get('crm.service.case.email')
        references = cls._email_references(message)
        if references:
            emails = CaseEmail.search([
                    ('message_id', 'in', references),
                    ('case.company', '=', line.company.id),
                    ] + (domain or []), order=[('id', 'DESC')], limit=1)
            if emails:
                return emails[0].case

    @classmethod
    def _email_mentioned_case(cls, line, message):
        """Return the case of a received message the message refers to or
        whose number is in its subject: anyone can write them"""
        case = cls._email_referenced_case(line, message)
        if case:
            return case
        numbers = SUBJECT_NUMBER_RE.findall(message.get('subject') or '')
        if numbers:
            cases = cls.search([
                    ('company', '=', line.company.id),
                    ('number', 'in', numbers),
                    ], limit=1)
            if cases:
                return cases[0]

    @classmethod
    def _email_sender(cls, message):
        """Return the lower-cased address of the sender or None when the
        From header names no single clear address"""
        header = message.get('headers', {}).get('From')
        # A header the parser had to repair can show another address to
        # the agent's mail reader than the one it gave
        if any(not isinstance(d, ObsoleteHeaderDefect)
                for d in getattr(header, 'defects', ())):
            return None
        # Only parsed raw messages have the addresses of the header
        addresses = getattr(header, 'addresses', None)
        if addresses is None:
            address = message.get('from') or ''
        elif len(addresses) == 1:
            address = addresses[0].addr_spec
        else:
            return None
        local, _, domain = address.rpartition('@')
        if not local or not domain:
            return None
        return address.lower()

    def is_customer_email(self, address):
        """Whether the address is one of the case's customer or contact, or
        of the domain of one of them (not a free-mail domain)"""
        if not address:
            return False
        known = self.customer_emails()
        domain = address.rpartition('@')[2]
        return address in known or (
            domain not in FREE_MAIL_DOMAINS
            and domain in {a.rpartition('@')[2] for a in known})

    def customer_emails(self):
        "The lower-cased e-mail addresses on record of the case's customer"
        mechanisms = list(self.party.contact_mechanisms) if self.party else []
        if self.contact:
            mechanisms.append(self.contact)
        addresses = [m.value for m in mechanisms if m.type == 'email']
        addresses.append(self.requester_email)
        return {a.strip().lower() for a in addresses if a and '@' in a}

    @classmethod
    def _email_body(cls, message):
        body = (message.get('text')
            or TAG_RE.sub('', message.get('html') or ''))
        # A reply quoting the rating e-mail must not give its links to the
        # agents that the rating measures
        return RATING_TOKEN_RE.sub(r'\1-', body.strip())

    @classmethod
    def _create_from_email(cls, line, message):
        sender = message.get('from') or None
        party = cls.party_by_email(cls._email_sender(message))
        case, = cls.create([{
                    'company': line.company.id,
                    'subject': ((message.get('subject') or '').strip()
                        or sender or '-')[:200],
                    'description': cls._email_body(message),
                    'party': party.id if party else None,
                    'channel': 'email',
                    'category': line.category.id if line.category else None,
                    'priority': line.priority,
                    'team': line.team.id if line.team else None,
                    'line': line.id,
                    'requester_email': sender,
                    }])
        return case

    @classmethod
    def _append_email(cls, case, message):
        "Add the reply as an e-mail activity and bring the case back to work"
        pool = Pool()
        Activity = pool.get('crm.activity')
        sender = message.get('from') or None
        party = case.party or cls.party_by_email(sender)
        Activity.create([{
                    'company': case.company.id,
                    'type': 'email',
                    'state': 'done',
                    'subject': ((message.get('subject') or '').strip()
                        or case.subject)[:200],
                    'description': cls._email_body(message),
                    'party': party.id if party else None,
                    'resource': str(case),
                    'planned_date': datetime.datetime.now(),
                    }])
        if case.state in {'resolved', 'closed'}:
            cls.reopen([case])
        elif case.state == 'waiting':
            cls.start([case])

    @classmethod
    def _keep_email(cls, case, message):
        "Remember the message of the thread and attach its files to the case"
        pool = Pool()
        CaseEmail = pool.get('crm.service.case.email')
        Attachment = pool.get('ir.attachment')
        headers = message.get('headers', {})
        message_ids = MESSAGE_ID_RE.findall(
            str(headers.get('Message-ID') or ''))
        if message_ids and not CaseEmail.search(
                [('message_id', '=', message_ids[0])], limit=1):
            CaseEmail.create([{
                        'case': case.id,
                        'message_id': message_ids[0],
                        'sender': message.get('from'),
                        'subject': (message.get('subject') or '')[:200],
                        }])
        Attachment.create([{
                    'resource': str(case),
                    'name': a.get('filename') or 'attachment',
                    'type': 'data',
                    'data': a.get('data') or b'',
                    } for a in message.get('attachments', [])])
