# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Each demo role sees its own short menu and opens on its own home.

The roles are the demo's (tools/demo.py, with the groups the later modules'
demos add), on a database with every suite module. Measured on 2026-12-02
before issue 17 (entries in the CRM tree / in the whole menu): manager 91 /
137 with "Article Categories", "Service", "Territories", "Competitors",
"Partners", "Configuration" and "Reports" twice; sales1 36 / 61 with
"Recompute Customer Value Segments"; agent 48 / 73 with the leads, targets,
proposals and competitors; analyst 33 / 50 without the service reports.
After: manager 89 / 135, sales1 34 / 59, agent 21 / 46, analyst 31 / 48,
none with a repeated name.
"""
import pathlib
import unittest
from collections import Counter

from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction, check_access

from tools.demo import EXTRA_GROUPS, USERS

ADDONS = pathlib.Path(__file__).resolve().parent.parent / 'addons'
MODULES = sorted(p.parent.name for p in ADDONS.glob('*/tryton.cfg'))
# The groups the suite modules' demos add to the roles
DEMO_GROUPS = {
    'manager': ['crm_knowledge.group_crm_knowledge_editor'],
    'analyst': ['crm_bi.group_crm_bi_designer'],
    }
# role: (most entries, entries seen, entries not seen)
MENUS = {
    'manager': (100, [
            'CRM / Reports / Revenue Forecast',
            'CRM / Reports / SLA Compliance',
            'CRM / Reports / Customer Value Segments / '
            'Recompute Customer Value Segments',
            'CRM / Configuration / Service Settings / SLA Policies',
            ], [
            'CRM / Service / Reports',
            'CRM / Reporting',
            ]),
    'sales1': (40, [
            'CRM / Leads and Opportunities',
            'CRM / Targets',
            'CRM / Proposals',
            'CRM / Competitive Intelligence / Competitors',
            'CRM / Reports / Pipeline by Stage',
            ], [
            'CRM / Reports / Customer Value Segments / '
            'Recompute Customer Value Segments',
            'CRM / Configuration',
            'CRM / Service / Cases',
            ]),
    'agent': (35, [
            'CRM / Service / Cases',
            'CRM / Knowledge / Articles',
            'CRM / Activities',
            'CRM / Customers',
            ], [
            'CRM / Leads and Opportunities',
            'Sales / Leads and Opportunities',
            'CRM / Targets',
            'CRM / Proposals',
            'CRM / Competitive Intelligence',
            'CRM / Reports',
            ]),
    'analyst': (55, [
            'CRM / Reports / KPI Goals',
            'CRM / Reports / SLA Compliance',
            'CRM / Reports / CSAT by Agent',
            'CRM / Reports / CSAT by Month',
            'CRM / Reports / Queries',
            ], [
            'Financial / Processing',
            'CRM / Reports / Customer Value Segments / '
            'Recompute Customer Value Segments',
            'CRM / Service',
            'CRM / Proposals',
            ]),
    }
# The number columns that are settings, not figures to chart
SETTINGS = {
    'id', 'sequence', 'version', 'weight', 'partner_capacity', 'threshold',
    'row_limit', 'timeout'}
# role: the boxes of their home, in order
HOMES = {
    'manager': [
        'crm_knowledge.act_home_team_pipeline', 'crm_bi.act_home_forecast',
        'crm_knowledge.act_home_team_targets',
        'crm_knowledge.act_home_activities'],
    'sales1': [
        'crm_knowledge.act_home_pipeline', 'crm_knowledge.act_home_activities',
        'crm_knowledge.act_home_targets', 'crm_knowledge.act_home_articles'],
    'agent': [
        'crm_knowledge.act_home_queue', 'crm_knowledge.act_home_cases',
        'crm_knowledge.act_home_articles'],
    'analyst': ['crm_bi.act_home_goals', 'crm_bi.act_home_forecast'],
    }


class MenusByRoleTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(MODULES)

    def user(self, login):
        "A user created as the demo creates the role"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        _, crm_groups, groups = USERS[login]
        user, = User.create([{
                    'login': f'{login}_role', 'name': login,
                    'groups': [('add', [
                                ModelData.get_id(g) for g in crm_groups
                                + groups + EXTRA_GROUPS.get(login, [])])],
                    }])
        User.write([user], {'groups': [('add', [
                            ModelData.get_id(g)
                            for g in DEMO_GROUPS.get(login, [])])]})
        return user

    def menu(self, user):
        "The complete names of the menu entries the user sees"
        Menu = Pool().get('ir.ui.menu')
        with Transaction().set_user(user.id), check_access():
            return [m.complete_name for m in Menu.search([])]

    @with_transaction()
    def test_menus_by_role(self):
        "Each role's CRM menu is short, without repeated names nor others'"
        for login, (most, seen, unseen) in MENUS.items():
            with self.subTest(role=login):
                menu = self.menu(self.user(login))
                crm = [m for m in menu if m.startswith('CRM / ')]
                self.assertLessEqual(len(crm), most, crm)
                names = Counter(m.rsplit(' / ', 1)[-1] for m in crm)
                self.assertEqual(
                    [n for n, c in names.items() if c > 1], [], crm)
                for path in seen:
                    self.assertIn(path, menu)
                for path in unseen:
                    self.assertFalse(
                        [m for m in menu if m.startswith(path)], path)

    @with_transaction()
    def test_one_reports_folder(self):
        "Every report of the suite is in CRM > Reports"
        manager = self.user('manager')
        folders = [m for m in self.menu(manager)
            if m.startswith('CRM / ')
            and m.rsplit(' / ', 1)[-1] in {'Reports', 'Reporting'}]
        self.assertEqual(folders, ['CRM / Reports'])

    @with_transaction()
    def test_salesperson_cannot_recompute_segments(self):
        "The recompute wizard refuses a salesperson, not a manager"
        pool = Pool()
        Recompute = pool.get('crm.party.value.recompute', type='wizard')
        sales1, manager = self.user('sales1'), self.user('manager')
        with Transaction().set_user(sales1.id), check_access():
            with self.assertRaises(UserError):
                Recompute.create()
        with Transaction().set_user(manager.id), check_access():
            self.assertTrue(Recompute.create()[0])

    @with_transaction()
    def test_home_by_role(self):
        "Each role gets its home and opens it at login"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        dashboard = ModelData.get_id('dashboard', 'act_dashboard')
        ActWindow = pool.get('ir.action.act_window')
        for login, boxes in HOMES.items():
            with self.subTest(role=login):
                user = self.user(login)
                self.assertEqual(
                    [a.act_window.id for a in user.dashboard_actions],
                    [ModelData.get_id(b) for b in boxes])
                self.assertEqual(
                    [a.id for a in user.actions],
                    [ActWindow(dashboard).action.id])
                with Transaction().set_user(user.id):
                    for box in user.dashboard_actions:
                        Model = pool.get(box.act_window.res_model)
                        with check_access():
                            Model.search([], limit=1)

    @with_transaction()
    def test_home_leaves_out_boxes_of_other_groups(self):
        "An analyst without the BI groups gets the boxes they may open"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'login': 'reader', 'name': "Reader",
                    'groups': [('add', [
                                ModelData.get_id(
                                    'crm_sales.group_crm_analyst')])],
                    }])
        self.assertEqual(
            [a.act_window.id for a in user.dashboard_actions],
            [ModelData.get_id('crm_bi.act_home_forecast')])

    @with_transaction()
    def test_lists_with_numbers_have_graphs(self):
        "Every CRM list that shows numbers has its graph a click away"
        Menu = Pool().get('ir.ui.menu')
        without = {}
        for menu in Menu.search([]):
            window = menu.action
            if (menu.complete_name.startswith('CRM / ')
                    and not menu.complete_name.startswith(
                        'CRM / Configuration / ')
                    and getattr(window, '__name__', None)
                    == 'ir.action.act_window'):
                numbers = self.numbers_without_graph(window)
                if numbers:
                    without[menu.complete_name] = numbers
        self.assertEqual(without, {})

    @staticmethod
    def numbers_without_graph(window):
        "The number columns of the window's list when it has no graph"
        views = dict((t, v) for v, t in reversed(window.views)) or {
            'tree': None}
        if 'graph' in views or 'tree' not in views:
            return []
        Model = Pool().get(window.res_model)
        fields = Model.fields_view_get(views['tree'], 'tree')['fields']
        return sorted(n for n, f in fields.items()
            if f['type'] in {'integer', 'float', 'numeric'}
            and n not in SETTINGS)
