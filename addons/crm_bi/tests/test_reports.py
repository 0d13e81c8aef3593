# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The figures of the report catalogue on crafted data"
import datetime as dt
import unittest
import json
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessError
from trytond.modules.crm_bi.common import META_COLUMNS
from trytond.modules.crm_sales.tests.tools import (
    as_user, create_staff, with_company)
from trytond.modules.currency.tests import add_currency_rate, create_currency
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module
from trytond.transaction import Transaction

from .tools import (
    create_cases, create_pipeline, next_month, pipeline_records)


REPORTS = [
    'crm.bi.pipeline', 'crm.bi.forecast', 'crm.bi.funnel',
    'crm.bi.performance', 'crm.bi.service']


def rows(Report, fields, **context):
    "Return the rows of the report for the context as tuples of fields"
    with Transaction().set_context(**context):
        records = Report.search([])
        return sorted(
            tuple(getattr(r, f) for f in fields) for r in records)


class QueryRan(Exception):
    "A report's query ran"


def money(*values):
    return tuple(Decimal(v).quantize(Decimal('0.01')) for v in values)


def monthly_target(company, employee, today):
    "Return a target of 1,000 confirmed this month for the employee"
    Target = Pool().get('crm.target')
    target, = Target.create([{
                'employee': employee.id,
                'company': company.id,
                'period_type': 'month',
                'start_date': today,
                'basis': 'confirmed',
                'target_amount': Decimal(1000),
                }])
    return target


