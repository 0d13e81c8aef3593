# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The personal home: the dashboard boxes of each user and their default"
import datetime
import unittest

from lxml import etree

from trytond.modules.company.tests import create_employee
from trytond.modules.crm_knowledge.home import HOME_ACTIONS
from trytond.modules.crm_knowledge.tests.test_article import (
    EDITOR, create_article)
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_user, with_company)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

SALESPERSON = ['crm_sales.group_crm_salesperson']
AGENT = ['crm_service.group_crm_service_agent']
MANAGER = ['crm_sales.group_crm_sales_manager']
# The leads and opportunities of sale_opportunity
OPPORTUNITY = ['sale_opportunity.group_opportunity']


def box(name):
    "The act_window of a home box as sao reads it"
    pool = Pool()
    Action = pool.get('ir.action')
    ModelData = pool.get('ir.model.data')
    action, = Action.get_action_values(
        'ir.action.act_window', [ModelData.get_id('crm_knowledge', name)],
        ['usage'])
    return action


def box_domain(name):
    """The domain of the box's tab evaluated as sao's dashboard does: with
    the user's preferences as context, itself as "context" and "_user\""""
    User = Pool().get('res.user')
    context = User.get_preferences(context_only=True)
    context['_user'] = Transaction().user
    context['context'] = context
    (_, domain, _), = box(name)['domains']
    return PYSONDecoder(context).decode(domain)


