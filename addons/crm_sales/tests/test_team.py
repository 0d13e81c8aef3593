# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import MANAGER, SALESPERSON, as_user, create_user


class TeamTestCase(unittest.TestCase):
    "Test sales teams and the salesperson's record rules"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    def setup_teams(self):
        """Create North (led by the manager with sales1 and sales3) and
        South (sales2), one opportunity per salesperson"""
        pool = Pool()
        Team = pool.get('crm.sales.team')
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        self.company = company
        with set_company(company):
            e_manager = create_employee(company, "Sales Manager")
            e1 = create_employee(company, "Salesperson One")
            e2 = create_employee(company, "Salesperson Two")
            e3 = create_employee(company, "Salesperson Three")
            self.manager = create_user('manager', company, e_manager, MANAGER)
            self.sales1 = create_user('sales1', company, e1, SALESPERSON)
            self.sales2 = create_user('sales2', company, e2, SALESPERSON)
            self.sales3 = create_user('sales3', company, e3, SALESPERSON)
            self.north, self.south = Team.create([{
                        'name': "North", 'leader': e_manager.id,
                        'members': [('add', [e1.id, e3.id])],
                        }, {
                        'name': "South",
                        'members': [('add', [e2.id])],
                        }])
            self.opp1, self.opp2, self.unassigned = Opportunity.create([{
                        'description': "North deal", 'employee': e1.id,
                        'start_date': datetime.date.today(),
                        }, {
                        'description': "South deal", 'employee': e2.id,
                        'start_date': datetime.date.today(),
                        }, {
                        'description': "New lead",
                        'start_date': datetime.date.today(),
                        }])
        self.employees = (e_manager, e1, e2, e3)

    def set_scope(self, scope):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        with set_company(self.company):
            config = Configuration(1)
            config.salesperson_scope = scope
            config.save()

    def visible(self, user):
        Opportunity = Pool().get('sale.opportunity')
        with as_user(user):
            return set(Opportunity.search([]))

    @with_transaction()
    def test_team_default_on_opportunity(self):
        "The employee's team is set on a new opportunity"
        self.setup_teams()
        self.assertEqual(self.opp1.crm_team, self.north)
        self.assertEqual(self.opp2.crm_team, self.south)
        self.assertIsNone(self.unassigned.crm_team)

    @with_transaction()
    def test_on_change_employee_team(self):
        "Changing the employee proposes their team"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.setup_teams()
        _, e1, e2, _ = self.employees
        opportunity = Opportunity(employee=e2, crm_team=self.north)
        self.assertEqual(opportunity.on_change_with_crm_team(), self.south)
        opportunity = Opportunity(employee=e1, crm_team=self.north)
        self.assertEqual(opportunity.on_change_with_crm_team(), self.north)

    @with_transaction()
    def test_default_scope_is_team(self):
        "The default scope is team"
        Configuration = Pool().get('crm.configuration')
        self.setup_teams()
        with set_company(self.company):
            self.assertEqual(Configuration(1).salesperson_scope, 'team')

    @with_transaction()
    def test_other_team_cannot_read(self):
        "sales2 (South) cannot search, read or write sales1's opportunity"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.setup_teams()
        self.assertEqual(self.visible(self.sales2), {self.opp2})
        with as_user(self.sales2):
            self.assertEqual(Opportunity.search([
                        ('description', '=', "North deal")]), [])
            with self.assertRaises(AccessError):
                Opportunity.read([self.opp1.id], ['description'])
            with self.assertRaises(AccessError):
                Opportunity.write(
                    [Opportunity(self.opp1.id)], {'comment': "mine now"})

    @with_transaction()
    def test_team_scope(self):
        "A member sees the opportunities of the team's members"
        self.setup_teams()
        self.assertEqual(self.visible(self.sales1), {self.opp1})
        self.assertEqual(self.visible(self.sales3), {self.opp1})

    @with_transaction()
    def test_own_scope(self):
        "With scope own, a salesperson sees only their opportunities"
        self.setup_teams()
        self.assertEqual(self.visible(self.sales3), {self.opp1})
        self.set_scope('own')
        self.assertEqual(self.visible(self.sales3), set())
        self.assertEqual(self.visible(self.sales1), {self.opp1})

    @with_transaction()
    def test_all_scope(self):
        "With scope all, a salesperson sees every opportunity"
        self.setup_teams()
        self.set_scope('all')
        self.assertEqual(
            self.visible(self.sales2),
            {self.opp1, self.opp2, self.unassigned})

    @with_transaction()
    def test_manager_sees_all(self):
        "The manager sees every opportunity of the company"
        self.setup_teams()
        self.set_scope('own')
        self.assertEqual(
            self.visible(self.manager),
            {self.opp1, self.opp2, self.unassigned})

    @with_transaction()
    def test_membership_change_takes_effect(self):
        "Joining a team shows its opportunities at once"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        self.setup_teams()
        _, _, e2, _ = self.employees
        self.assertEqual(self.visible(self.sales2), {self.opp2})
        Team.write([self.north], {'members': [('add', [e2.id])]})
        self.assertEqual(self.visible(self.sales2), {self.opp1, self.opp2})

    @with_transaction()
    def test_team_opportunity_without_employee(self):
        "The team's unassigned leads are visible to its members"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.setup_teams()
        Opportunity.write([self.unassigned], {'crm_team': self.south.id})
        self.assertEqual(
            self.visible(self.sales2), {self.opp2, self.unassigned})
        self.assertEqual(self.visible(self.sales1), {self.opp1})

    @with_transaction()
    def test_other_company(self):
        "Scope all does not cross companies"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.setup_teams()
        self.set_scope('all')
        other = create_company(name="Other Company")
        with set_company(other):
            foreign, = Opportunity.create([{
                        'description': "Foreign deal",
                        'start_date': datetime.date.today(),
                        }])
        self.assertNotIn(foreign, self.visible(self.sales2))
        self.assertNotIn(foreign, self.visible(self.manager))
