# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import as_user, create_user, with_company


class ActivityTestCase(unittest.TestCase):
    "Test CRM activities"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def _activity(self, **values):
        Activity = Pool().get('crm.activity')
        values.setdefault('subject', "Call back")
        activity = Activity(**values)
        activity.save()
        return activity

    @with_company
    def test_workflow(self):
        "Plan, do, reset and cancel an activity"
        Activity = Pool().get('crm.activity')
        employee = create_employee(self.company)
        with Transaction().set_context(employee=employee.id):
            activity = self._activity()
        self.assertEqual(activity.state, 'planned')
        self.assertEqual(activity.employee, employee)
        self.assertEqual(activity.company, self.company)

        Activity.do([activity])
        self.assertEqual(activity.state, 'done')
        # a done activity is not cancelled without being reset first
        Activity.cancel([activity])
        self.assertEqual(activity.state, 'done')
        Activity.plan([activity])
        self.assertEqual(activity.state, 'planned')
        Activity.cancel([activity])
        self.assertEqual(activity.state, 'cancelled')

    @with_company
    def test_overdue(self):
        "Planned activities in the past are overdue and searchable"
        Activity = Pool().get('crm.activity')
        now = datetime.datetime.now()
        late = self._activity(
            planned_date=now - datetime.timedelta(days=1))
        done = self._activity(
            planned_date=now - datetime.timedelta(days=1))
        Activity.do([done])
        future = self._activity(
            planned_date=now + datetime.timedelta(days=1))

        self.assertEqual(
            [a.overdue for a in [late, done, future]],
            [True, False, False])
        ours = ('id', 'in', [late.id, done.id, future.id])
        self.assertEqual(
            Activity.search([('overdue', '=', True), ours]), [late])
        self.assertEqual(
            set(Activity.search([('overdue', '=', False), ours])),
            {done, future})
        self.assertEqual(
            set(Activity.search([('overdue', '!=', True), ours])),
            {done, future})

    @with_company
    def test_planned_end(self):
        "Moving the end of an activity changes its duration"
        Activity = Pool().get('crm.activity')
        start = datetime.datetime(2026, 3, 2, 9, 0)
        activity = self._activity(
            planned_date=start, duration=datetime.timedelta(hours=1))
        self.assertEqual(
            activity.planned_end, start + datetime.timedelta(hours=1))
        Activity.write([activity], {
                'planned_end': start + datetime.timedelta(hours=3)})
        self.assertEqual(activity.duration, datetime.timedelta(hours=3))

    @with_company
    def test_opportunity_activities(self):
        "The activities of an opportunity are listed on it"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Customer"}])
        opportunity, = Opportunity.create([{'party': party.id}])
        activity = self._activity(resource=opportunity)
        activity.on_change_resource()
        self.assertEqual(activity.party, party)
        activity.save()
        other = self._activity()
        self.assertEqual(
            Opportunity(opportunity.id).crm_activities, (activity,))
        self.assertNotIn(other, opportunity.crm_activities)

    @with_transaction()
    def test_resources(self):
        "Opportunities and sales are selectable as related records"
        Activity = Pool().get('crm.activity')
        models = [m for m, _ in Activity.get_resources()]
        self.assertIn('sale.opportunity', models)
        self.assertIn('sale.sale', models)

    @with_company
    def test_access_without_crm_group(self):
        "A user outside the CRM groups can not read activities"
        employee = create_employee(self.company)
        self._activity()
        user = create_user('outsider', self.company, employee, [])
        Activity = Pool().get('crm.activity')
        with as_user(user):
            with self.assertRaises(AccessError):
                Activity.search([])

    @with_transaction()
    def test_other_company(self):
        "A salesperson does not see the activities of another company"
        Activity = Pool().get('crm.activity')
        company = create_company()
        other_company = create_company("Other")
        with set_company(other_company):
            self._activity(subject="Other company")
        with set_company(company):
            employee = create_employee(company)
            mine = self._activity(employee=employee)
            user = create_user(
                'sales', company, employee,
                ['crm_sales.group_crm_salesperson'])
            with as_user(user):
                self.assertEqual(Activity.search([]), [mine])

    @with_transaction()
    def test_salesperson_scope(self):
        "Another salesperson can not read my activities with scope own"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Configuration = pool.get('crm.configuration')
        company = create_company()
        with set_company(company):
            config = Configuration(1)
            config.salesperson_scope = 'own'
            config.save()
            first = create_employee(company, "Salesperson One")
            second = create_employee(company, "Salesperson Two")
            mine = self._activity(employee=first)
            theirs = self._activity(employee=second)
            sales1 = create_user(
                'sales1', company, first,
                ['crm_sales.group_crm_salesperson'])
            sales2 = create_user(
                'sales2', company, second,
                ['crm_sales.group_crm_salesperson'])
            manager = create_user(
                'manager', company, second,
                ['crm_sales.group_crm_sales_manager'])

            with as_user(sales2):
                self.assertEqual(Activity.search([]), [theirs])
                with self.assertRaises(AccessError):
                    Activity.read([mine.id], ['subject'])
                with self.assertRaises(AccessError):
                    Activity.write([Activity(mine.id)], {'subject': "Mine"})
            with as_user(sales1):
                self.assertEqual(Activity.search([]), [mine])
            with as_user(manager):
                self.assertEqual(
                    set(Activity.search([])), {mine, theirs})
