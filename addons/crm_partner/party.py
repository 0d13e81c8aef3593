# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The partner profile of a party: type, tier, coverage, capacity"
from sql import Literal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

PARTNER_TYPES = [
    (None, ""),
    ('reseller', "Reseller"),
    ('distributor', "Distributor"),
    ('referral', "Referral"),
    ('service', "Service"),
    ]

# What only the channel manager changes on a party (ir.model.field.access)
PROGRAMME_FIELDS = [
    'is_partner', 'partner_active', 'partner_type', 'partner_tier',
    'partner_territories', 'partner_specialities', 'partner_certifications',
    'partner_capacity', 'partner_manager']


class Tier(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "A level of the partner programme, higher by sequence"
    __name__ = 'crm.partner.tier'
    __string__ = "Partner Tier"

    name = fields.Char("Name", required=True, translate=True)
    weight = fields.Float(
        "Distribution Weight", required=True,
        domain=[('weight', '>=', 0)],
        help="How much the tier favours its partners when leads are "
        "distributed, relative to the other tiers.")
    benefits = fields.Text("Benefits", translate=True)
    discount = fields.Numeric(
        "Discount", digits=(16, 4),
        help="The discount granted on the price list, as a fraction.")
    price_list = fields.Many2One(
        'product.price_list', "Price List", ondelete='SET NULL',
        help="The price list of the partners of the tier.")
    commission_plan = fields.Many2One(
        'commission.plan', "Commission Plan", ondelete='SET NULL',
        help="The commission plan of the partners of the tier.")
    min_revenue = Monetary(
        "Minimal Revenue", currency='currency', digits='currency',
        help="The revenue of a period that qualifies for the tier.")
    currency = fields.Many2One(
        'currency.currency', "Currency",
        states={
            'required': Bool(Eval('min_revenue')),
            })
    min_new_customers = fields.Integer(
        "Minimal New Customers",
        help="The new customers of a period that qualify for the tier.")
    min_products = fields.Integer(
        "Minimal Products",
        help="The distinct products sold in a period that qualify "
        "for the tier.")

    @classmethod
    def default_weight(cls):
        return 1.

    def qualifies(self, revenue, new_customers, products):
        "Tell if the figures of a period reach the thresholds of the tier"
        return ((self.min_revenue is None or revenue >= self.min_revenue)
            and (self.min_new_customers is None
                or new_customers >= self.min_new_customers)
            and (self.min_products is None or products >= self.min_products))


class Certification(ModelSQL, ModelView):
    "A certification a partner obtained"
    __name__ = 'crm.partner.certification'
    __string__ = "Partner Certification"

    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    date = fields.Date("Obtained", required=True)
    expiry_date = fields.Date(
        "Expiry",
        domain=[If(Bool(Eval('expiry_date')),
                ('expiry_date', '>=', Eval('date')),
                ())])
    state = fields.Function(fields.Selection([
                ('valid', "Valid"),
                ('expired', "Expired"),
                ], "State"),
        'get_state', searcher='search_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order.insert(0, ('date', 'DESC'))

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_state(self, name):
        today = Pool().get('ir.date').today()
        if self.expiry_date and self.expiry_date < today:
            return 'expired'
        return 'valid'

    @classmethod
    def search_state(cls, name, clause):
        today = Pool().get('ir.date').today()
        _, operator, value = clause[:3]
        values = set(value) if operator in {'in', 'not in'} else {value}
        if operator in {'!=', 'not in'}:
            values = {'valid', 'expired'} - values
        domain = ['OR']
        if 'expired' in values:
            domain.append(('expiry_date', '<', today))
        if 'valid' in values:
            domain.extend([
                    ('expiry_date', '=', None),
                    ('expiry_date', '>=', today),
                    ])
        return domain if len(domain) > 1 else [('id', '=', -1)]


class PartnerTerritory(ModelSQL):
    __name__ = 'crm.partner-crm.territory'
    __string__ = "Partner - Territory"
    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE')
    territory = fields.Many2One(
        'crm.territory', "Territory", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range())),
                Index(t, (t.territory, Index.Range())),
                })