class HomeTestCase(unittest.TestCase):
    "Test the personal home"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_knowledge'])

    @classmethod
    def setup_class_company(cls, company):
        "Two colleagues, salespersons and service agents: mine and theirs"
        employees = [
            create_employee(company, name) for name in ["Me", "Them"]]
        return {
            'employees': employees,
            'users': [
                create_user(
                    login, company, employee,
                    SALESPERSON + AGENT + OPPORTUNITY)
                for login, employee in zip(['me', 'them'], employees)],
            }

    def search_box(self, name, user, access_check=True):
        "The records of the box for the user: ids in the box's order"
        pool = Pool()
        action = box(name)
        Model = pool.get(action['res_model'])
        with as_user(user, access_check=access_check):
            domain = box_domain(name)
            order = PYSONDecoder().decode(action['pyson_order'])
            return [r.id for r in Model.search(domain, order=order)]

    def assert_own(self, name, rows):
        "Each user's box shows their rows, even without the record rules"
        for user, expected in zip(self.users, rows):
            for access_check in [True, False]:
                with self.subTest(user=user.login, check=access_check):
                    self.assertEqual(
                        self.search_box(name, user, access_check),
                        [r.id for r in expected])

    @with_company
    def test_activities(self):
        "My planned activities due today or overdue, oldest first"
        pool = Pool()
        Activity = pool.get('crm.activity')
        now = datetime.datetime.now().replace(microsecond=0)
        today = now.replace(hour=0, minute=0, second=0)

        def activity(employee, planned_date, **values):
            activity, = Activity.create([{
                        'company': self.company.id,
                        'employee': employee.id,
                        'subject': "Call back",
                        'planned_date': planned_date,
                        **values}])
            return activity
        me, them = self.employees
        overdue = activity(me, now - datetime.timedelta(days=3))
        due_today = activity(me, today + datetime.timedelta(hours=23))
        activity(me, today + datetime.timedelta(days=1, hours=1))
        done = activity(me, now - datetime.timedelta(days=1))
        Activity.do([done])
        activity(me, now - datetime.timedelta(days=2),
            state='cancelled')
        theirs = activity(them, now - datetime.timedelta(days=1))

        self.assert_own('act_home_activities', [
                [overdue, due_today], [theirs]])

    @with_company
    def test_cases(self):
        "My open cases at risk or breached, not resolved or on track"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Customer"}])
        me, them = self.employees

        def case(agent, status, state='in_progress'):
            case, = Case.create([{
                        'subject': "Printer jams", 'party': party.id,
                        'agent': agent.id}])
            # The SLA clock sets the status: set it as it would
            Case.write([case], {'sla_status': status, 'state': state})
            return case
        at_risk = case(me, 'at_risk')
        breached = case(me, 'breached', 'waiting')
        case(me, 'on_track')
        case(me, 'breached', 'resolved')
        case(me, 'at_risk', 'closed')
        theirs = case(them, 'breached')

        self.assert_own('act_home_cases', [
                sorted([at_risk, breached], key=lambda c: (
                        c.resolution_deadline or datetime.datetime.max,
                        c.id)),
                [theirs]])

    @with_company
    def test_changes(self):
        "The unseen changes of the pages I follow, not of the others"
        pool = Pool()
        Party = pool.get('party.party')
        Competitor = pool.get('crm.competitor')
        Page = pool.get('crm.competitor.page')
        Snapshot = pool.get('crm.competitor.snapshot')
        Change = pool.get('crm.competitor.change')
        me, them = self.users
        party, = Party.create([{'name': "Acme"}])
        competitor, = Competitor.create([{'party': party.id}])
        mine, theirs, both = Page.create([{
                    'name': name, 'competitor': competitor.id,
                    'url': 'https://www.example.com/%s' % name,
                    'subscribers': [('add', [u.id for u in users])],
                    } for name, users in [
                    ('mine', []), ('theirs', [them]), ('both', [them])]])
        # A salesperson follows the pages they may not edit
        with as_user(me):
            Page.subscribe(Page.browse([mine, both]))
            self.assertEqual(
                [p.subscribed for p in Page.browse([mine, theirs])],
                [True, False])
        now = datetime.datetime.now()

        def change(page):
            snapshot, = Snapshot.create([{
                        'page': page.id, 'fetched_at': now}])
            change, = Change.create([{
                        'page': page.id, 'competitor': competitor.id,
                        'snapshot': snapshot.id, 'detected_at': now}])
            return change
        mine_change, seen = change(mine), change(mine)
        theirs_change = change(theirs)
        both_change = change(both)
        with as_user(me):
            Change.mark_seen(Change.browse([seen]))

        rows = [
            [mine_change, both_change], [theirs_change, both_change]]
        for user, expected in zip(self.users, rows):
            with self.subTest(user=user.login):
                self.assertEqual(
                    sorted(self.search_box('act_home_changes', user)),
                    sorted(c.id for c in expected))

    @with_company
    def test_articles(self):
        "The recent articles of the categories I follow and below them"
        pool = Pool()
        Category = pool.get('crm.knowledge.category')
        Article = pool.get('crm.knowledge.article')
        me, them = self.users
        hardware, = Category.create([{'name': "Hardware"}])
        printers, billing = Category.create([
                {'name': "Printers", 'parent': hardware.id},
                {'name': "Billing"}])
        with as_user(me):
            Category.follow(Category.browse([hardware]))
            self.assertEqual(
                [c.followed for c in Category.browse(
                        [hardware, printers])], [True, False])
        with as_user(them):
            Category.follow(Category.browse([billing]))
            self.assertFalse(Category(hardware.id).followed)

        new = create_article("Clear a jam", category=printers.id)
        old = create_article("Old printer", category=printers.id)
        Article.write([old], {
                'published_at': datetime.datetime.now()
                - datetime.timedelta(days=15)})
        create_article("Draft laptop", category=hardware.id, publish=False)
        invoice = create_article("Read an invoice", category=billing.id)
        create_article("No category")

        self.assert_own('act_home_articles', [[new], [invoice]])
        with as_user(me):
            self.assertEqual(
                [a.news for a in Article.browse([new, old, invoice])],
                [True, False, False])
            self.assertNotIn(new.id, [a.id for a in Article.search(
                        [('news', '=', False)])])

            # An unfollowed category's articles leave the home
            Category.unfollow(Category.browse([hardware]))
        self.assertEqual(self.search_box('act_home_articles', me), [])

    @with_company
    def test_pipeline(self):
        "My open leads and opportunities, the largest first"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Customer"}])
        me, them = self.employees

        def opportunity(employee, amount, state='opportunity'):
            opportunity, = Opportunity.create([{
                        'company': self.company.id, 'party': party.id,
                        'employee': employee.id, 'amount': amount,
                        'description': "Printers"}])
            Opportunity.write([opportunity], {'state': state})
            return opportunity
        small = opportunity(me, 100, 'lead')
        large = opportunity(me, 5000)
        opportunity(me, 9000, 'won')
        opportunity(me, 7000, 'lost')
        theirs = opportunity(them, 300)

        self.assert_own('act_home_pipeline', [[large, small], [theirs]])

    @with_company
    def test_queue(self):
        "My open cases, the first deadline first, whatever their SLA"
        pool = Pool()
        Case = pool.get('crm.service.case')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Customer"}])
        me, them = self.employees

        def case(agent, state='in_progress'):
            case, = Case.create([{
                        'subject': "Printer jams", 'party': party.id,
                        'agent': agent.id}])
            Case.write([case], {'state': state})
            return case
        open_ = [case(me), case(me, 'waiting')]
        case(me, 'resolved')
        theirs = case(them)

        self.assert_own('act_home_queue', [
                sorted(open_, key=lambda c: (
                        c.resolution_deadline or datetime.datetime.max,
                        c.id)),
                [theirs]])

    @with_company
    def test_default_home(self):
        "A new user gets the home of their role, opened at login"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        View = pool.get('ir.ui.view')

        def ids(*names):
            return [ModelData.get_id('crm_knowledge', n) for n in names]

        def home(user):
            return [a.act_window.id for a in User(user.id).dashboard_actions]
        sales_home = ids('act_home_pipeline', 'act_home_activities',
            'act_home_targets', 'act_home_articles')
        agent_home = ids('act_home_queue', 'act_home_cases',
            'act_home_articles')
        dashboard = ActWindow(
            ModelData.get_id('dashboard', 'act_dashboard')).action
        # A salesperson who is also an agent opens on the sales home
        me, _ = self.users
        self.assertEqual(home(me), sales_home)
        self.assertEqual(list(me.actions), [dashboard])

        salesperson = create_user(
            'salesperson', self.company,
            create_employee(self.company, "Sales"), SALESPERSON)
        manager = create_user(
            'manager', self.company,
            create_employee(self.company, "Boss"), MANAGER)
        editor = create_user(
            'editor', self.company, create_employee(self.company, "Ed"),
            EDITOR)
        nobody = create_user(
            'nobody', self.company, create_employee(self.company, "No"), [])
        self.assertEqual(home(salesperson), sales_home)
        self.assertEqual(home(manager), ids(
                'act_home_team_pipeline', 'act_home_team_targets',
                'act_home_activities'))
        self.assertEqual(home(editor), ids('act_home_articles'))
        self.assertEqual(nobody.dashboard_actions, ())
        self.assertEqual(nobody.actions, ())

        # Users created at once, as an import does
        for user in User.create([{
                        'login': 'import%s' % i, 'name': 'Import',
                        'groups': [('add', [ModelData.get_id(g)
                                    for g in AGENT])],
                        } for i in range(3)]):
            self.assertEqual(home(user), agent_home)
            self.assertEqual(list(user.actions), [dashboard])

        # A user given CRM groups later gets the home then
        User.write([nobody], {'groups': [('add', [
                            ModelData.get_id(g) for g in AGENT])]})
        self.assertEqual(home(nobody), agent_home)

        # A user's own arrangement is never replaced
        articles, = ids('act_home_articles')
        User.write([salesperson], {'dashboard_actions': [
                    ('delete', [a.id for a in salesperson.dashboard_actions
                            if a.act_window.id != articles])]})
        User.write([salesperson], {'groups': [('add', [
                            ModelData.get_id(g) for g in AGENT])]})
        self.assertEqual(home(salesperson), [articles])

        # The dashboard shows the user's boxes
        view_id = ModelData.get_id('dashboard', 'view_dashboard')
        with as_user(me):
            arch, = View.read([view_id], ['arch'])
        self.assertEqual(
            [int(a.get('name')) for a in etree.fromstring(
                    arch['arch']).iter('action')], sales_home)

    @with_company
    def test_boxes_are_dashboard_actions(self):
        "Each box is an act_window of usage dashboard with its own list"
        for name in HOME_ACTIONS:
            with self.subTest(box=name):
                action = box(name)
                self.assertEqual(action['usage'], 'dashboard')
                # sao's dashboard ignores the domain of the action
                self.assertEqual(action['pyson_domain'], '[]')
                self.assertEqual(len(action['domains']), 1)
                self.assertEqual(len(action['views']), 1)
                self.assertEqual(action['views'][0][1], 'tree')
