# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Lead distribution: leads proposed to the partner who fits them best

A batch of leads is scored against the partners in memory: the partners'
territories, specialities, coordinates, loads and conversion rates are read
once per batch, a handful of queries whatever the number of leads.
"""
import datetime
import math
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count, Max, Min
from sql.conditionals import Coalesce

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

OPEN_STATES = ['lead', 'opportunity']
WON_STATES = ['converted', 'won']
LOST_STATES = ['lost', 'cancelled']
LIVE_STATES = ['proposed', 'accepted']
STATES = [
    ('proposed', "Proposed"),
    ('accepted', "Accepted"),
    ('declined', "Declined"),
    ('expired', "Expired"),
    ('withdrawn', "Withdrawn"),
    ]
TRIGGERS = [
    ('automatic', "Automatic"),
    ('manual', "Manual"),
    ('deal', "Deal Registration"),
    ]
EVENTS = STATES
# The points each criterion gives at best: a score is out of 100
WEIGHTS = {
    'territory': 30,
    'distance': 20,
    'tier': 15,
    'speciality': 15,
    'capacity': 10,
    'conversion': 10,
    }
CRITERIA = list(WEIGHTS)
EARTH_DIAMETER = 12742  # km
DISTRIBUTION_BATCH = 500


def distance_km(latitude1, longitude1, latitude2, longitude2):
    "Return the great-circle distance between two points in km"
    phi1, phi2 = math.radians(latitude1), math.radians(latitude2)
    a = (math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2)
        * math.sin(math.radians(longitude2 - longitude1) / 2) ** 2)
    return EARTH_DIAMETER * math.asin(math.sqrt(a))


class Assignment(Workflow, ModelSQL, ModelView):
    "A lead proposed to a partner, who accepts or declines it"
    __name__ = 'crm.partner.assignment'
    __string__ = "Partner Assignment"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", required=True, readonly=True,
        ondelete='CASCADE')
    partner = fields.Many2One(
        'party.party', "Partner", required=True, readonly=True,
        ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    score = fields.Float("Score", digits=(3, 1), readonly=True)
    reasons = fields.Text("Reasons", readonly=True)
    trigger = fields.Selection(TRIGGERS, "Trigger", readonly=True)
    date = fields.DateTime("Proposed", required=True, readonly=True)
    deadline = fields.DateTime(
        "Deadline", readonly=True,
        help="The partner answers before, or the lead goes to the next "
        "partner.")
    response_date = fields.DateTime("Answered", readonly=True)
    user = fields.Many2One(
        'res.user', "User", readonly=True,
        help="Who answered for the partner.")
    decline_reason = fields.Text(
        "Decline Reason",
        states={
            'readonly': Eval('state') != 'proposed',
            'invisible': ~Eval('state').in_(['proposed', 'declined']),
            })
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    state_string = state.translated('state')
    logs = fields.One2Many(
        'crm.partner.assignment.log', 'assignment', "Log", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.partner, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.deadline, Index.Range()),
                    where=t.state == 'proposed'),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('proposed', 'accepted'),
            ('proposed', 'declined'),
            ('proposed', 'expired'),
            ('proposed', 'withdrawn'),
            ('accepted', 'withdrawn'),
            }
        cls._buttons.update({
                'accept': {
                    'invisible': Eval('state') != 'proposed',
                    'depends': ['state'],
                    },
                'decline': {
                    'invisible': Eval('state') != 'proposed',
                    'depends': ['state'],
                    },
                'withdraw': {
                    'invisible': ~Eval('state').in_(LIVE_STATES),
                    'depends': ['state'],
                    },
                })
        # Who may not read the lead may not read to whom it went and why
        cls.__access__.add('opportunity')

    @classmethod
    def default_state(cls):
        return 'proposed'

    def get_rec_name(self, name):
        return self.opportunity.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('opportunity.rec_name',) + tuple(clause[1:])]

    @classmethod
    def default_trigger(cls):
        return 'automatic'

    @classmethod
    def default_date(cls):
        return datetime.datetime.now()

    @classmethod
    def _response_deadline(cls, now):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        delay = Configuration(1).partner_response_time
        return now + delay if delay else None

    @classmethod
    def _check_partner(cls, assignments, partner):
        "Raise unless every assignment is proposed to the partner"
        if partner is None:
            return
        for assignment in assignments:
            if assignment.partner != partner:
                raise UserError(gettext(
                        'crm_partner.msg_assignment_other_partner',
                        opportunity=assignment.opportunity.rec_name))

    @classmethod
    def _check_current(cls, assignments):
        """Raise unless the leads are still open and still with the
        partners of the assignments"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        # Answers, withdrawals and expiries of a lead wait for each other
        cls.lock(assignments)
        opportunities = Opportunity.browse(
            [a.opportunity.id for a in assignments])
        states = dict(
            Opportunity.fields_get(['state'])['state']['selection'])
        for assignment, opportunity in zip(assignments, opportunities):
            if opportunity.state not in OPEN_STATES:
                raise UserError(gettext(
                        'crm_partner.msg_assignment_lead_closed',
                        opportunity=opportunity.rec_name,
                        state=states.get(opportunity.state)))
            current = opportunity.partner_assignment
            if current and current.partner != assignment.partner:
                raise UserError(gettext(
                        'crm_partner.msg_assignment_reassigned',
                        opportunity=opportunity.rec_name))

    @classmethod
    def _check_proposed(cls, assignments):
        now = datetime.datetime.now()
        for assignment in assignments:
            if assignment.state != 'proposed':
                raise UserError(gettext(
                        'crm_partner.msg_assignment_not_proposed',
                        opportunity=assignment.opportunity.rec_name,
                        partner=assignment.partner.rec_name,
                        state=assignment.state_string))
            if assignment.deadline and assignment.deadline < now:
                raise UserError(gettext(
                        'crm_partner.msg_assignment_overdue',
                        opportunity=assignment.opportunity.rec_name,
                        deadline=assignment.deadline))

    @classmethod
    @ModelView.button
    def accept(cls, assignments, partner=None):
        """The partner takes the leads

        The portal passes the partner of its user: a lead proposed to
        another partner is refused."""
        cls._check_partner(assignments, partner)
        cls._check_current(assignments)
        cls._check_proposed(assignments)
        cls._answer(assignments)
        cls._accepted(assignments)

    @classmethod
    @ModelView.button
    def decline(cls, assignments, reason=None, partner=None):
        """The partner refuses the leads, which go to the next best partner

        The reason is the one given or the one written on the assignment."""
        cls._check_partner(assignments, partner)
        cls._check_current(assignments)
        cls._check_proposed(assignments)
        if reason:
            cls.write(assignments, {'decline_reason': reason})
        cls._answer(assignments)
        cls._declined(assignments)
        cls.distribute([a.opportunity for a in assignments])

    @classmethod
    @ModelView.button
    def withdraw(cls, assignments):
        "Take the leads back from the partners"
        cls._withdrawn(assignments)

    @classmethod
    def _answer(cls, assignments):
        cls.write(assignments, {
                'response_date': datetime.datetime.now(),
                'user': Transaction().user,
                })

    @classmethod
    @Workflow.transition('accepted')
    def _accepted(cls, assignments):
        cls.log_event(assignments, 'accepted')

    @classmethod
    @Workflow.transition('declined')
    def _declined(cls, assignments):
        cls.log_event(assignments, 'declined', note_field='decline_reason')

    @classmethod
    @Workflow.transition('expired')
    def _expired(cls, assignments):
        cls.log_event(assignments, 'expired')

    @classmethod
    @Workflow.transition('withdrawn')
    def _withdrawn(cls, assignments):
        cls.log_event(assignments, 'withdrawn')

    @classmethod
    def log_event(cls, assignments, event, note_field=None):
        pool = Pool()
        Log = pool.get('crm.partner.assignment.log')
        Log.log([{
                    'company': a.company.id,
                    'assignment': a.id,
                    'opportunity': a.opportunity.id,
                    'partner': a.partner.id,
                    'event': event,
                    'note': getattr(a, note_field) if note_field else None,
                    } for a in assignments])

    @classmethod
    def expire_overdue(cls):
        """Expire the proposals without answer past their deadline and
        propose their leads to the next best partners"""
        with without_check_access():
            overdue = cls.search([
                    ('state', '=', 'proposed'),
                    ('deadline', '<', datetime.datetime.now()),
                    ], order=[('id', 'ASC')])
            if overdue:
                cls._expired(overdue)
                cls.distribute([a.opportunity for a in overdue])

    @classmethod
    def distribute(cls, opportunities, partner=None, trigger='automatic'):
        """Propose each open lead without a live proposal to its best
        partner, or to the given partner (then capacity is not a limit
        and a live proposal is withdrawn first).

        Partners who once declined a lead or let it expire are not
        proposed it again. Return the assignments created.
        """
        pool = Pool()
        Log = pool.get('crm.partner.assignment.log')
        ids = sorted({o.id for o in opportunities})
        if not ids:
            return []
        now = datetime.datetime.now()
        leads = _leads(ids)
        if partner is not None:
            live = cls.search([
                    ('opportunity', 'in', ids),
                    ('state', 'in', LIVE_STATES),
                    ])
            cls._withdrawn(live)
            for lead in leads.values():
                lead['live'] = False
        todo = [lead for lead in leads.values()
            if lead['state'] in OPEN_STATES and not lead['live']]
        if not todo:
            return []
        chooser = _Chooser(
            [partner.id] if partner is not None else None)
        deadline = cls._response_deadline(now)
        assignments = []
        # Records are created by batches: an instance costs in proportion
        # to the number of records it is browsed with
        for batch in grouped_slice(todo, DISTRIBUTION_BATCH):
            vlist = []
            for lead in batch:
                choice = chooser.choose(lead, force=partner is not None)
                if choice is None:
                    continue
                partner_id, score, reasons = choice
                vlist.append({
                        'company': lead['company'],
                        'opportunity': lead['id'],
                        'partner': partner_id,
                        'score': score,
                        'reasons': reasons,
                        'trigger': trigger,
                        'date': now,
                        'deadline': deadline,
                        })
            created = cls.create(vlist)
            Log.log([{
                        'company': v['company'],
                        'assignment': a.id,
                        'opportunity': v['opportunity'],
                        'partner': v['partner'],
                        'event': 'proposed',
                        'note': None,
                        } for a, v in zip(created, vlist)])
            assignments.extend(created)
        return assignments

    @classmethod
    def assign_deals(cls, deals):
        """Give the opportunities of approved deals to their partners,
        accepted, withdrawing the proposals to other partners"""
        now = datetime.datetime.now()
        live = cls.search([
                ('opportunity', 'in', [d.opportunity.id for d in deals]),
                ('state', 'in', LIVE_STATES),
                ])
        cls._withdrawn(live)
        assignments = cls.create([{
                    'company': d.company.id,
                    'opportunity': d.opportunity.id,
                    'partner': d.partner.id,
                    'reasons': gettext(
                        'crm_partner.msg_assignment_reason_deal',
                        deal=d.rec_name, date=d.protected_until),
                    'trigger': 'deal',
                    'date': now,
                    'state': 'accepted',
                    'response_date': now,
                    'user': Transaction().user,
                    } for d in deals])
        cls.log_event(assignments, 'accepted')
        return assignments


