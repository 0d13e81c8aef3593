# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_segment_parties, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

AGENT = ['crm_service.group_crm_service_agent']


class RoutingTestCase(unittest.TestCase):
    "Test the skill-based routing of the service cases"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def setup_company(self):
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        Skill = pool.get('crm.service.skill')
        Lang = pool.get('ir.lang')
        Team = pool.get('crm.sales.team')
        self.hardware, = Category.create([{
                    'name': "Hardware",
                    'children': [('create', [{'name': "Printer"}])],
                    }])
        self.printer, = self.hardware.children
        self.billing, = Category.create([{'name': "Billing"}])
        self.zh, = Lang.search([('code', '=', 'zh_CN')])
        self.skills = {s.name: s for s in Skill.create([
                    {'name': "Hardware", 'kind': 'category',
                        'category': self.hardware.id},
                    {'name': "Billing", 'kind': 'category',
                        'category': self.billing.id},
                    {'name': "Chinese", 'kind': 'language',
                        'language': self.zh.id},
                    ])}
        self.team, = Team.create([{'name': "Desk"}])

    def agent(self, name, skills=None, capacity=5, team=None, **values):
        "Return an employee of the team with the skills {name: level}"
        pool = Pool()
        Employee = pool.get('company.employee')
        employee = create_employee(self.company, name)
        Employee.write([employee], {
                'service_capacity': capacity,
                'service_skills': [('create', [
                            {'skill': self.skills[s].id, 'level': level}
                            for s, level in (skills or {}).items()])],
                **values})
        team = team or self.team
        team.members += (employee,)
        team.save()
        return employee

    def case(self, **values):
        pool = Pool()
        Case = pool.get('crm.service.case')
        values.setdefault('team', self.team.id)
        values.setdefault('subject', "Printer jams")
        case, = Case.create([values])
        return case

    def open_cases(self, agent, count):
        "Give the agent count open cases, without routing"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Case.create([{
                    'subject': "Busy", 'team': self.team.id,
                    'agent': agent.id,
                    } for _ in range(count)])

    @with_company
    def test_skill_match_beats_no_match(self):
        "An agent with the skill of the category wins over one without"
        self.agent("Billing Clerk", {"Billing": 5})
        expert = self.agent("Technician", {"Hardware": 1})
        case = self.case(category=self.printer.id)
        self.assertEqual(case.agent, expert)
        self.assertEqual(case.state, 'assigned')
        self.assertTrue(case.assigned_at)
        self.assertIn("Technician", case.routing_explanation)
        self.assertIn("Hardware level 1", case.routing_explanation)
        self.assertIn("No other candidate", case.routing_explanation)

    @with_company
    def test_level_decides(self):
        "Among agents with the skill, the higher level wins"
        self.agent("Junior", {"Hardware": 2})
        senior = self.agent("Senior", {"Hardware": 4})
        case = self.case(category=self.hardware.id)
        self.assertEqual(case.agent, senior)
        self.assertIn("Runner-up: Junior", case.routing_explanation)
        log, = case.routing_logs
        self.assertEqual(
            (log.trigger, log.agent, log.candidates, log.score),
            ('creation', senior, 2, 4.0))
        # Stored as a write stores a DateTime: sao would take a date with
        # microseconds for modified and ask to save the read-only log
        self.assertEqual(log.date.microsecond, 0)

    @with_company
    def test_language(self):
        "The language of the customer counts with the category"
        pool = Pool()
        Party = pool.get('party.party')
        self.agent("English", {"Hardware": 3})
        chinese = self.agent("Chinese", {"Hardware": 3, "Chinese": 2})
        customer, = Party.create([{'name': "Li", 'lang': self.zh.id}])
        case = self.case(category=self.hardware.id, party=customer.id)
        self.assertEqual(case.language, self.zh)
        self.assertEqual(case.agent, chinese)

    @with_company
    def test_load_capacity(self):
        "The load against capacity decides between equal agents"
        pool = Pool()
        Case = pool.get('crm.service.case')
        busy = self.agent("Busy", {"Hardware": 3}, capacity=4)
        idle = self.agent("Idle", {"Hardware": 3}, capacity=4)
        self.open_cases(busy, 2)
        self.assertEqual(self.case(category=self.hardware.id).agent, idle)

        # A batch fills the agents up to their capacities, no more
        cases = Case.create([{
                    'subject': f"Case {i}", 'team': self.team.id,
                    'category': self.hardware.id} for i in range(6)])
        agents = [c.agent for c in cases]
        self.assertEqual(agents.count(busy), 2)
        self.assertEqual(agents.count(idle), 3)
        self.assertEqual(agents.count(None), 1)
        self.assertEqual((busy.service_load, idle.service_load), (4, 4))
        waiting, = [c for c in cases if not c.agent]
        self.assertEqual(waiting.state, 'new')
        self.assertIn("2 at capacity", waiting.routing_explanation)

    @with_company
    def test_capacity_zero(self):
        "An agent with capacity 0 is never chosen"
        self.agent("Expert", {"Hardware": 5}, capacity=0)
        case = self.case(category=self.hardware.id)
        self.assertIsNone(case.agent)
        self.assertEqual(case.state, 'new')
        self.assertIn("1 at capacity", case.routing_explanation)
        self.assertIn("waits in the team queue", case.routing_explanation)

    @with_company
    def test_away_and_absent(self):
        "Agents away, absent or inside an absence are left out"
        pool = Pool()
        Absence = pool.get('crm.service.agent.absence')
        self.agent("Away", {"Hardware": 5}, service_availability='away')
        self.agent("Absent", {"Hardware": 5}, service_availability='absent')
        on_leave = self.agent("On Leave", {"Hardware": 5})
        now = datetime.datetime.now()
        Absence.create([{
                    'employee': on_leave.id,
                    'start': now - datetime.timedelta(days=1),
                    'end': now + datetime.timedelta(days=1),
                    }])
        self.assertFalse(on_leave.service_available)
        present = self.agent("Present", {"Hardware": 1})
        self.assertEqual(self.case(category=self.hardware.id).agent, present)

        present.service_availability = 'away'
        present.save()
        case = self.case(category=self.hardware.id)
        self.assertIsNone(case.agent)
        self.assertIn("4 away or absent", case.routing_explanation)

    @with_company
    def test_no_skill_match(self):
        "Nobody with the skills: the case waits and says why"
        self.agent("Billing Clerk", {"Billing": 5})
        case = self.case(category=self.hardware.id)
        self.assertIsNone(case.agent)
        self.assertIn("1 without the skills", case.routing_explanation)

    @with_company
    def test_no_requirement(self):
        "A case without category, product nor language takes any agent"
        clerk = self.agent("Clerk")
        case = self.case()
        self.assertEqual(case.agent, clerk)

    @with_company
    def test_empty_team(self):
        "A team without agents keeps the case in its queue"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        empty, = Team.create([{'name': "Empty"}])
        case = self.case(team=empty.id)
        self.assertIsNone(case.agent)
        self.assertIn("The team has no agent", case.routing_explanation)

    @with_company
    def test_without_team(self):
        "Without team, the agents of the company with skills are candidates"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        other, = Team.create([{'name': "Other"}])
        outsider = self.agent("Outsider", {"Hardware": 5}, team=other)
        self.agent("Unskilled")
        case = self.case(team=None, category=self.hardware.id)
        self.assertEqual(case.agent, outsider)

    @with_company
    def test_affinity(self):
        "The agent who served the customer lately keeps serving them"
        pool = Pool()
        Party = pool.get('party.party')
        customer, = Party.create([{'name': "Faithful"}])
        first = self.agent("First", {"Hardware": 3})
        second = self.agent("Second", {"Hardware": 3})
        self.open_cases(first, 1)
        case = self.case(category=self.hardware.id, party=customer.id)
        self.assertEqual(case.agent, second)
        # Without affinity the less loaded First would win now
        self.open_cases(second, 2)
        case = self.case(category=self.hardware.id, party=customer.id)
        self.assertEqual(case.agent, second)
        self.assertIn("served this customer recently",
            case.routing_explanation)
        other = self.case(category=self.hardware.id)
        self.assertEqual(other.agent, first)

    @with_company
    def test_tier_priority(self):
        "The A customers get the stronger agents"
        customer, = create_segment_parties(self.company, {"Big": 'A'})
        # Same level in the case's skill, Strong is better on average
        weak = self.agent("Weak", {"Hardware": 3})
        strong = self.agent(
            "Strong", {"Hardware": 3, "Billing": 5, "Chinese": 5})
        plain = self.case(category=self.hardware.id)
        self.assertEqual(plain.agent, weak)
        big = self.case(category=self.hardware.id, party=customer.id)
        self.assertEqual(big.agent, strong)
        self.assertIn("customer tier A", big.routing_explanation)

    def configure(self, **weights):
        Configuration = Pool().get('crm.service.configuration')
        configuration = Configuration(1)
        for name, value in weights.items():
            setattr(configuration, f'routing_{name}', value)
        configuration.save()

    @with_company
    def test_weights_default(self):
        "The weights of the score have their defaults before any is set"
        Configuration = Pool().get('crm.service.configuration')
        self.assertEqual(Configuration.routing_weights(), {
                'routing_skill_weight': 1,
                'routing_tier_a_weight': 1,
                'routing_tier_b_weight': 0.5,
                'routing_tier_c_weight': 0,
                'routing_load_weight': 1,
                'routing_affinity_bonus': 2,
                'routing_affinity_days': 30,
                })
        configuration = Configuration(1)
        self.assertEqual(configuration.routing_affinity_bonus, 2)
        self.assertEqual(configuration.routing_affinity_days, 30)

    @with_company
    def test_weights_configured(self):
        "The configured weights change the choice and its explanation"
        pool = Pool()
        Party = pool.get('party.party')
        customer, = Party.create([{'name': "Faithful"}])
        expert = self.agent("Expert", {"Hardware": 5})
        junior = self.agent("Junior", {"Hardware": 2})
        self.open_cases(expert, 3)
        self.assertEqual(self.case(category=self.hardware.id).agent, expert)

        self.configure(load_weight=10)
        case = self.case(category=self.hardware.id, party=customer.id)
        self.assertEqual(case.agent, junior)
        self.assertIn(
            "Runner-up: Expert, score -3.00", case.routing_explanation)

        # Junior serves the customer: a bonus of 3 keeps them (2 - 1/5 + 3
        # against 5 - 4/5), none does not
        self.configure(load_weight=1, affinity_bonus=3)
        self.assertEqual(self.case(
                category=self.hardware.id, party=customer.id).agent, junior)
        self.configure(affinity_bonus=0)
        case = self.case(category=self.hardware.id, party=customer.id)
        self.assertEqual(case.agent, expert)
        self.assertNotIn("served this customer recently",
            case.routing_explanation)

    @with_company
    def test_weight_negative(self):
        "A negative weight or number of days is refused"
        self.configure(load_weight=2)
        for name in ['skill_weight', 'tier_a_weight', 'load_weight',
                'affinity_bonus', 'affinity_days']:
            with self.subTest(name=name):
                with self.assertRaises(DomainValidationError):
                    self.configure(**{name: -1})

    @with_company
    def test_reassignment(self):
        "A reassignment leaves the current agent out and logs it"
        pool = Pool()
        Case = pool.get('crm.service.case')
        best = self.agent("Best", {"Hardware": 5})
        other = self.agent("Other", {"Hardware": 2})
        case = self.case(category=self.hardware.id)
        self.assertEqual(case.agent, best)
        Case.request_reassignment([case])
        self.assertEqual((case.agent, case.state), (other, 'assigned'))
        self.assertIn("Reassignment requested", case.routing_explanation)
        self.assertEqual(len(case.routing_logs), 2)
        self.assertEqual(case.routing_logs[0].previous_agent, best)

        # Nobody else: the case returns to the queue
        best.service_availability = 'away'
        best.save()
        Case.request_reassignment([case])
        self.assertEqual((case.agent, case.state), (None, 'new'))
        self.assertIsNone(case.assigned_at)

        # A case in progress stays with its agent when nobody else fits
        case = self.case(category=self.hardware.id)
        self.assertEqual(case.agent, other)
        Case.start([case])
        Case.request_reassignment([case])
        self.assertEqual((case.agent, case.state), (other, 'in_progress'))
        self.assertIn("stays with its agent", case.routing_explanation)

    @with_company
    def test_queue(self):
        "An agent coming on duty takes the most urgent, oldest cases first"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Employee = pool.get('company.employee')
        agent = self.agent(
            "Late", {"Hardware": 3}, capacity=3,
            service_availability='away')
        cases = Case.create([{
                    'subject': subject, 'team': self.team.id,
                    'priority': priority, 'category': self.hardware.id,
                    } for subject, priority in [
                    ("old low", 'low'), ("old normal", 'normal'),
                    ("urgent", 'urgent'), ("new normal", 'normal'),
                    ("high", 'high')]])
        self.assertEqual([c.agent for c in cases], [None] * 5)
        # The create dates follow the order of creation
        table = Case.__table__()
        cursor = Transaction().connection.cursor()
        start = datetime.datetime(2026, 1, 1)
        for i, case in enumerate(cases):
            cursor.execute(*table.update(
                    [table.create_date],
                    [start + datetime.timedelta(hours=i)],
                    where=table.id == case.id))

        Employee.service_on_duty([agent])
        taken = {c.subject for c in Case.browse(cases) if c.agent == agent}
        self.assertEqual(taken, {"urgent", "high", "old normal"})
        log = Case(cases[2].id).routing_logs[0]
        self.assertEqual(log.trigger, 'queue')

        # More capacity takes the next one
        Employee.write([agent], {'service_capacity': 4})
        taken = {c.subject for c in Case.browse(cases) if c.agent == agent}
        self.assertIn("new normal", taken)
        self.assertEqual(len(taken), 4)

    @with_company
    def test_queue_absence_over(self):
        "The cron hands the queue to an agent whose absence is over"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Absence = pool.get('crm.service.agent.absence')
        agent = self.agent("Back", {"Hardware": 3})
        now = datetime.datetime.now()
        absence, = Absence.create([{
                    'employee': agent.id,
                    'start': now - datetime.timedelta(days=2),
                    'end': now + datetime.timedelta(hours=1),
                    }])
        case = self.case(category=self.hardware.id)
        self.assertIsNone(case.agent)
        self.assertEqual(Case.route_queue(), [])

        table = Absence.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.end], [now - datetime.timedelta(minutes=1)],
                where=table.id == absence.id))
        self.assertEqual(Case.route_queue(), [case])
        self.assertEqual(Case(case.id).agent, agent)

    @with_company
    def test_other_team_agent(self):
        "An agent of another team can neither read nor route the cases"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Team = pool.get('crm.sales.team')
        mine = self.agent("Mine", {"Hardware": 3})
        other_team, = Team.create([{'name': "South"}])
        stranger = self.agent("Stranger", {"Hardware": 3}, team=other_team)
        case = self.case(category=self.hardware.id)
        self.assertEqual(case.agent, mine)
        stranger_user = create_user(
            'stranger', self.company, stranger, AGENT)
        mine_user = create_user('mine', self.company, mine, AGENT)
        with as_user(stranger_user):
            self.assertEqual(Case.search([]), [])
            with self.assertRaises(AccessError):
                Case.request_reassignment([Case(case.id)])
            with self.assertRaises(AccessError):
                Case.route_button([Case(case.id)])
        self.assertEqual(Case(case.id).agent, mine)
        with as_user(mine_user):
            Case.request_reassignment([Case(case.id)])
        # The stranger's team is not the case's team
        case = Case(case.id)
        self.assertEqual((case.agent, case.state), (None, 'new'))

    @with_company
    def test_own_availability(self):
        "An agent changes his own availability only"
        pool = Pool()
        Employee = pool.get('company.employee')
        me = self.agent("Me", {"Hardware": 3})
        colleague = self.agent("Colleague", {"Hardware": 3})
        user = create_user('me', self.company, me, AGENT)
        manager = create_user(
            'boss', self.company, colleague,
            ['crm_service.group_crm_service_manager'])
        with as_user(user):
            Employee.service_away([Employee(me.id)])
            self.assertEqual(Employee(me.id).service_availability, 'away')
            with self.assertRaises(AccessError):
                Employee.service_away([Employee(colleague.id)])
            with self.assertRaises(AccessError):
                Employee.write([Employee(me.id)], {'service_capacity': 50})
        self.assertEqual(
            Employee(colleague.id).service_availability, 'on_duty')
        with as_user(manager):
            Employee.service_absent([Employee(me.id)])
            Employee.write([Employee(me.id)], {'service_capacity': 8})
        me = Employee(me.id)
        self.assertEqual(
            (me.service_availability, me.service_capacity), ('absent', 8))
