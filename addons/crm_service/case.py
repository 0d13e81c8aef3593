# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from collections import defaultdict
from itertools import groupby

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import RecursionError
from trytond.modules.crm_sales.segment import SEGMENTS
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from .exceptions import CaseClosedError, CaseResolutionError

CHANNELS = [
    ('phone', "Phone"),
    ('email', "E-mail"),
    ('web', "Web Form"),
    ('fax', "Fax"),
    ('mobile', "Mobile"),
    ('field', "Field"),
    ('portal', "Portal"),
    ('chat', "Chat"),
    ]
PRIORITIES = [
    ('low', "Low"),
    ('normal', "Normal"),
    ('high', "High"),
    ('urgent', "Urgent"),
    ]
STATES = [
    ('new', "New"),
    ('assigned', "Assigned"),
    ('in_progress', "In Progress"),
    ('waiting', "Waiting on Customer"),
    ('resolved', "Resolved"),
    ('closed', "Closed"),
    ]
OPEN_STATES = ['new', 'assigned', 'in_progress', 'waiting']


class Category(ModelSQL, ModelView):
    __name__ = 'crm.service.case.category'
    __string__ = "Service Case Category"

    name = fields.Char("Name", required=True, translate=True)
    parent = fields.Many2One(
        'crm.service.case.category', "Parent", ondelete='RESTRICT')
    children = fields.One2Many(
        'crm.service.case.category', 'parent', "Children")
    _parents = Cache('crm.service.case.category.parents', context=False)
    _rec_names = Cache(
        'crm.service.case.category.rec_names', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def ancestor_ids(cls, category_id):
        """Return the ids of the category and its ancestors, the nearest
        first (none for None), from the parents of every category kept in
        a cache cleared when a category changes"""
        parents = cls._parents.get('all')
        if parents is None:
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(table.id, table.parent))
            parents = cls._parents.set('all', dict(cursor))
        chain, current = [], category_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        return chain

    @classmethod
    def rec_names(cls, ids):
        """Return the names of the categories by id, in the language of the
        context, from the names of every category kept in a cache cleared
        when a category changes"""
        language = Transaction().language
        names = cls._rec_names.get(language)
        if names is None:
            with without_check_access():
                names = cls._rec_names.set(
                    language, {c.id: c.rec_name for c in cls.search([])})
        result = {i: names[i] for i in ids if i in names}
        # Created since the names were kept
        result.update((c.id, c.rec_name) for c in cls.browse(
                [i for i in ids if i is not None and i not in names]))
        return result

    @classmethod
    def on_modification(cls, mode, categories, field_names=None):
        super().on_modification(mode, categories, field_names=field_names)
        cls._parents.clear()
        cls._rec_names.clear()

    def get_rec_name(self, name):
        if self.parent:
            return f'{self.parent.rec_name} / {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if isinstance(operand, str) and ' / ' in operand:
            operand = operand.rsplit(' / ', 1)[1]
        return [('name', operator, operand, *extra)]

    @classmethod
    def validate_fields(cls, categories, field_names):
        super().validate_fields(categories, field_names)
        if field_names is None or 'parent' in field_names:
            cls.check_cycle(categories)

    @classmethod
    def check_cycle(cls, categories):
        for category in categories:
            seen = {category.id}
            parent = category.parent
            while parent:
                if parent.id in seen:
                    raise RecursionError(gettext(
                            'crm_service.msg_case_category_cycle',
                            category=category.name))
                seen.add(parent.id)
                parent = parent.parent


