# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql.aggregate import Count, Min

from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

TYPES = [
    ('call', "Call"),
    ('meeting', "Meeting"),
    ('email', "E-mail"),
    ('visit', "Visit"),
    ('task', "Task"),
    ('note', "Note"),
    ]
# One light colour per type in the calendar, under dark text: the week of a
# salesperson reads by type, whoever's calendar it is
CALENDAR_COLORS = {
    'call': '#cfe2ff',
    'meeting': '#d1e7dd',
    'email': '#e2d9f3',
    'visit': '#fff3cd',
    'task': '#ffe5d0',
    'note': '#e9ecef',
    }
CALENDAR_TEXT_COLOR = '#212529'


class Activity(Workflow, ModelSQL, ModelView):
    "CRM Activity"
    __name__ = 'crm.activity'
    __string__ = "CRM Activity"
    _rec_name = 'subject'

    _states = {
        'readonly': Eval('state') != 'planned',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | Eval('party', True),
            })
    type = fields.Selection(TYPES, "Type", required=True, states=_states)
    subject = fields.Char("Subject", required=True, states=_states)
    description = fields.Text("Description", states=_states)
    party = fields.Many2One(
        'party.party', "Party", states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    contact = fields.Many2One(
        'party.party', "Contact", states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The person spoken to at the party.")
    resource = fields.Reference(
        "Related To", selection='get_resources', states=_states)
    employee = fields.Many2One(
        'company.employee', "Employee", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who does the activity.")
    planned_date = fields.DateTime(
        "Planned Date", required=True, states=_states)
    duration = fields.TimeDelta("Duration", states=_states)
    outcome = fields.Text(
        "Outcome",
        states={
            'readonly': Eval('state') == 'cancelled',
            },
        help="What came out of the activity.")
    state = fields.Selection([
            ('planned', "Planned"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    planned_end = fields.Function(
        fields.DateTime("Planned End"), 'get_planned_end',
        setter='set_planned_end')
    calendar_color = fields.Function(
        fields.Char("Calendar Color"), 'get_calendar_color')
    calendar_text_color = fields.Function(
        fields.Char("Calendar Text Color"), 'get_calendar_color')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range()),
                    (t.planned_date, Index.Range(order='DESC'))),
                Index(t, (t.resource, Index.Equality())),
                Index(t, (t.employee, Index.Range()),
                    (t.planned_date, Index.Range())),
                Index(
                    t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'planned'),
                })
        cls._order = [
            ('planned_date', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'cancelled'),
            ('done', 'planned'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'plan': {
                    'invisible': Eval('state') == 'planned',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_type(cls):
        return 'call'

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_planned_date(cls):
        return datetime.datetime.now().replace(microsecond=0)

    @classmethod
    def _get_resources(cls):
        "Return the names of the models an activity can relate to"
        return ['sale.opportunity', 'sale.sale']

    @classmethod
    def get_resources(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        models = cls._get_resources()
        return [(None, '')] + [
            (m, IrModel.get_name(m)) for m in models]

    @fields.depends('resource', 'party')
    def on_change_resource(self):
        if (not self.party and self.resource and self.resource.id >= 0
                and getattr(self.resource, 'party', None)):
            self.party = self.resource.party

    def get_overdue(self, name):
        return (self.state == 'planned'
            and self.planned_date < datetime.datetime.now())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        now = datetime.datetime.now()
        if (operator == '=') == bool(value):
            return [
                ('state', '=', 'planned'),
                ('planned_date', '<', now),
                ]
        return ['OR',
            ('state', '!=', 'planned'),
            ('planned_date', '>=', now),
            ]

    def get_planned_end(self, name):
        return self.planned_date + (self.duration or datetime.timedelta())

    @classmethod
    def set_planned_end(cls, activities, name, value):
        "Moving the end in the calendar changes the duration"
        to_write = []
        for activity in activities:
            if value and value > activity.planned_date:
                to_write.extend([[activity], {
                            'duration': value - activity.planned_date,
                            }])
        if to_write:
            cls.write(*to_write)

    def get_calendar_color(self, name):
        if name == 'calendar_text_color':
            return CALENDAR_TEXT_COLOR
        return CALENDAR_COLORS.get(self.type)

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('overdue', False), 'danger',
                    If(Eval('state') == 'cancelled', 'muted', ''))),
            ]

    @classmethod
    def copy(cls, activities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('outcome')
        return super().copy(activities, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, activities):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, activities):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, activities):
        pass


class ActivityReporting(ModelSQL, ModelView):
    "CRM Activity Analysis"
    __name__ = 'crm.activity.reporting'
    __string__ = "CRM Activity Analysis"

    company = fields.Many2One('company.company', "Company")
    employee = fields.Many2One('company.employee', "Employee")
    type = fields.Selection(TYPES, "Type")
    state = fields.Selection([
            ('planned', "Planned"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", sort=False)
    number = fields.Integer("Number")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('number', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Activity = Pool().get('crm.activity')
        # search applies the reader's record rules on the activities
        activity = Activity.__table__()
        readable = Activity.search([], order=[], query=True)
        return activity.select(
            Min(activity.id).as_('id'),
            activity.company.as_('company'),
            activity.employee.as_('employee'),
            activity.type.as_('type'),
            activity.state.as_('state'),
            Count(activity.id).as_('number'),
            where=activity.id.in_(readable),
            group_by=[activity.company, activity.employee, activity.type,
                activity.state])


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_activities = fields.One2Many(
        'crm.activity', 'resource', "Activities",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('crm_activities')
        return super().copy(opportunities, default=default)
