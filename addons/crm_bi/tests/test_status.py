# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The system status measured by cron, read-only, watched by alerts"
import datetime as dt
import os
import socket
import unittest
from unittest import mock

import trytond
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_sales.tests.tools import as_user
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .. import alert as alert_module
from .goal_tools import create_bi_staff, frozen_clock, noon
from .tools import create_pipeline

TASK = {
    'model': 'party.party', 'method': 'search', 'instances': [],
    'args': [[]], 'kwargs': {},
    }


def beat_by_cron():
    Cron = Pool().get('ir.cron')
    Cron.run_once(Cron.search([('method', '=', 'crm.bi.heartbeat|beat')]))


def probes():
    "The probe tasks the queue workers have not run"
    Queue = Pool().get('ir.queue')
    return [t for t in Queue.search([('finished_at', '=', None)])
        if t.data['method'] == 'answer_probe']


def refresh_by_cron():
    Cron = Pool().get('ir.cron')
    Cron.run_once(Cron.search([('method', '=', 'crm.bi.status|refresh')]))


class StatusTestCase(unittest.TestCase):
    "Test the system status"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    def figures(self, category):
        Status = Pool().get('crm.bi.status')
        return {s.name: s for s in Status.search([
                    ('category', '=', category)])}

    @with_transaction()
    def test_refresh(self):
        "The cron measures the database, jobs, queue, versions and reports"
        pool = Pool()
        Date = pool.get('ir.date')
        Queue = pool.get('ir.queue')
        Page = pool.get('crm.competitor.page')
        company = create_company()
        with set_company(company):
            create_pipeline(company)
            Queue.push('default', TASK)
            now = noon(Date.today())
            with frozen_clock(now):
                refresh_by_cron()
                refresh_by_cron()
            self.assertGreater(self.figures('database')['size'].value, 0)
            self.assertEqual(self.figures('rows')['sale.opportunity'].value, 7)
            self.assertIn('crm.bi.goal.snapshot', self.figures('rows'))
            crons = self.figures('cron')
            self.assertEqual(crons['crm.bi.status|refresh'].value, 0)
            self.assertEqual(self.figures('queue')['backlog'].value, 1)
            versions = self.figures('version')
            self.assertEqual(versions['trytond'].detail, trytond.__version__)
            self.assertIn('crm_bi', versions)
            self.assertIn('crm.bi.pipeline', self.figures('report'))
            self.assertEqual(self.figures('monitor')['fetch errors'].value, 0)
            self.assertEqual(
                {s.measured_at for s in Pool().get('crm.bi.status').search(
                            [])}, {now})
            self.assertTrue(Page)

    @with_transaction()
    def test_alert_on_status(self):
        "An alert watches the queue backlog"
        pool = Pool()
        Date = pool.get('ir.date')
        Queue = pool.get('ir.queue')
        Alert = pool.get('crm.bi.alert')
        Status = pool.get('crm.bi.status')
        company = create_company()
        with set_company(company):
            staff = create_bi_staff(company)
            alert, = Alert.create([{
                        'name': "Backlog", 'company': company.id,
                        'source': 'report', 'report_model': 'crm.bi.status',
                        'aggregate': 'sum', 'report_field': 'value',
                        'report_domain':
                        '[["category", "=", "queue"], '
                        '["name", "=", "backlog"]]',
                        'operator': '>=', 'threshold': 2,
                        'users': [('add', [staff['designer'].id])],
                        }])
            for _ in range(2):
                Queue.push('default', TASK)
            with frozen_clock(noon(Date.today())), \
                    mock.patch.object(
                        alert_module, 'send_message_transactional'):
                Status.refresh()
                Alert.evaluate([alert])
            evaluation, = alert.evaluations
            self.assertEqual(
                (evaluation.value, evaluation.state), (2, 'fired'))

    @with_transaction()
    def test_read_only(self):
        "A BI analyst reads the status and changes nothing of it"
        pool = Pool()
        Status = pool.get('crm.bi.status')
        company = create_company()
        with set_company(company):
            staff = create_bi_staff(company)
            Status.refresh()
            with as_user(staff['bi_analyst']):
                statuses = Status.search([])
                self.assertTrue(statuses)
                with self.assertRaises(AccessError):
                    Status.write(statuses[:1], {'name': "x"})
                with self.assertRaises(AccessError):
                    Status.delete(statuses)

    @with_transaction()
    def test_heartbeats(self):
        "Cron and workers beat; one stopped for 15 minutes is a problem"
        pool = Pool()
        Date = pool.get('ir.date')
        Alert = pool.get('crm.bi.alert')
        Status = pool.get('crm.bi.status')
        company = create_company()
        with set_company(company):
            staff = create_bi_staff(company)
            alert, = Alert.create([{
                        'name': "Stale", 'company': company.id,
                        'source': 'report', 'report_model': 'crm.bi.status',
                        'aggregate': 'count',
                        'report_domain': '[["problem", "=", true]]',
                        'operator': '>', 'threshold': 0,
                        'users': [('add', [staff['designer'].id])],
                        }])
            with frozen_clock(noon(Date.today())) as clock, \
                    mock.patch.object(
                        alert_module, 'send_message_transactional'):
                beat_by_cron()
                # The probe waits for a worker: no second one
                beat_by_cron()
                probe, = probes()
                Status.refresh()
                heartbeats = self.figures('heartbeat')
                self.assertEqual(
                    [(h.value, h.problem) for h in (
                            heartbeats['cron'], heartbeats['worker'])],
                    [(0, False), (None, False)])

                # Neither cron nor a worker for 20 minutes
                clock.now += dt.timedelta(minutes=20)
                Status.refresh()
                heartbeats = self.figures('heartbeat')
                self.assertEqual(
                    [(h.value, h.problem) for h in (
                            heartbeats['cron'], heartbeats['worker'])],
                    [(1200, True), (None, True)])
                Alert.evaluate([alert])
                self.assertEqual(
                    [(e.value, e.state) for e in alert.evaluations],
                    [(2, 'fired')])

                # A worker answers the probe, the cron beats again
                probe.run()
                clock.now += dt.timedelta(minutes=1)
                beat_by_cron()
                Status.refresh()
                heartbeats = self.figures('heartbeat')
                self.assertEqual(
                    [(h.value, h.problem) for h in (
                            heartbeats['cron'], heartbeats['worker'])],
                    [(0, False), (60, False)])
                self.assertEqual(
                    heartbeats['worker'].detail,
                    '%s:%d' % (socket.gethostname(), os.getpid()))
                self.assertEqual(len(probes()), 1)
                self.assertIsNotNone(
                    self.figures('queue')['last finished task'].last_run)
                Alert.evaluate([alert])
                self.assertEqual(alert.evaluations[0].state, 'cleared')
