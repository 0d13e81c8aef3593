# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Turn a call, a web form or an e-mail into a service case"
import datetime
import hashlib
import hmac
import time
from collections import defaultdict

from sql import Conflict, Literal, NullsFirst, Window
from sql.aggregate import Count
from sql.functions import CurrentTimestamp, RowNumber

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import escape_wildcard, grouped_slice, reduce_ids
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
# The open cases of the customer a screen pop lists, the latest first
OPEN_CASES_SHOWN = 20


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


class Caller(ModelSQL):
    """A row a caller whose calls were taken, counting them

    The transactions taking calls of one caller update its row: the later
    of two concurrent ones waits for the first and, once it commits, fails
    to serialize; taken again, it sees the case of the first. So the calls
    of a caller are answered as if one came after the other, whichever
    process takes them."""
    __name__ = 'crm.service.intake.caller'
    __string__ = "Service Intake Caller"

    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE')
    calls = fields.Integer("Calls", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('party_unique', Unique(t, t.party),
                'crm_service.msg_intake_caller_unique'),
            ]

    @classmethod
    def take(cls, party_ids):
        "Count a call of each party in the transaction, in one query"
        if not party_ids:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        # In the order of the ids, so that two transactions never wait
        # for each other's rows
        cursor.execute(*table.insert(
                [table.party, table.calls, table.create_uid,
                    table.create_date],
                [[p, 1, user, CurrentTimestamp()] for p in sorted(party_ids)],
                on_conflict=Conflict(table,
                    indexed_columns=[table.party],
                    columns=[table.calls, table.write_uid, table.write_date],
                    values=[table.calls + 1, user, CurrentTimestamp()])))


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
    privacy_consent = fields.Boolean(
        "Privacy Consent", readonly=True,
        help="The requester agreed on the web form that their details "
        "are kept to handle the request.")
    privacy_consent_date = fields.Timestamp(
        "Privacy Consent Date", readonly=True,
        help="When the requester agreed.")

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
        for name in ['caller_number', 'ivr_choice', 'privacy_consent',
                'privacy_consent_date']:
            default.setdefault(name)
        return super().copy(cases, default=default)

    @classmethod
    def parties_by_phone(cls, numbers):
        """Return the id and name of the active party with each active E.164
        phone or mobile number, by number; the unknown numbers are left out

        One query: the call intake answers while the callers wait."""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        Party = pool.get('party.party')
        mechanism = ContactMechanism.__table__()
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        parties = {}
        for sub_numbers in grouped_slice(
                sorted(filter(None, numbers)), backend.MAX_QUERY_PARAMS):
            cursor.execute(*mechanism.join(party,
                    condition=mechanism.party == party.id)
                .select(mechanism.value_compact, party.id, party.name,
                    party.code,
                    where=mechanism.type.in_(['phone', 'mobile'])
                    & mechanism.value_compact.in_(list(sub_numbers))
                    & (mechanism.active == Literal(True))
                    & (party.active == Literal(True)),
                    order_by=[mechanism.id.desc]))
            # The first mechanism of a number comes last and wins
            for number, party_id, name, code in cursor:
                parties[number] = (party_id, name or f'[{code}]')
        return parties

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
        result, = cls.intake_calls([{
                    'ani': ani, 'dnis': dnis, 'ivr_choice': ivr_choice}])
        if isinstance(result, UserError):
            raise result
        return result

    @classmethod
    def intake_calls(cls, calls):
        """Take the calls, each a dict of ani, dnis and ivr_choice, and
        return for each its case with 'created', 'reopened' or 'open', or
        the UserError that refused it (an unknown dialled number)

        The calls are taken together: one query finds the callers, one
        their open or recent cases, and the new cases are created (and
        routed) at once. The calls of one caller about one category share
        their case. The caller and the cases are looked up beyond the
        record rules: the telephony system takes the calls of every team."""
        Caller = Pool().get('crm.service.intake.caller')
        results = [None] * len(calls)
        intakes = {}
        for index, call in enumerate(calls):
            try:
                intakes[index] = cls._intake_call_values(**call)
            except UserError as e:
                results[index] = e
        parties = cls.parties_by_phone(
            {v['number'] for v in intakes.values()})
        for values in intakes.values():
            values['party'], values['party_name'] = parties.get(
                values['number'], (None, None))
        Caller.take({v['party'] for v in intakes.values() if v['party']})
        existing = cls._intake_existing({
                (v['company'], v['party'], v['category'])
                for v in intakes.values() if v['party']})
        to_reopen, to_create = defaultdict(list), defaultdict(list)
        created = {}
        for index, values in intakes.items():
            key = (values['company'], values['party'], values['category'])
            if values['party'] and key in existing:
                case_id, state = existing[key]
                if state in OPEN_STATES:
                    results[index] = (cls(case_id), 'open')
                else:
                    to_reopen[values['company']].append(cls(case_id))
                    results[index] = (cls(case_id), 'reopened')
                    existing[key] = (case_id, 'in_progress')
            elif values['party'] and key in created:
                created[key].append(index)
            else:
                if values['party']:
                    created[key] = []
                to_create[values['company']].append((index, values))
        for company, cases in to_reopen.items():
            with Transaction().set_context(company=company):
                cls.reopen(cases)
        for company, indexed in to_create.items():
            with Transaction().set_context(company=company):
                cases = cls.create([
                        cls._intake_case_values(v) for _, v in indexed])
            for (index, values), case in zip(indexed, cases):
                results[index] = (case, 'created')
                key = (values['company'], values['party'], values['category'])
                for other in created.get(key, []):
                    results[other] = (case, 'open')
        return results

    @classmethod
    def _intake_call_values(cls, ani, dnis, ivr_choice=None):
        "Return the values of the call read with the settings of its line"
        pool = Pool()
        Line = pool.get('crm.service.line')
        line = Line.intake_settings(dnis)
        if not line:
            raise UnknownServiceLineError(gettext(
                    'crm_service.msg_unknown_service_line', number=dnis))
        number = normalize_number(ani, number_region(line['number']))
        ivr_choice = (ivr_choice or '').strip()[:IVR_CHOICE_SIZE] or None
        category, priority = line['choices'].get(
            ivr_choice, (line['category'], line['priority']))
        return {
            'line': line,
            'company': line['company'],
            'number': number,
            'caller_number': (
                number or (ani or '').strip()[:CALLER_NUMBER_SIZE]),
            'ivr_choice': ivr_choice,
            'category': category,
            'priority': priority,
            }

    @classmethod
    def _intake_case_values(cls, values):
        "Return the values of the case created for the call"
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        line = values['line']
        category = values['category']
        return {
            'company': line['company'],
            'subject': cls._intake_call_subject(
                values['party_name'], values['caller_number'],
                Category.rec_names([category]).get(category)
                if category else None),
            'party': values['party'],
            'channel': 'phone',
            'category': values['category'],
            'priority': values['priority'],
            'team': line['team'],
            'line': line['id'],
            'caller_number': values['caller_number'] or None,
            'ivr_choice': values['ivr_choice'],
            }

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
    def _intake_existing(cls, keys):
        """Return by (company, party, category) of the keys the id and state
        of the open case of the party in the category (the latest), else of
        its latest case resolved within the configured days

        One query a slice of parties finds them."""
        case = cls.__table__()
        cursor = Transaction().connection.cursor()
        days = cls._intake_reopen_days()
        since = datetime.datetime.now() - datetime.timedelta(days=days)
        companies = list({c for c, _, _ in keys})
        best = {}
        for sub_parties in grouped_slice(
                sorted({p for _, p, _ in keys}), backend.MAX_QUERY_PARAMS):
            cursor.execute(*case.select(
                    case.company, case.party, case.category, case.id,
                    case.state, case.create_date, case.resolved_at,
                    where=case.company.in_(companies)
                    & case.party.in_(list(sub_parties))
                    & (case.state.in_(OPEN_STATES)
                        | (case.state.in_(['resolved', 'closed'])
                            & (case.resolved_at >= since)))))
            for (company, party, category, id_, state, created,
                    resolved) in cursor:
                key = (company, party, category)
                if key not in keys:
                    continue
                # The open cases first, the latest of each
                is_open = state in OPEN_STATES
                rank = (is_open, created if is_open else resolved, id_)
                if key not in best or rank > best[key][0]:
                    best[key] = (rank, (id_, state))
        return {k: v for k, (_, v) in best.items()}

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
        "Return what the agent's screen shows when the call is answered"
        pop, = self.screen_pops([(self, outcome)])
        return pop

    @classmethod
    def screen_pops(cls, answered):
        """Return what the agents' screens show when the calls of the
        (case, outcome) pairs are answered

        The cases with their agent, team, customer and value segment, the
        customers' phone and e-mail and open cases come from one query
        each, beyond the record rules like the intake."""
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        rows = cls._screen_pop_cases({c.id for c, _ in answered})
        customers = {
            (r['company'], r['party']) for r in rows.values() if r['party']}
        contacts = cls._screen_pop_contacts({p for _, p in customers})
        open_cases = cls._screen_pop_open_cases(customers)
        categories = Category.rec_names(
            {r['category'] for r in rows.values() if r['category']})
        pops = []
        for case, outcome in answered:
            row = rows[case.id]
            customer = None
            if row['party']:
                customer = {
                    'id': row['party'],
                    'name': row['party_name'] or f"[{row['party_code']}]",
                    'tier': row['tier'],
                    'phone': contacts[row['party']].get('phone'),
                    'email': contacts[row['party']].get('email'),
                    }
            pops.append({
                    'outcome': outcome,
                    'case': {
                        'id': case.id,
                        'number': row['number'],
                        'state': row['state'],
                        'subject': row['subject'],
                        'category': categories.get(row['category']),
                        'priority': row['priority'],
                        'caller_number': row['caller_number'],
                        'ivr_choice': row['ivr_choice'],
                        },
                    'agent': {
                        'id': row['agent'],
                        'name': row['agent_name'],
                        } if row['agent'] else None,
                    'team': {
                        'id': row['team'],
                        'name': row['team_name'],
                        } if row['team'] else None,
                    'customer': customer,
                    'open_cases': open_cases.get(
                        (row['company'], row['party']), []),
                    'value_segment': row['tier'],
                    })
        return pops

    @classmethod
    def _screen_pop_cases(cls, ids):
        """Return by id the columns of the cases with their names and
        customer tier"""
        pool = Pool()
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        PartyValue = pool.get('crm.party.value')
        Team = pool.get('crm.sales.team')
        case = cls.__table__()
        employee = Employee.__table__()
        agent = Party.__table__()
        customer = Party.__table__()
        team = Team.__table__()
        value = PartyValue.__table__()
        cursor = Transaction().connection.cursor()
        columns = {
            'id': case.id,
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
        rows = {}
        for sub_ids in grouped_slice(list(ids), backend.MAX_QUERY_PARAMS):
            cursor.execute(*case
                .join(employee, 'LEFT', condition=case.agent == employee.id)
                .join(agent, 'LEFT', condition=employee.party == agent.id)
                .join(team, 'LEFT', condition=case.team == team.id)
                .join(customer, 'LEFT', condition=case.party == customer.id)
                .join(value, 'LEFT', condition=(value.party == case.party)
                    & (value.company == case.company))
                .select(*columns.values(),
                    where=reduce_ids(case.id, list(sub_ids))))
            for row in cursor:
                row = dict(zip(columns, row))
                rows[row['id']] = row
        return rows

    @classmethod
    def _screen_pop_contacts(cls, party_ids):
        """Return by party the first active phone and e-mail of the party
        by kind"""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        mechanism = ContactMechanism.__table__()
        cursor = Transaction().connection.cursor()
        contacts = {p: {} for p in party_ids}
        for sub_ids in grouped_slice(
                list(party_ids), backend.MAX_QUERY_PARAMS):
            cursor.execute(*mechanism.select(
                    mechanism.party, mechanism.type, mechanism.value,
                    where=reduce_ids(mechanism.party, list(sub_ids))
                    & mechanism.type.in_(['phone', 'mobile', 'email'])
                    & (mechanism.active == Literal(True)),
                    order_by=[NullsFirst(mechanism.sequence.asc),
                        mechanism.id.asc]))
            for party, type_, value in cursor:
                kind = 'email' if type_ == 'email' else 'phone'
                contacts[party].setdefault(kind, value)
        return contacts

    @classmethod
    def _screen_pop_open_cases(cls, customers):
        """Return by (company, party) of the customers the latest 20 open
        cases of the party in the company"""
        case = cls.__table__()
        cursor = Transaction().connection.cursor()
        open_cases = defaultdict(list)
        companies = list({c for c, _ in customers})
        parties = {p for _, p in customers}
        for sub_ids in grouped_slice(list(parties), backend.MAX_QUERY_PARAMS):
            latest = case.select(
                case.id, case.company, case.party, case.number,
                case.subject, case.state,
                RowNumber(window=Window([case.company, case.party],
                        order_by=[case.create_date.desc, case.id.desc])
                    ).as_('rank'),
                where=reduce_ids(case.party, list(sub_ids))
                & case.company.in_(companies)
                & case.state.in_(OPEN_STATES))
            cursor.execute(*latest.select(
                    latest.company, latest.party, latest.id, latest.number,
                    latest.subject, latest.state,
                    where=latest.rank <= OPEN_CASES_SHOWN,
                    order_by=[latest.rank.asc]))
            for company, party, *row in cursor:
                if (company, party) in customers:
                    open_cases[(company, party)].append(dict(zip(
                                ['id', 'number', 'subject', 'state'], row)))
        return open_cases

    @classmethod
    def intake_request(cls, line, name, email, subject, description,
            phone=None, category=None, consent=False, attachments=None):
        """Create and return the case of a request posted on the web form

        consent is the requester's agreement to the privacy notice, kept
        with its time; attachments are (file name, content) pairs, stored
        as attachments of the case."""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
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
                        'privacy_consent': bool(consent),
                        'privacy_consent_date': (
                            datetime.datetime.now() if consent else None),
                        }])
            Attachment.create([{
                        'resource': str(case),
                        'name': filename,
                        'type': 'data',
                        'data': content,
                        } for filename, content in attachments or []])
        return case