class Case(Workflow, ModelSQL, ModelView):
    __name__ = 'crm.service.case'
    __string__ = "Service Case"
    _rec_name = 'number'

    _states = {
        'readonly': Eval('state') == 'closed',
        }

    number = fields.Char("Number", readonly=True)
    subject = fields.Char("Subject", required=True, states=_states)
    description = fields.Text("Description", states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | (Eval('id', -1) >= 0),
            })
    party = fields.Many2One(
        'party.party', "Party", states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer who asks for service.")
    contact = fields.Many2One(
        'party.contact_mechanism', "Contact", states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        domain=[
            If(Eval('party'), ('party', '=', Eval('party', -1)), ()),
            ],
        help="How to reach the customer for this case.")
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, states=_states,
        help="How the request came in.")
    channel_string = channel.translated('channel')
    category = fields.Many2One(
        'crm.service.case.category', "Category", states=_states)
    product = fields.Many2One(
        'product.product', "Product", states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    sale = fields.Many2One(
        'sale.sale', "Sale", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'), ('party', '=', Eval('party', -1)), ()),
            ])
    invoice = fields.Many2One(
        'account.invoice', "Invoice", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '=', 'out'),
            If(Eval('party'), ('party', '=', Eval('party', -1)), ()),
            ])
    complaint = fields.Many2One(
        'sale.complaint', "Complaint", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'), ('customer', '=', Eval('party', -1)), ()),
            ],
        help="The sale complaint handled through this case.")
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False, states=_states)
    customer_tier = fields.Function(fields.Selection(
            [(None, "")] + SEGMENTS, "Customer Tier",
            help="The value segment of the customer in the company."),
        'get_customer_tier')
    team = fields.Many2One(
        'crm.sales.team', "Team", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The team whose agents handle the case.")
    agent = fields.Many2One(
        'company.employee', "Agent", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The employee who handles the case.")
    resolution = fields.Text(
        "Resolution", states=_states,
        help="The answer given to the customer.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    assigned_at = fields.DateTime("Assigned at", readonly=True)
    first_response_at = fields.DateTime(
        "First Response at", readonly=True,
        help="When an agent first started working on the case.")
    waiting_since = fields.DateTime(
        "Waiting since", readonly=True,
        help="When the case started waiting on the customer.")
    resolved_at = fields.DateTime("Resolved at", readonly=True)
    closed_at = fields.DateTime("Closed at", readonly=True)
    reopened_count = fields.Integer(
        "Reopened", readonly=True,
        help="How many times the case was reopened.")
    case_count = fields.Function(
        fields.Integer("Cases", help="1 per case, summed by the graphs."),
        'get_case_count')
    channel_label = fields.Function(
        fields.Char("Channel",
            help="The channel as the user reads it, for the graphs: sao "
            "draws the codes of a selection."),
        'get_channel_label')

    del _states

    @classmethod
    def __setup__(cls):
        cls.number.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.number, Index.Similarity())),
                Index(t, (t.party, Index.Range()),
                    (t.create_date, Index.Range(order='DESC'))),
                Index(t, (t.team, Index.Range())),
                Index(t, (t.agent, Index.Range())),
                Index(
                    t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(OPEN_STATES)),
                })
        cls._order = [
            ('create_date', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('new', 'assigned'),
            ('new', 'in_progress'),
            ('assigned', 'in_progress'),
            ('in_progress', 'waiting'),
            ('waiting', 'in_progress'),
            ('in_progress', 'resolved'),
            ('waiting', 'resolved'),
            ('resolved', 'closed'),
            ('resolved', 'in_progress'),
            ('closed', 'in_progress'),
            }
        cls._buttons.update({
                'assign': {
                    'invisible': Eval('state') != 'new',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': ~Eval('state').in_(
                        ['new', 'assigned', 'waiting']),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'wait': {
                    'invisible': Eval('state') != 'in_progress',
                    'icon': 'tryton-switch',
                    'depends': ['state'],
                    },
                'resolve': {
                    'invisible': ~Eval('state').in_(
                        ['in_progress', 'waiting']),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'resolved',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': ~Eval('state').in_(['resolved', 'closed']),
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_team(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        # The case waits in the queue of the team of who takes it
        employee = Transaction().context.get('employee')
        if employee:
            return Opportunity._employee_team(employee)

    @classmethod
    def default_state(cls):
        return 'new'

    @classmethod
    def default_channel(cls):
        return 'phone'

    @classmethod
    def default_priority(cls):
        return 'normal'

    @classmethod
    def default_reopened_count(cls):
        return 0

    @fields.depends('party', 'contact')
    def on_change_party(self):
        if self.contact and self.contact.party != self.party:
            self.contact = None

    @classmethod
    def get_customer_tier(cls, cases, name):
        pool = Pool()
        Party = pool.get('party.party')
        tiers = dict.fromkeys((c.id for c in cases), None)

        def company(case):
            return case.company.id
        # The value segment of a party depends on the company
        for company_id, group in groupby(
                sorted((c for c in cases if c.party), key=company),
                key=company):
            group = list(group)
            with Transaction().set_context(company=company_id):
                segments = Party.get_crm_value(
                    Party.browse({c.party.id for c in group}),
                    ['crm_value_segment'])['crm_value_segment']
            for case in group:
                tiers[case.id] = segments[case.party.id] or None
        return tiers

    def get_case_count(self, name):
        return 1

    def get_channel_label(self, name):
        return self.channel_string

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'closed', 'muted',
                    If(Eval('state') == 'resolved', 'success',
                        If(Eval('state') == 'waiting', 'warning',
                            If(Eval('priority') == 'urgent', 'danger',
                                ''))))),
            ]

    @classmethod
    def create(cls, vlist):
        "Number the new cases, from one sequence query a company"
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        vlist = [v.copy() for v in vlist]
        company = Transaction().context.get('company')
        to_number = defaultdict(list)
        for values in vlist:
            if not values.get('number'):
                to_number[values.get('company', company)].append(values)
        with without_check_access():
            configuration = Configuration(1)
            for company_id, company_vlist in to_number.items():
                sequence = configuration.get_multivalue(
                    'case_sequence', company=company_id)
                if sequence:
                    for values, number in zip(company_vlist,
                            sequence.get_many(len(company_vlist))):
                        values['number'] = number
        return super().create(vlist)

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'resolution', 'assigned_at',
                'first_response_at', 'waiting_since', 'resolved_at',
                'closed_at']:
            default.setdefault(name)
        default.setdefault('reopened_count', 0)
        return super().copy(cases, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('assigned')
    def assign(cls, cases):
        cls.write(cases, {'assigned_at': datetime.datetime.now()})

    @classmethod
    @ModelView.button
    def start(cls, cases):
        # Resolved and closed cases come back to work only through reopen
        cls._start(
            [c for c in cases if c.state not in {'resolved', 'closed'}])

    @classmethod
    @Workflow.transition('in_progress')
    def _start(cls, cases):
        now = datetime.datetime.now()
        to_write = []
        for case in cases:
            values = {'waiting_since': None}
            if not case.first_response_at:
                values['first_response_at'] = now
            to_write.extend([[case], values])
        if to_write:
            cls.write(*to_write)

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting')
    def wait(cls, cases):
        cls.write(cases, {'waiting_since': datetime.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('resolved')
    def resolve(cls, cases):
        for case in cases:
            if not (case.resolution or '').strip():
                raise CaseResolutionError(gettext(
                        'crm_service.msg_case_resolution_required',
                        case=case.rec_name))
        cls.write(cases, {
                'resolved_at': datetime.datetime.now(),
                'waiting_since': None,
                })

    @classmethod
    @ModelView.button
    def close(cls, cases):
        # The workflow skips the records already in the state: say it
        for case in cases:
            if case.state == 'closed':
                raise CaseClosedError(gettext(
                        'crm_service.msg_case_already_closed',
                        case=case.rec_name))
        cls._close(cases)

    @classmethod
    @Workflow.transition('closed')
    def _close(cls, cases):
        cls.write(cases, {'closed_at': datetime.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def reopen(cls, cases):
        to_write = []
        for case in cases:
            to_write.extend([[case], {
                        'reopened_count': (case.reopened_count or 0) + 1,
                        'resolved_at': None,
                        'closed_at': None,
                        }])
        if to_write:
            cls.write(*to_write)


class Activity(metaclass=PoolMeta):
    __name__ = 'crm.activity'

    @classmethod
    def _get_resources(cls):
        return super()._get_resources() + ['crm.service.case']
