# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Turn a call, a web form or an e-mail into a service case"
import datetime
import hashlib
import hmac
import time

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import escape_wildcard
from trytond.tools.email_ import normalize_email
from trytond.transaction import Transaction

from .case import OPEN_STATES
from .exceptions import UnknownServiceLineError
from .line import normalize_number, number_region

# The fields of a case an intake fills, with the longest value kept
CALLER_NUMBER_SIZE = 64
IVR_CHOICE_SIZE = 16
# A posted web form is refused when it comes back faster than a human
# types or after the token of the rendered form expired
REQUEST_MIN_SECONDS = 3
REQUEST_MAX_SECONDS = 24 * 60 * 60
# Posted web forms accepted in an hour from one address or one e-mail
REQUEST_RATE_IP = 10
REQUEST_RATE_EMAIL = 3


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.service.configuration'

    intake_reopen_days = fields.Integer(
        "Reopen within Days", required=True,
        domain=[('intake_reopen_days', '>=', 0)],
        help="A call about a case resolved or closed within these days "
        "reopens it instead of creating a new case.")
    request_line = fields.Many2One(
        'crm.service.line', "Web Form Line",
        help="The service line (company, team and defaults) of the "
        "requests posted on the public web form.")

    @classmethod
    def default_intake_reopen_days(cls):
        return 7

    @classmethod
    def request_token(cls, now=None):
        "Return the signed time token of a web form rendered now"
        stamp = str(int(time.time() if now is None else now))
        signature = hmac.new(
            cls.signing_key_for('crm.service.request'), stamp.encode(),
            hashlib.sha256).hexdigest()
        return f'{stamp}.{signature}'

    @classmethod
    def check_request_token(cls, token, now=None):
        """Return None if the token is genuine and its age acceptable, else
        'forged', 'too_fast' or 'expired'"""
        stamp, _, signature = (token or '').partition('.')
        expected = hmac.new(
            cls.signing_key_for('crm.service.request'), stamp.encode(),
            hashlib.sha256).hexdigest()
        if not stamp.isdigit() or not hmac.compare_digest(
                expected, signature):
            return 'forged'
        age = (time.time() if now is None else now) - int(stamp)
        if age < REQUEST_MIN_SECONDS:
            return 'too_fast'
        if age > REQUEST_MAX_SECONDS:
            return 'expired'


