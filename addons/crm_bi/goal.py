# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""KPI goals: a business goal with three metrics measured against a baseline
and targets at 6, 12 and 24 months, snapshots taken by cron, the return on
investment, and a pilot group compared with the rest of the company."""
from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import measure as measure_module
from .measure import MeasureMixin

METRICS = 3
# The months after the baseline of each target
TARGET_MONTHS = [('target_6', 6), ('target_12', 12), ('target_24', 24)]
STATUSES = [
    (None, ""),
    ('on_track', "On Track"),
    ('at_risk', "At Risk"),
    ('off_track', "Off Track"),
    ]
# The worst status of the metrics is the goal's
SEVERITY = {None: 0, 'on_track': 1, 'at_risk': 2, 'off_track': 3}
PILOT_TYPES = [
    (None, ""),
    ('team', "Team"),
    ('territory', "Territory"),
    ('users', "Users"),
    ]


class Goal(DeactivableMixin, ModelSQL, ModelView):
    "A business goal measured by three metrics"
    __name__ = 'crm.bi.goal'
    __string__ = "KPI Goal"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    description = fields.Text("Description")
    baseline_date = fields.Date(
        "Baseline Date", required=True,
        help="The day of the baseline values; the targets fall 6, 12 and "
        "24 months after it.")
    at_risk_margin = fields.Float(
        "At Risk Margin (%)", required=True,
        domain=[
            ('at_risk_margin', '>=', 0),
            ],
        help="A metric short of its target by at most this share of the "
        "target is at risk, beyond it off track.")
    metrics = fields.One2Many(
        'crm.bi.goal.metric', 'goal', "Metrics", size=METRICS)
    cost = fields.Numeric("Cost", digits=(16, 2))
    benefit = fields.Numeric("Benefit", digits=(16, 2))
    roi = fields.Function(fields.Float(
            "ROI (%)", digits=(16, 1),
            help="The benefit less the cost, over the cost."),
        'get_roi')
    status = fields.Function(
        fields.Selection(STATUSES, "Status"), 'get_status')
    pilot_type = fields.Selection(
        PILOT_TYPES, "Pilot Group",
        help="The group whose metrics are measured beside the rest of the "
        "company.")
    pilot_team = fields.Many2One(
        'crm.sales.team', "Pilot Team", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'invisible': Eval('pilot_type') != 'team',
            'required': Eval('pilot_type') == 'team',
            })
    pilot_territory = fields.Many2One(
        'crm.territory', "Pilot Territory", ondelete='RESTRICT',
        states={
            'invisible': Eval('pilot_type') != 'territory',
            'required': Eval('pilot_type') == 'territory',
            })
    pilot_users = fields.Many2Many(
        'crm.bi.goal.pilot_user', 'goal', 'user', "Pilot Users",
        states={
            'invisible': Eval('pilot_type') != 'users',
            },
        help="Users whose employee is a salesperson of the pilot.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_at_risk_margin(cls):
        return 10.0

    def get_roi(self, name):
        if self.cost:
            return float(((self.benefit or 0) - self.cost) / self.cost * 100)

    def get_status(self, name):
        return max(
            (m.status for m in self.metrics), key=SEVERITY.get,
            default=None)

    @classmethod
    def validate(cls, goals):
        super().validate(goals)
        for goal in goals:
            if len(goal.metrics) != METRICS:
                raise ValidationError(gettext(
                        'crm_bi.msg_goal_three_metrics',
                        goal=goal.rec_name, count=len(goal.metrics)))
            if goal.pilot_type == 'users' and not goal.pilot_users:
                raise ValidationError(gettext(
                        'crm_bi.msg_goal_pilot_users', goal=goal.rec_name))
            for metric in goal.metrics:
                if goal.pilot_type and not metric.pilot_supported(
                        goal.pilot_type):
                    raise ValidationError(gettext(
                            'crm_bi.msg_goal_pilot_metric',
                            goal=goal.rec_name, metric=metric.rec_name))

    def pilot_filters(self):
        "Return the report filters whose sum is the pilot group"
        if self.pilot_type == 'team':
            return [{'team': self.pilot_team.id}]
        if self.pilot_type == 'territory':
            return [{'territory': self.pilot_territory.id}]
        if self.pilot_type == 'users':
            return [{'salesperson': u.employee.id}
                for u in self.pilot_users if u.employee]

    @classmethod
    def measure_goals(cls, goals=None):
        "Take today's snapshot of the metrics of the goals (all by default)"
        pool = Pool()
        Snapshot = pool.get('crm.bi.goal.snapshot')
        if goals is None:
            goals = cls.search([])
        today = measure_module.now().date()
        measured = {s.metric.id for s in Snapshot.search([
                    ('metric.goal', 'in', [g.id for g in goals]),
                    ('date', '=', today),
                    ])}
        Snapshot.create([m.snapshot(today)
                for g in goals if g.baseline_date <= today
                for m in g.metrics if m.id not in measured])


class GoalPilotUser(ModelSQL):
    "The users of a goal's pilot group"
    __name__ = 'crm.bi.goal.pilot_user'
    __string__ = "KPI Goal Pilot User"

    goal = fields.Many2One(
        'crm.bi.goal', "Goal", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class Metric(MeasureMixin, sequence_ordered(), ModelSQL, ModelView):
    "A key metric of a goal with its baseline and targets"
    __name__ = 'crm.bi.goal.metric'
    __string__ = "KPI Goal Metric"

    goal = fields.Many2One(
        'crm.bi.goal', "Goal", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    direction = fields.Selection([
            ('increase', "Higher Is Better"),
            ('decrease', "Lower Is Better"),
            ], "Direction", required=True)
    baseline = fields.Float("Baseline", required=True)
    target_6 = fields.Float("Target at 6 Months", required=True)
    target_12 = fields.Float("Target at 12 Months", required=True)
    target_24 = fields.Float("Target at 24 Months", required=True)
    snapshots = fields.One2Many(
        'crm.bi.goal.snapshot', 'metric', "Snapshots", readonly=True)
    last_value = fields.Function(
        fields.Float("Last Value"), 'get_last')
    last_date = fields.Function(
        fields.Date("Last Measured"), 'get_last')
    status = fields.Function(
        fields.Selection(STATUSES, "Status"), 'get_last')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('goal')

    @classmethod
    def default_direction(cls):
        return 'increase'

    def get_last(self, name):
        Snapshot = Pool().get('crm.bi.goal.snapshot')
        snapshots = Snapshot.search([
                ('metric', '=', self.id),
                ], order=[('date', 'DESC')], limit=1)
        if snapshots:
            return getattr(snapshots[0], {
                    'last_value': 'value',
                    'last_date': 'date',
                    }.get(name, name))

    def target_on(self, date):
        "Return the target interpolated between the baseline and targets"
        start = self.goal.baseline_date
        points = [(start, self.baseline)] + [
            (start + relativedelta(months=months), getattr(self, name))
            for name, months in TARGET_MONTHS]
        if date <= start:
            return self.baseline
        for (day0, value0), (day1, value1) in zip(points, points[1:]):
            if date <= day1:
                return value0 + (value1 - value0) * (
                    (date - day0).days / (day1 - day0).days)
        return self.target_24

    def status_on(self, value, date):
        "Return the status of the value measured on date"
        if value is None:
            return None
        target = self.target_on(date)
        shortfall = target - value
        if self.direction == 'decrease':
            shortfall = -shortfall
        if shortfall <= 0:
            return 'on_track'
        if shortfall <= abs(target) * self.goal.at_risk_margin / 100:
            return 'at_risk'
        return 'off_track'

    def snapshot(self, date):
        "Return the values of the snapshot measured on date"
        goal = self.goal
        value = self.measure(goal.company, date)
        values = {
            'metric': self.id,
            'date': date,
            'value': value,
            'target': self.target_on(date),
            'status': self.status_on(value, date),
            }
        if goal.pilot_type and value is not None:
            pilot = sum(self.measure(goal.company, date, **f)
                for f in goal.pilot_filters())
            values['pilot_value'] = pilot
            values['rest_value'] = value - pilot
            values['difference'] = pilot - (value - pilot)
        return values


class Snapshot(ModelSQL, ModelView):
    "A metric measured on a day, with the pilot group beside the rest"
    __name__ = 'crm.bi.goal.snapshot'
    __string__ = "KPI Goal Snapshot"

    metric = fields.Many2One(
        'crm.bi.goal.metric', "Metric", required=True, ondelete='CASCADE')
    goal = fields.Function(
        fields.Many2One('crm.bi.goal', "Goal"), 'get_goal',
        searcher='search_goal')
    date = fields.Date("Date", required=True)
    value = fields.Float("Value")
    target = fields.Float(
        "Target", help="The target interpolated on the day.")
    status = fields.Selection(STATUSES, "Status")
    pilot_value = fields.Float("Pilot Group")
    rest_value = fields.Float(
        "Rest of Company", help="The company less the pilot group.")
    difference = fields.Float(
        "Difference", help="The pilot group less the rest of the company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls.__access__.add('metric')

    def get_goal(self, name):
        return self.metric.goal.id

    @classmethod
    def search_goal(cls, name, clause):
        return [('metric.' + clause[0],) + tuple(clause[1:])]


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.bi.goal|measure_goals', "Measure KPI Goals"))
