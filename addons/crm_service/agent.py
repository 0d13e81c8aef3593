# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The service profile of the employees: skills, capacity and availability"
import datetime

from sql import Literal
from sql.aggregate import Count

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .case import OPEN_STATES
from .exceptions import AgentAvailabilityError

SKILL_KINDS = [
    ('category', "Category"),
    ('product', "Product"),
    ('language', "Language"),
    ]
AVAILABILITIES = [
    ('on_duty', "On Duty"),
    ('away', "Away"),
    ('absent', "Absent"),
    ]


class Skill(DeactivableMixin, ModelSQL, ModelView):
    "What an agent knows: a case category, a product or a language"
    __name__ = 'crm.service.skill'
    __string__ = "Service Skill"

    name = fields.Char("Name", required=True, translate=True)
    kind = fields.Selection(
        SKILL_KINDS, "Kind", required=True,
        help="What the skill matches on the cases.")
    category = fields.Many2One(
        'crm.service.case.category', "Category", ondelete='CASCADE',
        states={
            'invisible': Eval('kind') != 'category',
            'required': Eval('kind') == 'category',
            },
        help="The cases of this category and of its sub-categories.")
    product = fields.Many2One(
        'product.product', "Product", ondelete='CASCADE',
        states={
            'invisible': Eval('kind') != 'product',
            'required': Eval('kind') == 'product',
            })
    language = fields.Many2One(
        'ir.lang', "Language", ondelete='CASCADE',
        states={
            'invisible': Eval('kind') != 'language',
            'required': Eval('kind') == 'language',
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_kind(cls):
        return 'category'

    @fields.depends('kind', 'category', 'product', 'language')
    def on_change_kind(self):
        if self.kind != 'category':
            self.category = None
        if self.kind != 'product':
            self.product = None
        if self.kind != 'language':
            self.language = None

    @fields.depends('name', 'category', 'product', 'language')
    def _on_change_target(self):
        if not self.name:
            target = self.category or self.product or self.language
            if target:
                self.name = target.rec_name

    on_change_category = _on_change_target
    on_change_product = _on_change_target
    on_change_language = _on_change_target

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Only the target of the kind is kept
        kind = values.get('kind')
        if kind:
            for name in {'category', 'product', 'language'} - {kind}:
                values[name] = None
        return values


class AgentSkill(ModelSQL, ModelView):
    "The level of an agent in a skill"
    __name__ = 'crm.service.agent.skill'
    __string__ = "Agent Skill"

    employee = fields.Many2One(
        'company.employee', "Agent", required=True, ondelete='CASCADE')
    skill = fields.Many2One(
        'crm.service.skill', "Skill", required=True, ondelete='CASCADE')
    kind = fields.Function(
        fields.Selection(SKILL_KINDS, "Kind"), 'on_change_with_kind')
    level = fields.Integer(
        "Level", required=True,
        domain=[
            ('level', '>=', 1),
            ('level', '<=', 5),
            ],
        help="From 1 (beginner) to 5 (expert).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('employee_skill_unique', Unique(t, t.employee, t.skill),
                'crm_service.msg_agent_skill_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.employee, Index.Range())),
                Index(t, (t.skill, Index.Range())),
                })
        cls._order = [
            ('level', 'DESC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def default_level(cls):
        return 3

    @fields.depends('skill')
    def on_change_with_kind(self, name=None):
        return self.skill.kind if self.skill else None

    def get_rec_name(self, name):
        return f'{self.skill.rec_name} ({self.level})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('skill.rec_name',) + tuple(clause[1:])]


class Absence(ModelSQL, ModelView):
    "A period when the agent takes no case, whatever the availability"
    __name__ = 'crm.service.agent.absence'
    __string__ = "Agent Absence"

    employee = fields.Many2One(
        'company.employee', "Agent", required=True, ondelete='CASCADE')
    start = fields.DateTime("From", required=True)
    end = fields.DateTime(
        "To", required=True,
        domain=[
            If(Eval('start') & Eval('end'),
                ('end', '>', Eval('start')),
                ()),
            ])
    reason = fields.Char("Reason")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.employee, Index.Range()), (t.end, Index.Range())))
        cls._order = [
            ('start', 'DESC'),
            ('id', 'DESC'),
            ]

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} ({self.start} - {self.end})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('employee.rec_name',) + tuple(clause[1:])]

    @classmethod
    def on_modification(cls, mode, absences, field_names=None):
        pool = Pool()
        Case = pool.get('crm.service.case')
        super().on_modification(mode, absences, field_names=field_names)
        # An absence cancelled or shortened may free its agent now
        if mode in {'create', 'write'}:
            Case.route_queue(agents=[a.employee for a in absences])

    @classmethod
    def on_delete(cls, absences):
        pool = Pool()
        Case = pool.get('crm.service.case')
        callback = super().on_delete(absences)
        agents = [a.employee for a in absences]
        callback.append(lambda: Case.route_queue(agents=agents))
        return callback


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    service_skills = fields.One2Many(
        'crm.service.agent.skill', 'employee', "Service Skills",
        help="What the agent knows, with a level from 1 to 5.")
    service_capacity = fields.Integer(
        "Capacity",
        domain=[
            ('service_capacity', '>=', 0),
            ],
        help="The most open service cases the agent handles at once.\n"
        "0: the agent takes no case from the routing.")
    service_availability = fields.Selection(
        AVAILABILITIES, "Availability", required=True,
        help="Only agents on duty receive cases; "
        "an absence makes the agent unavailable whatever this says.")
    service_absences = fields.One2Many(
        'crm.service.agent.absence', 'employee', "Absences")
    service_load = fields.Function(
        fields.Integer("Load", help="The open service cases of the agent."),
        'get_service_load')
    service_load_ratio = fields.Function(
        fields.Float("Load Ratio", digits=(3, 2),
            help="The load as a share of the capacity."),
        'get_service_load')
    service_available = fields.Function(
        fields.Boolean("Available",
            help="On duty and not absent now."),
        'get_service_available', searcher='search_service_available')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'service_on_duty': {
                    'invisible': Eval('service_availability') == 'on_duty',
                    'icon': 'tryton-ok',
                    'depends': ['service_availability'],
                    },
                'service_away': {
                    'invisible': Eval('service_availability') == 'away',
                    'icon': 'tryton-switch',
                    'depends': ['service_availability'],
                    },
                'service_absent': {
                    'invisible': Eval('service_availability') == 'absent',
                    'icon': 'tryton-cancel',
                    'depends': ['service_availability'],
                    },
                })

    @classmethod
    def default_service_capacity(cls):
        return 0

    @classmethod
    def default_service_availability(cls):
        return 'on_duty'

    @classmethod
    def service_loads(cls, employee_ids):
        "Return the number of open cases by employee id, in one query a slice"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = Case.__table__()
        cursor = Transaction().connection.cursor()
        loads = dict.fromkeys(employee_ids, 0)
        for sub_ids in grouped_slice(employee_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*case.select(case.agent, Count(Literal(1)),
                    where=reduce_ids(case.agent, list(sub_ids))
                    & case.state.in_(OPEN_STATES),
                    group_by=[case.agent]))
            loads.update(cursor)
        return loads

    @classmethod
    def get_service_load(cls, employees, names):
        loads = cls.service_loads([e.id for e in employees])
        result = {}
        if 'service_load' in names:
            result['service_load'] = loads
        if 'service_load_ratio' in names:
            result['service_load_ratio'] = {
                e.id: (loads[e.id] / e.service_capacity
                    if e.service_capacity else None)
                for e in employees}
        return result

    @classmethod
    def absent_query(cls, now, employee_ids=None):
        """Return the query of the employees inside an absence at now,
        among employee_ids when given"""
        pool = Pool()
        Absence = pool.get('crm.service.agent.absence')
        absence = Absence.__table__()
        where = (absence.start <= now) & (absence.end > now)
        if employee_ids is not None:
            where &= reduce_ids(absence.employee, employee_ids)
        return absence.select(absence.employee, where=where)

    @classmethod
    def get_service_available(cls, employees, name):
        cursor = Transaction().connection.cursor()
        now = datetime.datetime.now()
        absent = set()
        for sub_ids in grouped_slice(
                [e.id for e in employees], backend.MAX_QUERY_PARAMS):
            cursor.execute(*cls.absent_query(now, list(sub_ids)))
            absent.update(e for e, in cursor)
        return {
            e.id: (e.service_availability == 'on_duty'
                and e.id not in absent)
            for e in employees}

    @classmethod
    def search_service_available(cls, name, clause):
        _, operator, value = clause
        if operator not in {'=', '!='}:
            return []
        available = (operator == '=') == bool(value)
        absent = cls.absent_query(datetime.datetime.now())
        if available:
            return [
                ('service_availability', '=', 'on_duty'),
                ('id', 'not in', absent),
                ]
        return ['OR',
            ('service_availability', '!=', 'on_duty'),
            ('id', 'in', absent),
            ]

    @classmethod
    def on_modification(cls, mode, employees, field_names=None):
        pool = Pool()
        Case = pool.get('crm.service.case')
        super().on_modification(mode, employees, field_names=field_names)
        # An agent back on duty or with more room takes the waiting cases
        if (mode == 'write' and field_names
                and field_names & {
                    'service_availability', 'service_capacity'}):
            Case.route_queue(agents=employees)

    @classmethod
    def _set_service_availability(cls, employees, availability):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        # The button runs without access check: whoever clicks it is
        # checked here, only the code running as root is trusted
        if Transaction().user:
            manager = ModelData.get_id(
                'crm_service', 'group_crm_service_manager')
            own = set(User.get_employees())
            if manager not in User.get_groups():
                for employee in employees:
                    if employee.id not in own:
                        raise AgentAvailabilityError(gettext(
                                'crm_service.msg_agent_availability_own',
                                agent=employee.rec_name))
        cls.write(employees, {'service_availability': availability})

    @classmethod
    @ModelView.button
    def service_on_duty(cls, employees):
        cls._set_service_availability(employees, 'on_duty')

    @classmethod
    @ModelView.button
    def service_away(cls, employees):
        cls._set_service_availability(employees, 'away')

    @classmethod
    @ModelView.button
    def service_absent(cls, employees):
        cls._set_service_availability(employees, 'absent')
