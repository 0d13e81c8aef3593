# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Goals on the crafted pipeline and a frozen clock for goals and alerts"
import datetime as dt
from contextlib import contextmanager
from unittest import mock

from dateutil.relativedelta import relativedelta

from trytond.modules.crm_sales.tests.tools import create_staff
from trytond.pool import Pool

from .. import measure
from .tools import PASSWORD

DESIGNER = ['crm_bi.group_crm_bi_designer']
BI_ANALYST = ['crm_bi.group_crm_bi_analyst']


class FrozenClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@contextmanager
def frozen_clock(now):
    """Freeze the clock of the goals and alerts at now; move it by setting
    the now attribute of the yielded clock"""
    clock = FrozenClock(now)
    with mock.patch.object(measure, 'now', clock):
        yield clock


def create_bi_staff(company):
    "Return a BI designer, a BI analyst and a sales manager by login"
    return create_staff(company, {
            'designer': ("Designer", DESIGNER),
            'bi_analyst': ("BI Analyst", BI_ANALYST),
            'manager': ("Manager", ['crm_sales.group_crm_sales_manager']),
            }, PASSWORD)


def pipeline_metric(name, field, baseline, targets, **values):
    "The values of a metric summing a field of the open pipeline"
    target_6, target_12, target_24 = targets
    return dict(
        name=name, source='report', report_model='crm.bi.pipeline',
        aggregate='sum', report_field=field, baseline=baseline,
        target_6=target_6, target_12=target_12, target_24=target_24,
        **values)


def create_goal(company, today, **values):
    """Create a goal whose baseline was six months before today, so that
    today's targets are the six months' ones; on the crafted pipeline
    (7,000 expected, 3 opportunities, 4,600 weighted) the first metric is
    on track, the second off track and the third at risk"""
    Goal = Pool().get('crm.bi.goal')
    goal, = Goal.create([dict(
                name="Grow the pipeline", company=company.id,
                baseline_date=today - relativedelta(months=6),
                cost=1000, benefit=2500,
                metrics=[('create', [
                            pipeline_metric(
                                "Expected", 'amount', 5000,
                                (6000, 8000, 10000)),
                            pipeline_metric(
                                "Opportunities", 'number', 2, (5, 6, 8)),
                            pipeline_metric(
                                "Weighted", 'weighted_amount', 4000,
                                (5000, 6000, 7000)),
                            ])],
                **values)])
    return goal


def noon(date):
    return dt.datetime.combine(date, dt.time(12))
