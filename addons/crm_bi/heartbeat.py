# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The heartbeats of the processes that work without a user: the cron beats
on its own schedule and sends a probe task that a queue worker answers.
trytond keeps no heartbeat of its processes; a probe is answered by whichever
worker is free, on any machine, so the beat tells that the workers as a whole
are alive, not each of them (a pool's children come and go)."""
import datetime
import os
import socket

from trytond.model import ModelSQL, fields
from trytond.pool import PoolMeta

from . import measure as measure_module

PROCESSES = [
    ('cron', "Cron"),
    ('worker', "Queue Workers"),
    ]
# Three beats of the cron job (every 5 minutes) may be missed
STALE_AFTER = datetime.timedelta(minutes=15)


def process_name():
    "The host and process id of the running process"
    return '%s:%d' % (socket.gethostname(), os.getpid())


class Heartbeat(ModelSQL):
    "The last beat of a kind of process"
    __name__ = 'crm.bi.heartbeat'
    __string__ = "Process Heartbeat"

    process = fields.Selection(PROCESSES, "Process", required=True,
        readonly=True)
    beat_at = fields.DateTime("Last Beat", readonly=True)
    host = fields.Char(
        "Host", readonly=True, help="The host and process id that beat.")
    probed_at = fields.DateTime(
        "Probed at", readonly=True,
        help="When the cron sent the probe task that the queue workers "
        "have not answered yet.")

    @classmethod
    def _get(cls, process):
        heartbeats = cls.search([('process', '=', process)], limit=1)
        if heartbeats:
            return heartbeats[0]
        heartbeat, = cls.create([{'process': process}])
        return heartbeat

    @classmethod
    def beat(cls):
        """Record the beat of the cron and send a probe to the queue
        workers unless the last one is still waiting"""
        now = measure_module.now()
        cron, worker = cls._get('cron'), cls._get('worker')
        cron.beat_at, cron.host = now, process_name()
        if worker.waiting is None:
            worker.probed_at = now
            cls.__queue__.answer_probe([worker])
        cls.save([cron, worker])

    @classmethod
    def answer_probe(cls, heartbeats):
        "Record the beat of the queue worker that runs the probe task"
        cls.write(heartbeats, {
                'beat_at': measure_module.now(),
                'host': process_name(),
                'probed_at': None,
                })

    @property
    def waiting(self):
        "The time the probe sent to the workers has waited, None if answered"
        # Cleared by the answer, not compared with it: the clocks of the
        # cron's and the worker's machines may differ
        if self.probed_at:
            return measure_module.now() - self.probed_at

    def stale(self):
        """Whether the process looks dead: the cron has not beaten for
        STALE_AFTER, the workers have left a probe waiting that long"""
        if self.process == 'cron':
            return (not self.beat_at
                or measure_module.now() - self.beat_at > STALE_AFTER)
        waiting = self.waiting
        return waiting is not None and waiting > STALE_AFTER

    @classmethod
    def status_rows(cls):
        "The rows of the system status: age of the last beat, stale or not"
        now = measure_module.now()
        rows = []
        for process, _ in PROCESSES:
            heartbeat = cls._get(process)
            age = ((now - heartbeat.beat_at).total_seconds()
                if heartbeat.beat_at else None)
            rows.append({
                    'category': 'heartbeat',
                    'name': process,
                    'value': age,
                    'unit': 'seconds',
                    'detail': heartbeat.host,
                    'last_run': heartbeat.beat_at,
                    'problem': heartbeat.stale(),
                    })
        return rows


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.bi.heartbeat|beat', "Heartbeat of Cron and Queue Workers"))
