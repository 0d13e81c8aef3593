# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.tools import timezone as tz
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import VisitOverlapError, VisitReportError

STATES = [
    ('planned', "Planned"),
    ('in_progress', "In Progress"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
# Colours of the technicians on the calendars
COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e',
    '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22']
MAP_URL = ('https://www.openstreetmap.org/'
    '?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}')


def company_timezone(company):
    "The time zone of the company, UTC without one"
    if company and company.timezone:
        return tz.get_tzinfo(company.timezone)
    return tz.UTC


class Visit(Workflow, ModelSQL, ModelView):
    __name__ = 'crm.service.visit'
    __string__ = "Field Visit"
    _rec_name = 'number'

    _states = {
        'readonly': Eval('state').in_(['done', 'cancelled']),
        }

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | (Eval('id', -1) >= 0),
            })
    case = fields.Many2One(
        'crm.service.case', "Case", required=True, ondelete='CASCADE',
        states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    party = fields.Function(fields.Many2One(
            'party.party', "Party",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'}),
        'on_change_with_party', searcher='search_party')
    technician = fields.Many2One(
        'company.employee', "Technician", required=True, states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The employee who goes on site.")
    scheduled_start = fields.DateTime(
        "Scheduled Start", required=True, states=_states)
    scheduled_end = fields.DateTime(
        "Scheduled End", required=True, states=_states,
        domain=[
            If(Eval('scheduled_start') & Eval('scheduled_end'),
                ('scheduled_end', '>', Eval('scheduled_start')),
                ()),
            ])
    scheduled_date = fields.Function(
        fields.Date("Date", help="The day of the scheduled start."),
        'get_scheduled_date', searcher='search_scheduled_date')
    address = fields.Many2One(
        'party.address', "Address", states=_states,
        domain=[
            ('party', '=', Eval('party', -1)),
            ])
    latitude = fields.Function(
        fields.Float("Latitude", digits=(3, 7)), 'on_change_with_latitude')
    longitude = fields.Function(
        fields.Float("Longitude", digits=(3, 7)),
        'on_change_with_longitude')
    map_url = fields.Function(
        fields.Char("Map", help="The address on OpenStreetMap."),
        'on_change_with_map_url')
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    arrived_at = fields.DateTime("Arrived at", readonly=True)
    done_at = fields.DateTime("Done at", readonly=True)
    report = fields.Text(
        "Result Report",
        states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            'required': Eval('state') == 'done',
            },
        help="What the technician found and did on site.")
    technician_color = fields.Function(
        fields.Char("Technician Colour"), 'on_change_with_technician_color')
    visit_count = fields.Function(
        fields.Integer("Visits", help="1 per visit, summed by the graphs."),
        'get_visit_count')

    del _states

    @classmethod
    def __setup__(cls):
        cls.number.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.number, Index.Similarity())),
                Index(t, (t.case, Index.Range())),
                Index(t, (t.technician, Index.Range()),
                    (t.scheduled_start, Index.Range())),
                Index(t, (t.scheduled_start, Index.Range())),
                })
        cls._order = [
            ('scheduled_start', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('planned', 'in_progress'),
            ('in_progress', 'done'),
            ('planned', 'cancelled'),
            ('in_progress', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'plan': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                'arrive': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'in_progress',
                    'readonly': ~Bool(Eval('report')),
                    'icon': 'tryton-ok',
                    'depends': ['state', 'report'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['planned', 'in_progress']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_technician(cls):
        return Transaction().context.get('employee')

    @fields.depends('case', '_parent_case.party')
    def on_change_with_party(self, name=None):
        return self.case.party if self.case else None

    @classmethod
    def search_party(cls, name, clause):
        return [('case.' + clause[0], *clause[1:])]

    @fields.depends('case', 'address', 'technician',
        '_parent_case.party', '_parent_case.agent')
    def on_change_case(self):
        party = self.case.party if self.case else None
        if self.address and self.address.party != party:
            self.address = None
        if party and not self.address:
            self.address = party.address_get()
        if self.case and self.case.agent and not self.technician:
            self.technician = self.case.agent

    @fields.depends('scheduled_start', 'scheduled_end')
    def on_change_scheduled_start(self):
        if self.scheduled_start and (not self.scheduled_end
                or self.scheduled_end <= self.scheduled_start):
            self.scheduled_end = (
                self.scheduled_start + datetime.timedelta(hours=1))

    @fields.depends('address')
    def on_change_with_latitude(self, name=None):
        return self.address.latitude if self.address else None

    @fields.depends('address')
    def on_change_with_longitude(self, name=None):
        return self.address.longitude if self.address else None

    @fields.depends('address')
    def on_change_with_map_url(self, name=None):
        if self.address and self.address.latitude is not None \
                and self.address.longitude is not None:
            return MAP_URL.format(
                lat=self.address.latitude, lon=self.address.longitude)

    @fields.depends('technician')
    def on_change_with_technician_color(self, name=None):
        if self.technician:
            return COLORS[self.technician.id % len(COLORS)]

    def get_scheduled_date(self, name):
        timezone = company_timezone(self.company)
        return self.scheduled_start.replace(
            tzinfo=tz.UTC).astimezone(timezone).date()

    @classmethod
    def search_scheduled_date(cls, name, clause):
        pool = Pool()
        Company = pool.get('company.company')
        _, operator, value = clause[:3]
        company_id = Transaction().context.get('company')
        timezone = company_timezone(
            Company(company_id) if company_id else None)

        def midnight(date):
            "The UTC time of the midnight starting the local date"
            return datetime.datetime.combine(
                date, datetime.time(), tzinfo=timezone).astimezone(
                tz.UTC).replace(tzinfo=None)
        if value is None:
            return [('scheduled_start', operator, None)]
        if isinstance(value, datetime.datetime):
            value = value.date()
        start = midnight(value)
        end = midnight(value + datetime.timedelta(days=1))
        return {
            '=': [
                ('scheduled_start', '>=', start),
                ('scheduled_start', '<', end)],
            '!=': ['OR',
                ('scheduled_start', '<', start),
                ('scheduled_start', '>=', end)],
            '<': [('scheduled_start', '<', start)],
            '<=': [('scheduled_start', '<', end)],
            '>': [('scheduled_start', '>=', end)],
            '>=': [('scheduled_start', '>=', start)],
            }[operator]

    def get_visit_count(self, name):
        return 1

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'cancelled', 'muted',
                    If(Eval('state') == 'done', 'success',
                        If(Eval('state') == 'in_progress', 'warning',
                            '')))),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Sequence = pool.get('ir.sequence')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = Sequence(
                ModelData.get_id('crm_service', 'sequence_visit')).get()
        return values

    @classmethod
    def copy(cls, visits, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'report', 'arrived_at', 'done_at']:
            default.setdefault(name)
        return super().copy(visits, default=default)

    @classmethod
    def validate_fields(cls, visits, field_names):
        super().validate_fields(visits, field_names)
        if field_names is None or field_names & {
                'technician', 'scheduled_start', 'scheduled_end',
                'state'}:
            cls.check_overlap(visits)

    @classmethod
    def check_overlap(cls, visits):
        "Refuse to book a technician on two visits at the same time"
        cursor = Transaction().connection.cursor()
        visit, other = cls.__table__(), cls.__table__()
        for sub_ids in grouped_slice(
                [v.id for v in visits], backend.MAX_QUERY_PARAMS):
            query = visit.join(other, condition=(
                    (other.technician == visit.technician)
                    & (other.id != visit.id)
                    & (other.scheduled_start < visit.scheduled_end)
                    & (visit.scheduled_start < other.scheduled_end)
                    & (other.state != 'cancelled'))
                ).select(visit.id, other.id,
                where=reduce_ids(visit.id, sub_ids)
                & (visit.state != 'cancelled')
                & (visit.technician != Null),
                limit=1)
            cursor.execute(*query)
            row = cursor.fetchone()
            if row:
                visit, other = cls.browse(row)
                raise VisitOverlapError(gettext(
                        'crm_service.msg_visit_overlap',
                        technician=visit.technician.rec_name,
                        visit=visit.rec_name,
                        other=other.rec_name,
                        start=other.scheduled_start,
                        end=other.scheduled_end))

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, visits):
        cls.write(visits, {'arrived_at': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def arrive(cls, visits):
        cls.write(visits, {'arrived_at': datetime.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, visits):
        for visit in visits:
            if not (visit.report or '').strip():
                raise VisitReportError(gettext(
                        'crm_service.msg_visit_report_required',
                        visit=visit.rec_name))
        cls.write(visits, {'done_at': datetime.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, visits):
        pass


class VisitDispatchContext(ModelView):
    __name__ = 'crm.service.visit.dispatch.context'
    __string__ = "Field Visit Dispatch Context"

    date = fields.Date("Date", required=True)
    technician = fields.Many2One(
        'company.employee', "Technician",
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    company = fields.Many2One('company.company', "Company", readonly=True)

    @classmethod
    def default_date(cls):
        return datetime.date.today()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    visits = fields.One2Many(
        'crm.service.visit', 'case', "Field Visits", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'schedule_visit': {
                    'invisible': Eval('state') == 'closed',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('visits')
        return super().copy(cases, default=default)

    @classmethod
    @ModelView.button_action('crm_service.wizard_case_schedule_visit')
    def schedule_visit(cls, cases):
        pass


class CaseScheduleVisitStart(ModelView):
    __name__ = 'crm.service.case.schedule_visit.start'
    __string__ = "Schedule Field Visit"

    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    technician = fields.Many2One(
        'company.employee', "Technician", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    scheduled_start = fields.DateTime("Scheduled Start", required=True)
    scheduled_end = fields.DateTime(
        "Scheduled End", required=True,
        domain=[
            If(Eval('scheduled_start') & Eval('scheduled_end'),
                ('scheduled_end', '>', Eval('scheduled_start')),
                ()),
            ])
    address = fields.Many2One(
        'party.address', "Address",
        domain=[
            ('party', '=', Eval('party', -1)),
            ])

    @fields.depends('scheduled_start', 'scheduled_end')
    def on_change_scheduled_start(self):
        if self.scheduled_start and (not self.scheduled_end
                or self.scheduled_end <= self.scheduled_start):
            self.scheduled_end = (
                self.scheduled_start + datetime.timedelta(hours=1))


class CaseScheduleVisit(Wizard):
    __name__ = 'crm.service.case.schedule_visit'
    __string__ = "Schedule Field Visit"

    start = StateView(
        'crm.service.case.schedule_visit.start',
        'crm_service.case_schedule_visit_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Schedule", 'schedule', 'tryton-ok', default=True),
            ])
    schedule = StateAction('crm_service.act_visit_form')

    def default_start(self, fields):
        case = self.record
        address = case.party.address_get() if case.party else None
        # The next round hour leaves time to reach the customer
        start = (datetime.datetime.now().replace(
                minute=0, second=0, microsecond=0)
            + datetime.timedelta(hours=2))
        return {
            'company': case.company.id,
            'party': case.party.id if case.party else None,
            'technician': (case.agent.id if case.agent
                else Transaction().context.get('employee')),
            'scheduled_start': start,
            'scheduled_end': start + datetime.timedelta(hours=1),
            'address': address.id if address else None,
            }

    def do_schedule(self, action):
        pool = Pool()
        Visit = pool.get('crm.service.visit')
        visit = Visit(
            company=self.record.company,
            case=self.record,
            technician=self.start.technician,
            scheduled_start=self.start.scheduled_start,
            scheduled_end=self.start.scheduled_end,
            address=self.start.address)
        visit.save()
        return action, {'res_id': [visit.id]}
