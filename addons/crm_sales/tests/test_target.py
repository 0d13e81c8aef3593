# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_employee
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import (
    as_user, create_customer, create_opportunity, create_sale, create_user,
    post_invoice, setup_accounting, with_company)


def create_confirmed_sale(opportunity, date, amount):
    "Create a sale of the opportunity marked as confirmed"
    pool = Pool()
    Sale = pool.get('sale.sale')
    sale = create_sale(opportunity, [amount])
    # Confirming needs a full product and stock set-up: the test only needs
    # what confirmation stores
    sale_table = Sale.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*sale_table.update(
            [sale_table.state, sale_table.sale_date,
                sale_table.untaxed_amount_cache],
            ['confirmed', date, Decimal(amount)],
            where=sale_table.id == sale.id))
    return Sale(sale.id)


class TargetTestCase(unittest.TestCase):
    "Test sales targets"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def setup_company(self):
        self.alice = create_employee(self.company, "Alice")

    def _team(self, company, employees):
        Team = Pool().get('crm.sales.team')
        team = Team(
            name="Team", company=company, leader=employees[0],
            members=employees)
        team.save()
        return team

    def _target(self, **values):
        Target = Pool().get('crm.target')
        target = Target(**values)
        target.save()
        return target

    @with_company
    def test_period_dates(self):
        "The period is aligned on the period type"
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        target = self._target(
            employee=self.alice, period_type='quarter',
            start_date=today.replace(month=5, day=17))
        self.assertEqual(target.start_date, today.replace(month=4, day=1))
        self.assertEqual(target.end_date, today.replace(month=6, day=30))
        target.period_type = 'year'
        target.save()
        self.assertEqual(target.start_date, today.replace(month=1, day=1))
        self.assertEqual(target.end_date, today.replace(month=12, day=31))

    @with_company
    def test_overlap(self):
        "A period overlapping another for the same assignee and basis fails"
        pool = Pool()
        Date = pool.get('ir.date')
        bob = create_employee(self.company, "Bob")
        team = self._team(self.company, [self.alice, bob])
        today = Date.today()
        self._target(
            employee=self.alice, period_type='month', start_date=today,
            basis='confirmed')
        with self.assertRaises(ValidationError) as cm:
            self._target(
                employee=self.alice, period_type='quarter', start_date=today,
                basis='confirmed')
        self.assertIn('Alice', cm.exception.message)
        # Another basis, employee or a team does not overlap
        self._target(
            employee=self.alice, period_type='quarter', start_date=today,
            basis='invoiced')
        self._target(
            employee=bob, period_type='month', start_date=today,
            basis='confirmed')
        self._target(
            team=team, period_type='month', start_date=today,
            basis='confirmed')
        with self.assertRaises(ValidationError):
            self._target(
                team=team, period_type='year', start_date=today,
                basis='confirmed')

    @with_company
    def test_employee_xor_team(self):
        "A target has an employee or a team"
        pool = Pool()
        Date = pool.get('ir.date')
        team = self._team(self.company, [self.alice])
        today = Date.today()
        with self.assertRaises(ValidationError):
            self._target(
                employee=self.alice, team=team, start_date=today)
        with self.assertRaises(ValidationError):
            self._target(start_date=today)

    @with_company
    def test_achievement(self):
        "Achievement on both bases with co-seller splits and a team"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Target = pool.get('crm.target')
        Achievement = pool.get('crm.target.achievement')
        Date = pool.get('ir.date')
        today = Date.today()
        setup_accounting(self.company, today)
        bob = create_employee(self.company, "Bob")
        carol = create_employee(self.company, "Carol")
        team = self._team(self.company, [self.alice, bob])
        customer = create_customer("Customer")

        shared = create_opportunity(self.company, self.alice, customer)
        Opportunity.write([shared], {
                'co_sellers': [('create', [
                            {'employee': self.alice.id, 'split': 60},
                            {'employee': bob.id, 'split': 40},
                            ])],
                })
        sale1 = create_confirmed_sale(shared, today, 1000)
        post_invoice(
            self.company, customer, today, 1000, origin=sale1.lines[0])
        bobs = create_opportunity(self.company, bob, customer)
        create_confirmed_sale(bobs, today, 500)
        carols = create_opportunity(self.company, carol, customer)
        create_confirmed_sale(carols, today, 200)
        # Neither a draft sale nor last year's sale count
        draft = Pool().get('sale.sale')(
            company=self.company, party=customer, origin=bobs,
            invoice_address=customer.addresses[0],
            currency=self.company.currency)
        draft.save()
        create_confirmed_sale(
            bobs, today.replace(year=today.year - 1), 700)

        def target(basis, **values):
            return self._target(
                period_type='month', start_date=today, basis=basis,
                target_amount=Decimal(1200), target_count=4, **values)
        confirmed = {
            'alice': target('confirmed', employee=self.alice),
            'bob': target('confirmed', employee=bob),
            'team': target('confirmed', team=team),
            }
        invoiced = {
            'alice': target('invoiced', employee=self.alice),
            'bob': target('invoiced', employee=bob),
            'team': target('invoiced', team=team),
            }
        self.assertEqual(
            {k: (t.achieved_amount, t.achieved_count)
                for k, t in confirmed.items()},
            {'alice': (Decimal('600.00'), 1),
                'bob': (Decimal('900.00'), 2),
                'team': (Decimal('1500.00'), 2)})
        self.assertEqual(
            {k: (t.achieved_amount, t.achieved_count)
                for k, t in invoiced.items()},
            {'alice': (Decimal('600.00'), 1),
                'bob': (Decimal('400.00'), 1),
                'team': (Decimal('1000.00'), 1)})
        self.assertEqual(confirmed['alice'].amount_achievement, 50)
        self.assertEqual(confirmed['team'].amount_achievement, 125)
        self.assertEqual(confirmed['bob'].count_achievement, 50)

        # Report per month
        with Transaction().set_context(
                from_date=today.replace(month=1, day=1),
                to_date=today.replace(month=12, day=31)):
            row, = Achievement.search([
                    ('target', '=', confirmed['team'].id)])
            self.assertEqual(row.month, today.replace(day=1))
            self.assertEqual(row.achieved_amount, Decimal(1500))
            self.assertEqual(row.target_amount, Decimal(1200))
            self.assertEqual(row.achieved_count, 2)

            Target.delete([invoiced['alice']])
            quarter = self._target(
                employee=self.alice, period_type='quarter',
                start_date=today, basis='invoiced',
                target_amount=Decimal(3000), target_count=3)
            rows = Achievement.search([('target', '=', quarter.id)])
            self.assertEqual(len(rows), 3)
            self.assertEqual(
                {r.target_amount for r in rows}, {Decimal(1000)})
            self.assertEqual(
                sum(r.achieved_amount for r in rows), Decimal(600))
            self.assertEqual(sum(r.target_count for r in rows), 3)

    @with_company
    def test_achievement_month_by_month(self):
        "Each month's won deals count in that month, not in the current one"
        pool = Pool()
        Achievement = pool.get('crm.target.achievement')
        today = pool.get('ir.date').today()
        last_month = today.replace(day=1) - relativedelta(months=1)
        customer = create_customer()
        for date, amount in [(last_month, 300), (today, 500)]:
            deal = create_opportunity(self.company, self.alice, customer)
            create_confirmed_sale(deal, date, amount)
            self._target(
                employee=self.alice, period_type='month', start_date=date,
                basis='confirmed', target_amount=Decimal(1000),
                target_count=2)
        with Transaction().set_context(
                from_date=last_month, to_date=today):
            rows = Achievement.search([('employee', '=', self.alice.id)])
            self.assertEqual(
                [(r.month, r.achieved_amount, r.achieved_count)
                    for r in rows],
                [(last_month, Decimal(300), 1),
                    (today.replace(day=1), Decimal(500), 1)])

    @with_company
    def test_graph_names_currency(self):
        "The graph of targets names the amounts with the company's currency"
        Target = Pool().get('crm.target')
        code = self.company.currency.code
        graph = Target.fields_view_get(view_type='graph')['fields']
        for name in ['target_amount', 'achieved_amount']:
            self.assertTrue(
                graph[name]['string'].endswith(f" ({code})"), graph[name])
        # Not in the list, where the amounts show their currency
        tree = Target.fields_view_get(view_type='tree')['fields']
        self.assertNotIn(code, tree['target_amount']['string'])
        # Nor without a company to tell the currency
        with Transaction().set_context(company=None):
            graph = Target.fields_view_get(view_type='graph')['fields']
        self.assertNotIn(code, graph['target_amount']['string'])

    @with_company
    def test_salesperson_cannot_write(self):
        "A salesperson reads targets but cannot set them"
        pool = Pool()
        Target = pool.get('crm.target')
        Date = pool.get('ir.date')
        target = self._target(
            employee=self.alice, start_date=Date.today(),
            target_amount=Decimal(100))
        user = create_user(
            'sales', self.company, self.alice,
            ['crm_sales.group_crm_salesperson'])
        with as_user(user):
            target = Target(target.id)
            self.assertEqual(target.target_amount, Decimal(100))
            with self.assertRaises(AccessError):
                Target.write([target], {'target_amount': Decimal(1)})
            with self.assertRaises(AccessError):
                Target.create([{
                            'employee': self.alice.id,
                            'company': self.company.id,
                            'start_date': Date.today()}])
