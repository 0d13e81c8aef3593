# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of the analyst's goals and alerts

A saved one-number query (the revenue won), a KPI goal with three metrics
(open pipeline, won revenue of the year, service backlog) compared for
the North team as a pilot group against the rest of the company, measured
each month since its baseline three months ago, a second goal on the query,
alerts on a goal metric, a report measure, a query with a parameter (the
leads waiting), the queue backlog and the stopped processes of the system
status, evaluated once; the analyst designs BI (queries, goals and alerts)
besides reading the reports.
"""
from dateutil.relativedelta import relativedelta

from trytond.transaction import Transaction

MODULE = 'crm_bi'
WON_QUERY = (
    "SELECT SUM(amount) FROM sale_opportunity "
    "WHERE state IN ('converted', 'won')")
STAGE_QUERY = (
    "SELECT COUNT(id) FROM sale_opportunity WHERE state = :stage")


def metric(name, report_model, field, baseline, growth, **values):
    "A report metric whose targets grow by growth at 6, 12 and 24 months"
    values.setdefault('source', 'report')
    return dict(
        name=name, report_model=report_model, aggregate='sum',
        report_field=field, baseline=baseline,
        target_6=baseline * (1 + growth),
        target_12=baseline * (1 + 2 * growth),
        target_24=baseline * (1 + 4 * growth), **values)


def populate(pool, rng, today):
    User = pool.get('res.user')
    Group = pool.get('res.group')
    ModelData = pool.get('ir.model.data')
    Company = pool.get('company.company')
    Team = pool.get('crm.sales.team')
    Query = pool.get('crm.bi.query')
    Goal = pool.get('crm.bi.goal')
    Metric = pool.get('crm.bi.goal.metric')
    Snapshot = pool.get('crm.bi.goal.snapshot')
    Alert = pool.get('crm.bi.alert')
    Status = pool.get('crm.bi.status')
    Heartbeat = pool.get('crm.bi.heartbeat')
    company = Company(Transaction().context['company'])

    analyst, manager = (User.search([('login', '=', login)])[0]
        for login in ['analyst', 'manager'])
    designer = Group(ModelData.get_id('crm_bi', 'group_crm_bi_designer'))
    User.write([analyst], {'groups': [('add', [designer.id])]})

    shared = [('add', [ModelData.get_id('crm_bi', 'group_crm_bi_analyst')])]
    query, stage_query = Query.create([{
                'name': "Revenue won", 'sql': WON_QUERY,
                'owner': analyst.id, 'groups': shared,
                }, {
                'name': "Opportunities of a stage", 'sql': STAGE_QUERY,
                'owner': analyst.id, 'groups': shared,
                'parameters': [('create', [{
                                'name': 'stage', 'string': "Stage",
                                'type': 'char', 'default': 'opportunity',
                                }])],
                }])
    north, = Team.search([('name', '=', "North")], limit=1)
    baseline_date = today - relativedelta(months=3)

    # The baselines are the figures measured on the baseline date
    pilot_metrics = [
        ("Open pipeline", 'crm.bi.pipeline', 'amount', None, 0.1),
        ("Won revenue (year)", 'crm.bi.funnel', 'won_amount', 'year', 0.1),
        ("Service backlog", 'crm.bi.service', 'backlog', None, -0.1),
        ]
    other_metrics = [
        ("Leads (quarter)", 'crm.bi.funnel', 'leads', 'quarter', 0.2),
        ("Opportunities", 'crm.bi.pipeline', 'number', None, 0.1),
        ]

    def baseline(report_model, field, period):
        probe = Metric(source='report', report_model=report_model,
            aggregate='sum', report_field=field, report_domain=None,
            period=period)
        return probe.measure(company, baseline_date) or 1.0

    def metrics(definitions):
        return [metric(name, model, field, baseline(model, field, period),
                growth, period=period,
                direction='decrease' if growth < 0 else 'increase')
            for name, model, field, period, growth in definitions]
    won = query.number() or 1.0
    goal, query_goal = Goal.create([{
                'name': "Grow the pipeline with a faster service",
                'company': company.id,
                'baseline_date': baseline_date,
                'cost': 12000, 'benefit': 30000,
                'pilot_type': 'team', 'pilot_team': north.id,
                'description': "The North team pilots the new playbooks "
                "before the roll-out to every team.",
                'metrics': [('create', metrics(pilot_metrics))],
                }, {
                'name': "More leads, more wins",
                'company': company.id,
                'baseline_date': baseline_date,
                'cost': 5000, 'benefit': 4000,
                'metrics': [('create', [
                            dict(name="Revenue won (query)", source='query',
                                query=query.id, baseline=won * 0.9,
                                target_6=won, target_12=won * 1.2,
                                target_24=won * 1.5),
                            ] + metrics(other_metrics))],
                }])
    # A snapshot a month since the baseline, today's by the cron's method
    Snapshot.create([m.snapshot(baseline_date + relativedelta(months=i))
            for i in range(3) for g in [goal, query_goal]
            for m in g.metrics])
    Goal.measure_goals([goal, query_goal])

    # The cron's first beat, as trytond-cron would
    Heartbeat.beat()
    Status.refresh()
    recipients = [('add', [analyst.id, manager.id])]
    alerts = Alert.create([{
                'name': "Open pipeline below its 6-month target",
                'company': company.id,
                'source': 'metric', 'metric': goal.metrics[0].id,
                'condition': 'value', 'operator': '<',
                'threshold': goal.metrics[0].target_6,
                'interval': 'daily', 'users': recipients,
                }, {
                'name': "Leads of the month fell by a fifth",
                'company': company.id,
                'source': 'report', 'report_model': 'crm.bi.funnel',
                'aggregate': 'sum', 'report_field': 'leads',
                'period': 'month',
                'condition': 'change_period', 'operator': '<=',
                'threshold': -20,
                'interval': 'daily', 'users': recipients,
                }, {
                'name': "Queue backlog",
                'company': company.id,
                'source': 'report', 'report_model': 'crm.bi.status',
                'aggregate': 'sum', 'report_field': 'value',
                'report_domain':
                '[["category", "=", "queue"], ["name", "=", "backlog"]]',
                'condition': 'value', 'operator': '>', 'threshold': 0,
                'interval': 'hourly', 'users': [('add', [analyst.id])],
                }, {
                'name': "Leads waiting",
                'company': company.id,
                'source': 'query', 'query': stage_query.id,
                'query_parameters': '{"stage": "lead"}',
                'condition': 'value', 'operator': '>', 'threshold': 5,
                'interval': 'daily', 'users': recipients,
                }, {
                'name': "Cron or queue workers stopped",
                'company': company.id,
                'source': 'report', 'report_model': 'crm.bi.status',
                'aggregate': 'count',
                'report_domain': '[["category", "=", "heartbeat"], '
                '["problem", "=", true]]',
                'condition': 'value', 'operator': '>', 'threshold': 0,
                'interval': 'hourly', 'users': [('add', [analyst.id])],
                }])
    Alert.evaluate(alerts)
