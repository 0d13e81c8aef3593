# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The system status: figures of the database, the cron jobs, the queue,
the competitor monitor, the versions and the report times, measured by cron
into read-only rows that the users read and the alerts watch."""
import datetime
import time

from sql import Null
from sql.aggregate import Count, Max, Min
from sql.conditionals import Case

import trytond
from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from . import measure as measure_module
from .common import ReportMixin

CATEGORIES = [
    ('database', "Database"),
    ('table', "Largest Tables"),
    ('rows', "Rows"),
    ('cron', "Scheduled Actions"),
    ('queue', "Queue"),
    ('heartbeat', "Heartbeats"),
    ('monitor', "Competitor Monitor"),
    ('version', "Versions"),
    ('report', "Report Times"),
    ]
LARGEST_TABLES = 10
# The ERP's models the suite reads most, beside its own crm.* models
BASE_MODELS = [
    'party.party', 'sale.opportunity', 'sale.sale', 'sale.line',
    'account.invoice', 'account.invoice.line',
    ]
# Catalogue queries without a parameter: the database sizes
SIZE_SQL = {
    'postgresql': (
        "SELECT pg_database_size(current_database())",
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = current_schema() "
        "ORDER BY 2 DESC LIMIT %d" % LARGEST_TABLES),
    'sqlite': (
        "SELECT page_count * page_size "
        "FROM pragma_page_count(), pragma_page_size()",
        # dbstat exists when SQLite is built with SQLITE_ENABLE_DBSTAT_VTAB
        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name "
        "ORDER BY 2 DESC LIMIT %d" % LARGEST_TABLES),
    }


class Status(ModelSQL, ModelView):
    "A figure of the system's status at its last measure"
    __name__ = 'crm.bi.status'
    __string__ = "System Status"

    category = fields.Selection(CATEGORIES, "Category", readonly=True)
    name = fields.Char("Name", readonly=True)
    value = fields.Float("Value", readonly=True)
    unit = fields.Char("Unit", readonly=True)
    detail = fields.Char("Detail", readonly=True)
    last_run = fields.DateTime("Last Run", readonly=True)
    next_run = fields.DateTime("Next Run", readonly=True)
    measured_at = fields.DateTime("Measured at", readonly=True)
    problem = fields.Boolean(
        "Problem", readonly=True,
        help="A process that stopped beating or a scheduled action that "
        "failed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('category', 'ASC'), ('value', 'DESC'), ('id', 'ASC')]

    @classmethod
    def default_problem(cls):
        return False

    @classmethod
    def refresh(cls):
        "Measure the status again, in place of the last measure"
        Heartbeat = Pool().get('crm.bi.heartbeat')
        rows = []
        for collect in [
                cls.database_rows, cls.row_counts, cls.cron_rows,
                cls.queue_rows, Heartbeat.status_rows, cls.monitor_rows,
                cls.version_rows, cls.report_rows]:
            rows.extend(collect())
        now = measure_module.now()
        for row in rows:
            row['measured_at'] = now
        cls.delete(cls.search([]))
        cls.create(rows)

    @classmethod
    def database_rows(cls):
        database_sql, tables_sql = SIZE_SQL[backend.name]
        cursor = Transaction().connection.cursor()
        cursor.execute(database_sql)
        size, = cursor.fetchone()
        rows = [{'category': 'database', 'name': 'size', 'value': size,
                'unit': 'bytes'}]
        try:
            cursor.execute(tables_sql)
        except backend.DatabaseOperationalError:
            # No dbstat in this SQLite: the database size says enough
            return rows
        rows.extend({'category': 'table', 'name': name, 'value': size,
                'unit': 'bytes'} for name, size in cursor)
        return rows

    @classmethod
    def suite_models(cls):
        "Return the stored models of the suite and of the base it reads"
        pool = Pool()
        names = []
        for name, Model in pool.iterobject():
            if (issubclass(Model, ModelSQL) and not callable(
                        getattr(Model, 'table_query', None))
                    and (name.startswith('crm.') or name in BASE_MODELS)):
                names.append(name)
        return sorted(names)

    @classmethod
    def row_counts(cls):
        pool = Pool()
        cursor = Transaction().connection.cursor()
        rows = []
        for name in cls.suite_models():
            table = pool.get(name).__table__()
            cursor.execute(*table.select(Count(table.id)))
            count, = cursor.fetchone()
            rows.append({'category': 'rows', 'name': name, 'value': count})
        return rows

    @classmethod
    def cron_rows(cls):
        "The scheduled actions with their last and next run and failures"
        pool = Pool()
        Cron = pool.get('ir.cron')
        Log = pool.get('ir.cron.log')
        Error = pool.get('ir.error')
        cursor = Transaction().connection.cursor()
        log = Log.__table__()
        cursor.execute(*log.select(
                log.cron, Max(log.ended), group_by=[log.cron]))
        last_runs = dict(cursor)
        crons = Cron.search([])
        failures = {c.id: 0 for c in crons}
        for error in Error.search([
                    ('origin', 'like', 'ir.cron,%'),
                    ('state', '!=', 'solved'),
                    ]):
            failures[error.origin.id] = failures.get(error.origin.id, 0) + 1
        return [{
                'category': 'cron',
                'name': cron.method,
                'value': failures[cron.id],
                'unit': 'failures',
                'detail': 'active' if cron.active else 'inactive',
                'last_run': last_runs.get(cron.id),
                'next_run': cron.next_call,
                'problem': bool(failures[cron.id]),
                } for cron in crons]

    @classmethod
    def queue_rows(cls):
        """The tasks waiting in the queue, the age of the oldest, the tasks
        finished and the age of the last one"""
        pool = Pool()
        Queue = pool.get('ir.queue')
        queue = Queue.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*queue.select(
                Count(queue.id), Min(queue.enqueued_at),
                where=queue.dequeued_at == Null))
        backlog, oldest = cursor.fetchone()
        if isinstance(oldest, str):
            oldest = datetime.datetime.fromisoformat(oldest)
        now = measure_module.now()
        age = (now - oldest).total_seconds() if oldest else 0
        hour_ago = now - datetime.timedelta(hours=1)
        cursor.execute(*queue.select(
                Count(Case((queue.finished_at >= hour_ago, 1))),
                Max(queue.finished_at)))
        done, last = cursor.fetchone()
        if isinstance(last, str):
            last = datetime.datetime.fromisoformat(last)
        return [
            {'category': 'queue', 'name': 'backlog', 'value': backlog,
                'unit': 'tasks'},
            {'category': 'queue', 'name': 'oldest task', 'value': age,
                'unit': 'seconds'},
            {'category': 'queue', 'name': 'finished in the last hour',
                'value': done, 'unit': 'tasks'},
            {'category': 'queue', 'name': 'last finished task',
                'value': (now - last).total_seconds() if last else None,
                'unit': 'seconds', 'last_run': last},
            ]

    @classmethod
    def monitor_rows(cls):
        "The competitor pages whose last fetch failed"
        Page = Pool().get('crm.competitor.page')
        pages = Page.search([('last_error', '!=', None)])
        return [
            {'category': 'monitor', 'name': 'fetch errors',
                'value': len(pages), 'unit': 'pages'},
            {'category': 'monitor', 'name': 'flagged',
                'value': Page.search_count([('flagged', '=', True)]),
                'unit': 'pages'},
            ] + [{'category': 'monitor', 'name': p.rec_name[:100],
                'value': p.failure_streak, 'unit': 'failures',
                'detail': (p.last_error or '')[:200]} for p in pages[:20]]

    @classmethod
    def version_rows(cls):
        Module = Pool().get('ir.module')
        modules = Module.search([
                ('state', '=', 'activated'),
                ('name', 'like', 'crm_%'),
                ])
        return [{'category': 'version', 'name': 'trytond',
                'detail': trytond.__version__}] + [
            {'category': 'version', 'name': m.name, 'detail': m.version}
            for m in modules]

    @classmethod
    def report_rows(cls):
        "The time each catalogue report takes for each company"
        pool = Pool()
        Company = pool.get('company.company')
        rows = []
        for name, Report in pool.iterobject():
            if not issubclass(Report, ReportMixin):
                continue
            for company in Company.search([]):
                start = time.monotonic()
                with Transaction().set_context(company=company.id):
                    Report.search([])
                rows.append({
                        'category': 'report', 'name': name,
                        'value': (time.monotonic() - start) * 1000,
                        'unit': 'ms', 'detail': company.rec_name[:100]})
        return rows


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.bi.status|refresh', "Measure the System Status"))
