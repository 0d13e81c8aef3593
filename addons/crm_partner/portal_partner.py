# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The partner programme on the portal: the partner's scorecard, the leads
proposed to them (accept, decline, work the accepted ones) and their deal
registrations.

The routes run as the portal's technical user: every record is found
through the web user's party (web.user methods below) and the answers go
through the models' own checks (crm.partner.assignment.accept and decline
with the partner, crm.partner.deal.submit).
"""
import datetime
from decimal import Decimal, InvalidOperation

from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import HTTPStatus
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .portal import Pager, portal_route, portal_text, query_arg
from .portal_notify import notify_staff

MAX_TEXT = 10000
MAX_NAME = 200
MAX_AMOUNT = Decimal('1e12')
DEAL_LINES = 3
MAX_QUANTITY = 100000
# The assignments the partner sees: answered ones are gone from them
LEAD_STATES = ['proposed', 'accepted']
# What the partner may do with an accepted lead: the state it is in, the
# opportunity's own transition
STAGES = {
    'opportunity': (['lead'], 'opportunity'),
    'converted': (['lead', 'opportunity'], 'convert'),
    'lost': (['lead', 'opportunity'], 'lost'),
    }
DEAL_FIELDS = [
    # name, label, maximal size, required
    ('customer_name', 'msg_portal_deal_customer', MAX_NAME, True),
    ('contact_name', 'msg_portal_deal_contact', MAX_NAME, False),
    ('email', 'msg_portal_deal_email', 254, False),
    ('phone', 'msg_portal_deal_phone', 50, False),
    ('tax_identifier', 'msg_portal_deal_tax_identifier', 50, False),
    ('description', 'msg_portal_deal_description', MAX_TEXT, False),
    ]


def quarter(date):
    "Return the first and last day of the quarter of the date"
    first = datetime.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)
    following = (first + datetime.timedelta(days=92)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


class Activity(metaclass=PoolMeta):
    __name__ = 'crm.activity'

    partner = fields.Many2One(
        'party.party', "Partner", readonly=True, ondelete='SET NULL',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The partner who wrote it on the portal.")


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    def portal_scorecards(self):
        """Return the party's scorecard of this quarter and of the previous
        one, with the first and last day of each"""
        pool = Pool()
        Date = pool.get('ir.date')
        Scorecard = pool.get('crm.partner.scorecard')
        current = quarter(Date.today())
        previous = quarter(current[0] - datetime.timedelta(days=1))
        result = []
        for from_date, to_date in [current, previous]:
            with Transaction().set_context(
                    from_date=from_date, to_date=to_date):
                scorecards = Scorecard.search(
                    [('partner', '=', self.portal_party.id)], limit=1)
                # Read within the period: the rates are computed from it
                scorecard = Scorecard(scorecards[0].id) if scorecards else None
                values = scorecard and {
                    name: getattr(scorecard, name) for name in [
                        'revenue', 'growth', 'new_customers', 'products',
                        'win_rate', 'response_hours', 'approval_rate',
                        'currency', 'tier', 'proposed_tier']}
            result.append((from_date, to_date, values))
        return result

    def portal_lead_domain(self, query=None):
        domain = [
            ('partner', '=', self.portal_party.id),
            ('state', 'in', LEAD_STATES),
            ]
        if query:
            domain.append(['OR',
                    ('opportunity.number', 'ilike', f'%{query}%'),
                    ('opportunity.description', 'ilike', f'%{query}%'),
                    ('opportunity.party.name', 'ilike', f'%{query}%'),
                    ])
        return domain

    def portal_leads(self, query=None, offset=0, limit=None):
        "Return the party's live assignments matching the query and count"
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        domain = self.portal_lead_domain(query)
        return (Assignment.search(domain, offset=offset, limit=limit),
            Assignment.search_count(domain))

    def portal_lead(self, assignment_id, answered=False):
        """Return the party's live assignment of the id or raise NotFound

        With answered, one the party can no longer answer too: the
        assignment's own checks then say why."""
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        domain = [('id', '=', assignment_id)]
        if answered:
            domain.append(('partner', '=', self.portal_party.id))
        else:
            domain.extend(self.portal_lead_domain())
        assignments = Assignment.search(domain, limit=1)
        if not assignments:
            raise NotFound
        return assignments[0]

    def portal_lead_notes(self, assignment):
        "The notes the party wrote on the lead, oldest first"
        pool = Pool()
        Activity = pool.get('crm.activity')
        return Activity.search([
                ('resource', '=', str(assignment.opportunity)),
                ('partner', '=', self.portal_party.id),
                ], order=[('planned_date', 'ASC'), ('id', 'ASC')])

    def portal_lead_accept(self, assignment):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Assignment.accept([assignment], partner=self.portal_party)

    def portal_lead_decline(self, assignment, reason):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Assignment.decline(
            [assignment], reason=reason, partner=self.portal_party)

    def _check_accepted(self, assignment):
        if assignment.state != 'accepted':
            raise UserError(gettext(
                    'crm_partner.msg_portal_lead_not_accepted',
                    lead=assignment.opportunity.rec_name))

    def portal_lead_stage(self, assignment, stage):
        """Move the accepted lead to the stage by the opportunity's own
        transition"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self._check_accepted(assignment)
        opportunity = assignment.opportunity
        states, method = STAGES.get(stage, ([], None))
        if opportunity.state not in states:
            selection = Opportunity.fields_get(['state'])['state']['selection']
            raise UserError(gettext('crm_partner.msg_portal_lead_stage',
                    lead=opportunity.rec_name,
                    state=dict(selection).get(opportunity.state)))
        if stage != 'lost' and not opportunity.employee:
            # The open stages need the salesperson in charge: the partner's
            # channel manager
            manager = self.portal_party.partner_manager
            if not manager:
                raise UserError(gettext(
                        'crm_partner.msg_portal_lead_no_manager',
                        lead=opportunity.rec_name))
            Opportunity.write([opportunity], {'employee': manager.id})
        getattr(Opportunity, method)([opportunity])

    def portal_lead_note(self, assignment, text):
        "Add the party's note to the accepted lead"
        pool = Pool()
        Activity = pool.get('crm.activity')
        self._check_accepted(assignment)
        opportunity = assignment.opportunity
        Activity.create([{
                    'company': opportunity.company.id,
                    'type': 'note',
                    'state': 'done',
                    'subject': gettext(
                        'crm_partner.msg_portal_lead_note_subject',
                        partner=self.portal_party.rec_name)[:200],
                    'description': text,
                    'party': (opportunity.party.id
                        if opportunity.party else None),
                    'resource': str(opportunity),
                    'planned_date': datetime.datetime.now(),
                    'partner': self.portal_party.id,
                    }])
        notify_staff(self.portal_party.partner_manager,
            'msg_notice_lead_note_subject', self.portal_party.rec_name,
            opportunity.rec_name, text, opportunity.__href__,
            lead=opportunity.rec_name, partner=self.portal_party.rec_name)

    def portal_deal_domain(self, query=None):
        domain = [('partner', '=', self.portal_party.id)]
        if query:
            domain.append(['OR',
                    ('customer_name', 'ilike', f'%{query}%'),
                    ('contact_name', 'ilike', f'%{query}%'),
                    ])
        return domain

    def portal_deals(self, query=None, offset=0, limit=None):
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        domain = self.portal_deal_domain(query)
        return (Deal.search(domain, offset=offset, limit=limit),
            Deal.search_count(domain))

    def portal_deal(self, deal_id):
        "Return the party's deal of the id or raise NotFound"
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        deals = Deal.search(
            [('id', '=', deal_id)] + self.portal_deal_domain(), limit=1)
        if not deals:
            raise NotFound
        return deals[0]

    def portal_deal_register(self, values, lines):
        """Create the party's deal registration and submit it

        Raises UserError when another partner holds the customer."""
        pool = Pool()
        Deal = pool.get('crm.partner.deal')
        company = self.portal_company()
        values = dict(values,
            company=company.id,
            partner=self.portal_party.id,
            currency=company.currency.id,
            lines=[('create', [{
                                'product': product.id,
                                'quantity': quantity,
                                } for product, quantity in lines])])
        deal, = Deal.create([values])
        # The other partner is not named to this one
        holder = deal.holder()
        if holder:
            raise UserError(gettext('crm_partner.msg_portal_deal_protected',
                    customer=deal.customer_name,
                    date=holder.protected_until))
        Deal.submit([deal])
        notify_staff(self.portal_party.partner_manager,
            'msg_notice_deal_subject', self.portal_party.rec_name,
            deal.rec_name, deal.description, deal.__href__,
            deal=deal.rec_name, partner=self.portal_party.rec_name)
        return deal


def read_deal_form(form):
    "The values and product lines of the deal form and the error of fields"
    pool = Pool()
    Product = pool.get('product.product')
    values, errors, lines, rows = {}, {}, [], []
    for name, label, size, required in DEAL_FIELDS:
        value = (form.get(name) or '').strip()
        values[name] = value or None
        if required and not value:
            errors[name] = portal_text(
                'msg_portal_required', field=portal_text(label))
        elif len(value) > size:
            errors[name] = portal_text(
                'msg_portal_too_long', field=portal_text(label), size=size)
    if values['email'] and '@' not in values['email']:
        errors['email'] = portal_text('msg_portal_deal_email_invalid')
    amount = (form.get('amount') or '').strip()
    values['amount'] = None
    if amount:
        try:
            values['amount'] = Decimal(amount).quantize(Decimal('0.01'))
            if not (0 <= values['amount'] < MAX_AMOUNT):
                raise InvalidOperation
        except InvalidOperation:
            errors['amount'] = portal_text('msg_portal_deal_amount_invalid')
    expected = (form.get('expected_close') or '').strip()
    values['expected_close'] = None
    if expected:
        try:
            values['expected_close'] = datetime.date.fromisoformat(expected)
        except ValueError:
            errors['expected_close'] = portal_text(
                'msg_portal_deal_date_invalid')
    for i in range(DEAL_LINES):
        code = (form.get(f'product-{i}') or '').strip()[:MAX_NAME]
        quantity = (form.get(f'quantity-{i}') or '').strip()
        rows.append({'product': code, 'quantity': quantity})
        if not code:
            continue
        products = Product.search([
                ('code', '=', code),
                ('salable', '=', True),
                ], limit=1)
        if not products:
            errors[f'product-{i}'] = portal_text(
                'msg_portal_deal_product_unknown', code=code)
        if not quantity.isdigit() or not (0 < int(quantity) <= MAX_QUANTITY):
            errors[f'quantity-{i}'] = portal_text(
                'msg_portal_quantity_invalid', quantity=quantity,
                max=MAX_QUANTITY)
        if products and f'quantity-{i}' not in errors:
            lines.append((products[0], int(quantity)))
    return values, lines, rows, errors


def _list(request, portal, template, method, **values):
    pager = Pager(request)
    query = query_arg(request)
    records, total = method(query, offset=pager.offset, limit=pager.size)
    pager.set_total(total)
    return portal.render(template, records=records, pager=pager, query=query,
        **values)


@portal_route('leads', partner=True)
def leads(request, portal):
    notice = None
    if request.args.get('declined'):
        notice = portal_text('msg_portal_lead_declined')
    return _list(request, portal, 'leads.html', portal.user.portal_leads,
        notice=notice)


def _lead_page(portal, assignment, status=HTTPStatus.OK, **values):
    return portal.render('lead.html', status, assignment=assignment,
        lead=assignment.opportunity,
        notes=portal.user.portal_lead_notes(assignment), **values)


@portal_route('leads/<int:assignment_id>', partner=True)
def lead(request, portal, assignment_id):
    assignment = portal.user.portal_lead(assignment_id)
    notice = None
    for arg, message in [
            ('accepted', 'msg_portal_lead_accepted'),
            ('staged', 'msg_portal_lead_staged'),
            ('noted', 'msg_portal_lead_noted')]:
        if request.args.get(arg):
            notice = portal_text(message)
    return _lead_page(portal, assignment, notice=notice)


@portal_route('leads/<int:assignment_id>/accept', methods=('POST',),
    partner=True)
def lead_accept(request, portal, assignment_id):
    assignment = portal.user.portal_lead(assignment_id, answered=True)
    portal.user.portal_lead_accept(assignment)
    return portal.redirect(f'leads/{assignment.id}', accepted=1)


@portal_route('leads/<int:assignment_id>/decline', methods=('POST',),
    partner=True)
def lead_decline(request, portal, assignment_id):
    assignment = portal.user.portal_lead(assignment_id, answered=True)
    reason = (request.form.get('reason') or '').strip()
    if assignment.state == 'proposed' and (
            not reason or len(reason) > MAX_TEXT):
        return _lead_page(portal, assignment, HTTPStatus.BAD_REQUEST,
            reason=reason, notice_error=True, notice=portal_text(
                'msg_portal_too_long' if reason else 'msg_portal_required',
                field=portal_text('msg_portal_lead_reason'), size=MAX_TEXT))
    portal.user.portal_lead_decline(assignment, reason)
    return portal.redirect('leads', declined=1)


@portal_route('leads/<int:assignment_id>/stage', methods=('POST',),
    partner=True)
def lead_stage(request, portal, assignment_id):
    assignment = portal.user.portal_lead(assignment_id)
    portal.user.portal_lead_stage(
        assignment, request.form.get('stage') or '')
    return portal.redirect(f'leads/{assignment.id}', staged=1)


@portal_route('leads/<int:assignment_id>/note', methods=('POST',),
    partner=True)
def lead_note(request, portal, assignment_id):
    assignment = portal.user.portal_lead(assignment_id)
    text = (request.form.get('text') or '').strip()
    if not text or len(text) > MAX_TEXT:
        return _lead_page(portal, assignment, HTTPStatus.BAD_REQUEST,
            note=text, notice_error=True, notice=portal_text(
                'msg_portal_too_long' if text else 'msg_portal_required',
                field=portal_text('msg_portal_lead_note'), size=MAX_TEXT))
    portal.user.portal_lead_note(assignment, text)
    return portal.redirect(f'leads/{assignment.id}', noted=1)


@portal_route('deals', partner=True)
def deals(request, portal):
    return _list(request, portal, 'deals.html', portal.user.portal_deals)


@portal_route('deals/new', methods=('GET', 'POST'), partner=True)
def deal_new(request, portal):
    if request.method == 'GET':
        return portal.render('deal_new.html', values={}, errors={},
            rows=[{}] * DEAL_LINES)
    values, lines, rows, errors = read_deal_form(request.form)
    if errors:
        return portal.render('deal_new.html', HTTPStatus.BAD_REQUEST,
            values=values, errors=errors, rows=rows,
            notice=portal_text('msg_portal_invalid'), notice_error=True)
    try:
        deal = portal.user.portal_deal_register(values, lines)
    except UserError as error:
        # Nothing of the registration stays: the customer is held
        Transaction().rollback()
        portal.browse_again()
        return portal.render('deal_new.html', HTTPStatus.CONFLICT,
            values=values, errors={}, rows=rows,
            notice=error.message, notice_error=True)
    return portal.redirect(f'deals/{deal.id}', registered=1)


@portal_route('deals/<int:deal_id>', partner=True)
def deal(request, portal, deal_id):
    record = portal.user.portal_deal(deal_id)
    notice = None
    if request.args.get('registered'):
        notice = portal_text(
            'msg_portal_deal_registered', customer=record.customer_name)
    return portal.render('deal.html', deal=record, notice=notice)
