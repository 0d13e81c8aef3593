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

from .tools import (
    MANAGER, SALESPERSON, as_user, create_user, with_company)


class TeamTestCase(unittest.TestCase):
    "Test sales teams and the salesperson's record rules"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_sales'])

    @classmethod
    def setup_class_company(cls, company):
        """Create North (led by the manager with sales1 and sales3) and
        South (sales2), one opportunity per salesperson"""
        pool = Pool()
        Team = pool.get('crm.sales.team')
        Opportunity = pool.get('sale.opportunity')
        e_manager = create_employee(company, "Sales Manager")
        e1 = create_employee(company, "Salesperson One")
        e2 = create_employee(company, "Salesperson Two")
        e3 = create_employee(company, "Salesperson Three")
        north, south = Team.create([{
                    'name': "North", 'leader': e_manager.id,
                    'members': [('add', [e1.id, e3.id])],
                    }, {
                    'name': "South",
                    'members': [('add', [e2.id])],
                    }])
        opp1, opp2, unassigned = Opportunity.create([{
                    'description': "North deal", 'employee': e1.id,
                    'start_date': datetime.date.today(),
                    }, {
                    'description': "South deal", 'employee': e2.id,
                    'start_date': datetime.date.today(),
                    }, {
                    'description': "New lead",
                    'start_date': datetime.date.today(),
                    }])
        return {
            'manager': create_user('manager', company, e_manager, MANAGER),
            'sales1': create_user('sales1', company, e1, SALESPERSON),
            'sales2': create_user('sales2', company, e2, SALESPERSON),
            'sales3': create_user('sales3', company, e3, SALESPERSON),
            'north': north, 'south': south,
            'opp1': opp1, 'opp2': opp2, 'unassigned': unassigned,
            'employees': (e_manager, e1, e2, e3),
            }

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

    @with_company
    def test_team_default_on_opportunity(self):
        "The employee's team is set on a new opportunity"
        self.assertEqual(self.opp1.crm_team, self.north)
        self.assertEqual(self.opp2.crm_team, self.south)
        self.assertIsNone(self.unassigned.crm_team)

    @with_company
    def test_pipeline(self):
        "My pipeline is mine, my teams' adds my teammates' and teams' deals"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        for user, mine, team in [
                (self.sales1, {self.opp1}, {self.opp1}),
                (self.sales3, set(), {self.opp1}),
                # The leader's team pipeline
                (self.manager, set(), {self.opp1}),
                ]:
            with self.subTest(user=user.login), as_user(user):
                self.assertEqual(set(Opportunity.search(
                            [('pipeline', '=', 'mine')])), mine)
                self.assertEqual(set(Opportunity.search(
                            [('pipeline', '=', 'team')])), team)
                self.assertEqual(set(Opportunity.search(
                            [('pipeline', 'in', ['mine', 'team'])])), team)
        with as_user(self.manager):
            self.assertEqual(set(Opportunity.search(
                        [('pipeline', '!=', 'team')])),
                {self.opp2, self.unassigned})
            self.assertEqual(
                [o.pipeline for o in Opportunity.browse(
                        [self.opp1.id, self.opp2.id])], ['team', None])
        with as_user(self.sales1):
            self.assertEqual(Opportunity(self.opp1.id).pipeline, 'mine')

    @with_transaction()
    def test_pipeline_tab_first(self):
        "The opportunities open on the user's own pipeline"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action.act_window')
        action = Action(ModelData.get_id(
                'sale_opportunity', 'act_opportunity_form'))
        (name, domain, count), *_ = action.domains
        self.assertIn("My Pipeline", name)
        self.assertIn('"pipeline"', domain)
        self.assertIn('"mine"', domain)
        self.assertTrue(count)

    def setup_targets(self):
        """Targets of sales1 and sales3 (North, their peer), of the team
        North, and a salesperson leading the team East of sales3"""
        pool = Pool()
        Team = pool.get('crm.sales.team')
        Target = pool.get('crm.target')
        _, e1, _, e3 = self.employees
        with set_company(self.company):
            e4 = create_employee(self.company, "Team Leader")
            self.leader = create_user(
                'leader', self.company, e4, SALESPERSON)
            Team.create([{
                        'name': "East", 'leader': e4.id,
                        'members': [('add', [e3.id])],
                        }])
            return Target.create([{
                        'employee': e1.id,
                        'start_date': datetime.date(2026, 1, 1),
                        }, {
                        'employee': e3.id,
                        'start_date': datetime.date(2026, 1, 1),
                        }, {
                        'team': self.north.id,
                        'start_date': datetime.date(2026, 1, 1),
                        }])

    def visible_targets(self, user):
        pool = Pool()
        Target = pool.get('crm.target')
        Achievement = pool.get('crm.target.achievement')
        with as_user(user, from_date=datetime.date(2026, 1, 1),
                to_date=datetime.date(2026, 1, 31)):
            targets = set(Target.search([]))
            achieved = {a.target for a in Achievement.search([])}
        self.assertEqual(achieved, targets)
        return targets

    @with_company
    def test_target_of_a_peer_hidden(self):
        "A salesperson sees their targets and their team's, not a peer's"
        target1, target3, team_target = self.setup_targets()
        self.assertEqual(
            self.visible_targets(self.sales1), {target1, team_target})
        self.assertEqual(
            self.visible_targets(self.sales3), {target3, team_target})
        self.assertEqual(self.visible_targets(self.sales2), set())
        # The leader of East sees the target of its member sales3
        self.assertEqual(self.visible_targets(self.leader), {target3})
        self.assertEqual(
            self.visible_targets(self.manager),
            {target1, target3, team_target})

    @with_company
    def test_on_change_employee_team(self):
        "Changing the employee proposes their team"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        _, e1, e2, _ = self.employees
        opportunity = Opportunity(employee=e2, crm_team=self.north)
        self.assertEqual(opportunity.on_change_with_crm_team(), self.south)
        opportunity = Opportunity(employee=e1, crm_team=self.north)
        self.assertEqual(opportunity.on_change_with_crm_team(), self.north)

    @with_company
    def test_default_scope_is_team(self):
        "The default scope is team"
        Configuration = Pool().get('crm.configuration')
        with set_company(self.company):
            self.assertEqual(Configuration(1).salesperson_scope, 'team')

    @with_company
    def test_other_team_cannot_read(self):
        "sales2 (South) cannot search, read or write sales1's opportunity"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.assertEqual(self.visible(self.sales2), {self.opp2})
        with as_user(self.sales2):
            self.assertEqual(Opportunity.search([
                        ('description', '=', "North deal")]), [])
            with self.assertRaises(AccessError):
                Opportunity.read([self.opp1.id], ['description'])
            with self.assertRaises(AccessError):
                Opportunity.write(
                    [Opportunity(self.opp1.id)], {'comment': "mine now"})

    @with_company
    def test_team_scope(self):
        "A member sees the opportunities of the team's members"
        self.assertEqual(self.visible(self.sales1), {self.opp1})
        self.assertEqual(self.visible(self.sales3), {self.opp1})

    @with_company
    def test_own_scope(self):
        "With scope own, a salesperson sees only their opportunities"
        self.assertEqual(self.visible(self.sales3), {self.opp1})
        self.set_scope('own')
        self.assertEqual(self.visible(self.sales3), set())
        self.assertEqual(self.visible(self.sales1), {self.opp1})

    @with_company
    def test_all_scope(self):
        "With scope all, a salesperson sees every opportunity"
        self.set_scope('all')
        self.assertEqual(
            self.visible(self.sales2),
            {self.opp1, self.opp2, self.unassigned})

    @with_company
    def test_manager_sees_all(self):
        "The manager sees every opportunity of the company"
        self.set_scope('own')
        self.assertEqual(
            self.visible(self.manager),
            {self.opp1, self.opp2, self.unassigned})

    @with_company
    def test_membership_change_takes_effect(self):
        "Joining a team shows its opportunities at once"
        pool = Pool()
        Team = pool.get('crm.sales.team')
        _, _, e2, _ = self.employees
        self.assertEqual(self.visible(self.sales2), {self.opp2})
        Team.write([self.north], {'members': [('add', [e2.id])]})
        self.assertEqual(self.visible(self.sales2), {self.opp1, self.opp2})

    @with_company
    def test_team_opportunity_without_employee(self):
        "The team's unassigned leads are visible to its members"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Opportunity.write([self.unassigned], {'crm_team': self.south.id})
        self.assertEqual(
            self.visible(self.sales2), {self.opp2, self.unassigned})
        self.assertEqual(self.visible(self.sales1), {self.opp1})

    @with_company
    def test_other_company(self):
        "Scope all does not cross companies"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        self.set_scope('all')
        other = create_company(name="Other Company")
        # Within the class's company: its context is set again
        with set_company(other), Transaction().set_context(company=other.id):
            foreign, = Opportunity.create([{
                        'description': "Foreign deal",
                        'start_date': datetime.date.today(),
                        }])
        self.assertNotIn(foreign, self.visible(self.sales2))
        self.assertNotIn(foreign, self.visible(self.manager))
