# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Turn a call, a web form or an e-mail into a service case"
import datetime
import hashlib
import hmac
import time

from sql import Literal, Null, NullsFirst
from sql.aggregate import Count
from sql.conditionals import Case as SqlCase

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
        """Return the id and name of the active party with the active E.164
        phone or mobile number, or (None, None)

        One query: the call intake answers while the caller waits."""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        Party = pool.get('party.party')
        if not number:
            return None, None
        mechanism = ContactMechanism.__table__()
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*mechanism.join(party,
                condition=mechanism.party == party.id)
            .select(party.id, party.name, party.code,
                where=mechanism.type.in_(['phone', 'mobile'])
                & (mechanism.value_compact == number)
                & (mechanism.active == Literal(True))
                & (party.active == Literal(True)),
                order_by=[mechanism.id.asc], limit=1))
        row = cursor.fetchone()
        if not row:
            return None, None
        party_id, name, code = row
        return party_id, name or f'[{code}]'

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
        company, team and defaults of the case come from the line. The
        caller and the cases are looked up beyond the record rules: the
        telephony system takes the calls of every team."""
        pool = Pool()
        Line = pool.get('crm.service.line')
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
            party, party_name = cls.party_by_phone(number)
            if party:
                case, outcome = cls._intake_existing(
                    line['company'], party, category)
                if case:
                    return case, outcome
            case, = cls.create([{
                        'company': line['company'],
                        'subject': cls._intake_call_subject(
                            party_name, caller_number,
                            line['category_names'].get(category)),
                        'party': party,
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
    def _intake_call_subject(cls, party_name, caller_number, category_name):
        caller = party_name or (
            caller_number or gettext('crm_service.msg_intake_unknown_caller'))
        if category_name:
            return gettext('crm_service.msg_intake_call_subject_category',
                caller=caller, category=category_name)
        return gettext(
            'crm_service.msg_intake_call_subject', caller=caller)

    @classmethod
    def _intake_existing(cls, company_id, party_id, category_id):
        """Return the open case of the party in the category, or its case
        resolved within the configured days reopened, or None

        One query finds either: the open case first (the latest), else the
        latest resolved."""
        case = cls.__table__()
        cursor = Transaction().connection.cursor()
        days = cls._intake_reopen_days()
        since = datetime.datetime.now() - datetime.timedelta(days=days)
        is_open = case.state.in_(OPEN_STATES)
        category = (case.category == Null if category_id is None
            else case.category == category_id)
        cursor.execute(*case.select(case.id, case.state,
                where=(case.company == company_id)
                & (case.party == party_id) & category
                & (is_open | (case.state.in_(['resolved', 'closed'])
                        & (case.resolved_at >= since))),
                order_by=[
                    SqlCase((is_open, 0), else_=1).asc,
                    SqlCase((is_open, case.create_date),
                        else_=case.resolved_at).desc,
                    case.id.desc],
                limit=1))
        row = cursor.fetchone()
        if not row:
            return None, None
        case_id, state = row
        if state in OPEN_STATES:
            return cls(case_id), 'open'
        cls.reopen([cls(case_id)])
        return cls(case_id), 'reopened'

    @classmethod
    def _intake_reopen_days(cls):
        "Return the configured days of reopening, read in one query"
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        configuration = Configuration.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*configuration.select(
                configuration.intake_reopen_days, limit=1))
        row = cursor.fetchone()
        if row and row[0] is not None:
            return row[0]
        return Configuration.default_intake_reopen_days()

    def screen_pop(self, outcome):
        """Return what the agent's screen shows when the call is answered

        The case with its agent, team, customer and value segment, the
        customer's phone and e-mail and open cases come from one query
        each, beyond the record rules like the intake."""
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        case = self._screen_pop_case()
        customer, open_cases = None, []
        if case['party']:
            contacts = self._screen_pop_contacts(case['party'])
            customer = {
                'id': case['party'],
                'name': case['party_name'] or f"[{case['party_code']}]",
                'tier': case['tier'],
                'phone': contacts.get('phone'),
                'email': contacts.get('email'),
                }
            open_cases = self._screen_pop_open_cases(
                case['company'], case['party'])
        return {
            'outcome': outcome,
            'case': {
                'id': self.id,
                'number': case['number'],
                'state': case['state'],
                'subject': case['subject'],
                'category': (Category(case['category']).rec_name
                    if case['category'] else None),
                'priority': case['priority'],
                'caller_number': case['caller_number'],
                'ivr_choice': case['ivr_choice'],
                },
            'agent': {
                'id': case['agent'],
                'name': case['agent_name'],
                } if case['agent'] else None,
            'team': {
                'id': case['team'],
                'name': case['team_name'],
                } if case['team'] else None,
            'customer': customer,
            'open_cases': open_cases,
            'value_segment': case['tier'],
            }

    def _screen_pop_case(self):
        "Return the columns of the case with its names and customer tier"
        pool = Pool()
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        PartyValue = pool.get('crm.party.value')
        Team = pool.get('crm.sales.team')
        case = self.__table__()
        employee = Employee.__table__()
        agent = Party.__table__()
        customer = Party.__table__()
        team = Team.__table__()
        value = PartyValue.__table__()
        cursor = Transaction().connection.cursor()
        columns = {
            'company': case.company,
            'number': case.number,
            'state': case.state,
            'subject': case.subject,
            'category': case.category,
            'priority': case.priority,
            'caller_number': case.caller_number,
            'ivr_choice': case.ivr_choice,
            'agent': case.agent,
            'agent_name': agent.name,
            'team': case.team,
            'team_name': team.name,
            'party': case.party,
            'party_name': customer.name,
            'party_code': customer.code,
            'tier': value.segment,
            }
        cursor.execute(*case
            .join(employee, 'LEFT', condition=case.agent == employee.id)
            .join(agent, 'LEFT', condition=employee.party == agent.id)
            .join(team, 'LEFT', condition=case.team == team.id)
            .join(customer, 'LEFT', condition=case.party == customer.id)
            .join(value, 'LEFT', condition=(value.party == case.party)
                & (value.company == case.company))
            .select(*columns.values(), where=case.id == self.id))
        return dict(zip(columns, cursor.fetchone()))

    @classmethod
    def _screen_pop_contacts(cls, party_id):
        "Return the first active phone and e-mail of the party by kind"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        mechanism = ContactMechanism.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*mechanism.select(mechanism.type, mechanism.value,
                where=(mechanism.party == party_id)
                & mechanism.type.in_(['phone', 'mobile', 'email'])
                & (mechanism.active == Literal(True)),
                order_by=[NullsFirst(mechanism.sequence.asc),
                    mechanism.id.asc]))
        contacts = {}
        for type_, value in cursor:
            kind = 'email' if type_ == 'email' else 'phone'
            contacts.setdefault(kind, value)
        return contacts

    @classmethod
    def _screen_pop_open_cases(cls, company_id, party_id):
        "Return the latest 20 open cases of the party in the company"
        case = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*case.select(
                case.id, case.number, case.subject, case.state,
                where=(case.company == company_id)
                & (case.party == party_id)
                & case.state.in_(OPEN_STATES),
                order_by=[case.create_date.desc, case.id.desc], limit=20))
        return [dict(zip(['id', 'number', 'subject', 'state'], row))
            for row in cursor]

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
