# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A check-in at a customer: where the phone was, how precisely, when,
how far from the customer's address, and the report written at check-out.
"""
import datetime

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import geo
from .sync import TrackDeletions

# A check-in farther than this from the address (beyond the accuracy the
# phone reported) is flagged
FAR = 300  # metres


class Visit(TrackDeletions, Workflow, ModelSQL, ModelView):
    "CRM Mobile Visit"
    __name__ = 'crm.mobile.visit'
    __string__ = "Customer Visit"

    _states = {'readonly': Eval('state') != 'checked_in'}

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", required=True, readonly=True)
    employee = fields.Many2One(
        'company.employee', "Employee", readonly=True,
        help="The salesperson who visited.")
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    address = fields.Many2One(
        'party.address', "Address", readonly=True,
        domain=[('party', '=', Eval('party', -1))])
    check_in_at = fields.DateTime("Checked in at", required=True,
        readonly=True)
    check_out_at = fields.DateTime("Checked out at", readonly=True)
    latitude = fields.Float("Latitude", digits=(3, 7), readonly=True)
    longitude = fields.Float("Longitude", digits=(3, 7), readonly=True)
    accuracy = fields.Float(
        "Accuracy", digits=(16, 0), readonly=True,
        help="In metres, as the phone reported it.")
    distance = fields.Float(
        "Distance", digits=(16, 0), readonly=True,
        help="In metres, from the customer's address.")
    far = fields.Boolean(
        "Far", readonly=True,
        help="Checked in farther from the address than the accuracy "
        "explains.")
    report = fields.Text("Report", states=_states)
    state = fields.Selection([
            ('checked_in', "Checked in"),
            ('checked_out', "Checked out"),
            ], "State", required=True, readonly=True, sort=False)
    map_url = fields.Function(
        fields.Char("Map", help="Where the phone was, on OpenStreetMap."),
        'get_map_url')
    visit_date = fields.Function(fields.Date("Date"), 'get_visit_date')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.user, Index.Range()),
                    (t.check_in_at, Index.Range(order='DESC'))),
                Index(t, (t.party, Index.Range())),
                Index(t, (t.write_date, Index.Range())),
                })
        cls._order = [('check_in_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('checked_in', 'checked_out')}
        cls._buttons.update({
                'check_out': {
                    'invisible': Eval('state') != 'checked_in',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_user(cls):
        return Transaction().user

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_state(cls):
        return 'checked_in'

    @classmethod
    def default_check_in_at(cls):
        return datetime.datetime.now().replace(microsecond=0)

    def get_map_url(self, name):
        if self.latitude is not None and self.longitude is not None:
            return ('https://www.openstreetmap.org/?mlat=%s&mlon=%s#map=17/'
                '%s/%s' % ((self.latitude, self.longitude) * 2))

    def get_visit_date(self, name):
        return self.check_in_at.date()

    def get_rec_name(self, name):
        return '%s @ %s' % (self.party.rec_name, self.check_in_at)

    @classmethod
    def validate_fields(cls, visits, field_names):
        super().validate_fields(visits, field_names)
        for visit in visits:
            if visit.accuracy is not None and visit.accuracy < 0:
                raise ValidationError(gettext(
                        'crm_mobile.msg_visit_accuracy'))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.update(cls._placement(values))
        return values

    @classmethod
    def _placement(cls, values):
        "Return the address, distance and far flag of a new visit"
        Address = Pool().get('party.address')
        latitude, longitude = values.get('latitude'), values.get('longitude')
        address = values.get('address')
        if address:
            addresses = [Address(address)]
        else:
            addresses = Address.search([
                    ('party', '=', values.get('party')),
                    ('latitude', '!=', None),
                    ('longitude', '!=', None),
                    ])
        if latitude is None or longitude is None:
            return {'address': addresses[0].id} if addresses else {}
        located = [a for a in addresses
            if a.latitude is not None and a.longitude is not None]
        if not located:
            return {'address': addresses[0].id} if addresses else {}
        nearest = min(located, key=lambda a: geo.distance(
                latitude, longitude, a.latitude, a.longitude))
        distance = geo.distance(
            latitude, longitude, nearest.latitude, nearest.longitude)
        return {
            'address': nearest.id,
            'distance': round(distance),
            'far': distance > FAR + (values.get('accuracy') or 0),
            }

    @classmethod
    @ModelView.button
    @Workflow.transition('checked_out')
    def check_out(cls, visits):
        now = datetime.datetime.now().replace(microsecond=0)
        cls.write([v for v in visits if not v.check_out_at],
            {'check_out_at': now})
