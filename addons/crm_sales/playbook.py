# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from collections import defaultdict

from sql.aggregate import Count, Sum
from sql.conditionals import Case

from trytond import backend
from trytond.model import (
    DeactivableMixin, MatchMixin, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .activity import TYPES

STAGES = [
    ('lead', "Lead"),
    ('opportunity', "Opportunity"),
    ('converted', "Converted"),
    ('won', "Won"),
    ('lost', "Lost"),
    ]


class Playbook(DeactivableMixin, MatchMixin, ModelSQL, ModelView):
    "CRM Playbook"
    __name__ = 'crm.playbook'
    __string__ = "CRM Playbook"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        domain=[
            ('id', If(Eval('context', {}).contains('company'), '=', '!='),
                Eval('context', {}).get('company', -1)),
            ])
    team = fields.Many2One(
        'crm.sales.team', "Sales Team",
        domain=[('company', '=', Eval('company', -1))],
        help="Apply only to the opportunities of this team.\n"
        "Leave empty for all teams.")
    stage = fields.Selection(
        STAGES, "Stage", required=True, sort=False,
        help="The tasks are created when an opportunity enters this stage.")
    lines = fields.One2Many(
        'crm.playbook.line', 'playbook', "Tasks",
        help="The activities to create for the assignee.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('stage', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_stage(cls):
        return 'lead'

    @classmethod
    def _pattern(cls, opportunity):
        "Return the pattern an opportunity's playbooks must match"
        return {
            'company': opportunity.company.id,
            'stage': opportunity.state,
            'team': opportunity.crm_team.id if opportunity.crm_team else None,
            }

    @classmethod
    def get_playbooks(cls, opportunities):
        "Return a dictionary of the playbooks that apply per opportunity"
        stages = {o.state for o in opportunities}
        playbooks = cls.search([('stage', 'in', list(stages))])
        return {
            o: [p for p in playbooks if p.match(cls._pattern(o))]
            for o in opportunities}


class PlaybookLine(sequence_ordered(), ModelSQL, ModelView):
    "CRM Playbook Task"
    __name__ = 'crm.playbook.line'
    __string__ = "CRM Playbook Task"

    playbook = fields.Many2One(
        'crm.playbook', "Playbook", required=True, ondelete='CASCADE')
    type = fields.Selection(TYPES, "Type", required=True)
    subject = fields.Char("Subject", required=True, translate=True)
    description = fields.Text("Description", translate=True)
    offset_days = fields.Integer(
        "Offset Days", required=True,
        domain=[('offset_days', '>=', 0)],
        help="The number of days after entering the stage the task is due.")
    duration = fields.TimeDelta("Duration")

    @classmethod
    def default_type(cls):
        return 'task'

    @classmethod
    def default_offset_days(cls):
        return 0

    def get_activity(self, opportunity, now):
        "Return the planned activity the task creates for the opportunity"
        pool = Pool()
        Activity = pool.get('crm.activity')
        return Activity(
            company=opportunity.company,
            type=self.type,
            subject=self.subject,
            description=self.description,
            party=opportunity.party,
            resource=opportunity,
            employee=opportunity.employee,
            planned_date=now + datetime.timedelta(days=self.offset_days),
            duration=self.duration,
            playbook_line=self,
            state='planned')


class Activity(metaclass=PoolMeta):
    __name__ = 'crm.activity'

    playbook_line = fields.Many2One(
        'crm.playbook.line', "Playbook Task", readonly=True,
        ondelete='SET NULL',
        help="The playbook task that created the activity.")

    @classmethod
    def copy(cls, activities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('playbook_line')
        return super().copy(activities, default=default)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_tasks_done = fields.Function(
        fields.Integer("Tasks Done"), 'get_crm_tasks')
    crm_tasks_total = fields.Function(
        fields.Integer(
            "Tasks", help="The activities not cancelled."),
        'get_crm_tasks')
    crm_tasks_progress = fields.Function(
        fields.Float("Progress", digits=(1, 4)), 'get_crm_tasks')

    @classmethod
    def get_crm_tasks(cls, opportunities, names):
        pool = Pool()
        Activity = pool.get('crm.activity')
        activity = Activity.__table__()
        cursor = Transaction().connection.cursor()

        result = {n: {o.id: 0 for o in opportunities} for n in names}
        if 'crm_tasks_progress' in result:
            result['crm_tasks_progress'] = {
                o.id: 0. for o in opportunities}
        for sub in grouped_slice(opportunities, backend.MAX_QUERY_PARAMS):
            resources = {str(o): o.id for o in sub}
            cursor.execute(*activity.select(
                    activity.resource,
                    Sum(Case((activity.state == 'done', 1), else_=0)),
                    Count(activity.id),
                    where=activity.resource.in_(list(resources))
                    & (activity.state != 'cancelled'),
                    group_by=activity.resource))
            for resource, done, total in cursor:
                id_ = resources[resource]
                values = {
                    'crm_tasks_done': done,
                    'crm_tasks_total': total,
                    'crm_tasks_progress': done / total,
                    }
                for name in names:
                    result[name][id_] = values[name]
        return result

    @classmethod
    def on_modification(cls, mode, opportunities, field_names=None):
        super().on_modification(mode, opportunities, field_names=field_names)
        if mode == 'create' or (mode == 'write' and 'state' in field_names):
            cls.apply_playbooks(opportunities)
        if mode == 'write' and 'employee' in field_names:
            cls.reassign_playbook_tasks(opportunities)

    @classmethod
    def apply_playbooks(cls, opportunities):
        """Create the tasks of the playbooks of the stage the opportunities
        are in, once per opportunity and task"""
        pool = Pool()
        Playbook = pool.get('crm.playbook')
        Activity = pool.get('crm.activity')
        # The process creates the tasks, whoever moves the opportunity
        with without_check_access():
            playbooks = Playbook.get_playbooks(opportunities)
            if not any(playbooks.values()):
                return
            existing = defaultdict(set)
            for sub in grouped_slice(
                    [o for o, p in playbooks.items() if p],
                    backend.MAX_QUERY_PARAMS):
                for activity in Activity.search([
                            ('resource', 'in', [str(o) for o in sub]),
                            ('playbook_line', '!=', None),
                            ]):
                    existing[activity.resource.id].add(
                        activity.playbook_line.id)
            now = datetime.datetime.now().replace(microsecond=0)
            activities = []
            for opportunity, o_playbooks in playbooks.items():
                for playbook in o_playbooks:
                    for line in playbook.lines:
                        if line.id not in existing[opportunity.id]:
                            activities.append(
                                line.get_activity(opportunity, now))
            Activity.save(activities)

    @classmethod
    def reassign_playbook_tasks(cls, opportunities):
        "Give the planned playbook tasks to the new assignee"
        pool = Pool()
        Activity = pool.get('crm.activity')
        with without_check_access():
            by_employee = defaultdict(list)
            for sub in grouped_slice(opportunities, backend.MAX_QUERY_PARAMS):
                by_resource = {str(o): o for o in sub}
                for activity in Activity.search([
                            ('resource', 'in', list(by_resource)),
                            ('playbook_line', '!=', None),
                            ('state', '=', 'planned'),
                            ]):
                    employee = by_resource[str(activity.resource)].employee
                    if activity.employee != employee:
                        by_employee[employee].append(activity)
            to_write = []
            for employee, activities in by_employee.items():
                to_write.extend([activities, {
                            'employee': employee.id if employee else None,
                            }])
            if to_write:
                Activity.write(*to_write)
