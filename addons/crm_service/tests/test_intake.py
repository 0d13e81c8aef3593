# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    create_segment_parties, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

LINE_NUMBER = '+86 21 6000 1000'


def create_line(company, team=None):
    """Return the Service Desk line of the company with the IVR choices
    1 Hardware (high priority) and 2 Software"""
    pool = Pool()
    Line = pool.get('crm.service.line')
    Category = pool.get('crm.service.case.category')
    hardware, software, general = Category.create([
            {'name': "Hardware"}, {'name': "Software"}, {'name': "General"}])
    line, = Line.create([{
                'company': company.id,
                'name': "Service Desk",
                'number': LINE_NUMBER,
                'team': team.id if team else None,
                'category': general.id,
                'priority': 'normal',
                'ivr_choices': [('create', [
                            {'choice': '1', 'category': hardware.id,
                                'priority': 'high'},
                            {'choice': '2', 'category': software.id},
                            ])],
                }])
    return line


def create_caller(company, name="Caller", phone='+86 138 0013 8000',
        email=None, segment='A'):
    "Return a party of the value segment with a mobile phone and an e-mail"
    pool = Pool()
    ContactMechanism = pool.get('party.contact_mechanism')
    party, = create_segment_parties(company, {name: segment})
    mechanisms = [ContactMechanism(party=party, type='mobile', value=phone)]
    if email:
        mechanisms.append(
            ContactMechanism(party=party, type='email', value=email))
    ContactMechanism.save(mechanisms)
    return party


