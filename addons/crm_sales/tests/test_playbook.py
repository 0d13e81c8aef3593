# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import with_company


class PlaybookTestCase(unittest.TestCase):
    "Test CRM stage playbooks"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def _playbooks(self):
        Playbook = Pool().get('crm.playbook')
        lead, opportunity = Playbook.create([{
                    'name': "Qualify",
                    'stage': 'lead',
                    'lines': [('create', [{
                                    'type': 'call',
                                    'subject': "Qualify: call",
                                    'offset_days': 1,
                                    'duration': datetime.timedelta(
                                        minutes=15),
                                    }, {
                                    'type': 'email',
                                    'subject': "Send presentation",
                                    'offset_days': 2,
                                    }])],
                    }, {
                    'name': "Propose",
                    'stage': 'opportunity',
                    'lines': [('create', [{
                                    'type': 'meeting',
                                    'subject': "Needs analysis",
                                    'offset_days': 5,
                                    }])],
                    }])
        return lead, opportunity

    def _tasks(self, opportunity):
        Activity = Pool().get('crm.activity')
        return Activity.search(
            [('resource', '=', str(opportunity))], order=[('id', 'ASC')])

    @with_company
    def test_lead_creates_tasks(self):
        "A new lead gets the tasks of the lead playbook for its assignee"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        employee = create_employee(self.company)
        lead_playbook, _ = self._playbooks()
        before = datetime.datetime.now().replace(microsecond=0)
        opportunity, = Opportunity.create([{'employee': employee.id}])

        call, email = self._tasks(opportunity)
        self.assertEqual(
            [(a.type, a.subject, a.state, a.employee)
                for a in [call, email]],
            [('call', "Qualify: call", 'planned', employee),
                ('email', "Send presentation", 'planned', employee)])
        self.assertEqual(call.playbook_line, lead_playbook.lines[0])
        self.assertEqual(call.duration, datetime.timedelta(minutes=15))
        self.assertGreaterEqual(
            call.planned_date, before + datetime.timedelta(days=1))
        self.assertLess(
            call.planned_date,
            before + datetime.timedelta(days=1, hours=1))

    @with_company
    def test_transition_and_reentry(self):
        "Entering a stage adds its tasks once, even when re-entered"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        employee = create_employee(self.company)
        party, = Party.create([{'name': "Customer"}])
        self._playbooks()
        opportunity, = Opportunity.create([{
                    'party': party.id, 'employee': employee.id}])
        self.assertEqual(len(self._tasks(opportunity)), 2)

        Opportunity.opportunity([opportunity])
        tasks = self._tasks(opportunity)
        self.assertEqual(
            [a.subject for a in tasks],
            ["Qualify: call", "Send presentation", "Needs analysis"])
        self.assertEqual(tasks[-1].party, party)

        Opportunity.lead([opportunity])
        Opportunity.opportunity([opportunity])
        self.assertEqual(len(self._tasks(opportunity)), 3)

    @with_transaction()
    def test_other_company_playbook(self):
        "The playbooks of another company do not apply"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        other = create_company("Other")
        with set_company(other):
            self._playbooks()
        with set_company(company):
            opportunity, = Opportunity.create([{}])
            self.assertEqual(self._tasks(opportunity), [])

    @with_company
    def test_assignee_change(self):
        "Planned playbook tasks follow the opportunity's new assignee"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Activity = pool.get('crm.activity')
        first = create_employee(self.company, "First")
        second = create_employee(self.company, "Second")
        self._playbooks()
        opportunity, = Opportunity.create([{}])
        call, email = self._tasks(opportunity)
        self.assertIsNone(call.employee)
        Activity.do([email])

        Opportunity.write([opportunity], {'employee': first.id})
        Opportunity.write([opportunity], {'employee': second.id})
        call, email = self._tasks(opportunity)
        self.assertEqual(call.employee, second)
        self.assertIsNone(email.employee)

    @with_company
    def test_progress(self):
        "Done and total tasks are counted for many opportunities at once"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Activity = pool.get('crm.activity')
        self._playbooks()
        first, second, third = Opportunity.create([{}, {}, {}])
        call, email = self._tasks(first)
        Activity.do([call])
        Activity.cancel(self._tasks(second)[:1])
        Activity.delete(self._tasks(third))

        first, second, third = Opportunity.browse([first, second, third])
        self.assertEqual(
            [(o.crm_tasks_done, o.crm_tasks_total, o.crm_tasks_progress)
                for o in [first, second, third]],
            [(1, 2, 0.5), (0, 1, 0.), (0, 0, 0.)])