def _leads(ids):
    """Return by id what a lead is matched on: company, state, territory,
    product categories, coordinates, the partners already tried and
    whether it has a live proposal"""
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Party = pool.get('party.party')
    Line = pool.get('sale.opportunity.line')
    Product = pool.get('product.product')
    TemplateCategory = pool.get('product.template-product.category')
    Assignment = pool.get('crm.partner.assignment')
    cursor = Transaction().connection.cursor()

    leads = {}
    party2leads = defaultdict(list)
    for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
        opportunity = Opportunity.__table__()
        party = Party.__table__()
        cursor.execute(*opportunity
            .join(party, 'LEFT', condition=opportunity.party == party.id)
            .select(opportunity.id, opportunity.company, opportunity.state,
                opportunity.party,
                Coalesce(opportunity.crm_territory, party.crm_territory),
                where=reduce_ids(opportunity.id, sub_ids)))
        for id_, company, state, party_id, territory in cursor:
            leads[id_] = {
                'id': id_, 'company': company, 'state': state,
                'territory': territory, 'categories': set(),
                'coordinates': None, 'tried': set(), 'live': False,
                }
            if party_id is not None:
                party2leads[party_id].append(id_)

    for party_id, coordinates in _coordinates(list(party2leads)).items():
        for id_ in party2leads[party_id]:
            leads[id_]['coordinates'] = coordinates

    for sub_ids in grouped_slice(list(leads), backend.MAX_QUERY_PARAMS):
        sub_ids = list(sub_ids)
        line = Line.__table__()
        product = Product.__table__()
        template_category = TemplateCategory.__table__()
        cursor.execute(*line
            .join(product, condition=line.product == product.id)
            .join(template_category,
                condition=product.template == template_category.template)
            .select(line.opportunity, template_category.category,
                where=reduce_ids(line.opportunity, sub_ids),
                group_by=[line.opportunity, template_category.category]))
        for id_, category in cursor:
            leads[id_]['categories'].add(category)

        assignment = Assignment.__table__()
        cursor.execute(*assignment.select(
                assignment.opportunity, assignment.partner, assignment.state,
                where=reduce_ids(assignment.opportunity, sub_ids)
                & (assignment.state != 'withdrawn')))
        for id_, partner, state in cursor:
            if state in LIVE_STATES:
                leads[id_]['live'] = True
            else:
                leads[id_]['tried'].add(partner)
    return leads


