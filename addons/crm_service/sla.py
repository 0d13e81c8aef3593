# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Service level agreements: policies, the SLA clocks of a case and the
compliance report.

The clocks of a case start at its SLA start (its creation).  The response
clock stops at the first response, the resolution clock at the resolution;
both count working time of the policy's calendar.  While the case waits on
the customer, or stays resolved until it is reopened, the resolution clock
is paused: the working time of the pause is added to the resolution
deadline when the case comes back to work.
"""
import datetime
from collections import namedtuple

from sql import Column, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case as SqlCase
from sql.functions import CurrentTimestamp, DateTrunc

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.modules.company.model import CompanyValueMixin
from trytond.modules.crm_sales.segment import SEGMENTS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from . import calendar as calendar_
from .case import CHANNELS, PRIORITIES
from .exceptions import SLAPolicyError

SLA_STATUSES = [
    (None, ""),
    ('on_track', "On Track"),
    ('at_risk', "At Risk"),
    ('breached', "Breached"),
    ('met', "Met"),
    ]
SLA_RESULTS = [
    (None, ""),
    ('met', "Met"),
    ('breached', "Breached"),
    ]
# The icon of each SLA status, coloured as the lists colour it
SLA_ICONS = {
    'on_track': 'crm-sla-on-track',
    'met': 'crm-sla-on-track',
    'at_risk': 'crm-sla-at-risk',
    'breached': 'crm-sla-breached',
    }
# The SLA clocks run in these states
RUNNING_STATES = ['new', 'assigned', 'in_progress']
DONE_STATES = ['resolved', 'closed']
# The fields of a case whose change moves its deadlines
SLA_TRIGGERS = {'company', 'priority', 'category', 'party', 'sla_start'}
DEADLINES = ['response_deadline', 'response_risk_at', 'resolution_deadline',
    'resolution_risk_at']
# The fields computed by the SLA clocks
SLA_FIELDS = set(DEADLINES) | {
    'sla_line', 'sla_paused', 'response_sla', 'resolution_sla', 'sla_status',
    'sla_breached_at'}


# A line of a policy as the SLA clocks use it, ids for the relations
Target = namedtuple('Target', [
        'line', 'priority', 'tier', 'category', 'sequence', 'calendar',
        'risk_share', 'response', 'resolution'])


def clock():
    "Return the current naive UTC datetime (replaced by the tests)"
    return datetime.datetime.now()


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.service.configuration'

    sla_policy = fields.MultiValue(fields.Many2One(
            'crm.service.sla.policy', "Default SLA Policy",
            domain=[
                ('company', 'in',
                    [Eval('context', {}).get('company', -1), None]),
                ],
            help="The policy that sets the deadlines of the cases."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'sla_policy':
            return pool.get('crm.service.configuration.sla_policy')
        return super().multivalue_model(field)


class ConfigurationSLAPolicy(ModelSQL, CompanyValueMixin):
    __name__ = 'crm.service.configuration.sla_policy'
    __string__ = "CRM Service Configuration SLA Policy"

    sla_policy = fields.Many2One(
        'crm.service.sla.policy', "Default SLA Policy", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ])


class Policy(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'crm.service.sla.policy'
    __string__ = "SLA Policy"

    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    calendar = fields.Many2One(
        'crm.service.calendar', "Calendar", required=True,
        ondelete='RESTRICT',
        help="The working time on which the targets are measured.")
    risk_share = fields.Float(
        "At-Risk Share", required=True, digits=(1, 2),
        help="The share of a target consumed from which the case is at "
        "risk (0.8 for 80%).")
    lines = fields.One2Many(
        'crm.service.sla.policy.line', 'policy', "Targets")
    _targets = Cache('crm.service.sla.policy.targets', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_risk_share(cls):
        return 0.8

    @classmethod
    def validate_fields(cls, policies, field_names):
        super().validate_fields(policies, field_names)
        for policy in policies:
            if not 0 < policy.risk_share < 1:
                raise SLAPolicyError(gettext(
                        'crm_service.msg_sla_policy_risk_share',
                        policy=policy.rec_name))
            if field_names is None or 'calendar' in field_names:
                policy.calendar.check_working_time()

    @property
    def targets(self):
        """The calendar id, the at-risk share and the lines of the policy
        as Targets, kept in a cache cleared when a policy or line changes:
        every new case reads them."""
        targets = self._targets.get(self.id)
        if targets is None:
            targets = self._targets.set(self.id, tuple(
                    Target(line.id, line.priority, line.customer_tier,
                        line.category.id if line.category else None,
                        line.sequence, self.calendar.id, self.risk_share,
                        line.response_target, line.resolution_target)
                    for line in self.lines))
        return targets

    @classmethod
    def on_modification(cls, mode, policies, field_names=None):
        super().on_modification(mode, policies, field_names=field_names)
        cls._targets.clear()

    def match(self, priority, tier, category):
        """Return the line of the policy that applies or None (see
        match_target)"""
        pool = Pool()
        Line = pool.get('crm.service.sla.policy.line')
        target = self.match_target(
            priority, tier, category.id if category else None)
        return Line(target.line) if target else None

    def match_target(self, priority, tier, category_id):
        """Return the Target of the policy that applies or None.

        A line applies when its priority is the case's, its customer tier is
        empty or the case's, its category is empty or the case's category or
        one of its ancestors.  The most specific line wins: a line with a
        category (the nearest category first) before a line with a tier only,
        before a line for any case; then the line sequence decides."""
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        ancestors = Category.ancestor_ids(category_id)
        candidates = []
        for target in self.targets:
            if target.priority != priority:
                continue
            if target.tier and target.tier != tier:
                continue
            if target.category:
                if target.category not in ancestors:
                    continue
                distance = ancestors.index(target.category)
            else:
                distance = len(ancestors)
            candidates.append(((
                        not target.category, distance, not target.tier,
                        target.sequence is None, target.sequence or 0),
                    target))
        if candidates:
            return min(candidates, key=lambda c: c[0])[1]


class PolicyLine(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'crm.service.sla.policy.line'
    __string__ = "SLA Target"

    policy = fields.Many2One(
        'crm.service.sla.policy', "Policy", required=True,
        ondelete='CASCADE')
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False)
    customer_tier = fields.Selection(
        [(None, "")] + SEGMENTS, "Customer Tier",
        help="Leave empty for every customer.")
    category = fields.Many2One(
        'crm.service.case.category', "Category", ondelete='RESTRICT',
        help="Leave empty for every category; "
        "a category includes its subcategories.")
    response_target = fields.TimeDelta(
        "First Response Target", required=True,
        help="The working time within which an agent starts the work.")
    resolution_target = fields.TimeDelta(
        "Resolution Target", required=True,
        help="The working time within which the case is resolved, "
        "pauses excluded.")

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        pool = Pool()
        Policy = pool.get('crm.service.sla.policy')
        super().on_modification(mode, lines, field_names=field_names)
        Policy._targets.clear()

    @property
    def target(self):
        "The Target of the line"
        for target in self.policy.targets:
            if target.line == self.id:
                return target

    def get_rec_name(self, name):
        parts = [self.policy.rec_name,
            dict(self.__class__.priority.selection)[self.priority]]
        if self.customer_tier:
            parts.append(self.customer_tier)
        if self.category:
            parts.append(self.category.rec_name)
        return ' - '.join(parts)

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        zero = datetime.timedelta()
        for line in lines:
            if line.response_target <= zero or line.resolution_target <= zero:
                raise SLAPolicyError(gettext(
                        'crm_service.msg_sla_target_positive',
                        line=line.rec_name))


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    sla_line = fields.Many2One(
        'crm.service.sla.policy.line', "SLA Target", readonly=True,
        ondelete='SET NULL',
        help="The target of the SLA policy applied to the case.")
    sla_start = fields.DateTime(
        "SLA Start", readonly=True,
        help="When the SLA clocks started.")
    response_deadline = fields.DateTime("Response Deadline", readonly=True)
    response_risk_at = fields.DateTime(
        "Response at Risk from", readonly=True)
    resolution_deadline = fields.DateTime(
        "Resolution Deadline", readonly=True,
        help="Pushed by the working time of the pauses.")
    resolution_risk_at = fields.DateTime(
        "Resolution at Risk from", readonly=True)
    sla_paused = fields.TimeDelta(
        "Paused", readonly=True,
        help="The working time the case waited on the customer "
        "or stayed resolved.")
    response_sla = fields.Selection(
        SLA_RESULTS, "First Response", readonly=True,
        help="Whether the first response came within its target.")
    resolution_sla = fields.Selection(
        SLA_RESULTS, "Resolution", readonly=True,
        help="Whether the resolution came within its target.")
    sla_status = fields.Selection(
        SLA_STATUSES, "SLA Status", readonly=True,
        help="At risk when more than the policy's share of a target "
        "is consumed.")
    sla_breached_at = fields.DateTime(
        "SLA Breached at", readonly=True,
        help="The first deadline the case missed.")
    sla_timer = fields.Function(fields.Selection(
            SLA_STATUSES, "SLA",
            help="The SLA status now, between two updates of the stored "
            "status."),
        'get_sla_timer')
    sla_remaining = fields.Function(fields.TimeDelta(
            "Time Left",
            help="The time until the next deadline of the case, negative "
            "once it is missed; frozen while the case waits."),
        'get_sla_timer')
    sla_icon = fields.Function(
        fields.Char("SLA Icon"), 'get_sla_timer')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(
                    t, (t.sla_status, Index.Equality(cardinality='low')),
                    (t.resolution_risk_at, Index.Range()),
                    where=t.state.in_(RUNNING_STATES)),
                Index(t, (t.sla_start, Index.Range())),
                })

    @classmethod
    def default_sla_paused(cls):
        return datetime.timedelta()

    @classmethod
    def view_attributes(cls):
        visual = If(Eval('sla_status') == 'breached', 'danger',
            If(Eval('sla_status') == 'at_risk', 'warning',
                If(Eval('sla_status') == 'met', 'success', '')))
        timer = If(Eval('sla_timer') == 'breached', 'danger',
            If(Eval('sla_timer') == 'at_risk', 'warning',
                If(Eval('sla_timer').in_(['on_track', 'met']), 'success',
                    '')))
        return super().view_attributes() + [
            ('/tree//field[@name="sla_status"]', 'visual', visual),
            ('/tree//field[@name="response_deadline"]', 'visual', visual),
            ('/tree//field[@name="resolution_deadline"]', 'visual', visual),
            ('/tree//field[@name="sla_timer"]', 'visual', timer),
            ('/tree//field[@name="sla_remaining"]', 'visual', timer),
            ]

    @classmethod
    def get_sla_timer(cls, cases, names):
        "Return the SLA status, time left and icon of the cases now"
        now = clock()
        result = {n: {} for n in names}
        for case in cases:
            status = case._sla_evaluation(now)['sla_status']
            values = {
                'sla_timer': status,
                'sla_remaining': case._sla_time_left(now),
                'sla_icon': SLA_ICONS.get(status),
                }
            for name in names:
                result[name][case.id] = values[name]
        return result

    def _sla_time_left(self, now):
        """Return the time until the next deadline, to the minute: the
        response's until it is given, then the resolution's"""
        if (self.state not in RUNNING_STATES + ['waiting']
                or not self.resolution_deadline):
            return None
        if self.state == 'waiting':
            now = self.waiting_since or now
        deadline = self.resolution_deadline
        if not self.first_response_at and self.response_deadline:
            deadline = min(deadline, self.response_deadline)
        seconds = (deadline - now).total_seconds()
        # Whole minutes towards zero: a missed minute shows as missed
        minutes = int(seconds / 60)
        return datetime.timedelta(minutes=minutes)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('sla_start'):
            values['sla_start'] = clock()
        return values

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        for name in ['sla_start', 'response_deadline', 'response_risk_at',
                'resolution_deadline', 'resolution_risk_at', 'response_sla',
                'resolution_sla', 'sla_status', 'sla_breached_at']:
            default.setdefault(name)
        default.setdefault('sla_paused', datetime.timedelta())
        return super().copy(cases, default=default)

    @classmethod
    def on_modification(cls, mode, cases, field_names=None):
        super().on_modification(mode, cases, field_names=field_names)
        if mode == 'create' or (
                mode == 'write' and SLA_TRIGGERS & set(field_names or [])):
            cls.compute_sla(
                [c for c in cases if c.state not in DONE_STATES])

    @classmethod
    def _store_sla(cls, *args):
        """Store the SLA values computed for the cases: records, values, ...

        The SLA fields are read-only and computed only here, so they are
        updated in SQL, as a write would, without validating them again or
        running the triggers and hooks of a write of the case (the SLA of
        each case created or changed is stored in the same transaction)."""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        actions = iter(args)
        for records, values in zip(actions, actions):
            assert values.keys() <= SLA_FIELDS
            columns = [table.write_uid, table.write_date]
            update = [transaction.user, CurrentTimestamp()]
            for name, value in values.items():
                columns.append(Column(table, name))
                update.append(cls._fields[name].sql_format(value))
            for sub_ids in grouped_slice(
                    [r.id for r in records], backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.update(columns, update,
                        where=reduce_ids(table.id, list(sub_ids))))
        # What a write does to the caches of the records
        transaction.counter += 1
        records = [r for records in args[::2] for r in records]
        for record in records:
            record._local_cache.pop(record.id, None)
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                for record in records:
                    cache[cls.__name__].pop(record.id, None)

    def sla_policy(self):
        "Return the SLA policy of the case"
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        return Configuration(1).get_multivalue(
            'sla_policy', company=self.company.id)

    @classmethod
    def compute_sla(cls, cases, now=None):
        """Apply the matching target of the policy to the cases and set
        their deadlines, results and status"""
        if now is None:
            now = clock()
        schedules, policies = {}, {}
        to_write = []
        for case in cases:
            if case.company not in policies:
                policies[case.company] = case.sla_policy()
            policy = policies[case.company]
            target = policy.match_target(
                case.priority, case.customer_tier,
                case.category.id if case.category else None,
                ) if policy else None
            values = case._sla_deadlines(target, schedules)
            values.update(case._sla_evaluation(now, values))
            values['sla_line'] = target.line if target else None
            to_write.extend([[case], values])
        if to_write:
            cls._store_sla(*to_write)

    def _sla_deadlines(self, target, schedules):
        "Return the deadlines of the Target for the case"
        if not target:
            return dict.fromkeys(DEADLINES)
        schedule = self._sla_schedule(target.calendar, schedules)
        start = self.sla_start or self.create_date
        share = target.risk_share
        paused = self.sla_paused or datetime.timedelta()

        def add(duration):
            return calendar_.add_working_time(schedule, start, duration)
        return {
            'response_deadline': add(target.response),
            'response_risk_at': add(target.response * share),
            'resolution_deadline': add(target.resolution + paused),
            'resolution_risk_at': add(target.resolution * share + paused),
            }

    @staticmethod
    def _sla_schedule(calendar_id, schedules):
        "Return the Schedule of the calendar id, raise without working time"
        pool = Pool()
        Calendar = pool.get('crm.service.calendar')
        if calendar_id not in schedules:
            calendar = Calendar(calendar_id)
            schedule = calendar.schedule
            if not any(schedule.hours.values()):
                calendar.check_working_time()
            schedules[calendar_id] = schedule
        return schedules[calendar_id]

    def _sla_evaluation(self, now, deadlines=None):
        """Return the results, status and breach of the SLA at now, for the
        deadlines given or stored"""
        if deadlines is None:
            deadlines = {n: getattr(self, n) for n in DEADLINES}
        values = {
            'response_sla': None,
            'resolution_sla': None,
            'sla_status': None,
            'sla_breached_at': None,
            }
        if not deadlines['resolution_deadline']:
            return values
        # Until when the resolution clock ran
        if self.state in DONE_STATES:
            until = self.resolved_at or now
        elif self.state == 'waiting':
            until = self.waiting_since or now
        else:
            until = now
        responded = self.first_response_at
        if responded or self.state in RUNNING_STATES:
            values['response_sla'] = (
                'met' if (responded or now) <= deadlines['response_deadline']
                else 'breached')
        if until > deadlines['resolution_deadline']:
            values['resolution_sla'] = 'breached'
        elif self.state in DONE_STATES:
            values['resolution_sla'] = 'met'
        missed = []
        if values['response_sla'] == 'breached':
            missed.append(deadlines['response_deadline'])
        if values['resolution_sla'] == 'breached':
            missed.append(deadlines['resolution_deadline'])
        if missed:
            values['sla_status'] = 'breached'
            values['sla_breached_at'] = min(missed)
        elif self.state in DONE_STATES:
            values['sla_status'] = 'met'
        elif ((not responded and now >= deadlines['response_risk_at'])
                or until >= deadlines['resolution_risk_at']):
            values['sla_status'] = 'at_risk'
        else:
            values['sla_status'] = 'on_track'
        if not responded and values['response_sla'] == 'met':
            # Not yet responded and still in time: nothing to record
            values['response_sla'] = None
        return values

    @classmethod
    def update_sla_status(cls, cases, now=None):
        "Store the SLA results and status of the cases at now"
        if now is None:
            now = clock()
        to_write = []
        for case in cases:
            values = case._sla_evaluation(now)
            changed = {k: v for k, v in values.items()
                if getattr(case, k) != v}
            if changed:
                to_write.extend([[case], changed])
        if to_write:
            cls._store_sla(*to_write)

    @classmethod
    def _pauses(cls, cases, since_field, now):
        """Return the pauses of the cases with the working time from their
        field until now added"""
        schedules = {}
        pauses = {}
        for case in cases:
            since = getattr(case, since_field)
            if not case.sla_line or not since:
                continue
            schedule = cls._sla_schedule(
                case.sla_line.target.calendar, schedules)
            pauses[case] = (case.sla_paused or datetime.timedelta()) + (
                calendar_.working_time_between(schedule, since, now))
        return pauses

    @classmethod
    def _start(cls, cases):
        now = clock()
        pauses = cls._pauses(
            [c for c in cases if c.state == 'waiting'], 'waiting_since', now)
        super()._start(cases)
        cls._push_deadlines(cases, pauses, now)

    @classmethod
    @ModelView.button
    def wait(cls, cases):
        super().wait(cases)
        cls.update_sla_status(cases)

    @classmethod
    @ModelView.button
    def resolve(cls, cases):
        now = clock()
        pauses = cls._pauses(
            [c for c in cases if c.state == 'waiting'], 'waiting_since', now)
        super().resolve(cases)
        cls._push_deadlines(cases, pauses, now)

    @classmethod
    @ModelView.button
    def reopen(cls, cases):
        now = clock()
        pauses = cls._pauses(
            [c for c in cases if c.state in DONE_STATES], 'resolved_at', now)
        super().reopen(cases)
        cls._push_deadlines(cases, pauses, now)

    @classmethod
    def _push_deadlines(cls, cases, pauses, now):
        "Store the pauses, push the deadlines by them and update the status"
        schedules = {}
        to_write = []
        for case, paused in pauses.items():
            case.sla_paused = paused
            values = case._sla_deadlines(
                case.sla_line.target if case.sla_line else None, schedules)
            values['sla_paused'] = paused
            to_write.extend([[case], values])
        if to_write:
            cls._store_sla(*to_write)
        cls.update_sla_status(cases, now=now)


class Compliance(ModelSQL, ModelView):
    __name__ = 'crm.service.sla.compliance'
    __string__ = "SLA Compliance"

    company = fields.Many2One('company.company', "Company")
    month = fields.Date("Month")
    team = fields.Many2One('crm.sales.team', "Team")
    priority = fields.Selection(PRIORITIES, "Priority", sort=False)
    channel = fields.Selection(CHANNELS, "Channel")
    cases = fields.Integer("Cases")
    response_met = fields.Integer("Response Met")
    resolution_met = fields.Integer("Resolution Met")
    met = fields.Integer("Met")
    breached = fields.Integer("Breached")
    compliance = fields.Function(fields.Float(
            "Compliance (%)", digits=(3, 1),
            help="The share of the cases that met their SLA among those "
            "that met or breached it."),
        'get_compliance')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'DESC'),
            ('company', 'ASC'),
            ('team', 'ASC'),
            ('priority', 'ASC'),
            ('channel', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = Case.__table__()
        context = Transaction().context
        month = cls.month.sql_cast(DateTrunc('month', case.sla_start))

        def count(condition):
            return Sum(SqlCase((condition, 1), else_=0))
        where = case.sla_line != Null
        if context.get('company'):
            where &= case.company == context['company']
        if context.get('from_date'):
            where &= case.sla_start >= datetime.datetime.combine(
                context['from_date'], datetime.time())
        if context.get('to_date'):
            where &= case.sla_start < datetime.datetime.combine(
                context['to_date'] + datetime.timedelta(days=1),
                datetime.time())
        # The month is computed once: PostgreSQL does not recognise two
        # parameterised DATE_TRUNC as the same grouping expression
        cases = case.select(
            case.id, case.company, month.as_('month'), case.team,
            case.priority, case.channel, case.response_sla,
            case.resolution_sla, case.sla_status,
            where=where)
        return cases.select(
            Min(cases.id).as_('id'),
            cases.company.as_('company'),
            cases.month.as_('month'),
            cases.team.as_('team'),
            cases.priority.as_('priority'),
            cases.channel.as_('channel'),
            Count(cases.id).as_('cases'),
            count(cases.response_sla == 'met').as_('response_met'),
            count(cases.resolution_sla == 'met').as_('resolution_met'),
            count(cases.sla_status == 'met').as_('met'),
            count(cases.sla_status == 'breached').as_('breached'),
            group_by=[cases.company, cases.month, cases.team,
                cases.priority, cases.channel])

    def get_compliance(self, name):
        evaluated = (self.met or 0) + (self.breached or 0)
        if evaluated:
            return round(100.0 * self.met / evaluated, 1)


class ComplianceContext(ModelView):
    __name__ = 'crm.service.sla.compliance.context'
    __string__ = "SLA Compliance Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')), ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ()),
            ])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')