class PartnerSpeciality(ModelSQL):
    __name__ = 'crm.partner-product.category'
    __string__ = "Partner - Speciality"
    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'product.category', "Category", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    _partner_states = {
        'invisible': ~Eval('is_partner', False),
        }

    is_partner = fields.Boolean(
        "Partner", help="Check for a member of the partner programme.")
    partner_active = fields.Boolean(
        "Active Partner", states=_partner_states,
        help="Uncheck to stop giving leads to the partner.")
    partner_type = fields.Selection(
        PARTNER_TYPES, "Partner Type",
        states={
            'invisible': ~Eval('is_partner', False),
            'required': Eval('is_partner', False),
            })
    partner_tier = fields.Many2One(
        'crm.partner.tier', "Tier", ondelete='RESTRICT',
        states=_partner_states)
    partner_territories = fields.Many2Many(
        'crm.partner-crm.territory', 'party', 'territory', "Territories",
        states=_partner_states,
        help="The territories the partner covers, with their "
        "sub-territories.")
    partner_specialities = fields.Many2Many(
        'crm.partner-product.category', 'party', 'category', "Specialities",
        states=_partner_states,
        help="The product categories the partner knows best, with their "
        "sub-categories.")
    partner_certifications = fields.One2Many(
        'crm.partner.certification', 'party', "Certifications",
        states=_partner_states)
    partner_capacity = fields.Integer(
        "Capacity", states=_partner_states,
        domain=[If(Bool(Eval('partner_capacity')),
                ('partner_capacity', '>=', 0),
                ())],
        help="The most open leads the partner is given at once.\n"
        "Leave empty for no limit.")
    partner_manager = fields.Many2One(
        'company.employee', "Partner Manager", states=_partner_states,
        help="The employee who looks after the partner.")
    partner_users = fields.One2Many(
        'web.user', 'party', "Portal Users", readonly=True,
        states=_partner_states)

    del _partner_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.id, Index.Range()),
                where=t.is_partner == Literal(True)))
        cls._buttons.update({
                'create_portal_user': {
                    'invisible': ~Eval('is_partner', False),
                    'depends': ['is_partner'],
                    },
                })

    @classmethod
    def default_is_partner(cls):
        return False

    @classmethod
    def default_partner_active(cls):
        return True

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        cls.check_partner_tier(parties, field_names)

    @classmethod
    def check_partner_tier(cls, parties, field_names=None):
        if field_names and not (field_names & {'is_partner', 'partner_tier'}):
            return
        for party in parties:
            if party.partner_tier and not party.is_partner:
                raise ValidationError(gettext(
                        'crm_partner.msg_partner_tier_not_partner',
                        party=party.rec_name))

    @classmethod
    def copy(cls, parties, default=None):
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        FieldAccess = pool.get('ir.model.field.access')
        default = default.copy() if default is not None else {}
        default.setdefault('partner_certifications')
        default.setdefault('partner_users')
        access = FieldAccess.get_access([cls.__name__])[cls.__name__]
        if Transaction().check_access and not all(
                access.get(f, {}).get('write', True)
                for f in PROGRAMME_FIELDS):
            # The copy is no partner: the fields the user may not write
            # are copied empty, without checking them
            ModelAccess.check(cls.__name__, 'create')
            for name in PROGRAMME_FIELDS:
                default[name] = None
            default.update(is_partner=False, partner_active=True)
            with without_check_access():
                return super().copy(parties, default=default)
        return super().copy(parties, default=default)

    @classmethod
    @ModelView.button_action('crm_partner.wizard_create_portal_user')
    def create_portal_user(cls, parties):
        pass


class CreatePortalUser(Wizard):
    "Give a contact of the partner a login to the portal"
    __name__ = 'crm.partner.portal_user.create'

    start = StateView(
        'crm.partner.portal_user.create.start',
        'crm_partner.create_portal_user_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def default_start(self, fields):
        return {
            'party': self.record.id,
            'email': self.record.email,
            }

    def transition_create_(self):
        pool = Pool()
        WebUser = pool.get('web.user')
        email = self.start.email.strip()
        if WebUser.search([('email', '=', email)], limit=1):
            raise ValidationError(gettext(
                    'crm_partner.msg_partner_portal_user_exists',
                    email=email))
        user = WebUser(email=email, party=self.record)
        user.save()
        WebUser.reset_password([user])
        return 'end'


class CreatePortalUserStart(ModelView):
    __name__ = 'crm.partner.portal_user.create.start'
    __string__ = "Create Portal User"

    party = fields.Many2One('party.party', "Partner", readonly=True)
    email = fields.Char(
        "E-Mail", required=True,
        help="The address the portal user logs in with; they receive a "
        "link to set their password.")
