# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Escalation of the cases whose SLA clocks run out.

Every five minutes the cron `crm.service.case|escalate` brings the SLA
status of the running cases up to date, then notifies:

- the agent of a case at risk, once;
- the recipients of each escalation level of a breached case, once per
  level, when the level's delay after the breach has passed.

Each notification is logged in `crm.service.escalation`; the log is what
makes the cron idempotent: what was logged is never sent again.
"""
import datetime
import json
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import sla

KINDS = [
    ('at_risk', "At Risk"),
    ('breach', "Breach"),
    ]
RECIPIENTS = [
    ('agent', "Agent"),
    ('leader', "Team Leader"),
    ('user', "User"),
    ('managers', "Service Managers"),
    ]


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.service.case|escalate', "Escalate Service Cases"))


class EscalationLevel(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'crm.service.escalation.level'
    __string__ = "Escalation Level"

    company = fields.Many2One('company.company', "Company", required=True)
    policy = fields.Many2One(
        'crm.service.sla.policy', "SLA Policy", ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="Leave empty for the cases of every policy.")
    name = fields.Char("Name", required=True, translate=True)
    delay = fields.TimeDelta(
        "After Breach", required=True,
        help="How long after the breach the level is notified.")
    recipient = fields.Selection(RECIPIENTS, "Notify", required=True)
    user = fields.Many2One(
        'res.user', "User",
        states={
            'required': Eval('recipient') == 'user',
            'invisible': Eval('recipient') != 'user',
            })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_delay(cls):
        return datetime.timedelta()

    @classmethod
    def default_recipient(cls):
        return 'leader'

    @fields.depends('recipient', 'user')
    def on_change_recipient(self):
        if self.recipient != 'user':
            self.user = None


class Escalation(ModelSQL, ModelView):
    __name__ = 'crm.service.escalation'
    __string__ = "Case Escalation"

    case = fields.Many2One(
        'crm.service.case', "Case", required=True, readonly=True,
        ondelete='CASCADE')
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    level = fields.Many2One(
        'crm.service.escalation.level', "Level", readonly=True,
        ondelete='SET NULL')
    user = fields.Many2One(
        'res.user', "Notified User", readonly=True, ondelete='SET NULL',
        help="Empty when nobody could be notified.")
    date = fields.DateTime("Date", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def notify(cls, cases, now):
        """Notify and log the at-risk and breach escalations of the cases
        not yet logged"""
        pool = Pool()
        Level = pool.get('crm.service.escalation.level')
        done = {(e.case.id, e.kind, e.level.id if e.level else None)
            for e in cls.search([('case', 'in', [c.id for c in cases])])}
        levels = defaultdict(list)
        for level in Level.search([
                    ('company', 'in', list({c.company.id for c in cases})),
                    ]):
            levels[level.company.id].append(level)

        to_notify = []
        for case in cases:
            if case.sla_status == 'at_risk':
                if (case.id, 'at_risk', None) not in done:
                    to_notify.append((case, 'at_risk', None))
            elif case.sla_status == 'breached' and case.sla_breached_at:
                policy = case.sla_line.policy if case.sla_line else None
                for level in levels[case.company.id]:
                    if level.policy and level.policy != policy:
                        continue
                    if (case.id, 'breach', level.id) in done:
                        continue
                    if now >= case.sla_breached_at + level.delay:
                        to_notify.append((case, 'breach', level))
        cls._send(to_notify, now)

    @classmethod
    def _recipients(cls, notices):
        "Return the users to notify for each (case, kind, level) notice"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        employees = set()
        for case, kind, level in notices:
            if kind == 'at_risk' or level.recipient == 'agent':
                if case.agent:
                    employees.add(case.agent.id)
            elif level.recipient == 'leader':
                if case.team and case.team.leader:
                    employees.add(case.team.leader.id)
        users_of = defaultdict(set)
        for user in User.search([('employees', 'in', list(employees))]):
            for employee in user.employees:
                users_of[employee.id].add(user)
        managers = []
        if any(lvl and lvl.recipient == 'managers' for _, _, lvl in notices):
            managers = User.search([('groups', '=', ModelData.get_id(
                            'crm_service', 'group_crm_service_manager'))])
        for case, kind, level in notices:
            recipient = 'agent' if kind == 'at_risk' else level.recipient
            if recipient == 'agent':
                employee = case.agent
            elif recipient == 'leader':
                employee = case.team.leader if case.team else None
            else:
                employee = None
            if recipient == 'user':
                users = [level.user]
            elif recipient == 'managers':
                users = managers
            else:
                users = sorted(users_of[employee.id] if employee else [],
                    key=lambda u: u.id)
            yield (case, kind, level), users

    @classmethod
    def _send(cls, notices, now):
        pool = Pool()
        Notification = pool.get('res.notification')
        logs, notifications = [], []
        for (case, kind, level), users in cls._recipients(notices):
            for user in users:
                language = user.language.code if user.language else None
                with Transaction().set_context(language=language):
                    notifications.append(Notification(
                            user=user,
                            icon='tryton-warning',
                            model='crm.service.case',
                            records=json.dumps([case.id]),
                            **case._escalation_notice(kind)))
                logs.append(cls(
                        case=case, kind=kind, level=level, user=user,
                        date=now))
            if not users:
                # Logged all the same: nobody is searched for again
                logs.append(cls(
                        case=case, kind=kind, level=level, date=now))
        Notification.save(notifications)
        cls.save(logs)


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    escalations = fields.One2Many(
        'crm.service.escalation', 'case', "Escalations", readonly=True)

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('escalations')
        return super().copy(cases, default=default)

    @classmethod
    def escalate(cls, now=None):
        """Update the SLA status of the running cases and notify the agents
        and the escalation levels"""
        pool = Pool()
        Escalation = pool.get('crm.service.escalation')
        if now is None:
            now = sla.clock()
        running = [('state', 'in', sla.RUNNING_STATES)]
        # The cron runs once per company registered on it
        company = Transaction().context.get('company')
        if company:
            running.append(('company', '=', company))
        moved = cls.search(running + [
                ('sla_status', 'in', ['on_track', 'at_risk']),
                ['OR',
                    ('resolution_risk_at', '<=', now),
                    [
                        ('first_response_at', '=', None),
                        ('response_risk_at', '<=', now),
                        ]],
                ])
        cls.update_sla_status(moved, now=now)
        Escalation.notify(cls.search(running + [
                    ('sla_status', 'in', ['at_risk', 'breached']),
                    ]), now)

    def _escalation_notice(self, kind):
        "Return the label and description of the notification of the kind"
        if kind == 'at_risk':
            label = gettext(
                'crm_service.msg_escalation_at_risk', case=self.rec_name)
        else:
            label = gettext(
                'crm_service.msg_escalation_breach', case=self.rec_name)
        return {'label': label, 'description': self.subject}