def _coordinates(party_ids):
    "Return by party the coordinates of its first located address"
    pool = Pool()
    Address = pool.get('party.address')
    cursor = Transaction().connection.cursor()
    result = {}
    for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
        address = Address.__table__()
        first = address.select(
            Min(address.id).as_('id'),
            where=reduce_ids(address.party, sub_ids)
            & (address.active == Literal(True))
            & (address.latitude != Null) & (address.longitude != Null),
            group_by=[address.party])
        located = Address.__table__()
        cursor.execute(*located.join(first,
                condition=first.id == located.id).select(
                located.party, located.latitude, located.longitude))
        for party_id, latitude, longitude in cursor:
            result[party_id] = (latitude, longitude)
    return result


def _ancestors(Model):
    "Return by id the set of the record and its ancestors (small trees)"
    cursor = Transaction().connection.cursor()
    table = Model.__table__()
    cursor.execute(*table.select(table.id, table.parent))
    parents = dict(cursor)
    result = {}

    def ancestors(id_):
        if id_ not in result:
            parent = parents.get(id_)
            result[id_] = frozenset([id_]) | (
                ancestors(parent) if parent else frozenset())
        return result[id_]
    for id_ in parents:
        ancestors(id_)
    return result


class _Chooser:
    """The active partners with what they are scored on, read in a few
    queries, and their loads kept up to date as leads are given"""

    def __init__(self, partner_ids=None):
        pool = Pool()
        Party = pool.get('party.party')
        Tier = pool.get('crm.partner.tier')
        PartnerTerritory = pool.get('crm.partner-crm.territory')
        PartnerSpeciality = pool.get('crm.partner-product.category')
        Assignment = pool.get('crm.partner.assignment')
        Opportunity = pool.get('sale.opportunity')
        Territory = pool.get('crm.territory')
        Category = pool.get('product.category')
        cursor = Transaction().connection.cursor()

        party = Party.__table__()
        tier = Tier.__table__()
        where = party.active == Literal(True)
        if partner_ids is not None:
            where &= reduce_ids(party.id, partner_ids)
        else:
            where &= ((party.is_partner == Literal(True))
                & (party.partner_active == Literal(True)))
        cursor.execute(*party.join(tier, 'LEFT',
                condition=party.partner_tier == tier.id).select(
                party.id, party.partner_capacity, tier.name, tier.weight,
                where=where))
        self.partners = {}
        for id_, capacity, tier_name, weight in cursor:
            self.partners[id_] = {
                'id': id_, 'capacity': capacity, 'tier': tier_name,
                'weight': weight or 0, 'territories': set(),
                'specialities': set(), 'load': 0, 'won': 0, 'lost': 0,
                'coordinates': None,
                }
        ids = list(self.partners)
        max_weight = max(
            (p['weight'] for p in self.partners.values()), default=0)
        self.max_weight = max_weight or 1

        self.territory_ancestors = _ancestors(Territory)
        self.category_ancestors = _ancestors(Category)
        self.by_territory = defaultdict(set)
        self.by_category = defaultdict(set)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            relation = PartnerTerritory.__table__()
            cursor.execute(*relation.select(
                    relation.party, relation.territory,
                    where=reduce_ids(relation.party, sub_ids)))
            for party_id, territory in cursor:
                self.partners[party_id]['territories'].add(territory)
                self.by_territory[territory].add(party_id)
            relation = PartnerSpeciality.__table__()
            cursor.execute(*relation.select(
                    relation.party, relation.category,
                    where=reduce_ids(relation.party, sub_ids)))
            for party_id, category in cursor:
                self.partners[party_id]['specialities'].add(category)
                self.by_category[category].add(party_id)

            assignment = Assignment.__table__()
            opportunity = Opportunity.__table__()
            cursor.execute(*assignment.join(opportunity,
                    condition=assignment.opportunity == opportunity.id
                    ).select(
                    assignment.partner, assignment.state, opportunity.state,
                    Count(assignment.id),
                    where=reduce_ids(assignment.partner, sub_ids)
                    & assignment.state.in_(LIVE_STATES),
                    group_by=[
                        assignment.partner, assignment.state,
                        opportunity.state]))
            for party_id, state, lead_state, count in cursor:
                partner = self.partners[party_id]
                if lead_state in OPEN_STATES:
                    partner['load'] += count
                if state == 'accepted':
                    if lead_state in WON_STATES:
                        partner['won'] += count
                    elif lead_state in LOST_STATES:
                        partner['lost'] += count
        for party_id, coordinates in _coordinates(ids).items():
            self.partners[party_id]['coordinates'] = coordinates
        for partner in self.partners.values():
            partner['tier_fraction'] = partner['weight'] / self.max_weight
            # Laplace's rule: a partner without history is at one half
            partner['conversion'] = (partner['won'] + 1) / (
                partner['won'] + partner['lost'] + 2)
        self.everyone = set(self.partners)
        self.max_distance = self._max_distance()

    @classmethod
    def _max_distance(cls):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        return Configuration(1).partner_distance or 0

    def candidates(self, lead):
        "Return the partners covering the lead, or knowing its products"
        found = set()
        for territory in self.territory_ancestors.get(
                lead['territory'], ()):
            found |= self.by_territory.get(territory, set())
        if not found:
            for category in lead['categories']:
                for ancestor in self.category_ancestors.get(category, ()):
                    found |= self.by_category.get(ancestor, set())
        return found or self.everyone

    def choose(self, lead, force=False):
        """Return the best partner for the lead, its score and reasons,
        or None when no partner may take it"""
        lead['territories'] = self.territory_ancestors.get(
            lead['territory'], frozenset())
        lead['category_paths'] = [
            self.category_ancestors.get(c, frozenset([c]))
            for c in lead['categories']]
        best = None
        candidates = self.everyone if force else self.candidates(lead)
        for partner_id in candidates:
            partner = self.partners[partner_id]
            if not force and partner_id in lead['tried']:
                continue
            capacity = partner['capacity']
            if (not force and capacity is not None
                    and partner['load'] >= capacity):
                continue
            fractions, _, _ = self._fractions(lead, partner)
            score = sum(WEIGHTS[c] * f for c, f in zip(CRITERIA, fractions))
            if best is None or (score, -partner_id) > (best[0], -best[1]):
                best = (score, partner_id)
        if best is None:
            return None
        partner = self.partners[best[1]]
        reasons = self._reasons(lead, partner)
        partner['load'] += 1
        return best[1], round(best[0], 1), reasons

    def _fractions(self, lead, partner):
        """Return the fraction of its weight each criterion gives, in the
        order of CRITERIA, the distance and the number of known categories
        (the hot loop: no allocation but the result)"""
        territory = 0 if partner['territories'].isdisjoint(
            lead['territories']) else 1
        distance, near = None, 0
        if lead['coordinates'] and partner['coordinates']:
            distance = distance_km(
                *lead['coordinates'], *partner['coordinates'])
            if self.max_distance:
                near = max(0, 1 - distance / self.max_distance)
        known, speciality = 0, 0
        if lead['category_paths']:
            specialities = partner['specialities']
            known = sum(1 for path in lead['category_paths']
                if not specialities.isdisjoint(path))
            speciality = known / len(lead['category_paths'])
        capacity = partner['capacity']
        if capacity is None:
            free = 1
        elif capacity:
            free = max(capacity - partner['load'], 0) / capacity
        else:
            free = 0
        return ((territory, near, partner['tier_fraction'], speciality,
                free, partner['conversion']), distance, known)

    def _reasons(self, lead, partner):
        fractions, distance, known = self._fractions(lead, partner)
        capacity = partner['capacity']
        values = {
            'territory': {},
            'distance': {'distance': round(distance or 0)},
            'tier': {'tier': partner['tier'] or ''},
            'speciality': {
                'known': known, 'count': len(lead['category_paths'])},
            'capacity': {
                'free': (max(capacity - partner['load'], 0)
                    if capacity is not None else '∞'),
                'capacity': capacity if capacity is not None else '∞'},
            'conversion': {'rate': round(partner['conversion'] * 100)},
            }
        lines = []
        for criterion, fraction in zip(CRITERIA, fractions):
            if not fraction:
                continue
            lines.append(gettext(
                    'crm_partner.msg_assignment_reason_' + criterion,
                    points='%g' % round(WEIGHTS[criterion] * fraction, 1),
                    **values[criterion]))
        return '\n'.join(lines)