class ReportsTestCase(unittest.TestCase):
    "Test the report catalogue"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    @classmethod
    def setup_class_company(cls, company):
        create_pipeline(company)

    def _north_won(self):
        "Return North's salesperson and won opportunity"
        Opportunity = Pool().get('sale.opportunity')
        users, _ = pipeline_records()
        north = users['north'].employee
        won, = Opportunity.search([
                ('employee', '=', north.id), ('state', '=', 'won')])
        return north, won

    def _amounts(self, records, *names):
        return [money(*(getattr(r, n) for n in names)) for r in records]

    @with_company
    def test_pipeline(self):
        "The pipeline sums the open revenue and weighs it by probability"
        pool = Pool()
        Pipeline = pool.get('crm.bi.pipeline')
        company = self.company
        with Transaction().set_context(company=company.id):
            records = Pipeline.search([], order=[('state', 'ASC')])
        self.assertEqual(
            [(r.state, r.number) for r in records],
            [('lead', 1), ('opportunity', 2)])
        self.assertEqual(
            self._amounts(records, 'amount', 'weighted_amount'),
            [money(1000, 200), money(6000, 1200 + 3200)])

    @with_company
    def test_graph_names_currency(self):
        "A report's graph names its amounts with the company's currency"
        Pipeline = Pool().get('crm.bi.pipeline')
        code = self.company.currency.code
        graph = Pipeline.fields_view_get(view_type='graph')['fields']
        named = {n for n, f in graph.items()
            if f['string'].endswith(f" ({code})")}
        self.assertEqual(named, {'amount', 'weighted_amount'})

    @with_company
    def test_pipeline_filters(self):
        "The pipeline follows the team, salesperson and campaign filters"
        pool = Pool()
        Pipeline = pool.get('crm.bi.pipeline')
        Team = pool.get('crm.sales.team')
        company = self.company
        users, campaign = pipeline_records()
        south, = Team.search([('name', '=', "South")])
        self.assertEqual(
            rows(Pipeline, ['state', 'number'],
                company=company.id, team=south.id),
            [('opportunity', 1)])
        self.assertEqual(
            rows(Pipeline, ['state', 'number'], company=company.id,
                salesperson=users['north'].employee.id),
            [('lead', 1), ('opportunity', 1)])
        self.assertEqual(
            rows(Pipeline, ['state', 'number'],
                company=company.id, campaign=campaign.id),
            [('lead', 1)])

    @with_company
    def test_forecast_calibration(self):
        "The calibrated forecast weighs each band by its past win rate"
        pool = Pool()
        Date = pool.get('ir.date')
        Forecast = pool.get('crm.bi.forecast')
        company = self.company
        today = Date.today()
        with Transaction().set_context(company=company.id):
            records = Forecast.search([], order=[('month', 'ASC')])
        self.assertEqual(
            [(r.month, r.number) for r in records],
            [(next_month(today), 2), (next_month(today, 2), 1)])
        # Band under 25%: 500 won of 2,000 closed; 50-75%: 3,000 of
        # 4,000; above 75% no history: the probability itself
        self.assertEqual(
            self._amounts(records,
                'amount', 'weighted_amount', 'calibrated_amount'),
            [money(3000, 200 + 1200, 1000 * 0.25 + 2000 * 0.75),
                money(4000, 3200, 3200)])

    @with_company
    def test_forecast_history_window(self):
        "Closings before the history window do not calibrate"
        pool = Pool()
        Date = pool.get('ir.date')
        Forecast = pool.get('crm.bi.forecast')
        company = self.company
        today = Date.today()
        # One month back: the closings at 10% only, the band of 60%
        # falls back on the probability
        with Transaction().set_context(company=company.id,
                from_date=today, history_months=1):
            record = Forecast.search([], order=[('month', 'ASC')])[0]
        self.assertEqual(
            money(record.calibrated_amount),
            money(1000 * 0.25 + 2000 * 0.6))

    @with_company
    def test_funnel(self):
        "The funnel counts leads, qualified, won and lost by campaign"
        pool = Pool()
        Funnel = pool.get('crm.bi.funnel')
        company = self.company
        _, campaign = pipeline_records()
        with Transaction().set_context(company=company.id):
            records = Funnel.search([])
        by_campaign = {r.campaign: r for r in records}
        spring, other = by_campaign[campaign], by_campaign[None]
        self.assertEqual(
            (spring.leads, spring.qualified, spring.won, spring.lost),
            (2, 1, 1, 0))
        self.assertEqual(money(spring.won_amount), money(3000))
        self.assertEqual(spring.win_rate, 100.0)
        self.assertEqual(
            (other.leads, other.qualified, other.won, other.lost),
            (5, 5, 1, 2))
        self.assertEqual(
            money(other.won_amount, other.lost_amount),
            money(500, 2500))
        self.assertEqual(other.win_rate, 33.3)

    @with_company
    def test_performance(self):
        "Performance shows the target beside the confirmed sales achieved"
        pool = Pool()
        Date = pool.get('ir.date')
        Performance = pool.get('crm.bi.performance')
        from trytond.modules.crm_sales.tests.test_target import (
            create_confirmed_sale)
        company = self.company
        today = Date.today()
        north, won = self._north_won()
        create_confirmed_sale(won, today, 400)
        target = monthly_target(company, north, today)
        with Transaction().set_context(company=company.id):
            record, = Performance.search([])
        self.assertEqual(record.target, target)
        self.assertEqual(
            money(record.target_amount, record.achieved_amount),
            money(1000, 400))
        self.assertEqual(record.achieved_count, 1)
        self.assertEqual(record.achievement, 40.0)
        with Transaction().set_context(company=company.id,
                to_date=today.replace(day=1) - dt.timedelta(days=1)):
            self.assertEqual(Performance.search([]), [])

    @with_company
    def test_performance_currency(self):
        "Performance converts a sale in another currency at its date"
        pool = Pool()
        Date = pool.get('ir.date')
        Performance = pool.get('crm.bi.performance')
        Sale = pool.get('sale.sale')
        from trytond.modules.crm_sales.tests.test_target import (
            create_confirmed_sale)
        company = self.company
        eur = create_currency('eur')
        add_currency_rate(eur, 2)
        today = Date.today()
        north, won = self._north_won()
        create_confirmed_sale(won, today, 400)
        sale = create_confirmed_sale(won, today, 600)
        table = Sale.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.currency], [eur.id], where=table.id == sale.id))
        monthly_target(company, north, today)
        with Transaction().set_context(company=company.id):
            record, = Performance.search([])
        # 600 EUR at 2 EUR per USD are 300 USD
        self.assertEqual(
            money(record.achieved_amount), money(400 + 300))
        self.assertEqual(record.achieved_count, 2)
        self.assertEqual(record.achievement, 70.0)

    @with_company
    def test_service(self):
        "Service shows volume, response and resolution times, SLA, backlog"
        pool = Pool()
        Service = pool.get('crm.bi.service')
        Team = pool.get('crm.sales.team')
        company = self.company
        team, = Team.search([('name', '=', "North")])
        create_cases(company, team)
        with Transaction().set_context(company=company.id):
            record, = Service.search([])
        self.assertEqual(
            (record.cases, record.responded, record.resolved,
                record.sla_met, record.sla_breached, record.backlog),
            (3, 2, 2, 1, 1, 1))
        self.assertAlmostEqual(record.first_response_hours, 3.0)
        self.assertAlmostEqual(record.resolution_hours, 20.0)
        self.assertEqual(record.sla_compliance, 50.0)
        self.assertEqual(record.team, team)
        self.assertEqual(
            rows(Service, ['cases'], company=company.id,
                channel='email'), [])


