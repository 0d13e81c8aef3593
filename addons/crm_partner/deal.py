# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Deal registration: a partner claims a customer, the channel manager
approves the claim, which protects the customer for the partner a while"""
import datetime
import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.crm_service.inbound_email import FREE_MAIL_DOMAINS
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

STATES = [
    ('draft', "Draft"),
    ('submitted', "Submitted"),
    ('approved', "Approved"),
    ('rejected', "Rejected"),
    ]
OPEN_STATES = ['lead', 'opportunity']
# Words that say what kind of company it is, not which one
LEGAL_FORMS = frozenset({
        'ag', 'bv', 'co', 'company', 'corp', 'corporation', 'gmbh', 'inc',
        'incorporated', 'limited', 'llc', 'ltd', 'nv', 'plc', 'sa', 'sarl',
        'sas', 'spa', 'srl'})
LEGAL_FORMS_CJK = (
    '股份有限公司', '有限责任公司', '有限公司', '集团', '公司')
PHONE_DIGITS = 8
EXTENSION = re.compile(r'(?i)ext|x|#|,|;|转|分机')


def name_key(name):
    "Return the name of a company without case, punctuation nor legal form"
    name = unicodedata.normalize('NFKC', name or '').lower().strip()
    for suffix in LEGAL_FORMS_CJK:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[:-len(suffix)]
            break
    words = re.findall(r'\w+', name)
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return ''.join(words) or None


def tax_key(code):
    "Return a tax identifier in capitals without separators"
    return re.sub(r'[\W_]', '', code or '').upper() or None


def email_domain(email):
    "Return the company domain of the e-mail, None for free-mail"
    _, _, domain = (email or '').strip().lower().rpartition('@')
    if domain and '.' in domain and domain not in FREE_MAIL_DOMAINS:
        return domain


def phone_key(phone):
    """Return the last digits of the normalised number, which stay the same
    in any format: international (+86 21 …), national (021 …) or local"""
    phone = phone or ''
    try:
        number = phonenumbers.parse(phone, None)
    except NumberParseException:
        # A national or local number: its digits before any extension
        phone = EXTENSION.split(phone, maxsplit=1)[0]
        digits = ''.join(
            str(unicodedata.digit(c)) for c in phone if c.isdecimal())
    else:
        digits = str(number.national_number)
    if len(digits) >= PHONE_DIGITS:
        return digits[-PHONE_DIGITS:]


def phone_pattern(key):
    "The LIKE pattern of the numbers ending by the key in any format"
    return '%' + '%'.join(key)


# The keys a customer is recognised by, stored from the fields they come from
KEYS = {
    'customer_name': ('name_key', name_key),
    'tax_identifier': ('tax_key', tax_key),
    'email': ('email_domain', email_domain),
    'phone': ('phone_key', phone_key),
    }


class Deal(Workflow, ModelSQL, ModelView):
    "A customer a partner registers to be protected on"
    __name__ = 'crm.partner.deal'
    __string__ = "Deal Registration"
    _rec_name = 'customer_name'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    partner = fields.Many2One(
        'party.party', "Partner", required=True, states=_states,
        domain=[('is_partner', '=', True)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    customer = fields.Many2One(
        'party.party', "Customer", states={
            'readonly': ~Eval('state').in_(['draft', 'submitted']),
            },
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer when it is known; approval creates it "
        "otherwise.")
    customer_name = fields.Char("Customer Name", required=True,
        states=_states)
    contact_name = fields.Char("Contact Name", states=_states)
    email = fields.Char("E-Mail", states=_states)
    phone = fields.Char("Phone", states=_states)
    tax_identifier = fields.Char("Tax Identifier", states=_states)
    description = fields.Text(
        "Description", states=_states,
        help="The project and the products the customer wants.")
    lines = fields.One2Many(
        'crm.partner.deal.line', 'deal', "Products", states=_states)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', states=_states)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_states)
    expected_close = fields.Date("Expected Close", states=_states)
    protection_days = fields.Integer(
        "Protection Days", required=True,
        domain=[('protection_days', '>=', 0)],
        states={
            'readonly': ~Eval('state').in_(['draft', 'submitted']),
            },
        help="How long approval protects the customer for the partner.")
    protected_until = fields.Date("Protected Until", readonly=True)
    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", readonly=True,
        ondelete='SET NULL')
    conflicts = fields.One2Many(
        'crm.partner.deal.conflict', 'deal', "Conflicts", readonly=True,
        help="The customers, leads and deals the registration may clash "
        "with, found when it was submitted.")
    reject_reason = fields.Text(
        "Reject Reason",
        states={
            'readonly': Eval('state') != 'submitted',
            'invisible': ~Eval('state').in_(['submitted', 'rejected']),
            })
    submitted_date = fields.DateTime("Submitted", readonly=True)
    decision_date = fields.DateTime("Decided", readonly=True)
    decided_by = fields.Many2One('res.user', "Decided By", readonly=True)
    name_key = fields.Char("Name Key", readonly=True)
    tax_key = fields.Char("Tax Key", readonly=True)
    email_domain = fields.Char("E-Mail Domain", readonly=True)
    phone_key = fields.Char("Phone Key", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    state_string = state.translated('state')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.partner, Index.Range())),
                Index(t, (t.name_key, Index.Equality())),
                Index(t, (t.tax_key, Index.Equality())),
                Index(t, (t.email_domain, Index.Equality())),
                Index(t, (t.phone_key, Index.Equality())),
                })
        cls._order.insert(0, ('id', 'DESC'))
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'approved'),
            ('submitted', 'rejected'),
            ('rejected', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') != 'rejected',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_protection_days(cls):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        return Configuration(1).partner_protection_days or 0

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        for field, (name, key) in KEYS.items():
            if field in values:
                values[name] = key(values[field])
        return values

    @classmethod
    def copy(cls, deals, default=None):
        default = default.copy() if default is not None else {}
        for name in ['opportunity', 'conflicts', 'protected_until',
                'reject_reason', 'submitted_date', 'decision_date',
                'decided_by']:
            default.setdefault(name)
        return super().copy(deals, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, deals):
        pass

    @classmethod
    @ModelView.button
    def submit(cls, deals):
        """Send the deals to the channel manager with their conflicts

        Refused when another partner holds the customer by an approved
        deal still protected."""
        pool = Pool()
        Conflict = pool.get('crm.partner.deal.conflict')
        cls._check_state(deals, 'draft')
        with without_check_access():
            cls.check_protected(deals)
            Conflict.delete([c for d in deals for c in d.conflicts])
            Conflict.create([
                    c for d in deals for c in d._find_conflicts()])
        cls._submitted(deals)

    @classmethod
    @Workflow.transition('submitted')
    def _submitted(cls, deals):
        cls.write(deals, {'submitted_date': datetime.datetime.now()})

    @classmethod
    def _check_state(cls, deals, state):
        for deal in deals:
            if deal.state != state:
                raise UserError(gettext(
                        'crm_partner.msg_deal_state',
                        deal=deal.rec_name, state=deal.state_string))

    @classmethod
    @ModelView.button
    def approve(cls, deals):
        """Protect the customers for the partners, on an opportunity
        assigned to each partner: the open one of the customer without
        partner or a new one"""
        cls._check_state(deals, 'submitted')
        cls.check_approver(deals)
        cls._approved(deals)

    @classmethod
    @Workflow.transition('approved')
    def _approved(cls, deals):
        pool = Pool()
        Date = pool.get('ir.date')
        Assignment = pool.get('crm.partner.assignment')
        with without_check_access():
            cls.check_protected(deals)
        today = Date.today()
        now = datetime.datetime.now()
        for deal in deals:
            deal.customer = deal.customer or deal._new_customer()
            deal.opportunity = deal._opportunity()
            deal.protected_until = today + datetime.timedelta(
                days=deal.protection_days)
            deal.decision_date = now
            deal.decided_by = Transaction().user
        cls.save(deals)
        with without_check_access():
            Assignment.assign_deals(deals)

    @classmethod
    @ModelView.button
    def reject(cls, deals):
        "Refuse the deals, each with the reason written on it"
        cls._check_state(deals, 'submitted')
        cls.check_approver(deals)
        cls._rejected(deals)

    @classmethod
    @Workflow.transition('rejected')
    def _rejected(cls, deals):
        for deal in deals:
            if not (deal.reject_reason or '').strip():
                raise UserError(gettext(
                        'crm_partner.msg_deal_reject_reason',
                        deal=deal.rec_name))
        cls.write(deals, {
                'decision_date': datetime.datetime.now(),
                'decided_by': Transaction().user,
                })

    @classmethod
    def check_approver(cls, deals):
        "A partner's own staff does not decide on the partner's deals"
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        own = {e.party for e in user.employees}
        for deal in deals:
            if deal.partner in own:
                raise UserError(gettext(
                        'crm_partner.msg_deal_own',
                        deal=deal.rec_name, partner=deal.partner.rec_name))

    @classmethod
    def check_protected(cls, deals):
        "Raise if another partner holds the customer of a deal"
        for deal in deals:
            holder = deal.holder()
            if holder:
                raise UserError(gettext(
                        'crm_partner.msg_deal_protected',
                        customer=deal.customer_name,
                        partner=holder.partner.rec_name,
                        date=holder.protected_until))

    def holder(self):
        """Return the approved deal still protected by which another
        partner holds the customer, or None"""
        pool = Pool()
        Date = pool.get('ir.date')
        domain = self._same_customer_domain()
        if not domain:
            return None
        holders = self.search([
                domain,
                ('state', '=', 'approved'),
                ('protected_until', '>=', Date.today()),
                ('partner', '!=', self.partner.id),
                ('id', '!=', self.id),
                ], limit=1)
        if holders:
            return holders[0]

    def _same_customer_domain(self):
        "Return the domain of the deals for the same customer"
        domain = ['OR']
        for name in ['name_key', 'tax_key', 'email_domain', 'phone_key']:
            value = getattr(self, name)
            if value:
                domain.append((name, '=', value))
        if self.customer:
            domain.append(('customer', '=', self.customer.id))
        return domain if len(domain) > 1 else None

    def _find_conflicts(self):
        "Return the values of the conflicts of the deal"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        parties = self._matching_parties()
        conflicts = []
        for party, reasons in parties.items():
            conflicts.append({
                    'deal': self.id,
                    'party': party,
                    'reasons': ', '.join(reasons),
                    })
        if parties:
            for opportunity in Opportunity.search([
                        ('party', 'in', list(parties)),
                        ('state', 'in', OPEN_STATES),
                        ]):
                reasons = list(parties[opportunity.party.id])
                if opportunity.partner:
                    reasons.append(gettext(
                            'crm_partner.msg_deal_conflict_partner',
                            partner=opportunity.partner.rec_name))
                conflicts.append({
                        'deal': self.id,
                        'party': opportunity.party.id,
                        'opportunity': opportunity.id,
                        'reasons': ', '.join(reasons),
                        })
        domain = self._same_customer_domain()
        if domain:
            for other in self.search([
                        domain,
                        ('state', 'in', ['submitted', 'approved']),
                        ('id', '!=', self.id),
                        ]):
                conflicts.append({
                        'deal': self.id,
                        'other_deal': other.id,
                        'reasons': ', '.join(self._same_keys(other)),
                        })
        return conflicts

    def _same_keys(self, other):
        "Return the reasons why the other deal is for the same customer"
        reasons = []
        for name, message in [
                ('name_key', 'msg_deal_conflict_name'),
                ('tax_key', 'msg_deal_conflict_tax_identifier'),
                ('email_domain', 'msg_deal_conflict_email_domain'),
                ('phone_key', 'msg_deal_conflict_phone'),
                ]:
            value = getattr(self, name)
            if value and value == getattr(other, name):
                reasons.append(gettext('crm_partner.' + message))
        if self.customer and self.customer == other.customer:
            reasons.append(gettext('crm_partner.msg_deal_conflict_customer'))
        return reasons

    def _matching_parties(self):
        """Return by party id the reasons why it may be the customer:
        same name, tax identifier, e-mail domain or phone number"""
        pool = Pool()
        Party = pool.get('party.party')
        Identifier = pool.get('party.identifier')
        ContactMechanism = pool.get('party.contact_mechanism')
        found = {}

        def add(party_id, message):
            reason = gettext('crm_partner.' + message)
            reasons = found.setdefault(party_id, [])
            if reason not in reasons:
                reasons.append(reason)

        if self.customer:
            add(self.customer.id, 'msg_deal_conflict_customer')
        if self.name_key:
            words = re.findall(r'\w+', self.customer_name.lower())
            pattern = '%' + '%'.join(words[:1]) + '%'
            for party in Party.search([
                        ('name', 'ilike', pattern),
                        ('is_partner', '!=', True),
                        ], limit=500):
                if name_key(party.name) == self.name_key:
                    add(party.id, 'msg_deal_conflict_name')
        if self.tax_key:
            for identifier in Identifier.search([
                        ['OR',
                            ('code', 'ilike', self.tax_key),
                            ('code', 'ilike', self.tax_identifier.strip()),
                            ],
                        ]):
                add(identifier.party.id, 'msg_deal_conflict_tax_identifier')
        if self.email_domain:
            for mechanism in ContactMechanism.search([
                        ('type', '=', 'email'),
                        ('value', 'ilike', '%@' + self.email_domain),
                        ]):
                add(mechanism.party.id, 'msg_deal_conflict_email_domain')
        if self.phone_key:
            for mechanism in ContactMechanism.search([
                        ('type', 'in', ['phone', 'mobile']),
                        ('value_compact', 'like',
                            phone_pattern(self.phone_key)),
                        ]):
                if phone_key(mechanism.value_compact) == self.phone_key:
                    add(mechanism.party.id, 'msg_deal_conflict_phone')
        found.pop(self.partner.id, None)
        return found

    def _new_customer(self):
        "Return a new party made from the registration"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        mechanisms = []
        if self.email:
            mechanisms.append(ContactMechanism(type='email', value=self.email))
        if self.phone:
            mechanisms.append(ContactMechanism(type='phone', value=self.phone))
        party = Party(
            name=self.customer_name, contact_mechanisms=mechanisms)
        party.save()
        return party

    def _opportunity(self):
        "Return the opportunity of the deal, the customer's open one or new"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        OpportunityLine = pool.get('sale.opportunity.line')
        if self.opportunity:
            return self.opportunity
        for conflict in self.conflicts:
            opportunity = conflict.opportunity
            if (opportunity and opportunity.party == self.customer
                    and not opportunity.partner):
                return opportunity
        opportunity = Opportunity(
            company=self.company,
            party=self.customer,
            description=gettext(
                'crm_partner.msg_deal_opportunity_description',
                partner=self.partner.rec_name),
            comment=self.description,
            amount=self.amount,
            currency=self.currency,
            end_date=self.expected_close,
            employee=self.partner.partner_manager,
            lines=[OpportunityLine(
                    product=l.product, quantity=l.quantity,
                    unit=l.product.sale_uom)
                for l in self.lines])
        opportunity.save()
        return opportunity


class DealLine(ModelSQL, ModelView):
    __name__ = 'crm.partner.deal.line'
    __string__ = "Deal Registration Line"

    deal = fields.Many2One(
        'crm.partner.deal', "Deal", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[('salable', '=', True)])
    quantity = fields.Float("Quantity", required=True,
        domain=[('quantity', '>', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.deal, Index.Range())))

    @classmethod
    def default_quantity(cls):
        return 1


class DealConflict(ModelSQL, ModelView):
    "A customer, lead or deal a registration may clash with"
    __name__ = 'crm.partner.deal.conflict'
    __string__ = "Deal Registration Conflict"

    deal = fields.Many2One(
        'crm.partner.deal', "Deal", required=True, ondelete='CASCADE')
    party = fields.Many2One('party.party', "Party", ondelete='CASCADE')
    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", ondelete='CASCADE')
    other_deal = fields.Many2One(
        'crm.partner.deal', "Other Deal", ondelete='CASCADE')
    reasons = fields.Char("Reasons")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.deal, Index.Range())))
        cls.__access__.add('deal')
