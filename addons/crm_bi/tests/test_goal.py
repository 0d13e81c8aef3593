# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"KPI goals measured by cron, their status and ROI, and pilot groups"
import datetime as dt
import unittest

from dateutil.relativedelta import relativedelta

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.crm_sales.tests.tools import as_user, with_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .goal_tools import (
    create_bi_staff, create_goal, frozen_clock, noon, pipeline_metric)
from .tools import create_pipeline, pipeline_records


def measure_by_cron():
    Cron = Pool().get('ir.cron')
    Cron.run_once(Cron.search([('method', '=', 'crm.bi.goal|measure_goals')]))


class GoalTestCase(unittest.TestCase):
    "Test the KPI goals"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    @classmethod
    def setup_class_company(cls, company):
        create_pipeline(company)

    def snapshots(self, goal):
        Snapshot = Pool().get('crm.bi.goal.snapshot')
        return Snapshot.search(
            [('goal', '=', goal.id)], order=[('date', 'ASC'), ('id', 'ASC')])

    @with_company
    def test_measured_by_cron(self):
        "The cron takes one snapshot a day of each metric with its status"
        pool = Pool()
        Date = pool.get('ir.date')
        Goal = pool.get('crm.bi.goal')
        company = self.company
        today = Date.today()
        goal = create_goal(company, today)
        with frozen_clock(noon(today)) as clock:
            measure_by_cron()
            measure_by_cron()
            self.assertEqual(
                [(s.metric.name, s.value, s.target, s.status)
                    for s in self.snapshots(goal)],
                [("Expected", 7000, 6000, 'on_track'),
                    ("Opportunities", 3, 5, 'off_track'),
                    ("Weighted", 4600, 5000, 'at_risk')])
            clock.now += dt.timedelta(days=1)
            measure_by_cron()
        self.assertEqual(len(self.snapshots(goal)), 6)
        goal = Goal(goal.id)
        self.assertEqual(goal.status, 'off_track')
        self.assertEqual(
            [m.status for m in goal.metrics],
            ['on_track', 'off_track', 'at_risk'])
        self.assertEqual(
            goal.metrics[0].last_date, today + dt.timedelta(days=1))
        self.assertEqual(goal.roi, 150.0)

    @with_company
    def test_not_measured_before_baseline(self):
        "A goal whose baseline is to come is not measured"
        pool = Pool()
        Date = pool.get('ir.date')
        company = self.company
        today = Date.today()
        goal = create_goal(company, today)
        with frozen_clock(noon(goal.baseline_date - dt.timedelta(1))):
            measure_by_cron()
        self.assertEqual(self.snapshots(goal), [])

    @with_transaction()
    def test_interpolated_targets(self):
        "Targets are interpolated between the dates and kept after 24 months"
        pool = Pool()
        Metric = pool.get('crm.bi.goal.metric')
        Goal = pool.get('crm.bi.goal')
        goal = Goal(baseline_date=dt.date(2025, 1, 1), at_risk_margin=10)
        metric = Metric(goal=goal, baseline=0, target_6=60,
            target_12=120, target_24=240, direction='increase')
        self.assertEqual(metric.target_on(dt.date(2024, 12, 1)), 0)
        self.assertEqual(metric.target_on(dt.date(2025, 7, 1)), 60)
        self.assertEqual(metric.target_on(dt.date(2026, 1, 1)), 120)
        self.assertAlmostEqual(
            metric.target_on(dt.date(2026, 7, 2)), 180, delta=0.5)
        self.assertEqual(metric.target_on(dt.date(2030, 1, 1)), 240)
        # Lower is better: above the target is short of it
        metric.direction = 'decrease'
        self.assertEqual(metric.status_on(59, dt.date(2025, 7, 1)), 'on_track')
        self.assertEqual(metric.status_on(65, dt.date(2025, 7, 1)), 'at_risk')
        self.assertEqual(
            metric.status_on(70, dt.date(2025, 7, 1)), 'off_track')

    @with_company
    def test_pilot_team(self):
        "A pilot team's figures beside the rest of the company"
        pool = Pool()
        Date = pool.get('ir.date')
        Team = pool.get('crm.sales.team')
        company = self.company
        north, = Team.search([('name', '=', "North")])
        today = Date.today()
        goal = create_goal(
            company, today, pilot_type='team', pilot_team=north.id)
        with frozen_clock(noon(today)):
            measure_by_cron()
        self.assertEqual(
            [(s.value, s.pilot_value, s.rest_value, s.difference)
                for s in self.snapshots(goal)],
            [(7000, 3000, 4000, -1000), (3, 2, 1, 1),
                (4600, 1400, 3200, -1800)])

    @with_company
    def test_pilot_users(self):
        "A pilot list of users sums their salespersons' figures"
        pool = Pool()
        Date = pool.get('ir.date')
        company = self.company
        users, _ = pipeline_records()
        today = Date.today()
        goal = create_goal(
            company, today, pilot_type='users',
            pilot_users=[('add', [users['south'].id])])
        with frozen_clock(noon(today)):
            measure_by_cron()
        self.assertEqual(
            [(s.pilot_value, s.rest_value)
                for s in self.snapshots(goal)],
            [(4000, 3000), (1, 2), (3200, 1400)])

    @with_company
    def test_query_metric(self):
        "A metric may be the one number of a saved query"
        pool = Pool()
        Date = pool.get('ir.date')
        Query = pool.get('crm.bi.query')
        company = self.company
        query, = Query.create([{
                    'name': "Languages",
                    'sql': "SELECT COUNT(id) FROM ir_lang "
                    "WHERE code IN ('en', 'fr')",
                    }])
        today = Date.today()
        goal = create_goal(company, today)
        metric = goal.metrics[1]
        metric.source = 'query'
        metric.query = query
        metric.save()
        with frozen_clock(noon(today)):
            measure_by_cron()
        self.assertEqual(self.snapshots(goal)[1].value, 2)

    @with_company
    def test_bad_input(self):
        "Two metrics, a bad domain or a pilot a metric ignores are refused"
        pool = Pool()
        Date = pool.get('ir.date')
        Goal = pool.get('crm.bi.goal')
        Metric = pool.get('crm.bi.goal.metric')
        Query = pool.get('crm.bi.query')
        company = self.company
        users, _ = pipeline_records()
        today = Date.today()
        with self.assertRaisesRegex(ValidationError, 'exactly three'):
            Goal.create([{
                        'name': "Two", 'company': company.id,
                        'baseline_date': today,
                        'metrics': [('create', [
                                    pipeline_metric(
                                        "A", 'amount', 0, (1, 2, 3)),
                                    pipeline_metric(
                                        "B", 'number', 0, (1, 2, 3)),
                                    ])],
                        }])
        goal = create_goal(company, today)
        with self.assertRaisesRegex(ValidationError, 'domain'):
            Metric.write([goal.metrics[0]], {
                    'report_domain': '[["no_such_field", "=", 1]]'})
        with self.assertRaisesRegex(ValidationError, 'domain'):
            Metric.write([goal.metrics[0]], {'report_domain': '{'})
        with self.assertRaisesRegex(ValidationError, 'at least one'):
            Goal.write([goal], {'pilot_type': 'users'})
        query, = Query.create([{'name': "Q", 'sql': "SELECT 1"}])
        Metric.write([goal.metrics[0]], {
                'source': 'query', 'query': query.id})
        with self.assertRaisesRegex(ValidationError, 'pilot'):
            Goal.write([goal], {
                    'pilot_type': 'users',
                    'pilot_users': [('add', [users['north'].id])]})

    @with_company
    def test_access(self):
        "A BI analyst reads goals; a designer or a sales manager writes them"
        pool = Pool()
        Date = pool.get('ir.date')
        Goal = pool.get('crm.bi.goal')
        Snapshot = pool.get('crm.bi.goal.snapshot')
        company = self.company
        staff = create_bi_staff(company)
        today = Date.today()
        with as_user(staff['designer']):
            goal = create_goal(company, today)
            Goal.write([goal], {'cost': 10})
        with as_user(staff['manager']):
            Goal.write([goal], {'benefit': 20})
        with frozen_clock(noon(today)):
            measure_by_cron()
        with as_user(staff['bi_analyst']):
            goal, = Goal.search([])
            self.assertEqual(len(goal.metrics), 3)
            self.assertEqual(len(Snapshot.search([])), 3)
            with self.assertRaises(AccessError):
                Goal.write([goal], {'name': "Mine"})
            with self.assertRaises(AccessError):
                create_goal(company, today)
            with self.assertRaises(AccessError):
                Snapshot.delete(Snapshot.search([]))

    @with_company
    def test_analyst_reads_query_metric(self):
        "A BI analyst reads a goal's query metric shared with the analysts"
        pool = Pool()
        Date = pool.get('ir.date')
        Metric = pool.get('crm.bi.goal.metric')
        Query = pool.get('crm.bi.query')
        ModelData = pool.get('ir.model.data')
        company = self.company
        staff = create_bi_staff(company)
        query, = Query.create([{
                    'name': "Q", 'sql': "SELECT 1",
                    'owner': staff['designer'].id,
                    'groups': [('add', [ModelData.get_id(
                                    'crm_bi', 'group_crm_bi_analyst')])],
                    }])
        goal = create_goal(company, Date.today())
        Metric.write([goal.metrics[0]], {
                'source': 'query', 'query': query.id})
        with as_user(staff['bi_analyst']):
            metric, = Metric.read(
                [goal.metrics[0].id], ['name', 'query.rec_name'])
            self.assertEqual(metric['query.']['rec_name'], "Q")

    @with_company
    def test_baseline_in_future_targets(self):
        "Before its baseline a metric's target is its baseline"
        pool = Pool()
        Date = pool.get('ir.date')
        company = self.company
        today = Date.today()
        goal = create_goal(company, today)
        metric = goal.metrics[0]
        self.assertEqual(
            metric.target_on(goal.baseline_date - relativedelta(days=1)),
            5000)