class ReportAccessTestCase(unittest.TestCase):
    "Reports from the attacker's side"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_bi'])

    @classmethod
    def setup_class_company(cls, company):
        create_pipeline(company)

    @with_company
    def test_salesperson_reads_own_team(self):
        "A salesperson reads the figures of the team's opportunities only"
        pool = Pool()
        Pipeline = pool.get('crm.bi.pipeline')
        Funnel = pool.get('crm.bi.funnel')
        Team = pool.get('crm.sales.team')
        company = self.company
        users, _ = pipeline_records()
        north, = Team.search([('name', '=', "North")])
        with as_user(users['south']):
            self.assertEqual(
                rows(Pipeline, ['state', 'number', 'amount'],
                    company=company.id),
                [('opportunity', 1, Decimal(4000))])
            # Asking for the other team's figures gives nothing
            self.assertEqual(
                rows(Pipeline, ['state'],
                    company=company.id, team=north.id),
                [])
            self.assertEqual(
                sum(r for r, in rows(Funnel, ['leads'],
                        company=company.id)),
                3)
        with as_user(users['analyst']):
            self.assertEqual(
                rows(Pipeline, ['state', 'number'], company=company.id),
                [('lead', 1), ('opportunity', 2)])

    @with_company
    def test_bi_analyst_reads_as_analyst(self):
        "A CRM BI Analyst reads the reports of the company, writes nothing"
        pool = Pool()
        Pipeline = pool.get('crm.bi.pipeline')
        Service = pool.get('crm.bi.service')
        Opportunity = pool.get('sale.opportunity')
        company = self.company
        user, = create_staff(company, {
                'bi': ("BI", ['crm_bi.group_crm_bi_analyst']),
                }, 'A-long-enough-password-1').values()
        with as_user(user):
            self.assertEqual(
                rows(Pipeline, ['state', 'number'], company=company.id),
                [('lead', 1), ('opportunity', 2)])
            self.assertEqual(
                rows(Service, ['cases'], company=company.id), [])
            opportunity = Opportunity.search([])[0]
            with self.assertRaises(AccessError):
                Opportunity.write([opportunity], {'description': "X"})

    @with_company
    def test_salesperson_no_service_report(self):
        "A salesperson may not read the service report"
        pool = Pool()
        Service = pool.get('crm.bi.service')
        users, _ = pipeline_records()
        with as_user(users['south']):
            with self.assertRaises(AccessError):
                Service.search([])

    @with_company
    def test_show_sql_reruns(self):
        "The SQL shown runs as it is and gives the rows of the report"
        pool = Pool()
        Pipeline = pool.get('crm.bi.pipeline')
        ShowSQL = pool.get('crm.bi.show_sql', type='wizard')
        company = self.company
        users, _ = pipeline_records()
        with as_user(users['south'], access_check=False,
                company=company.id, active_model='crm.bi.pipeline'):
            session_id, _, _ = ShowSQL.create()
            show = ShowSQL(session_id)
            values = show.default_start(None)
        sql, params = values['sql'], json.loads(values['parameters'])
        self.assertIn('SELECT', sql)
        cursor = Transaction().connection.cursor()
        cursor.execute(sql, params)
        shown = sorted((r[2], r[3]) for r in cursor)
        self.assertEqual(shown, [('opportunity', 1)])
        with as_user(users['south'], company=company.id):
            self.assertEqual(
                rows(Pipeline, ['state', 'number']), shown)
        cursor.execute(values['sql_with_values'])
        self.assertEqual(
            sorted((r[2], r[3]) for r in cursor), shown)

    @with_company
    def test_show_sql_every_report(self):
        "The SQL of every report, with its values, gives its rows"
        pool = Pool()
        Date = pool.get('ir.date')
        Team = pool.get('crm.sales.team')
        ShowSQL = pool.get('crm.bi.show_sql', type='wizard')
        company = self.company
        users, campaign = pipeline_records()
        north, = Team.search([('name', '=', "North")])
        create_cases(company, north)
        today = Date.today()
        pool.get('crm.target').create([{
                    'team': north.id,
                    'company': company.id,
                    'period_type': 'month',
                    'start_date': today,
                    'target_amount': Decimal(1000),
                    }])
        cursor = Transaction().connection.cursor()
        for name in REPORTS:
            for context in [{}, {
                        'from_date': today - dt.timedelta(days=365),
                        'to_date': today + dt.timedelta(days=365),
                        'team': north.id, 'history_months': 24}]:
                with self.subTest(report=name, context=context):
                    Report = pool.get(name)
                    with as_user(users['analyst'], access_check=False,
                            company=company.id, active_model=name,
                            **context):
                        session_id, _, _ = ShowSQL.create()
                        values = ShowSQL(session_id).default_start(None)
                    with as_user(users['analyst'],
                            company=company.id, **context):
                        expected = sorted(
                            r.id for r in Report.search([]))
                    self.assertTrue(expected)
                    cursor.execute(values['sql_with_values'])
                    self.assertEqual(
                        sorted(r[0] for r in cursor), expected)

    @with_company
    def test_read_of_searched_rows(self):
        """The rows of a report read after its search are what its query
        gives, read without running the query again, and only by the user
        who searched them"""
        pool = Pool()
        Team = pool.get('crm.sales.team')
        company = self.company
        users, _ = pipeline_records()
        north, = Team.search([('name', '=', "North")])
        create_cases(company, north)
        pool.get('crm.target').create([{
                    'team': north.id,
                    'company': company.id,
                    'period_type': 'month',
                    'start_date': pool.get('ir.date').today(),
                    'target_amount': Decimal(1000),
                    }])
        for name in REPORTS:
            with self.subTest(report=name):
                Report = pool.get(name)
                names = [n for n in Report._fields if n not in META_COLUMNS]
                names += [f'{n}.rec_name' for n in names
                    if Report._fields[n]._type == 'many2one'] + [
                    f'{n}:string' for n in names
                    if Report._fields[n]._type == 'selection']
                with as_user(users['analyst'], company=company.id):
                    ids = [r.id for r in Report.search([])]
                    self.assertTrue(ids)
                    with patch.object(Report, 'table_query',
                            side_effect=QueryRan):
                        served = Report.read(ids, names)
                    Report._searched.clear()
                    queried = Report.read(ids, names)
                key = lambda row: row['id']
                self.assertEqual(
                    sorted(served, key=key), sorted(queried, key=key))
                with as_user(users['analyst'], company=company.id):
                    Report.search([])
                with as_user(users['south'], company=company.id), \
                        patch.object(Report, 'table_query',
                            side_effect=QueryRan):
                    # Another user's read is refused or runs the query
                    # under that user's rules
                    with self.assertRaises((AccessError, QueryRan)):
                        Report.read(ids, names)

    @with_company
    def test_show_sql_only_reports(self):
        "The SQL of a model that is not a report is refused"
        pool = Pool()
        ShowSQL = pool.get('crm.bi.show_sql', type='wizard')
        with Transaction().set_context(active_model='res.user'):
            session_id, _, _ = ShowSQL.create()
            with self.assertRaises(AccessError):
                ShowSQL(session_id).default_start(None)
