# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_sales.party import LIST_LIMIT
from trytond.modules.crm_sales.timeline import KIND_CODES
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import (
    SALESPERSON, as_user, create_customer, create_opportunity, create_sale,
    create_teams, create_user, post_invoice, setup_accounting, with_company)


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


class CustomerTimelineTestCase(unittest.TestCase):
    "Test the customer's timeline and the list of customers"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    @classmethod
    def setup_class_company(cls, company):
        setup_accounting(company, datetime.date.today())

    @with_company
    def test_timeline_in_date_order(self):
        "Activities, opportunities, sales and invoices, newest first"
        pool = Pool()
        Activity = pool.get('crm.activity')
        today = datetime.date.today()
        employee = create_employee(self.company, "Salesperson")
        customer = create_customer()
        other = create_customer("Other")
        call, = Activity.create([{
                    'subject': "First call", 'party': customer.id,
                    'employee': employee.id,
                    'planned_date': datetime.datetime.combine(
                        today - datetime.timedelta(days=30),
                        datetime.time(10)),
                    }])
        deal = create_opportunity(
            self.company, employee, customer, "Big deal",
            start_date=today - datetime.timedelta(days=20),
            amount=Decimal('5000'))
        sale = create_sale(deal, [1200], state='confirmed')
        sale.sale_date = today - datetime.timedelta(days=10)
        sale.save()
        invoice = post_invoice(
            self.company, customer, today - datetime.timedelta(days=5), 300)
        create_opportunity(self.company, employee, other, "Not theirs")

        customer = pool.get('party.party')(customer.id)
        rows = customer.crm_timeline
        self.assertEqual(
            [(r.kind, r.summary, r.document) for r in rows], [
                ('invoice', invoice.number, invoice),
                ('sale', sale.number, sale),
                ('opportunity', "Big deal", deal),
                ('activity', "First call", call),
                ])
        invoice_row, sale_row, deal_row, call_row = rows
        # The deal is worth its confirmed sale
        self.assertEqual(
            [r.amount for r in rows],
            [Decimal('300'), Decimal('1200'), Decimal('1200'), None])
        self.assertEqual(deal_row.employee, employee)
        self.assertEqual(call_row.state_string, "Planned")
        self.assertEqual(invoice_row.state_string, "Posted")
        self.assertEqual(invoice_row.currency, self.company.currency)

    @with_company
    def test_timeline_obeys_record_rules(self):
        "Another team's salesperson sees none of a team's deals on the page"
        pool = Pool()
        Party = pool.get('party.party')
        Timeline = pool.get('crm.party.timeline')
        one = create_employee(self.company, "Salesperson One")
        two = create_employee(self.company, "Salesperson Two")
        sales1 = create_user('sales1', self.company, one, SALESPERSON)
        sales2 = create_user('sales2', self.company, two, SALESPERSON)
        create_teams({"North": [sales1], "South": [sales2]})
        customer = create_customer()
        deal = create_opportunity(self.company, one, customer, "North deal")
        post_invoice(self.company, customer, datetime.date.today(), 100)

        with as_user(sales1):
            self.assertEqual(
                [r.document for r in Party(customer.id).crm_timeline],
                [deal])
        with as_user(sales2):
            # Through the party, through the model, and by the row's id
            self.assertEqual(Party(customer.id).crm_timeline, ())
            self.assertEqual(
                Timeline.search([('party', '=', customer.id)]), [])
            self.assertEqual(Timeline.search([
                        ('summary', '=', "North deal")]), [])
            row_id = deal.id * KIND_CODES + 2
            self.assertEqual(
                Timeline.search([('id', '=', row_id)]), [])

    @with_company
    def test_customer_list(self):
        "The customers have a sale, an opportunity or an invoice, not staff"
        pool = Pool()
        Party = pool.get('party.party')
        employee = create_employee(self.company, "BI Analyst")
        prospect = create_customer("Prospect")
        create_opportunity(self.company, employee, prospect)
        billed = create_customer("Billed")
        post_invoice(self.company, billed, datetime.date.today(), 50)
        Party.create([{'name': "Supplier"}])

        customers = Party.search([('crm_customer', '=', True)])
        self.assertEqual(set(customers), {prospect, billed})
        others = Party.search([('crm_customer', '=', False)])
        self.assertIn(employee.party, others)
        self.assertNotIn(prospect, others)
        self.assertEqual(
            [p.crm_customer for p in Party.browse(
                    [prospect, billed, employee.party])],
            [True, True, False])
        self.assertEqual(Party(prospect.id).crm_owner, employee)

    @with_transaction()
    def test_customer_action_lists_customers(self):
        "The Customers menu opens the customers only"
        pool = Pool()
        Action = pool.get('ir.action.act_window')
        ModelData = pool.get('ir.model.data')
        action = Action(ModelData.get_id('crm_sales', 'act_party_360'))
        self.assertEqual(action.name, "Customers")
        self.assertEqual(
            action.pyson_domain, '[["crm_customer", "=", true]]')
