# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Assignment rules: hand new leads to a salesperson or a team"
import datetime
from collections import defaultdict

from sql.aggregate import Count

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

OPEN_STATES = ('lead', 'opportunity')
SEGMENTS = [
    ('A', "A"),
    ('B', "B"),
    ('C', "C"),
    ]


class AssignmentRule(
        sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Rule, in order of priority, giving matching leads to a salesperson"
    __name__ = 'crm.assignment.rule'
    __string__ = "Assignment Rule"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    territories = fields.Many2Many(
        'crm.assignment.rule-crm.territory', 'rule', 'territory',
        "Territories",
        help="Match leads in these territories or their sub-territories.\n"
        "Leave empty for any.")
    campaigns = fields.Many2Many(
        'crm.assignment.rule-marketing.campaign', 'rule', 'campaign',
        "Campaigns", help="Leave empty for any.")
    sources = fields.Many2Many(
        'crm.assignment.rule-marketing.source', 'rule', 'source',
        "Sources", help="Leave empty for any.")
    media = fields.Many2Many(
        'crm.assignment.rule-marketing.medium', 'rule', 'medium',
        "Media", help="Leave empty for any.")
    product_categories = fields.Many2Many(
        'crm.assignment.rule-product.category', 'rule', 'category',
        "Product Categories",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Match leads with a line whose product is in these categories "
        "or their sub-categories.\nLeave empty for any.")
    amount_min = fields.Numeric(
        "Minimal Amount", digits=(16, 2),
        help="Match leads whose amount is at least this value.")
    amount_max = fields.Numeric(
        "Maximal Amount", digits=(16, 2),
        domain=[If(Bool(Eval('amount_min')) & Bool(Eval('amount_max')),
                ('amount_max', '>=', Eval('amount_min')),
                ())],
        help="Match leads whose amount is at most this value.")
    segments = fields.MultiSelection(
        SEGMENTS, "Customer Segments",
        help="Match leads of customers in these value segments.\n"
        "Leave empty for any.")
    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))],
        help="The salesperson who receives the matching leads.")
    team = fields.Many2One(
        'crm.sales.team', "Team",
        domain=[('company', '=', Eval('company', -1))],
        help="The team set on the matching leads; without a salesperson, "
        "a member of the team receives them.")
    method = fields.Selection([
            (None, ""),
            ('round_robin', "Round Robin"),
            ('least_loaded', "Least Loaded"),
            ], "Distribution",
        states={
            'invisible': Bool(Eval('employee')) | ~Eval('team'),
            'required': ~Eval('employee') & Bool(Eval('team')),
            },
        help="How the leads are spread among the team members:\n"
        "Round Robin: each member in turn.\n"
        "Least Loaded: the member with the fewest open leads "
        "and opportunities.")
    last_employee = fields.Many2One(
        'company.employee', "Last Assigned", readonly=True,
        states={
            'invisible': Eval('method') != 'round_robin',
            },
        help="The member who received the last lead in round robin.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.company, Index.Range()), (t.sequence, Index.Range())))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_method(cls):
        return 'round_robin'

    @fields.depends('employee', 'team', 'method')
    def on_change_employee(self):
        if self.employee:
            self.method = None
        elif self.team and not self.method:
            self.method = self.default_method()

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        cls.check_target(rules, field_names)

    @classmethod
    def check_target(cls, rules, field_names=None):
        if field_names and not (field_names & {'employee', 'team', 'method'}):
            return
        for rule in rules:
            if not rule.employee and not rule.team:
                raise ValidationError(gettext(
                        'crm_sales.msg_assignment_rule_no_target',
                        rule=rule.rec_name))
            if not rule.employee and not rule.method:
                raise ValidationError(gettext(
                        'crm_sales.msg_assignment_rule_no_method',
                        rule=rule.rec_name))

    @classmethod
    def copy(cls, rules, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('last_employee')
        return super().copy(rules, default=default)

    @classmethod
    def assign(cls, opportunities, reassign=False, trigger='automatic'):
        """Assign the open opportunities by the first matching rule.

        Rules are loaded once per company, each opportunity is matched in
        memory and the loads are counted in one query.
        Return the opportunities that were assigned.
        """
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Log = pool.get('crm.assignment.log')

        facts = cls._assignment_facts(opportunities)
        todo = defaultdict(list)
        for opportunity in opportunities:
            fact = facts[opportunity.id]
            if (fact['state'] in OPEN_STATES
                    and (reassign or not fact['employee'])):
                todo[fact['company']].append(opportunity.id)

        writes = defaultdict(list)
        logs = []
        for company_id, ids in todo.items():
            rules = cls.search([('company', '=', company_id)])
            matchers = [_RuleMatcher(r) for r in rules]
            matched = {}
            for id_ in ids:
                for matcher in matchers:
                    if matcher.match(facts[id_]):
                        matched[id_] = matcher
                        break
            chooser = _Chooser(
                cls, company_id, {m.rule for m in matched.values()},
                [facts[i] for i in matched])
            for id_, matcher in matched.items():
                rule = matcher.rule
                employee, load = chooser.choose(rule)
                if not employee:
                    continue
                team = rule.team.id if rule.team else facts[id_]['crm_team']
                writes[(employee, team)].append(id_)
                logs.append({
                        'company': company_id,
                        'opportunity': id_,
                        'rule': rule.id,
                        'employee': employee,
                        'team': team,
                        'trigger': trigger,
                        'reason': rule._assignment_reason(load),
                        })
            chooser.save()

        assigned = []
        if writes:
            args = []
            for (employee, team), ids in writes.items():
                records = Opportunity.browse(ids)
                assigned.extend(records)
                args.extend(
                    (records, {'employee': employee, 'crm_team': team}))
            # Logged first so the write clears the cached log lists too
            Log.log(logs)
            Opportunity.write(*args)
        return assigned

    def _assignment_reason(self, load):
        if self.employee:
            return gettext(
                'crm_sales.msg_assignment_reason_employee', rule=self.rec_name)
        elif self.method == 'round_robin':
            return gettext(
                'crm_sales.msg_assignment_reason_round_robin',
                rule=self.rec_name, team=self.team.rec_name)
        else:
            return gettext(
                'crm_sales.msg_assignment_reason_least_loaded',
                rule=self.rec_name, team=self.team.rec_name, load=load)

    @classmethod
    def _assignment_facts(cls, opportunities):
        "Return the values the conditions test, by opportunity id"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        Line = pool.get('sale.opportunity.line')
        Product = pool.get('product.product')
        TemplateCategory = pool.get('product.template-product.category')
        cursor = Transaction().connection.cursor()

        ids = [o.id for o in opportunities]
        facts = {}
        party_ids = defaultdict(set)
        for values in Opportunity.read(ids, [
                    'company', 'party', 'state', 'employee', 'crm_team',
                    'crm_territory', 'marketing_campaign', 'marketing_source',
                    'marketing_medium', 'amount']):
            values['categories'] = set()
            facts[values['id']] = values
            if values['party'] is not None:
                party_ids[values['company']].add(values['party'])

        parties = {}
        for company_id, p_ids in party_ids.items():
            with Transaction().set_context(company=company_id):
                for values in Party.read(list(p_ids), [
                            'crm_territory', 'crm_value_segment']):
                    parties[(company_id, values['id'])] = values
        for values in facts.values():
            party = parties.get((values['company'], values['party']), {})
            if values['crm_territory'] is None:
                values['crm_territory'] = party.get('crm_territory')
            values['segment'] = party.get('crm_value_segment')

        line = Line.__table__()
        product = Product.__table__()
        template_category = TemplateCategory.__table__()
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*line
                .join(product, condition=line.product == product.id)
                .join(template_category,
                    condition=product.template == template_category.template)
                .select(line.opportunity, template_category.category,
                    where=reduce_ids(line.opportunity, sub_ids),
                    group_by=[line.opportunity, template_category.category]))
            for opportunity_id, category_id in cursor:
                facts[opportunity_id]['categories'].add(category_id)
        return facts


class _RuleMatcher:
    "The conditions of a rule as sets, to match many leads in memory"
    __slots__ = (
        'rule', 'territories', 'campaigns', 'sources', 'media', 'categories',
        'amount_min', 'amount_max', 'segments')

    def __init__(self, rule):
        pool = Pool()
        Territory = pool.get('crm.territory')
        Category = pool.get('product.category')

        def ids(records):
            return frozenset(r.id for r in records)

        def descendants(Model, records):
            if not records:
                return frozenset()
            return ids(Model.search(
                    [('parent', 'child_of', [r.id for r in records])],
                    order=[]))

        self.rule = rule
        with Transaction().set_context(active_test=False):
            self.territories = descendants(Territory, rule.territories)
            self.categories = descendants(Category, rule.product_categories)
        self.campaigns = ids(rule.campaigns)
        self.sources = ids(rule.sources)
        self.media = ids(rule.media)
        self.amount_min = rule.amount_min
        self.amount_max = rule.amount_max
        self.segments = frozenset(rule.segments or ())

    def match(self, fact):
        if self.territories and fact['crm_territory'] not in self.territories:
            return False
        if self.campaigns and fact['marketing_campaign'] not in self.campaigns:
            return False
        if self.sources and fact['marketing_source'] not in self.sources:
            return False
        if self.media and fact['marketing_medium'] not in self.media:
            return False
        if self.categories and not (fact['categories'] & self.categories):
            return False
        if self.amount_min is not None and (
                fact['amount'] is None or fact['amount'] < self.amount_min):
            return False
        if self.amount_max is not None and (
                fact['amount'] is None or fact['amount'] > self.amount_max):
            return False
        if self.segments and fact['segment'] not in self.segments:
            return False
        return True


class _Chooser:
    """Pick the team member for the rules of one batch.

    Round-robin pointers are stored on the rules, which are locked for the
    transaction, so concurrent processes never hand out the same turn.
    """

    def __init__(self, Rule, company_id, rules, facts):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.Rule = Rule
        team_rules = [r for r in rules if not r.employee and r.team]
        round_robin = [r for r in team_rules if r.method == 'round_robin']
        if round_robin:
            Rule.lock(round_robin)
        self.members = {}
        for rule in team_rules:
            self.members[rule.id] = sorted(
                m.id for m in rule.team.members
                if m.company.id == company_id)
        self.last = {
            r.id: r.last_employee.id if r.last_employee else None
            for r in round_robin}
        self.changed = set()

        candidates = {
            e for r in team_rules if r.method == 'least_loaded'
            for e in self.members[r.id]}
        self.loads = dict.fromkeys(candidates, 0)
        if candidates:
            opportunity = Opportunity.__table__()
            cursor = Transaction().connection.cursor()
            for sub_ids in grouped_slice(candidates, backend.MAX_QUERY_PARAMS):
                cursor.execute(*opportunity.select(
                        opportunity.employee, Count(opportunity.id),
                        where=reduce_ids(opportunity.employee, sub_ids)
                        & opportunity.state.in_(list(OPEN_STATES))
                        & (opportunity.company == company_id),
                        group_by=[opportunity.employee]))
                self.loads.update(cursor)
            # Leads being reassigned leave their current salesperson
            for fact in facts:
                if fact['employee'] in self.loads:
                    self.loads[fact['employee']] -= 1

    def choose(self, rule):
        "Return the employee id for the next lead of the rule and its load"
        if rule.employee:
            return rule.employee.id, None
        members = self.members.get(rule.id)
        if not members:
            return None, None
        if rule.method == 'round_robin':
            last = self.last[rule.id]
            employee = next(
                (m for m in members if last is None or m > last), members[0])
            self.last[rule.id] = employee
            self.changed.add(rule.id)
            return employee, None
        employee = min(members, key=lambda m: (self.loads[m], m))
        load = self.loads[employee]
        self.loads[employee] += 1
        return employee, load

    def save(self):
        if self.changed:
            args = []
            for rule_id in self.changed:
                args.extend(([self.Rule(rule_id)],
                        {'last_employee': self.last[rule_id]}))
            with without_check_access():
                self.Rule.write(*args)


class AssignmentRuleTerritory(ModelSQL):
    __name__ = 'crm.assignment.rule-crm.territory'
    __string__ = "Assignment Rule - Territory"
    rule = fields.Many2One(
        'crm.assignment.rule', "Rule", ondelete='CASCADE', required=True)
    territory = fields.Many2One(
        'crm.territory', "Territory", ondelete='CASCADE', required=True)


class AssignmentRuleCampaign(ModelSQL):
    __name__ = 'crm.assignment.rule-marketing.campaign'
    __string__ = "Assignment Rule - Campaign"
    rule = fields.Many2One(
        'crm.assignment.rule', "Rule", ondelete='CASCADE', required=True)
    campaign = fields.Many2One(
        'marketing.campaign', "Campaign", ondelete='CASCADE', required=True)


class AssignmentRuleSource(ModelSQL):
    __name__ = 'crm.assignment.rule-marketing.source'
    __string__ = "Assignment Rule - Source"
    rule = fields.Many2One(
        'crm.assignment.rule', "Rule", ondelete='CASCADE', required=True)
    source = fields.Many2One(
        'marketing.source', "Source", ondelete='CASCADE', required=True)


class AssignmentRuleMedium(ModelSQL):
    __name__ = 'crm.assignment.rule-marketing.medium'
    __string__ = "Assignment Rule - Medium"
    rule = fields.Many2One(
        'crm.assignment.rule', "Rule", ondelete='CASCADE', required=True)
    medium = fields.Many2One(
        'marketing.medium', "Medium", ondelete='CASCADE', required=True)


class AssignmentRuleCategory(ModelSQL):
    __name__ = 'crm.assignment.rule-product.category'
    __string__ = "Assignment Rule - Product Category"
    rule = fields.Many2One(
        'crm.assignment.rule', "Rule", ondelete='CASCADE', required=True)
    category = fields.Many2One(
        'product.category', "Category", ondelete='CASCADE', required=True)


class AssignmentLog(ModelSQL, ModelView):
    "Record of a lead handed to a salesperson, with the rule that did it"
    __name__ = 'crm.assignment.log'
    __string__ = "Assignment Log"

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    opportunity = fields.Many2One(
        'sale.opportunity', "Lead/Opportunity", required=True, readonly=True,
        ondelete='CASCADE')
    rule = fields.Many2One(
        'crm.assignment.rule', "Rule", readonly=True, ondelete='SET NULL')
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, readonly=True)
    team = fields.Many2One('crm.sales.team', "Team", readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    trigger = fields.Selection([
            ('automatic', "Automatic"),
            ('manual', "Manual"),
            ], "Trigger", required=True, readonly=True)
    reason = fields.Char("Reason", readonly=True)
    assignments = fields.Function(
        fields.Integer("Assignments"), 'get_assignments')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.date, Index.Range(order='DESC'))),
                })
        cls._order.insert(0, ('date', 'DESC'))
        cls._order.insert(1, ('id', 'DESC'))
        # Who may not read the deal may not read to whom it went and why
        cls.__access__.add('opportunity')

    @classmethod
    def default_date(cls):
        return datetime.datetime.now()

    @classmethod
    def default_user(cls):
        return Transaction().user

    def get_assignments(self, name):
        "One per line, for the graph to count the assignments"
        return 1

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
            'company', 'opportunity', 'rule', 'employee', 'team', 'trigger',
            'reason']
        columns = [getattr(table, n) for n in names] + [
            table.date, table.user, table.create_uid, table.create_date]
        for sub in grouped_slice(vlist, 500):
            cursor.execute(*table.insert(columns, [
                        [v[n] for n in names] + [now, user, user, now]
                        for v in sub]))


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    crm_assignment_logs = fields.One2Many(
        'crm.assignment.log', 'opportunity', "Assignment Log", readonly=True)

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Rule = pool.get('crm.assignment.rule')
        unassigned = [not v.get('employee') for v in vlist]
        opportunities = super().create(vlist)
        to_assign = [o for o, u in zip(opportunities, unassigned) if u]
        if to_assign:
            # Whoever enters a lead may not read the rules
            with without_check_access():
                Rule.assign(to_assign, trigger='automatic')
        return opportunities

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('crm_assignment_logs')
        return super().copy(opportunities, default=default)


class Assign(Wizard):
    "Assign the selected leads through the assignment rules"
    __name__ = 'crm.assignment.assign'

    start = StateView(
        'crm.assignment.assign.start',
        'crm_sales.assignment_assign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Assign", 'assign', 'tryton-ok', default=True),
            ])
    assign = StateTransition()

    def transition_assign(self):
        pool = Pool()
        Rule = pool.get('crm.assignment.rule')
        Rule.assign(
            self.records, reassign=self.start.reassign, trigger='manual')
        return 'end'

    def end(self):
        return 'reload'


class AssignStart(ModelView):
    __name__ = 'crm.assignment.assign.start'
    __string__ = "Assign Leads"

    reassign = fields.Boolean(
        "Reassign",
        help="Also assign again the leads that already have a salesperson.")
