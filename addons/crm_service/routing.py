# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Skill-based routing: hand each service case to the best agent.

The candidates for a case are the leader and members of its team or, when it
has no team, the employees of its company with service skills. A candidate
is kept when employed today, available (on duty and inside no absence), with
load < capacity (a capacity of 0 takes no case) and, when the case requires
skills, with at least one of them. Each one left gets the score::

    score = sum of skill weight x level over the skills the case requires
            (its category, matched by a skill of the category or of a
            parent category, its product and its language) that the
            agent has, with the agent's level in it
          + the weight of the customer's tier x the agent's mean skill
            level (the A and B customers get the stronger agents)
          - load weight x load / capacity
          + affinity bonus when the agent handles the customer's latest
            case of the last affinity days (one face to the customer)

The weights are set in the service configuration; WEIGHTS has their
defaults.

The best score wins; ties go to the lower load, then to the lower id. The
case gets the agent and goes to state assigned, and a routing log records
why (the winner's score terms and the runner-up). When nobody fits, the case
waits in the team queue (state new, no agent) and the log says why.

Routing runs when cases are created without agent, when an agent requests a
reassignment (the current agent is left out), and when an agent becomes
available (back on duty, more capacity, an absence over): the queue hands
its cases, most urgent then oldest first, until the capacities are full.

The facts of a batch (cases, candidates, loads, skills, affinity) come from a
few queries; the loads are kept up to date in memory within the batch.
"""
import datetime
from collections import defaultdict

from sql import Column, Literal, Null, Union
from sql.aggregate import Max
from sql.conditionals import Case as SqlCase

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access

from .case import OPEN_STATES

# The default weights of the score, by field of the configuration
WEIGHTS = {
    'routing_skill_weight': 1.0,
    'routing_tier_a_weight': 1.0,
    'routing_tier_b_weight': 0.5,
    'routing_tier_c_weight': 0.0,
    'routing_load_weight': 1.0,
    'routing_affinity_bonus': 2.0,
    'routing_affinity_days': 30,
    }
PRIORITY_RANKS = {'urgent': 0, 'high': 1, 'normal': 2, 'low': 3}
TRIGGERS = [
    ('creation', "Creation"),
    ('manual', "Manual"),
    ('reassignment', "Reassignment"),
    ('queue', "Queue"),
    ]
SLICE = backend.MAX_QUERY_PARAMS


def _slices(ids):
    for sub_ids in grouped_slice(list(ids), SLICE):
        yield list(sub_ids)


def _employed(employee, today):
    "The condition on the employee table for those employed today"
    return (((employee.start_date == Null) | (employee.start_date <= today))
        & ((employee.end_date == Null) | (employee.end_date >= today)))


def _points(value):
    return f'{value:.2f}'


def _log(fact, trigger, agent, score, count, explanation):
    "Return the values of the routing log of the decision on the case fact"
    return {
        'case': fact['id'],
        'trigger': trigger,
        'agent': agent.id if agent else None,
        'previous_agent': fact['agent'],
        'score': score,
        'candidates': count,
        'explanation': explanation,
        }


def _weight(name, string, help):
    "Return the routing weight field of the name: points, not negative"
    return fields.Float(
        string, required=True, domain=[(name, '>=', 0)], help=help)


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.service.configuration'

    routing_skill_weight = _weight('routing_skill_weight',
        "Skill Weight",
        "The points of each level of a skill the case requires.")
    routing_tier_a_weight = _weight('routing_tier_a_weight',
        "Tier A Weight",
        "The points of each level of the agent's mean skill level, for a "
        "customer of tier A.")
    routing_tier_b_weight = _weight('routing_tier_b_weight',
        "Tier B Weight",
        "The points of each level of the agent's mean skill level, for a "
        "customer of tier B.")
    routing_tier_c_weight = _weight('routing_tier_c_weight',
        "Tier C Weight",
        "The points of each level of the agent's mean skill level, for a "
        "customer of tier C.")
    routing_load_weight = _weight('routing_load_weight',
        "Load Weight",
        "The points taken off an agent whose open cases fill the "
        "capacity; fewer in proportion to the load.")
    routing_affinity_bonus = _weight('routing_affinity_bonus',
        "Affinity Bonus",
        "The points of the agent who handles the customer's latest case.")
    routing_affinity_days = fields.Integer("Affinity Days", required=True,
        domain=[('routing_affinity_days', '>=', 0)],
        help="How recent the customer's latest case must be for its agent "
        "to get the affinity bonus.")

    @classmethod
    def default_routing_skill_weight(cls):
        return WEIGHTS['routing_skill_weight']

    @classmethod
    def default_routing_tier_a_weight(cls):
        return WEIGHTS['routing_tier_a_weight']

    @classmethod
    def default_routing_tier_b_weight(cls):
        return WEIGHTS['routing_tier_b_weight']

    @classmethod
    def default_routing_tier_c_weight(cls):
        return WEIGHTS['routing_tier_c_weight']

    @classmethod
    def default_routing_load_weight(cls):
        return WEIGHTS['routing_load_weight']

    @classmethod
    def default_routing_affinity_bonus(cls):
        return WEIGHTS['routing_affinity_bonus']

    @classmethod
    def default_routing_affinity_days(cls):
        return WEIGHTS['routing_affinity_days']

    @classmethod
    def routing_weights(cls):
        "Return the weights of the routing score by name, in one query"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                *(Column(table, n) for n in WEIGHTS), limit=1))
        weights = dict(WEIGHTS)
        row = cursor.fetchone()
        if row:
            weights.update(
                (n, v) for n, v in zip(WEIGHTS, row) if v is not None)
        return weights


class RoutingLog(ModelSQL, ModelView):
    "Why a case went to its agent, or waits in the queue"
    __name__ = 'crm.service.routing.log'
    __string__ = "Routing Log"

    case = fields.Many2One(
        'crm.service.case', "Case", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.DateTime("Date", required=True, readonly=True)
    trigger = fields.Selection(TRIGGERS, "Trigger", required=True,
        readonly=True)
    agent = fields.Many2One(
        'company.employee', "Agent", readonly=True,
        help="The agent chosen, empty when the case waits in the queue.")
    previous_agent = fields.Many2One(
        'company.employee', "Previous Agent", readonly=True)
    score = fields.Float("Score", digits=(16, 2), readonly=True)
    candidates = fields.Integer("Candidates", readonly=True,
        help="The agents who could take the case.")
    explanation = fields.Text("Explanation", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    decisions = fields.Function(
        fields.Integer("Decisions", help="1 per log, summed by the graph."),
        'get_decisions')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.case, Index.Range()), (t.id, Index.Range())),
                Index(t, (t.date, Index.Range(order='DESC'))),
                })
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]

    def get_decisions(self, name):
        return 1

    def get_rec_name(self, name):
        return f'{self.case.rec_name} @ {self.date}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('case.rec_name',) + tuple(clause[1:])]

    @classmethod
    def log(cls, vlist):
        """Insert the log lines in bulk: they are written by the routing
        only, from checked values"""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        # Without microseconds, as a write stores a DateTime: sao compares
        # the value with the text it shows and would take a log for modified
        now = cls.date.sql_format(datetime.datetime.now())
        user = transaction.user
        names = [
            'case', 'trigger', 'agent', 'previous_agent', 'score',
            'candidates', 'explanation']
        columns = [getattr(table, n) for n in names] + [
            table.date, table.user, table.create_uid, table.create_date]
        for sub in grouped_slice(vlist, 500):
            cursor.execute(*table.insert(columns, [
                        [v.get(n) for n in names] + [now, user, user, now]
                        for v in sub]))


class _Agent:
    "A candidate agent: profile, load and skills"
    __slots__ = (
        'id', 'name', 'company', 'capacity', 'available', 'load',
        'skills', 'mean')

    def __init__(self, id_, name, company, capacity, available):
        self.id = id_
        self.name = name
        self.company = company
        self.capacity = capacity
        self.available = available
        self.load = 0
        # (kind, target id) -> (level, skill name)
        self.skills = {}
        self.mean = 0.0


class _Router:
    """The facts of a batch of cases and the choice of their agents

    The loads of the agents go up as they receive cases, so a batch never
    fills an agent beyond its capacity.
    """

    def __init__(self, case_ids=None, facts=None):
        """Load the facts of the cases, or take the facts given (of cases
        not created yet) and find their customer tiers"""
        pool = Pool()
        Configuration = pool.get('crm.service.configuration')
        self.now = datetime.datetime.now()
        self.today = self.now.date()
        self.cursor = Transaction().connection.cursor()
        weights = Configuration.routing_weights()
        self.skill_weight = weights['routing_skill_weight']
        self.tier_weights = {
            t: weights[f'routing_tier_{t.lower()}_weight']
            for t in ['A', 'B', 'C']}
        self.load_weight = weights['routing_load_weight']
        self.affinity_bonus = weights['routing_affinity_bonus']
        self.affinity_days = weights['routing_affinity_days']
        if facts is None:
            self._load_cases(case_ids)
        else:
            self.cases = facts
            self._load_tiers()
        self._load_categories()
        self._load_candidates()
        self._load_agents()
        self._load_affinity()

    def _load_cases(self, case_ids):
        pool = Pool()
        Case = pool.get('crm.service.case')
        PartyValue = pool.get('crm.party.value')
        case = Case.__table__()
        value = PartyValue.__table__()
        self.cases = {}
        for sub_ids in _slices(case_ids):
            self.cursor.execute(*case.join(value, 'LEFT',
                    condition=(value.party == case.party)
                    & (value.company == case.company))
                .select(case.id, case.company, case.team, case.party,
                    case.category, case.product, case.language,
                    case.priority, case.agent, case.state, case.create_date,
                    value.segment,
                    where=reduce_ids(case.id, sub_ids)))
            for row in self.cursor:
                fact = dict(zip([
                            'id', 'company', 'team', 'party', 'category',
                            'product', 'language', 'priority', 'agent',
                            'state', 'create_date', 'tier'], row))
                self.cases[fact['id']] = fact

    def _load_tiers(self):
        pool = Pool()
        PartyValue = pool.get('crm.party.value')
        value = PartyValue.__table__()
        tiers = {}
        parties = {f['party'] for f in self.cases.values() if f['party']}
        for sub_ids in _slices(parties):
            self.cursor.execute(*value.select(
                    value.party, value.company, value.segment,
                    where=reduce_ids(value.party, sub_ids)))
            tiers.update(((p, c), s) for p, c, s in self.cursor)
        for fact in self.cases.values():
            fact['tier'] = tiers.get((fact['party'], fact['company']))

    def _load_categories(self):
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        self.ancestors = {
            c['category']: Category.ancestor_ids(c['category'])
            for c in self.cases.values() if c['category']}

    def _load_candidates(self):
        "The employee ids by team and by company (for cases without team)"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        Member = pool.get('crm.sales.team-company.employee')
        Employee = pool.get('company.employee')
        AgentSkill = pool.get('crm.service.agent.skill')
        team = Team.__table__()
        member = Member.__table__()
        employee = Employee.__table__()
        agent_skill = AgentSkill.__table__()
        self.team_members = defaultdict(set)
        self.company_agents = defaultdict(set)
        team_ids = {c['team'] for c in self.cases.values() if c['team']}
        for sub_ids in _slices(team_ids):
            self.cursor.execute(*Union(
                    team.select(team.id, team.leader,
                        where=reduce_ids(team.id, sub_ids)
                        & (team.leader != Null)),
                    member.select(member.team, member.employee,
                        where=reduce_ids(member.team, sub_ids))))
            for team_id, employee_id in self.cursor:
                self.team_members[team_id].add(employee_id)
        company_ids = {
            c['company'] for c in self.cases.values() if not c['team']}
        if company_ids:
            self.cursor.execute(*employee.join(agent_skill,
                    condition=agent_skill.employee == employee.id)
                .select(employee.company, employee.id,
                    where=employee.company.in_(list(company_ids)),
                    group_by=[employee.company, employee.id]))
            for company_id, employee_id in self.cursor:
                self.company_agents[company_id].add(employee_id)

    def _load_agents(self):
        pool = Pool()
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        AgentSkill = pool.get('crm.service.agent.skill')
        Skill = pool.get('crm.service.skill')
        employee = Employee.__table__()
        party = Party.__table__()
        agent_skill = AgentSkill.__table__()
        skill = Skill.__table__()
        ids = set().union(
            *self.team_members.values(), *self.company_agents.values())
        self.agents = {}
        absent = set()
        for sub_ids in _slices(ids):
            self.cursor.execute(*employee.join(party,
                    condition=employee.party == party.id)
                .select(employee.id, party.name, employee.company,
                    employee.service_capacity,
                    employee.service_availability,
                    where=reduce_ids(employee.id, sub_ids)
                    & _employed(employee, self.today)))
            for id_, name, company, capacity, availability in self.cursor:
                self.agents[id_] = _Agent(
                    id_, name, company, capacity or 0,
                    availability == 'on_duty')
            self.cursor.execute(*Employee.absent_query(self.now, sub_ids))
            absent.update(e for e, in self.cursor)
        for id_ in absent & self.agents.keys():
            self.agents[id_].available = False

        # Only the agents who may take a case need their load
        loads = Employee.service_loads([
                a.id for a in self.agents.values()
                if a.available and a.capacity > 0])
        for id_, load in loads.items():
            self.agents[id_].load = load
        levels = defaultdict(list)
        for sub_ids in _slices(self.agents):
            self.cursor.execute(*agent_skill.join(skill,
                    condition=agent_skill.skill == skill.id)
                .select(agent_skill.employee, agent_skill.level,
                    skill.name, skill.kind, skill.category, skill.product,
                    skill.language,
                    where=reduce_ids(agent_skill.employee, sub_ids)
                    & (skill.active == Literal(True))))
            for (employee_id, level, name, kind, category, product,
                    language) in self.cursor:
                target = {
                    'category': category,
                    'product': product,
                    'language': language,
                    }[kind]
                skills = self.agents[employee_id].skills
                if level > skills.get((kind, target), (0,))[0]:
                    skills[(kind, target)] = (level, name)
                levels[employee_id].append(level)
        for employee_id, values in levels.items():
            self.agents[employee_id].mean = sum(values) / len(values)

    def _load_affinity(self):
        "The agent of the latest recent case by party"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = Case.__table__()
        since = self.now - datetime.timedelta(days=self.affinity_days)
        party_ids = {c['party'] for c in self.cases.values() if c['party']}
        latest = {}
        for sub_ids in _slices(party_ids):
            self.cursor.execute(*case.select(
                    case.party, case.agent, Max(case.create_date),
                    where=reduce_ids(case.party, sub_ids)
                    & (case.agent != Null)
                    & (case.create_date >= since),
                    group_by=[case.party, case.agent]))
            for party_id, agent_id, date in self.cursor:
                if party_id not in latest or date > latest[party_id][1]:
                    latest[party_id] = (agent_id, date)
        self.affinity = {p: a for p, (a, _) in latest.items()}

    def ordered(self):
        "The case facts, most urgent then oldest first"
        return sorted(self.cases.values(), key=lambda c: (
                PRIORITY_RANKS.get(c['priority'], 99),
                c['create_date'], c['id']))

    def requirements(self, fact):
        "The (kind, targets) the case requires"
        required = []
        if fact['category']:
            required.append(('category', self.ancestors[fact['category']]))
        if fact['product']:
            required.append(('product', [fact['product']]))
        if fact['language']:
            required.append(('language', [fact['language']]))
        return required

    def score(self, agent, fact, required, terms=None):
        """Return the score of the agent for the case, None without any of
        the required skills; fill terms with (message id, values)"""
        skills = agent.skills
        total = 0.
        matched = False
        for kind, targets in required:
            best = max(
                (skills[(kind, t)] for t in targets if (kind, t) in skills),
                default=None)
            if best:
                matched = True
                points = self.skill_weight * best[0]
                total += points
                if terms is not None:
                    terms.append(('msg_routing_term_skill', {
                                'skill': best[1], 'level': best[0],
                                'points': _points(points)}))
        if required and not matched:
            return None
        tier_weight = self.tier_weights.get(fact['tier'], 0)
        if tier_weight and agent.mean:
            points = tier_weight * agent.mean
            total += points
            if terms is not None:
                terms.append(('msg_routing_term_tier', {
                            'tier': fact['tier'],
                            'level': _points(agent.mean),
                            'points': _points(points)}))
        points = self.load_weight * agent.load / agent.capacity
        total -= points
        if terms is not None:
            terms.append(('msg_routing_term_load', {
                        'load': agent.load, 'capacity': agent.capacity,
                        'points': _points(points)}))
        if (self.affinity_bonus and fact['party'] is not None
                and self.affinity.get(fact['party']) == agent.id):
            total += self.affinity_bonus
            if terms is not None:
                terms.append(('msg_routing_term_affinity', {
                            'points': _points(self.affinity_bonus)}))
        return total

    def choose(self, fact, exclude=None):
        """Return the chosen agent (or None), its score, the number of
        candidates and the explanation"""
        if fact['team']:
            members = self.team_members.get(fact['team'], ())
        else:
            members = self.company_agents.get(fact['company'], ())
        required = self.requirements(fact)
        unavailable = full = unskilled = 0
        ranked = []
        for agent_id in members:
            agent = self.agents.get(agent_id)
            if (agent is None or agent.company != fact['company']
                    or agent_id == exclude):
                continue
            if not agent.available:
                unavailable += 1
            elif agent.load >= agent.capacity:
                full += 1
            else:
                score = self.score(agent, fact, required)
                if score is None:
                    unskilled += 1
                else:
                    ranked.append(
                        (-round(score, 6), agent.load, agent.id, agent))
        if not ranked:
            return None, None, 0, self._why_nobody(
                fact, unavailable, full, unskilled)
        ranked.sort(key=lambda r: r[:3])
        agent = ranked[0][3]
        score = -ranked[0][0]
        terms = []
        self.score(agent, fact, required, terms)
        explanation = gettext('crm_service.msg_routing_chosen',
            agent=agent.name, score=_points(score),
            terms='; '.join(
                gettext(f'crm_service.{m}', **v) for m, v in terms))
        if len(ranked) > 1:
            explanation += '\n' + gettext(
                'crm_service.msg_routing_runner_up',
                agent=ranked[1][3].name, score=_points(-ranked[1][0]),
                count=len(ranked))
        else:
            explanation += '\n' + gettext(
                'crm_service.msg_routing_single')
        agent.load += 1
        if fact['party'] is not None:
            self.affinity[fact['party']] = agent.id
        return agent, score, len(ranked), explanation

    def release(self, agent_id):
        "The agent gives a case back"
        agent = self.agents.get(agent_id)
        if agent is not None and agent.load:
            agent.load -= 1

    def _why_nobody(self, fact, unavailable, full, unskilled):
        if not (unavailable or full or unskilled):
            if fact['team']:
                return gettext('crm_service.msg_routing_no_team_agent')
            return gettext('crm_service.msg_routing_no_company_agent')
        reasons = []
        if unavailable:
            reasons.append(gettext(
                    'crm_service.msg_routing_reason_unavailable',
                    count=unavailable))
        if full:
            reasons.append(gettext(
                    'crm_service.msg_routing_reason_full', count=full))
        if unskilled:
            reasons.append(gettext(
                    'crm_service.msg_routing_reason_unskilled',
                    count=unskilled))
        return gettext('crm_service.msg_routing_queued',
            count=unavailable + full + unskilled,
            reasons=', '.join(reasons))


class Case(metaclass=PoolMeta):
    __name__ = 'crm.service.case'

    language = fields.Many2One(
        'ir.lang', "Language",
        states={
            'readonly': Eval('state') == 'closed',
            },
        help="The language of the customer; the routing prefers agents "
        "who speak it.")
    routing_explanation = fields.Function(
        fields.Text("Why this Agent",
            help="How the routing chose the agent, "
            "or why the case waits in the queue.\n"
            "Each agent of the team on duty with free capacity scores "
            "the levels of the skills the case needs (category, product, "
            "language), plus the customer tier (A: 1, B: 0.5) times the "
            "agent's mean level, minus the load over the capacity, "
            "plus 2 for the agent who served the customer in the last "
            "30 days: the best score wins."),
        'get_routing_explanation')
    routing_logs = fields.One2Many(
        'crm.service.routing.log', 'case', "Routing Log", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # A case given back with nobody to take it returns to the queue
        cls._transitions |= {('assigned', 'new')}
        cls._buttons.update({
                'route_button': {
                    'invisible': ((Eval('state') != 'new')
                        | Bool(Eval('agent'))),
                    'icon': 'tryton-launch',
                    'depends': ['state', 'agent'],
                    },
                'request_reassignment': {
                    'invisible': (~Eval('state').in_(OPEN_STATES)
                        | ~Eval('agent')),
                    'icon': 'tryton-refresh',
                    'depends': ['state', 'agent'],
                    },
                })

    @fields.depends('party', 'language')
    def on_change_party(self):
        super().on_change_party()
        if self.party and self.party.lang:
            self.language = self.party.lang

    @classmethod
    def get_routing_explanation(cls, cases, name):
        pool = Pool()
        Log = pool.get('crm.service.routing.log')
        log = Log.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys((c.id for c in cases), None)
        for sub_ids in _slices(c.id for c in cases):
            cursor.execute(*log.select(log.case, log.explanation,
                    where=log.id.in_(log.select(Max(log.id),
                            where=reduce_ids(log.case, sub_ids),
                            group_by=[log.case]))))
            result.update(cursor)
        return result

    @classmethod
    def _party_languages(cls, vlist):
        "Return the language of each party of the values, by company"
        pool = Pool()
        PartyLang = pool.get('party.party.lang')
        party_lang = PartyLang.__table__()
        cursor = Transaction().connection.cursor()
        company = Transaction().context.get('company')
        wanted = {
            (v.get('company', company), v['party']) for v in vlist
            if v.get('party') and 'language' not in v}
        languages = {}
        for sub_ids in _slices({p for _, p in wanted}):
            cursor.execute(*party_lang.select(
                    party_lang.party, party_lang.company, party_lang.lang,
                    where=reduce_ids(party_lang.party, sub_ids)
                    & (party_lang.lang != Null)))
            for party_id, company_id, lang_id in cursor:
                # The company's value comes before the shared one
                if company_id is not None:
                    languages[(company_id, party_id)] = lang_id
                else:
                    languages.setdefault((None, party_id), lang_id)
        return {
            key: languages.get(key, languages.get((None, key[1])))
            for key in wanted}

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Log = pool.get('crm.service.routing.log')
        company = Transaction().context.get('company')
        vlist = [v.copy() for v in vlist]
        languages = cls._party_languages(vlist)
        for values in vlist:
            if values.get('party') and 'language' not in values:
                values['language'] = languages.get(
                    (values.get('company', company), values['party']))
        logs = cls._route_values(vlist)
        cases = super().create(vlist)
        for log in logs:
            log['case'] = cases[log['case']].id
        # The explanations of the new cases are read from their logs
        Log.log(logs)
        return cases

    @classmethod
    def _route_values(cls, vlist):
        """Give the agents to the values of the new cases without one, so
        that each case is inserted routed; return their routing logs, the
        index of the values as case"""
        company = Transaction().context.get('company')
        now = datetime.datetime.now()
        facts = {}
        for index, values in enumerate(vlist):
            if values.get('agent') or values.get('state', 'new') != 'new':
                continue
            facts[index] = {
                'id': index,
                'company': values.get('company', company),
                'agent': None,
                'state': 'new',
                'create_date': now,
                **{name: values.get(name) for name in [
                        'team', 'party', 'category', 'product',
                        'language']},
                'priority': values.get('priority', cls.default_priority()),
                }
        if not facts:
            return []
        logs = []
        with without_check_access():
            router = _Router(facts=facts)
            for fact in router.ordered():
                agent, score, count, explanation = router.choose(fact)
                if agent is not None:
                    vlist[fact['id']].update({
                            'agent': agent.id,
                            'state': 'assigned',
                            'assigned_at': now,
                            })
                logs.append(_log(
                        fact, 'creation', agent, score, count, explanation))
        return logs

    @classmethod
    def copy(cls, cases, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('routing_logs')
        return super().copy(cases, default=default)

    @classmethod
    def route(cls, cases, reassign=False, trigger='creation',
            log_queued=True):
        """Give the cases to the best agents, or leave them in the queue.

        The new cases without agent are routed; with reassign, the open
        cases with an agent are routed again without their current agent.
        Return the cases that got an agent.
        """
        pool = Pool()
        Log = pool.get('crm.service.routing.log')
        User = pool.get('res.user')
        transaction = Transaction()

        with without_check_access():
            router = _Router([c.id for c in cases])
            header = None
            if reassign:
                header = gettext('crm_service.msg_routing_reassignment',
                    user=User(transaction.user).rec_name)
            logs = []
            by_agent = defaultdict(list)
            to_assign, requeue, unassign = [], [], []
            for fact in router.ordered():
                if reassign:
                    if not (fact['agent'] and fact['state'] in OPEN_STATES):
                        continue
                elif fact['agent'] or fact['state'] != 'new':
                    continue
                exclude = fact['agent'] if reassign else None
                agent, score, count, explanation = router.choose(
                    fact, exclude=exclude)
                if header:
                    explanation = header + '\n' + explanation
                if agent is not None:
                    by_agent[agent.id].append(fact['id'])
                    if fact['state'] == 'new':
                        to_assign.append(fact['id'])
                    if reassign:
                        router.release(fact['agent'])
                elif reassign and fact['state'] in {'new', 'assigned'}:
                    # Given back with nobody to take it: to the queue
                    (requeue if fact['state'] == 'assigned'
                        else unassign).append(fact['id'])
                    router.release(fact['agent'])
                elif reassign:
                    explanation += '\n' + gettext(
                        'crm_service.msg_routing_kept')
                elif not log_queued:
                    continue
                logs.append(_log(
                        fact, trigger, agent, score, count, explanation))

            # Logged first so the writes clear the cached explanations
            Log.log(logs)
            routed = []
            args = []
            now = datetime.datetime.now()
            to_assign = set(to_assign)
            for agent_id, ids in by_agent.items():
                routed.extend(cls.browse(ids))
                # The new cases take the assign transition in the same
                # write as their agent: one write per agent
                new = [i for i in ids if i in to_assign]
                if new:
                    args.extend((cls.browse(new), {
                                'agent': agent_id,
                                'state': 'assigned',
                                'assigned_at': now,
                                }))
                others = [i for i in ids if i not in to_assign]
                if others:
                    args.extend((cls.browse(others), {
                                'agent': agent_id,
                                'assigned_at': now,
                                }))
            if args:
                cls.write(*args)
            if unassign:
                cls.write(cls.browse(unassign), {'agent': None})
            if requeue:
                cls._requeue(cls.browse(requeue))
        return routed

    @classmethod
    def route_queue(cls, agents=None):
        """Hand the waiting cases to the agents who can take them (all the
        agents when None), most urgent then oldest first, until their
        capacities are full. Return the cases routed."""
        pool = Pool()
        Employee = pool.get('company.employee')
        Team = pool.get('crm.sales.team')
        AgentSkill = pool.get('crm.service.agent.skill')
        employee = Employee.__table__()
        agent_skill = AgentSkill.__table__()
        case = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = datetime.datetime.now()

        with without_check_access():
            where = ((employee.service_availability == 'on_duty')
                & (employee.service_capacity > 0)
                & _employed(employee, now.date())
                & ~employee.id.in_(Employee.absent_query(now)))
            free = {}
            slices = ([None] if agents is None
                else _slices({int(a) for a in agents}))
            for sub_ids in slices:
                condition = where
                if sub_ids is not None:
                    condition &= reduce_ids(employee.id, sub_ids)
                cursor.execute(*employee.select(
                        employee.id, employee.company,
                        employee.service_capacity, where=condition))
                free.update((e, (c, cap)) for e, c, cap in cursor)
            loads = Employee.service_loads(list(free))
            room = {e: cap - loads[e] for e, (_, cap) in free.items()
                if cap > loads[e]}
            if not room:
                return []
            remaining = sum(room.values())

            cursor.execute(*Team.teams_of(list(room)))
            teams = [t for t, in cursor]
            skilled = set()
            for sub_ids in _slices(room):
                cursor.execute(*agent_skill.select(agent_skill.employee,
                        where=reduce_ids(agent_skill.employee, sub_ids),
                        group_by=[agent_skill.employee]))
                skilled.update(e for e, in cursor)
            companies = list({free[e][0] for e in skilled})

            rank = SqlCase(*((case.priority == p, r)
                    for p, r in PRIORITY_RANKS.items()), else_=99)
            queue = Literal(False)
            if teams:
                queue |= case.team.in_(teams)
            if companies:
                queue |= (case.team == Null) & case.company.in_(companies)
            cursor.execute(*case.select(case.id,
                    where=(case.state == 'new') & (case.agent == Null)
                    & queue,
                    order_by=[rank.asc, case.create_date.asc, case.id.asc]))
            waiting = [i for i, in cursor]

            routed = []
            for sub_ids in grouped_slice(waiting, 500):
                if remaining <= 0:
                    break
                batch = cls.route(
                    cls.browse(list(sub_ids)), trigger='queue',
                    log_queued=False)
                routed.extend(batch)
                remaining -= len(batch)
        return routed

    @classmethod
    @ModelView.button
    def route_button(cls, cases):
        cls.route(cases, trigger='manual')

    @classmethod
    @ModelView.button
    def request_reassignment(cls, cases):
        cls.route(cases, reassign=True, trigger='reassignment')

    @classmethod
    @Workflow.transition('new')
    def _requeue(cls, cases):
        cls.write(cases, {'agent': None, 'assigned_at': None})


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.service.case|route_queue',
                "Route the Waiting Service Cases"))
