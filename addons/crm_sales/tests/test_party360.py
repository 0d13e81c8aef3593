# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_sales.party import LIST_LIMIT
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import (
    SALESPERSON, as_user, create_customer, create_user, with_company)


class Party360TestCase(unittest.TestCase):
    "Test the Customer 360° view"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    @with_company
    def test_lists_and_counts(self):
        "The 360° lists are limited, newest first, and counted per party"
        pool = Pool()
        Party = pool.get('party.party')
        Activity = pool.get('crm.activity')
        Opportunity = pool.get('sale.opportunity')
        now = datetime.datetime.now().replace(microsecond=0)
        customer, other = Party.create([
                {'name': "Customer"}, {'name': "Other"}])
        activities = Activity.create([{
                    'subject': f"Call {i}",
                    'party': customer.id,
                    'planned_date': now - datetime.timedelta(
                        days=i, minutes=1),
                    } for i in range(LIST_LIMIT + 5)])
        old = Activity.create([{
                    'subject': "Old visit", 'type': 'visit',
                    'party': customer.id,
                    'planned_date': now - datetime.timedelta(days=200),
                    }])
        Activity.do(old)
        Activity.create([{'subject': "Elsewhere", 'party': other.id}])
        won, lead = Opportunity.create([
                {'party': customer.id}, {'party': customer.id}])
        Opportunity.write([won], {'state': 'lost'})

        customer, other = Party.browse([customer, other])
        self.assertEqual(
            list(customer.crm_recent_activities),
            activities[:LIST_LIMIT])
        self.assertEqual(list(customer.crm_open_opportunities), [lead])
        self.assertEqual([
                customer.crm_open_opportunity_count,
                customer.crm_planned_activity_count,
                customer.crm_overdue_activity_count,
                len(other.crm_recent_activities),
                other.crm_open_opportunity_count,
                ], [1, LIST_LIMIT + 5, LIST_LIMIT + 5, 1, 0])
        self.assertEqual(customer.crm_recent_sales, ())
        self.assertEqual(customer.crm_recent_invoices, ())
        self.assertEqual(customer.crm_sale_count, 0)

    @with_company
    def test_other_team_hidden(self):
        "A salesperson sees in the 360° only what the record rules allow"
        pool = Pool()
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Team = pool.get('crm.sales.team')
        one = create_employee(self.company, "Salesperson One")
        two = create_employee(self.company, "Salesperson Two")
        Team.create([
                {'name': "North", 'members': [('add', [one.id])]},
                {'name': "South", 'members': [('add', [two.id])]},
                ])
        sales1 = create_user('sales1', self.company, one, SALESPERSON)
        sales2 = create_user('sales2', self.company, two, SALESPERSON)
        customer = create_customer()
        lead, = Opportunity.create([{'party': customer.id,
                    'employee': one.id}])

        with as_user(sales1):
            mine = Party(customer.id)
            self.assertEqual(list(mine.crm_open_opportunities), [lead])
            self.assertEqual(mine.crm_open_opportunity_count, 1)
            # No access to invoices: nothing listed, nothing raised
            self.assertEqual(mine.crm_recent_invoices, ())
        with as_user(sales2):
            theirs = Party(customer.id)
            self.assertEqual(theirs.crm_open_opportunities, ())
            self.assertEqual(theirs.crm_open_opportunity_count, 0)

    @with_company
    def test_lists_read_only(self):
        "The 360° lists are read-only: their records are edited on their own"
        pool = Pool()
        Party = pool.get('party.party')
        Activity = pool.get('crm.activity')
        customer, = Party.create([{'name': "Customer"}])
        activity, = Activity.create([{
                    'subject': "Call", 'party': customer.id}])
        self.assertTrue(Party.crm_recent_activities.readonly)
        with self.assertRaises(AccessError):
            Party.write([customer], {
                    'crm_recent_activities': [
                        ('write', [activity.id], {'outcome': "Interested"})],
                    })

    @with_transaction()
    def test_other_company_hidden(self):
        "Activities of another company are not listed nor counted"
        pool = Pool()
        Party = pool.get('party.party')
        Activity = pool.get('crm.activity')
        company = create_company()
        other_company = create_company("Other")
        with set_company(other_company):
            customer, = Party.create([{'name': "Customer"}])
            Activity.create([{'subject': "Other's call",
                        'party': customer.id}])
        with set_company(company):
            employee = create_employee(company)
            user = create_user(
                'sales', company, employee,
                ['crm_sales.group_crm_salesperson'])
            with as_user(user):
                customer = Party(customer.id)
                self.assertEqual(customer.crm_recent_activities, ())
                self.assertEqual(customer.crm_planned_activity_count, 0)