class RequestAttempt(ModelSQL):
    __name__ = 'crm.service.request.attempt'
    __string__ = "Service Request Attempt"

    ip_address = fields.Char("IP Address")
    email = fields.Char("E-mail")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ip_address, Index.Equality()),
                    (t.create_date, Index.Range())),
                Index(t, (t.email, Index.Equality()),
                    (t.create_date, Index.Range())),
                })

    @classmethod
    def exceeded(cls, email):
        """Record an attempt of the remote address with the e-mail and
        return whether the address or the e-mail posted too often

        The attempts live in the database, so several trytond processes
        share them; the attempts older than the hour are deleted."""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        since = datetime.datetime.now() - datetime.timedelta(hours=1)
        cursor.execute(*table.delete(where=table.create_date < since))
        ip_address, _ = transaction.remote_address()
        ip_address = str(ip_address) if ip_address else None
        cls.create([{'ip_address': ip_address, 'email': email}])
        for column, value, limit in [
                (table.ip_address, ip_address, REQUEST_RATE_IP),
                (table.email, email, REQUEST_RATE_EMAIL)]:
            if value is None:
                continue
            cursor.execute(*table.select(Count(table.id),
                    where=(column == value) & (table.create_date >= since)))
            count, = cursor.fetchone()
            if count > limit:
                return True
        return False


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    line = fields.Many2One(
        'crm.service.line', "Service Line", readonly=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The line the request came in through.")
    caller_number = fields.Char(
        "Caller Number", readonly=True,
        help="The calling number (ANI) as received, in E.164 when valid.")
    ivr_choice = fields.Char(
        "IVR Choice", readonly=True,
        help="The keys the caller pressed in the voice menu.")
    requester_name = fields.Char(
        "Requester Name", readonly=True,
        help="The name given on the web form.")
    requester_email = fields.Char(
        "Requester E-mail", readonly=True,
        help="The e-mail address the request came from.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.party, Index.Range()),
                (t.category, Index.Range()),
                (t.state, Index.Equality(cardinality='low'))))

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        for name in ['caller_number', 'ivr_choice']:
            default.setdefault(name)
        return super().copy(cases, default=default)

    @classmethod
    def party_by_phone(cls, number):
        "Return the party with the E.164 phone or mobile number or None"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        if not number:
            return None
        mechanisms = ContactMechanism.search([
                ('type', 'in', ['phone', 'mobile']),
                ('value_compact', '=', number),
                ('party.active', '=', True),
                ], order=[('id', 'ASC')], limit=1)
        return mechanisms[0].party if mechanisms else None

    @classmethod
    def party_by_email(cls, email):
        "Return the party with the e-mail address (in any case) or None"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        if not email:
            return None
        mechanisms = ContactMechanism.search([
                ('type', '=', 'email'),
                ('value', 'ilike', escape_wildcard(normalize_email(email))),
                ('party.active', '=', True),
                ], order=[('id', 'ASC')], limit=1)
        return mechanisms[0].party if mechanisms else None

    @classmethod
    def intake_call(cls, ani, dnis, ivr_choice=None):
        """Create or reopen the case of a call and return it with 'created',
        'reopened' or 'open' (an open case of the caller was found)

        An unknown dialled number raises UnknownServiceLineError: the
        company, team and defaults of the case come from the line."""
        pool = Pool()
        Line = pool.get('crm.service.line')
        Category = pool.get('crm.service.case.category')
        line = Line.intake_settings(dnis)
        if not line:
            raise UnknownServiceLineError(gettext(
                    'crm_service.msg_unknown_service_line', number=dnis))
        number = normalize_number(ani, number_region(line['number']))
        caller_number = number or (ani or '').strip()[:CALLER_NUMBER_SIZE]
        ivr_choice = (ivr_choice or '').strip()[:IVR_CHOICE_SIZE] or None
        category, priority = line['choices'].get(
            ivr_choice, (line['category'], line['priority']))
        with Transaction().set_context(company=line['company']):
            party = cls.party_by_phone(number)
            if party:
                case, outcome = cls._intake_existing(
                    line['company'], party, category)
                if case:
                    return case, outcome
            case, = cls.create([{
                        'company': line['company'],
                        'subject': cls._intake_call_subject(
                            party, caller_number,
                            Category(category) if category else None),
                        'party': party.id if party else None,
                        'channel': 'phone',
                        'category': category,
                        'priority': priority,
                        'team': line['team'],
                        'line': line['id'],
                        'caller_number': caller_number or None,
                        'ivr_choice': ivr_choice,
                        }])
        return case, 'created'

    @classmethod
    def _intake_call_subject(cls, party, caller_number, category):
        caller = party.rec_name if party else (
            caller_number or gettext('crm_service.msg_intake_unknown_caller'))
        if category:
            return gettext('crm_service.msg_intake_call_subject_category',
                caller=caller, category=category.rec_name)
        return gettext(
            'crm_service.msg_intake_call_subject', caller=caller)

    @classmethod
    def _intake_existing(cls, company_id, party, category_id):
        """Return the open case of the party in the category, or its case
        resolved within the configured days reopened, or None"""
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        domain = [
            ('company', '=', company_id),
            ('party', '=', party.id),
            ('category', '=', category_id),
            ]
        order = [('create_date', 'DESC'), ('id', 'DESC')]
        cases = cls.search(
            domain + [('state', 'in', OPEN_STATES)], order=order, limit=1)
        if cases:
            return cases[0], 'open'
        days = Configuration(1).intake_reopen_days
        since = datetime.datetime.now() - datetime.timedelta(days=days)
        cases = cls.search(domain + [
                ('state', 'in', ['resolved', 'closed']),
                ('resolved_at', '>=', since),
                ], order=[('resolved_at', 'DESC'), ('id', 'DESC')], limit=1)
        if cases:
            cls.reopen(cases)
            return cases[0], 'reopened'
        return None, None

    def screen_pop(self, outcome):
        "Return what the agent's screen shows when the call is answered"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        customer, open_cases = None, []
        if self.party:
            party = self.party
            # One query for the phone and the e-mail shown
            contacts = {}
            for mechanism in ContactMechanism.search_read([
                        ('party', '=', party.id),
                        ('type', 'in', ['phone', 'mobile', 'email']),
                        ], fields_names=['type', 'value']):
                kind = 'email' if mechanism['type'] == 'email' else 'phone'
                contacts.setdefault(kind, mechanism['value'])
            customer = {
                'id': party.id,
                'name': party.rec_name,
                'tier': self.customer_tier,
                'phone': contacts.get('phone'),
                'email': contacts.get('email'),
                }
            open_cases = self.search_read([
                    ('company', '=', self.company.id),
                    ('party', '=', party.id),
                    ('state', 'in', OPEN_STATES),
                    ], limit=20, fields_names=['number', 'subject', 'state'])
        return {
            'outcome': outcome,
            'case': {
                'id': self.id,
                'number': self.number,
                'state': self.state,
                'subject': self.subject,
                'category': (
                    self.category.rec_name if self.category else None),
                'priority': self.priority,
                'caller_number': self.caller_number,
                'ivr_choice': self.ivr_choice,
                },
            'agent': {
                'id': self.agent.id,
                'name': self.agent.rec_name,
                } if self.agent else None,
            'team': {
                'id': self.team.id,
                'name': self.team.rec_name,
                } if self.team else None,
            'customer': customer,
            'open_cases': open_cases,
            'value_segment': self.customer_tier,
            }

    @classmethod
    def intake_request(cls, line, name, email, subject, description,
            phone=None, category=None):
        "Create and return the case of a request posted on the web form"
        category = category or line.category
        with Transaction().set_context(company=line.company.id):
            party = cls.party_by_email(email)
            region = number_region(line.number)
            number = normalize_number(phone, region)
            case, = cls.create([{
                        'company': line.company.id,
                        'subject': subject,
                        'description': description,
                        'party': party.id if party else None,
                        'channel': 'web',
                        'category': category.id if category else None,
                        'priority': line.priority,
                        'team': line.team.id if line.team else None,
                        'line': line.id,
                        'requester_name': name,
                        'requester_email': normalize_email(email),
                        'caller_number': number or (phone or None),
                        }])
        return case