class AssignmentLog(ModelSQL, ModelView):
    "What happened to a lead given to a partner, and when"
    __name__ = 'crm.partner.assignment.log'
    __string__ = "Partner Assignment Log"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    assignment = fields.Many2One(
        'crm.partner.assignment', "Assignment", required=True, readonly=True,
        ondelete='CASCADE')
    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", required=True, readonly=True,
        ondelete='CASCADE')
    partner = fields.Many2One(
        'party.party', "Partner", required=True, readonly=True,
        ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    event = fields.Selection(EVENTS, "Event", required=True, readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    note = fields.Text("Note", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.assignment, Index.Range())),
                Index(t, (t.opportunity, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('opportunity')

    @classmethod
    def log(cls, vlist):
        """Insert the log lines in bulk

        They are written by code only from checked values, so they skip the
        per-record validation of create which dominates a large batch.
        """
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        now = datetime.datetime.now()
        user = transaction.user
        names = [
            'company', 'assignment', 'opportunity', 'partner', 'event',
            'note']
        columns = [getattr(table, n) for n in names] + [
            table.date, table.user, table.create_uid, table.create_date]
        for sub in grouped_slice(vlist, 500):
            cursor.execute(*table.insert(columns, [
                        [v[n] for n in names] + [now, user, user, now]
                        for v in sub]))


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    partner_assignments = fields.One2Many(
        'crm.partner.assignment', 'opportunity', "Partner Assignments",
        readonly=True)
    partner_assignment = fields.Function(fields.Many2One(
            'crm.partner.assignment', "Partner Assignment",
            help="The live proposal of the lead to a partner."),
        'get_partner_assignment')
    partner = fields.Function(fields.Many2One(
            'party.party', "Partner",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'},
            help="The partner the lead is proposed to or who accepted it."),
        'get_partner_assignment', searcher='search_partner')
    partner_state = fields.Function(fields.Selection(
            [(None, "")] + STATES, "Partner State"),
        'get_partner_assignment')
    partner_score = fields.Function(fields.Float(
            "Partner Score", digits=(3, 1)),
        'get_partner_assignment')
    partner_reasons = fields.Function(fields.Text(
            "Partner Reasons"),
        'get_partner_assignment')
    partner_deadline = fields.Function(fields.DateTime(
            "Partner Deadline"),
        'get_partner_assignment')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'distribute_to_partner': {
                    'invisible': (~Eval('state').in_(OPEN_STATES)
                        | Eval('partner_assignment')),
                    'depends': ['state', 'partner_assignment'],
                    },
                })

    @classmethod
    def get_partner_assignment(cls, opportunities, names):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        cursor = Transaction().connection.cursor()
        current = {}
        for sub_ids in grouped_slice([o.id for o in opportunities]):
            assignment = Assignment.__table__()
            cursor.execute(*assignment.select(
                    assignment.opportunity, Max(assignment.id),
                    where=reduce_ids(assignment.opportunity, sub_ids)
                    & assignment.state.in_(LIVE_STATES),
                    group_by=[assignment.opportunity]))
            current.update(cursor)
        assignments = {
            a.id: a for a in Assignment.browse(list(current.values()))}
        result = {n: {} for n in names}
        for opportunity in opportunities:
            assignment = assignments.get(current.get(opportunity.id))
            for name in names:
                if assignment is None:
                    value = None
                elif name == 'partner_assignment':
                    value = assignment.id
                elif name == 'partner':
                    value = assignment.partner.id
                else:
                    value = getattr(assignment, name[len('partner_'):])
                result[name][opportunity.id] = value
        return result

    @classmethod
    def search_partner(cls, name, clause):
        return [('partner_assignments', 'where', [
                    ('state', 'in', LIVE_STATES),
                    ('partner',) + tuple(clause[1:]),
                    ])]

    @classmethod
    @ModelView.button
    def distribute_to_partner(cls, opportunities):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        with without_check_access():
            Assignment.distribute(opportunities, trigger='manual')

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('partner_assignments')
        return super().copy(opportunities, default=default)


class Distribute(Wizard):
    "Propose the selected leads to their best partner or to one partner"
    __name__ = 'crm.partner.assignment.distribute'

    start = StateView(
        'crm.partner.assignment.distribute.start',
        'crm_partner.assignment_distribute_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Distribute", 'distribute', 'tryton-ok', default=True),
            ])
    distribute = StateTransition()

    def transition_distribute(self):
        pool = Pool()
        Assignment = pool.get('crm.partner.assignment')
        Assignment.distribute(
            self.records, partner=self.start.partner, trigger='manual')
        return 'end'

    def end(self):
        return 'reload'


class DistributeStart(ModelView):
    __name__ = 'crm.partner.assignment.distribute.start'
    __string__ = "Distribute Leads to Partners"

    partner = fields.Many2One(
        'party.party', "Partner",
        domain=[('is_partner', '=', True)],
        help="Propose the leads to this partner, withdrawing their live "
        "proposals.\nLeave empty to propose each lead to its best partner.")


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.partner.assignment|expire_overdue',
                "Expire Overdue Partner Proposals"))
