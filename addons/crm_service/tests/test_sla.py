# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import unittest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_segment_parties, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .sla_tools import (
    MONDAY, H, at, create_case, create_policy, frozen_clock)

AGENT = ['crm_service.group_crm_service_agent']
MANAGER = ['crm_service.group_crm_service_manager']


class SLATestCase(unittest.TestCase):
    "Test the SLA policies and the clocks of the cases"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def categories(self):
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        hardware, = Category.create([{'name': "Hardware"}])
        printer, = Category.create([
                {'name': "Printer", 'parent': hardware.id}])
        laser, = Category.create([{'name': "Laser", 'parent': printer.id}])
        software, = Category.create([{'name': "Software"}])
        return hardware, printer, laser, software

    @with_company
    def test_policy_matching(self):
        "The most specific line wins: category, then tier, then any"
        hardware, printer, laser, software = self.categories()
        policy = create_policy(self.company, [
                ('normal', None, None, 2, 8),
                ('normal', 'A', None, 1, 6),
                ('normal', None, hardware, 4, 16),
                ('normal', 'A', hardware, 3, 12),
                ('normal', None, printer, 5, 20),
                ('high', None, None, 1, 4),
                ], default=False)
        any_, tier_a, hard, hard_a, print_, high = policy.lines

        for priority, tier, category, line in [
                ('normal', None, None, any_),
                ('normal', 'B', None, any_),
                ('normal', 'A', None, tier_a),
                ('normal', 'A', software, tier_a),
                ('normal', None, hardware, hard),
                ('normal', 'A', hardware, hard_a),
                # The nearest category wins over the tier
                ('normal', 'A', printer, print_),
                ('normal', None, laser, print_),
                ('high', 'A', laser, high),
                ('urgent', None, None, None),
                ]:
            with self.subTest(priority=priority, tier=tier,
                    category=category and category.name):
                self.assertEqual(
                    policy.match(priority, tier, category), line)

    @with_company
    def test_policy_calendar_without_hours(self):
        "A policy cannot measure on a calendar without working hours"
        pool = Pool()
        Calendar = pool.get('crm.service.calendar')
        Policy = pool.get('crm.service.sla.policy')
        calendar, = Calendar.create([{'name': "Empty"}])
        with self.assertRaisesRegex(ValidationError, "no working time"):
            Policy.create([{'name': "Bad", 'calendar': calendar.id}])

    @with_company
    def test_policy_values(self):
        "Targets are positive and the at-risk share a fraction"
        pool = Pool()
        Policy = pool.get('crm.service.sla.policy')
        with self.assertRaisesRegex(ValidationError, "longer than zero"):
            create_policy(self.company, [('normal', None, None, 0, 8)])
        policy = create_policy(self.company, [])
        with self.assertRaisesRegex(ValidationError, "between 0 and 1"):
            Policy.write([policy], {'risk_share': 1.5})

    @with_company
    def test_deadlines_on_create(self):
        "A new case gets the deadlines of its target in working time"
        create_policy(self.company, [
                ('normal', None, None, 2, 8), ('high', None, None, 1, 4)])
        with frozen_clock(at(0, 10)):
            case = create_case()
        self.assertEqual(case.sla_start, at(0, 10))
        self.assertEqual(case.sla_line.priority, 'normal')
        self.assertEqual(case.response_deadline, at(0, 12))
        self.assertEqual(case.response_risk_at, at(0, 11, 36))
        # 7 hours on Monday, 1 on Tuesday
        self.assertEqual(case.resolution_deadline, at(1, 10))
        self.assertEqual(case.resolution_risk_at, at(0, 16, 24))
        self.assertEqual(case.sla_status, 'on_track')
        self.assertIsNone(case.response_sla)

    @with_company
    def test_deadlines_follow_calendar_changes(self):
        "The targets and schedule kept for the deadlines follow changes"
        pool = Pool()
        Hours = pool.get('crm.service.calendar.hours')
        Holiday = pool.get('crm.service.calendar.holiday')
        Line = pool.get('crm.service.sla.policy.line')
        Category = pool.get('crm.service.case.category')
        policy = create_policy(self.company, [('normal', None, None, 2, 8)])
        calendar = policy.calendar
        parent, child = Category.create([{'name': "Parent"}, {'name': "C"}])
        with frozen_clock(at(0, 10)):
            self.assertEqual(create_case().response_deadline, at(0, 12))
            Line.create([{'policy': policy.id, 'priority': 'normal',
                        'category': parent.id, 'response_target': H,
                        'resolution_target': 4 * H}])
            case = create_case(category=child.id)
            self.assertEqual(case.response_deadline, at(0, 12))
            Category.write([child], {'parent': parent.id})
            case = create_case(category=child.id)
            self.assertEqual(case.response_deadline, at(0, 11))
            Line.write(list(policy.lines), {'response_target': 3 * H})
            self.assertEqual(create_case().response_deadline, at(0, 13))
            Line.write(list(policy.lines), {'response_target': 2 * H})
            Hours.write(list(calendar.hours), {'from_time': dt.time(11)})
            self.assertEqual(create_case().response_deadline, at(0, 13))
            Holiday.create([{'calendar': calendar.id, 'date': MONDAY}])
            self.assertEqual(create_case().response_deadline, at(1, 13))
            Hours.delete(list(calendar.hours))
            with self.assertRaises(UserError):
                create_case()

    @with_company
    def test_deadlines_follow_changes(self):
        "The deadlines of an open case follow its priority and tier"
        pool = Pool()
        Case = pool.get('crm.service.case')
        big, = create_segment_parties(self.company, {"Big": 'A'})
        create_policy(self.company, [
                ('normal', None, None, 2, 8), ('high', None, None, 1, 4),
                ('high', 'A', None, 1, 2)])
        with frozen_clock(at(0, 10)):
            case = create_case()
            Case.write([case], {'priority': 'high'})
            self.assertEqual(
                (case.response_deadline, case.resolution_deadline),
                (at(0, 11), at(0, 14)))
            Case.write([case], {'party': big.id})
            self.assertEqual(case.resolution_deadline, at(0, 12))
            Case.write([case], {'priority': 'urgent'})
            self.assertEqual(
                (case.sla_line, case.resolution_deadline, case.sla_status),
                (None, None, None))

    @with_company
    def test_no_policy(self):
        "Without a default policy a case has no SLA"
        case = create_case()
        self.assertEqual(
            (case.sla_line, case.response_deadline, case.sla_status),
            (None, None, None))

    @with_company
    def test_status_transitions(self):
        "The status goes from on track to at risk to breached"
        pool = Pool()
        Case = pool.get('crm.service.case')
        create_policy(self.company, [('normal', None, None, 2, 8)])
        with frozen_clock(at(0, 10)) as clock:
            case = create_case()
            for now, status in [
                    (at(0, 11), 'on_track'),
                    (at(0, 11, 36), 'at_risk'),
                    (at(0, 12), 'at_risk'),
                    (at(0, 12, 1), 'breached'),
                    ]:
                Case.update_sla_status([case], now=now)
                self.assertEqual(case.sla_status, status, now)
            self.assertEqual(case.response_sla, 'breached')
            self.assertEqual(case.sla_breached_at, at(0, 12))

            # A late response stays a breach
            clock.now = at(0, 13)
            Case.start([case])
            self.assertEqual(case.first_response_at, at(0, 13))
            self.assertEqual(
                (case.response_sla, case.sla_status),
                ('breached', 'breached'))
            case.resolution = "Done"
            case.save()
            clock.now = at(0, 14)
            Case.resolve([case])
            self.assertEqual(
                (case.resolution_sla, case.sla_status),
                ('met', 'breached'))

    @with_company
    def test_timer(self):
        "The time left to the next deadline and its colour, live"
        pool = Pool()
        Case = pool.get('crm.service.case')
        create_policy(self.company, [('normal', None, None, 2, 8)])
        names = ['sla_timer', 'sla_remaining', 'sla_icon']

        def timer(case):
            values, = Case.read([case.id], names)
            return tuple(values[n] for n in names)

        with frozen_clock(at(0, 10)) as clock:
            case = create_case()
            # Not stored again since the creation: computed at each read
            for now, expected in [
                    (at(0, 11), ('on_track', H, 'crm-sla-on-track')),
                    (at(0, 11, 40),
                        ('at_risk', H / 3, 'crm-sla-at-risk')),
                    # To the minute, towards zero
                    (at(0, 12, 30) + dt.timedelta(seconds=30),
                        ('breached', -H / 2, 'crm-sla-breached')),
                    ]:
                clock.now = now
                self.assertEqual(timer(case), expected, now)

            # Responded: the resolution is next, Tuesday 10:00
            clock.now = at(0, 13)
            Case.start([case])
            self.assertEqual(timer(case)[:2], ('breached', 21 * H))
            # Frozen while the case waits on the customer
            clock.now = at(0, 14)
            Case.wait([case])
            clock.now = at(0, 16)
            self.assertEqual(timer(case)[1], 20 * H)

            clock.now = at(0, 16, 30)
            Case.start([case])
            case.resolution = "Done"
            case.save()
            Case.resolve([case])
            self.assertEqual(
                timer(case), ('breached', None, 'crm-sla-breached'))

    @with_company
    def test_workflow_with_pauses(self):
        "Waiting on the customer stops the resolution clock"
        pool = Pool()
        Case = pool.get('crm.service.case')
        create_policy(self.company, [('normal', None, None, 2, 8)])
        with frozen_clock(at(0, 10)) as clock:
            case = create_case()
            clock.now = at(0, 11)
            Case.start([case])
            self.assertEqual(
                (case.response_sla, case.sla_status), ('met', 'on_track'))

            clock.now = at(0, 14)
            Case.wait([case])
            # The clock stands still while waiting, whatever the time
            clock.now = at(3, 9)
            Case.update_sla_status([case])
            self.assertEqual(case.sla_status, 'on_track')

            # Monday 14:00-17:00 and Tuesday 09:00-11:00
            clock.now = at(1, 11)
            Case.start([case])
            self.assertEqual(case.sla_paused, 5 * H)
            self.assertEqual(case.resolution_deadline, at(1, 15))
            self.assertEqual(case.response_deadline, at(0, 12))

            # A second pause, ended by the resolution
            clock.now = at(1, 12)
            Case.wait([case])
            clock.now = at(1, 13)
            case.resolution = "Replaced the roller"
            case.save()
            Case.resolve([case])
            self.assertEqual(case.sla_paused, 6 * H)
            self.assertEqual(case.resolution_deadline, at(1, 16))
            self.assertEqual(
                (case.resolution_sla, case.sla_status), ('met', 'met'))

            # The time spent resolved is a pause too
            clock.now = at(2, 10)
            Case.reopen([case])
            self.assertEqual(case.sla_paused, 11 * H)
            self.assertEqual(case.resolution_deadline, at(2, 13))
            self.assertEqual(
                (case.resolution_sla, case.sla_status),
                (None, 'on_track'))
            clock.now = at(2, 14)
            Case.resolve([case])
            self.assertEqual(
                (case.resolution_sla, case.sla_status),
                ('breached', 'breached'))
            self.assertEqual(case.sla_breached_at, at(2, 13))

    @with_company
    def test_breach_while_waiting_counts_before_the_wait(self):
        "A deadline missed before the wait stays missed"
        pool = Pool()
        Case = pool.get('crm.service.case')
        create_policy(self.company, [('normal', None, None, 1, 2)])
        with frozen_clock(at(0, 9)) as clock:
            case = create_case()
            clock.now = at(0, 9, 30)
            Case.start([case])
            clock.now = at(0, 12)
            Case.wait([case])
            self.assertEqual(
                (case.resolution_sla, case.sla_status),
                ('breached', 'breached'))

    @with_company
    def test_compliance(self):
        "The compliance report counts the cases met and breached"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Compliance = pool.get('crm.service.sla.compliance')
        create_policy(self.company, [
                ('normal', None, None, 2, 8), ('high', None, None, 1, 4)])
        with frozen_clock(at(0, 9)) as clock:
            cases = [create_case(priority=p, resolution="Done")
                for p in ['normal', 'normal', 'normal', 'high']]
            clock.now = at(0, 10)
            Case.start(cases[:3])
            Case.resolve(cases[:2])
            clock.now = at(0, 12)
            Case.start(cases[3:])
            Case.resolve(cases[3:])
            create_case(channel='email')

        with self._report_context():
            rows = Compliance.search(
                [], order=[('priority', 'ASC'), ('channel', 'ASC')])
        self.assertEqual(
            [(r.priority, r.channel, r.month, r.cases, r.response_met,
                r.resolution_met, r.met, r.breached, r.compliance)
                for r in rows],
            [('normal', 'email', dt.date(2026, 1, 1), 1, 0, 0, 0, 0, None),
                ('normal', 'phone', dt.date(2026, 1, 1), 3, 3, 2, 2, 0,
                    100.0),
                ('high', 'phone', dt.date(2026, 1, 1), 1, 0, 1, 0, 1,
                    0.0)])

        with self._report_context(from_date=dt.date(2026, 2, 1)):
            self.assertEqual(Compliance.search([]), [])

    def _report_context(self, **context):
        return Transaction().set_context(company=self.company.id, **context)

    @with_company
    def test_access(self):
        "Agents read the policies, managers configure them"
        pool = Pool()
        Policy = pool.get('crm.service.sla.policy')
        Calendar = pool.get('crm.service.calendar')
        policy = create_policy(self.company, [('normal', None, None, 2, 8)])
        employee = create_employee(self.company, "Agent")
        agent = create_user('agent', self.company, employee, AGENT)
        manager = create_user('manager', self.company,
            create_employee(self.company, "Manager"), MANAGER)
        with as_user(agent):
            self.assertEqual(Policy.search([]), [policy])
            with self.assertRaises(AccessError):
                Policy.write([Policy(policy.id)], {'name': "Mine"})
            with self.assertRaises(AccessError):
                Calendar.create([{'name': "Mine"}])
            # Creating a case applies the policy the agent only reads
            case = create_case(agent=employee.id)
            self.assertEqual(case.sla_status, 'on_track')
        with as_user(manager):
            Policy.write([Policy(policy.id)], {'name': "Gold"})
            self.assertEqual(Policy(policy.id).name, "Gold")