class IntakeTestCase(unittest.TestCase):
    "Test the intake of calls"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def setup_company(self):
        pool = Pool()
        Team = pool.get('crm.sales.team')
        self.agent = create_employee(self.company, "Agent")
        self.team, = Team.create([{
                    'name': "Service Desk", 'company': self.company.id,
                    'leader': self.agent.id,
                    'members': [('add', [self.agent.id])]}])
        self.line = create_line(self.company, self.team)

    def call(self, ani, ivr_choice=None, dnis=LINE_NUMBER):
        Case = Pool().get('crm.service.case')
        return Case.intake_call(ani, dnis, ivr_choice)

    @with_company
    def test_line_number_normalised(self):
        "The number of a line is stored in E.164 and must be valid"
        pool = Pool()
        Line = pool.get('crm.service.line')
        self.assertEqual(self.line.number, '+862160001000')
        with self.assertRaises(UserError):
            Line.create([{'name': "Bad", 'number': '12'}])
        settings = Line.intake_settings('+86 (21) 6000-1000')
        self.assertEqual(settings['id'], self.line.id)
        self.assertEqual(settings['choices']['1'][1], 'high')
        self.assertIsNone(Line.intake_settings('+86 21 6000 1999'))
        self.assertIsNone(Line.intake_settings('not a number'))

    @with_company
    def test_known_caller(self):
        "A known caller gets a phone case of the line with the screen pop"
        party = create_caller(
            self.company, email='caller@example.com', segment='A')
        case, outcome = self.call('+8613800138000', '1')

        self.assertEqual(outcome, 'created')
        self.assertEqual(case.party, party)
        self.assertEqual(case.channel, 'phone')
        self.assertEqual(case.company, self.company)
        self.assertEqual(case.team, self.team)
        self.assertEqual(case.line, self.line)
        self.assertEqual(case.category.name, "Hardware")
        self.assertEqual(case.priority, 'high')
        self.assertEqual(case.caller_number, '+8613800138000')
        self.assertEqual(case.ivr_choice, '1')
        pop = case.screen_pop(outcome)
        self.assertEqual(pop['case']['number'], case.number)
        self.assertEqual(pop['customer']['id'], party.id)
        self.assertEqual(pop['customer']['tier'], 'A')
        self.assertEqual(pop['customer']['email'], 'caller@example.com')
        self.assertEqual(pop['value_segment'], 'A')
        self.assertEqual(pop['team'], {
                'id': self.team.id, 'name': "Service Desk"})
        self.assertEqual(
            [c['number'] for c in pop['open_cases']], [case.number])
        self.assertEqual(
            pop['agent'],
            {'id': case.agent.id, 'name': case.agent.rec_name}
            if case.agent else None)

    @with_company
    def test_local_caller_number(self):
        "A caller number without country code is read in the line's country"
        party = create_caller(self.company)
        case, _ = self.call('138 0013 8000', '2')
        self.assertEqual(case.party, party)
        self.assertEqual(case.caller_number, '+8613800138000')
        self.assertEqual(case.category.name, "Software")
        self.assertEqual(case.priority, 'normal')

    @with_company
    def test_unknown_caller(self):
        "An unknown caller gets a case without party, the number recorded"
        case, outcome = self.call('+86 139 0000 0000')
        self.assertEqual(outcome, 'created')
        self.assertIsNone(case.party)
        self.assertEqual(case.caller_number, '+8613900000000')
        pop = case.screen_pop(outcome)
        self.assertIsNone(pop['customer'])
        self.assertEqual(pop['open_cases'], [])
        self.assertIsNone(pop['value_segment'])

    @with_company
    def test_malformed_caller_number(self):
        "A malformed or missing caller number is recorded as given"
        for ani, recorded in [
                ('12ab-!', '12ab-!'), ('  anonymous ', 'anonymous'),
                ('', None), (None, None), ('9' * 100, '9' * 64)]:
            with self.subTest(ani=ani):
                case, outcome = self.call(ani)
                self.assertEqual(outcome, 'created')
                self.assertIsNone(case.party)
                self.assertEqual(case.caller_number, recorded)

    @with_company
    def test_ivr_unmapped(self):
        "An IVR choice without mapping takes the line's defaults, recorded"
        case, _ = self.call('+86 139 0000 0000', '9')
        self.assertEqual(case.category, self.line.category)
        self.assertEqual(case.priority, 'normal')
        self.assertEqual(case.ivr_choice, '9')

    @with_company
    def test_line_without_category(self):
        "A line without category makes cases without category"
        self.line.category = None
        self.line.save()
        case, outcome = self.call('+86 139 0000 0000', '9')
        self.assertIsNone(case.category)
        self.assertEqual(case.subject, "Call from +8613900000000")
        self.assertIsNone(case.screen_pop(outcome)['case']['category'])

    @with_company
    def test_category_names(self):
        """The names of the categories, in the language, of those created
        since they were kept too"""
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        hardware = self.line.ivr_choices[0].category
        self.assertEqual(
            Category.rec_names([hardware.id, None]),
            {hardware.id: "Hardware"})
        with Transaction().set_context(language='zh_CN'):
            Category.write([hardware], {'name': "硬件"})
            self.assertEqual(
                Category.rec_names([hardware.id]), {hardware.id: "硬件"})
        self.assertEqual(
            Category.rec_names([hardware.id]), {hardware.id: "Hardware"})
        # Inserted behind the ORM, as by a transaction not yet seen
        table = Category.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.insert([table.name, table.parent],
                [["Network", hardware.id]]))
        network, = Category.search([('name', '=', "Network")])
        self.assertEqual(
            Category.rec_names([network.id]),
            {network.id: "Hardware / Network"})

    @with_company
    def test_unknown_line(self):
        "A dialled number of no line is refused and creates nothing"
        Case = Pool().get('crm.service.case')
        for dnis in ['+86 21 6000 1999', 'garbage', '']:
            with self.subTest(dnis=dnis):
                with self.assertRaises(UserError) as cm:
                    self.call('+8613800138000', dnis=dnis)
                self.assertIn("unknown service line", cm.exception.message)
        self.assertEqual(Case.search([], count=True), 0)

    @with_company
    def test_line_changes(self):
        "A change of the line or its choices applies to the next call"
        pool = Pool()
        Line = pool.get('crm.service.line')
        LineIVR = pool.get('crm.service.line.ivr')
        case, _ = self.call('+86 139 0000 0000', '1')
        self.assertEqual(case.priority, 'high')
        LineIVR.write(list(self.line.ivr_choices), {'priority': 'low'})
        case, _ = self.call('+86 139 0000 0000', '1')
        self.assertEqual(case.priority, 'low')
        Line.write([self.line], {'active': False})
        with self.assertRaises(UserError):
            self.call('+8613800138000')

    @with_company
    def test_category_renamed(self):
        "The subject of the next call has the category's new name"
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        case, _ = self.call('+86 139 0000 0000', '1')
        self.assertIn("Hardware", case.subject)
        Category.write([case.category], {'name': "Devices"})
        case, outcome = self.call('+86 139 0000 0001', '1')
        self.assertIn("Devices", case.subject)
        self.assertNotIn("Hardware", case.subject)
        self.assertEqual(case.screen_pop(outcome)['case']['category'],
            "Devices")
        # A new parent is in the name the screen pop shows
        parent, = Category.create([{'name': "Equipment"}])
        Category.write([case.category], {'parent': parent.id})
        self.assertEqual(case.screen_pop(outcome)['case']['category'],
            "Equipment / Devices")

    @with_company
    def test_open_case_returned(self):
        "A second call about the same category returns the open case"
        create_caller(self.company)
        first, _ = self.call('+8613800138000', '1')
        second, outcome = self.call('+8613800138000', '1')
        self.assertEqual(outcome, 'open')
        self.assertEqual(second, first)
        other, outcome = self.call('+8613800138000', '2')
        self.assertEqual(outcome, 'created')
        self.assertNotEqual(other, first)
        pop = other.screen_pop(outcome)
        self.assertEqual(len(pop['open_cases']), 2)

    @with_company
    def test_recent_case_reopened(self):
        "A call about a case resolved within the days reopens it"
        pool = Pool()
        Case = pool.get('crm.service.case')
        create_caller(self.company)
        case, _ = self.call('+8613800138000', '1')
        Case.start([case])
        case.resolution = "Replaced the fan"
        case.save()
        Case.resolve([case])
        Case.close([case])

        again, outcome = self.call('+8613800138000', '1')
        self.assertEqual(outcome, 'reopened')
        self.assertEqual(again, case)
        self.assertEqual(again.state, 'in_progress')
        self.assertEqual(again.reopened_count, 1)

    @with_company
    def test_old_case_not_reopened(self):
        "A call about a case resolved long ago creates a new case"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Configuration = pool.get('crm.service.configuration')
        create_caller(self.company)
        case, _ = self.call('+8613800138000', '1')
        Case.start([case])
        case.resolution = "Replaced the fan"
        case.save()
        Case.resolve([case])
        Case.write([case], {'resolved_at': datetime.datetime.now()
                - datetime.timedelta(days=8)})

        new, outcome = self.call('+8613800138000', '1')
        self.assertEqual(outcome, 'created')
        self.assertNotEqual(new, case)
        self.assertEqual(case.state, 'resolved')

        config = Configuration(1)
        config.intake_reopen_days = 10
        config.save()
        Case.write([new], {'state': 'closed',
                'resolved_at': datetime.datetime.now()
                - datetime.timedelta(days=30)})
        again, outcome = self.call('+8613800138000', '1')
        self.assertEqual(outcome, 'reopened')
        self.assertEqual(again, case)

    @with_company
    def test_calls_taken_together(self):
        """Calls taken together: one case for the calls of a caller about a
        category, a case reopened once, the unknown line refused alone"""
        pool = Pool()
        Case = pool.get('crm.service.case')
        create_caller(self.company)
        create_caller(self.company, "Other Caller", phone='+8613800138001')
        resolved, _ = self.call('+8613800138001', '2')
        Case.start([resolved])
        resolved.resolution = "Reinstalled"
        resolved.save()
        Case.resolve([resolved])
        before = Case.search([], count=True)

        results = Case.intake_calls([
                {'ani': '+8613800138000', 'dnis': LINE_NUMBER,
                    'ivr_choice': '1'},
                {'ani': '+8613800138001', 'dnis': LINE_NUMBER,
                    'ivr_choice': '2'},
                {'ani': '+8613800138000', 'dnis': '+86 21 6000 1999',
                    'ivr_choice': '1'},
                {'ani': '+86 138 0013 8000', 'dnis': LINE_NUMBER,
                    'ivr_choice': '1'},
                {'ani': '+8613800138001', 'dnis': LINE_NUMBER,
                    'ivr_choice': '2'},
                {'ani': '+8613800138000', 'dnis': LINE_NUMBER,
                    'ivr_choice': '2'},
                {'ani': '021 5555 0000', 'dnis': LINE_NUMBER},
                {'ani': '021 5555 0000', 'dnis': LINE_NUMBER},
                ])

        created, reopened, unknown_line, same, again, other = results[:6]
        self.assertEqual(created[1], 'created')
        self.assertEqual(reopened, (resolved, 'reopened'))
        self.assertIsInstance(unknown_line, UserError)
        self.assertIn('+86 21 6000 1999', unknown_line.message)
        self.assertEqual(same, (created[0], 'open'))
        self.assertEqual(again, (resolved, 'open'))
        self.assertEqual(other[1], 'created')
        self.assertNotEqual(other[0], created[0])
        self.assertEqual(resolved.state, 'in_progress')
        self.assertEqual(resolved.reopened_count, 1)
        # The calls of unknown numbers each have their case
        (first, outcome), (second, second_outcome) = results[6:]
        self.assertEqual((outcome, second_outcome), ('created', 'created'))
        self.assertNotEqual(first, second)
        self.assertEqual(first.caller_number, '+862155550000')
        self.assertEqual(Case.search([], count=True), before + 4)

        pops = Case.screen_pops(
            [r for r in results if not isinstance(r, UserError)])
        self.assertEqual(
            [p['case']['id'] for p in pops],
            [r[0].id for r in results if not isinstance(r, UserError)])
        self.assertEqual(pops[0]['customer']['name'], "Caller")
        self.assertEqual(pops[1]['customer']['name'], "Other Caller")
        self.assertEqual(pops[0]['case']['category'], "Hardware")
        self.assertEqual(pops[4]['case']['category'], "Software")
        self.assertEqual(
            {c['id'] for c in pops[0]['open_cases']},
            {created[0].id, other[0].id})
        self.assertIsNone(pops[5]['customer'])
        self.assertEqual(pops[5]['open_cases'], [])

    @with_company
    def test_screen_pop_open_cases_latest(self):
        "The screen pop lists the latest 20 open cases of the customer"
        pool = Pool()
        Case = pool.get('crm.service.case')
        party = create_caller(self.company)
        cases = Case.create([{
                    'company': self.company.id, 'subject': f"Case {i}",
                    'party': party.id,
                    } for i in range(22)])
        case, outcome = self.call('+8613800138000', '1')

        pop = case.screen_pop(outcome)
        listed = [c['id'] for c in pop['open_cases']]
        self.assertEqual(len(listed), 20)
        self.assertEqual(listed[0], case.id)
        self.assertEqual(
            listed[1:], [c.id for c in reversed(cases)][:19])
