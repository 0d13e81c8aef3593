# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, RecursionError
from trytond.modules.company.tests import create_employee
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_segment_parties, create_user, with_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

AGENT = ['crm_service.group_crm_service_agent']


class CaseTestCase(unittest.TestCase):
    "Test the service cases"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def create_case(self, **values):
        pool = Pool()
        Case = pool.get('crm.service.case')
        Party = pool.get('party.party')
        if 'party' not in values:
            values['party'], = Party.create([{'name': "Customer"}])
        case = Case(subject="Printer jams", **values)
        case.save()
        return case

    @with_company
    def test_number(self):
        "A new case is numbered from the configured sequence"
        case = self.create_case()
        self.assertTrue(case.number.startswith('CASE'))
        self.assertEqual(case.state, 'new')
        self.assertEqual(case.reopened_count, 0)

    @with_company
    def test_channel_label(self):
        "The case volume graph groups by the channel's label, not its code"
        case = self.create_case(channel='web')
        self.assertEqual(case.channel_label, "Web Form")

    @with_company
    def test_workflow_timestamps(self):
        "Each transition of a case records when it happened"
        pool = Pool()
        Case = pool.get('crm.service.case')
        agent = create_employee(self.company, "Agent")
        case = self.create_case(agent=agent)

        Case.assign([case])
        self.assertEqual(case.state, 'assigned')
        self.assertTrue(case.assigned_at)
        self.assertIsNone(case.first_response_at)

        Case.start([case])
        self.assertEqual(case.state, 'in_progress')
        first_response = case.first_response_at
        self.assertTrue(first_response)
        self.assertGreaterEqual(first_response, case.assigned_at)

        Case.wait([case])
        self.assertEqual(case.state, 'waiting')
        self.assertTrue(case.waiting_since)

        Case.start([case])
        self.assertIsNone(case.waiting_since)
        self.assertEqual(case.first_response_at, first_response)

        case.resolution = "Replaced the roller"
        case.save()
        Case.resolve([case])
        self.assertEqual(case.state, 'resolved')
        self.assertTrue(case.resolved_at)

        Case.close([case])
        self.assertEqual(case.state, 'closed')
        self.assertGreaterEqual(case.closed_at, case.resolved_at)

    @with_company
    def test_resolution_required(self):
        "A case is resolved only with its resolution"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.create_case()
        Case.start([case])
        with self.assertRaisesRegex(UserError, "write its resolution"):
            Case.resolve([case])
        self.assertEqual(case.state, 'in_progress')

    @with_company
    def test_reopen(self):
        "A resolved or closed case is reopened and counted"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.create_case(resolution="Done")
        Case.start([case])
        Case.resolve([case])
        Case.reopen([case])
        self.assertEqual(case.state, 'in_progress')
        self.assertIsNone(case.resolved_at)
        Case.resolve([case])
        Case.close([case])
        Case.reopen([case])
        self.assertEqual(
            (case.state, case.reopened_count, case.closed_at),
            ('in_progress', 2, None))

    @with_company
    def test_start_does_not_reopen(self):
        "Starting a closed case leaves it closed: it is reopened explicitly"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.create_case(resolution="Done")
        Case.start([case])
        Case.resolve([case])
        Case.close([case])
        Case.start([case])
        self.assertEqual((case.state, case.reopened_count), ('closed', 0))

    @with_company
    def test_close_twice(self):
        "Closing a closed case is an error that changes nothing"
        pool = Pool()
        Case = pool.get('crm.service.case')
        case = self.create_case(resolution="Done")
        Case.start([case])
        Case.resolve([case])
        Case.close([case])
        closed_at = case.closed_at
        with self.assertRaisesRegex(UserError, "already closed"):
            Case.close([case])
        self.assertEqual(case.closed_at, closed_at)

    @with_company
    def test_category_cycle(self):
        "A category cannot be its own ancestor"
        pool = Pool()
        Category = pool.get('crm.service.case.category')
        hardware, = Category.create([{'name': "Hardware"}])
        printer, = Category.create([
                {'name': "Printer", 'parent': hardware.id}])
        self.assertEqual(printer.rec_name, "Hardware / Printer")
        with self.assertRaisesRegex(RecursionError, "its own parent"):
            Category.write([hardware], {'parent': printer.id})
        with self.assertRaises(RecursionError):
            Category.write([hardware], {'parent': hardware.id})

    @with_company
    def test_customer_tier(self):
        "The customer tier is the value segment of the party"
        a, c = create_segment_parties(
            self.company, {"Big": 'A', "Small": 'C'})
        self.assertEqual(self.create_case(party=a).customer_tier, 'A')
        self.assertEqual(self.create_case(party=c).customer_tier, 'C')
        self.assertIsNone(self.create_case(party=None).customer_tier)

    @with_company
    def test_activity_resource(self):
        "An activity can relate to a case"
        pool = Pool()
        Activity = pool.get('crm.activity')
        case = self.create_case()
        self.assertIn(
            'crm.service.case', dict(Activity.get_resources()))
        activity, = Activity.create([{
                    'subject': "Call back", 'resource': str(case)}])
        activity.on_change_resource()
        self.assertEqual(activity.party, case.party)

    @with_company
    def test_party_360(self):
        "The 360° view lists the cases and counts the open ones"
        pool = Pool()
        Party = pool.get('party.party')
        Case = pool.get('crm.service.case')
        customer, = Party.create([{'name': "Customer"}])
        cases = [self.create_case(party=customer) for _ in range(3)]
        cases[0].resolution = "Done"
        cases[0].save()
        Case.start(cases[:1])
        Case.resolve(cases[:1])
        customer = Party(customer.id)
        self.assertEqual(customer.crm_open_case_count, 2)
        self.assertEqual(
            sorted(customer.crm_recent_cases), sorted(cases))

    @with_company
    def test_rules_other_team(self):
        "An agent of another team neither sees nor reads the team's case"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Party = pool.get('party.party')
        Team = pool.get('crm.sales.team')
        mine = create_employee(self.company, "Agent North")
        other = create_employee(self.company, "Agent South")
        colleague = create_employee(self.company, "Colleague North")
        north, south = Team.create([
                {'name': "North", 'members': [
                            ('add', [mine.id, colleague.id])]},
                {'name': "South", 'members': [('add', [other.id])]},
                ])
        case = self.create_case(team=north.id, agent=colleague.id)
        own_user = create_user('north', self.company, mine, AGENT)
        other_user = create_user('south', self.company, other, AGENT)
        customer = case.party

        with as_user(own_user):
            self.assertEqual(Case.search([]), [case])
            self.assertEqual(Case(case.id).subject, "Printer jams")
            self.assertEqual(
                Party(customer.id).crm_open_case_count, 1)
            self.assertEqual(
                [(r.kind, r.summary, r.document, r.employee)
                    for r in Party(customer.id).crm_timeline],
                [('case', "Printer jams", case, colleague)])
        with as_user(other_user):
            self.assertEqual(Case.search([]), [])
            self.assertEqual(Case.search_count([]), 0)
            with self.assertRaises(AccessError):
                Case.read([case.id], ['subject'])
            party = Party(customer.id)
            self.assertEqual(party.crm_open_case_count, 0)
            self.assertEqual(party.crm_recent_cases, ())
            self.assertEqual(party.crm_timeline, ())
            self.assertEqual(Pool().get('crm.party.timeline').search(
                    [('kind', '=', 'case')]), [])

        # Without access to the cases, the 360° view shows none
        salesperson = create_user('sales', self.company, other, [
                'crm_sales.group_crm_salesperson'])
        with as_user(salesperson):
            party, = Party.read(
                [customer.id], ['crm_open_case_count', 'crm_recent_cases'])
            self.assertEqual(
                (party['crm_open_case_count'],
                    list(party['crm_recent_cases'])),
                (0, []))
