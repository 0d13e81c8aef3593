# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Threshold alerts evaluated by cron: fired once, re-armed once cleared"
import datetime as dt
import unittest
from decimal import Decimal
from unittest import mock

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.crm_sales.tests.tools import as_user, with_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

from .. import alert as alert_module
from .goal_tools import create_bi_staff, create_goal, frozen_clock, noon
from .tools import create_pipeline, reading_uncommitted


def evaluate_by_cron():
    Cron = Pool().get('ir.cron')
    Cron.run_once(Cron.search([('method', '=', 'crm.bi.alert|evaluate_due')]))


class AlertTestCase(unittest.TestCase):
    "Test the threshold alerts"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    @classmethod
    def setup_class_company(cls, company):
        "A goal on the crafted pipeline and staff"
        pool = Pool()
        Date = pool.get('ir.date')
        User = pool.get('res.user')
        users, _ = create_pipeline(company)
        staff = create_bi_staff(company)
        User.write([staff['bi_analyst']], {'email': 'bi@example.com'})
        goal = create_goal(company, Date.today())
        expected, number, weighted = goal.metrics
        return {
            'users': users, 'staff': staff, 'goal': goal,
            'expected': expected, 'number': number, 'weighted': weighted,
            }

    def setup_company(self):
        "The mails sent"
        Date = Pool().get('ir.date')
        self.today = Date.today()
        patcher = mock.patch.object(
            alert_module, 'send_message_transactional')
        self.sent = patcher.start()
        self.addCleanup(patcher.stop)

    def create_alert(self, **values):
        Alert = Pool().get('crm.bi.alert')
        values.setdefault('metric', self.expected.id)
        values.setdefault('users', [('add', [self.staff['bi_analyst'].id])])
        values.setdefault('name', "Pipeline")
        alert, = Alert.create([dict(company=self.company.id, **values)])
        return alert

    def states(self, alert):
        Evaluation = Pool().get('crm.bi.alert.evaluation')
        return [e.state for e in Evaluation.search(
                [('alert', '=', alert.id)],
                order=[('evaluated_at', 'ASC'), ('id', 'ASC')])]

    def notifications(self):
        Notification = Pool().get('res.notification')
        return Notification.search([
                ('user', '=', self.staff['bi_analyst'].id)])

    @with_company
    def test_fires_once_and_rearms(self):
        "An alert fires once while met, clears, and fires again"
        Alert = Pool().get('crm.bi.alert')
        alert = self.create_alert(threshold=6500, interval='daily')
        with frozen_clock(noon(self.today)) as clock:
            evaluate_by_cron()
            self.assertEqual(self.states(alert), ['fired'])
            # Not due an hour later
            clock.now += dt.timedelta(hours=1)
            evaluate_by_cron()
            self.assertEqual(self.states(alert), ['fired'])
            clock.now += dt.timedelta(days=1)
            evaluate_by_cron()
            self.assertEqual(self.states(alert), ['fired', 'persisting'])
            self.assertEqual(len(self.notifications()), 1)
            self.assertEqual(self.sent.call_count, 1)

            Alert.write([alert], {'threshold': 8000})
            clock.now += dt.timedelta(days=1)
            evaluate_by_cron()
            self.assertFalse(Alert(alert.id).triggered)
            Alert.write([alert], {'threshold': 6500})
            clock.now += dt.timedelta(days=1)
            evaluate_by_cron()
        self.assertEqual(
            self.states(alert),
            ['fired', 'persisting', 'cleared', 'fired'])
        self.assertEqual(len(self.notifications()), 2)
        self.assertEqual(self.sent.call_count, 2)

    @with_company
    def test_change_since_last_evaluation(self):
        "A change in percent on the previous evaluation"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        alert = self.create_alert(
            metric=self.number.id, condition='change_evaluation',
            operator='>=', threshold=30, interval='hourly')
        with frozen_clock(noon(self.today)) as clock:
            evaluate_by_cron()
            opportunity, = Opportunity.search([('state', '=', 'lead')])
            Opportunity.copy([opportunity])
            clock.now += dt.timedelta(hours=1)
            evaluate_by_cron()
        evaluation = alert.evaluations[0]
        self.assertEqual(self.states(alert), ['ok', 'fired'])
        self.assertEqual(
            (evaluation.value, evaluation.reference), (4, 3))
        self.assertEqual(evaluation.change, 33.3)

    @with_company
    def test_other_metric_and_groups(self):
        "Compared with another metric; a group's users are notified"
        pool = Pool()
        Group = pool.get('res.group')
        group, = Group.create([{
                    'name': "Watchers",
                    'users': [('add', [self.staff['bi_analyst'].id])],
                    }])
        alert = self.create_alert(
            condition='other_metric', other_metric=self.weighted.id,
            users=[], groups=[('add', [group.id])])
        with frozen_clock(noon(self.today)):
            evaluate_by_cron()
        evaluation, = alert.evaluations
        self.assertEqual(
            (evaluation.value, evaluation.reference, evaluation.state),
            (7000, 4600, 'fired'))
        self.assertEqual(len(self.notifications()), 1)

    @with_company
    def test_email_escaped(self):
        "The e-mail's HTML escapes what users typed"
        alert = self.create_alert(
            name='<script>alert("x")</script> & co', threshold=0)
        with frozen_clock(noon(self.today)):
            evaluate_by_cron()
        (message,), _ = self.sent.call_args
        self.assertEqual(message['To'], 'bi@example.com')
        self.assertIn('<script>', message['Subject'])
        html = message.get_body(('html',)).get_content()
        self.assertNotIn('<script>', html)
        self.assertIn('&lt;script&gt;', html)
        self.assertIn('&amp; co', html)
        plain = message.get_body(('plain',)).get_content()
        self.assertIn('7000.00', plain)
        self.assertIn('crm.bi.alert/%s' % alert.id, html)

    @with_company
    def test_report_measure_with_change_period(self):
        "A report measure against its previous period"
        pool = Pool()
        Alert = pool.get('crm.bi.alert')
        Opportunity = pool.get('sale.opportunity')
        with self.assertRaisesRegex(ValidationError, 'period'):
            self.create_alert(
                source='report', metric=None,
                report_model='crm.bi.funnel', aggregate='sum',
                report_field='leads', condition='change_period',
                threshold=0)
        # The opportunities started in the last month against the month
        # before: the crafted ones started 90 days ago
        alert = self.create_alert(
            source='report', metric=None, report_model='crm.bi.funnel',
            aggregate='sum', report_field='leads', period='month',
            condition='change_period', operator='>', threshold=50)
        opportunity, = Opportunity.search([('state', '=', 'lead')])
        for days in [40, 1, 0]:
            Opportunity.copy([opportunity], {
                    'start_date': self.today - dt.timedelta(days=days),
                    'amount': Decimal(10)})
        with frozen_clock(noon(self.today)):
            Alert.evaluate([alert])
        evaluation, = alert.evaluations
        self.assertEqual(
            (evaluation.value, evaluation.reference, evaluation.change,
                evaluation.state),
            (2, 1, 100, 'fired'))

    @with_company
    def test_access(self):
        "A BI analyst reads alerts and their history but writes none"
        pool = Pool()
        Alert = pool.get('crm.bi.alert')
        Evaluation = pool.get('crm.bi.alert.evaluation')
        with as_user(self.staff['designer']):
            alert = self.create_alert(threshold=0)
        with frozen_clock(noon(self.today)):
            evaluate_by_cron()
        with as_user(self.staff['bi_analyst']):
            self.assertEqual(Alert.search([]), [alert])
            self.assertEqual(len(Evaluation.search([])), 1)
            with self.assertRaises(AccessError):
                Alert.write([alert], {'threshold': 1})
            with self.assertRaises(AccessError):
                self.create_alert(threshold=0)

    def create_stage_query(self):
        "A query of the number of opportunities of a stage above an id"
        Query = Pool().get('crm.bi.query')
        query, = Query.create([{
                    'name': "Stage",
                    'sql': "SELECT COUNT(id) FROM sale_opportunity "
                    "WHERE state = :stage AND id > :above",
                    'parameters': [('create', [{
                                    'name': 'stage', 'type': 'char',
                                    }, {
                                    'name': 'above', 'type': 'integer',
                                    'default': '0',
                                    }])],
                    }])
        return query

    @with_company
    def test_query_parameters(self):
        "An alert on a parameterised query runs it with its values"
        query = self.create_stage_query()
        opportunities = self.create_alert(
            name="Opportunities", metric=None, source='query',
            query=query.id, query_parameters='{"stage": "opportunity"}',
            threshold=1.5)
        leads = self.create_alert(
            name="Leads", metric=None, source='query', query=query.id,
            query_parameters='{"stage": "lead", "above": 0}',
            threshold=1.5)
        with frozen_clock(noon(self.today)), reading_uncommitted():
            evaluate_by_cron()
        evaluation, = opportunities.evaluations
        self.assertEqual(
            (evaluation.value, evaluation.state), (2, 'fired'))
        evaluation, = leads.evaluations
        self.assertEqual((evaluation.value, evaluation.state), (1, 'ok'))

    @with_company
    def test_query_parameters_refused(self):
        "Missing, unknown, badly typed or malformed values are refused"
        query = self.create_stage_query()
        for values, message in [
                (None, 'must give a value to the parameters stage'),
                ('{"above": 3}', 'parameters stage'),
                ('{"stage": ""}', 'parameters stage'),
                ('{"stage": "lead", "owner": 1}',
                    'gives the parameters owner'),
                ('{"stage": "lead", "above": "many"}',
                    'is not a valid Integer'),
                ('["lead"]', 'must be a JSON object'),
                ('{"stage": ["lead"]}', 'must be a JSON object'),
                ('lead', 'must be a JSON object'),
                ]:
            with self.subTest(values=values):
                with self.assertRaises(ValidationError) as context:
                    self.create_alert(
                        metric=None, source='query', query=query.id,
                        query_parameters=values, threshold=1)
                self.assertIn(message, context.exception.message)
