# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers shared by the SLA and escalation tests of crm_service"
import datetime as dt
from contextlib import contextmanager
from unittest import mock

from trytond.modules.crm_service import case as case_module
from trytond.modules.crm_service import sla as sla_module
from trytond.pool import Pool

H = dt.timedelta(hours=1)
# A Monday
MONDAY = dt.date(2026, 1, 12)


def at(day, hour, minute=0):
    "Return the naive UTC datetime of the day (0 = MONDAY) at the time"
    return dt.datetime.combine(
        MONDAY + dt.timedelta(days=day), dt.time(hour, minute))


class FrozenClock:
    "A clock that stays where it is put"

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@contextmanager
def frozen_clock(now):
    """Freeze the clock of the SLA and of the case workflow at now; move it
    by setting the now attribute of the yielded clock"""
    clock = FrozenClock(now)
    fake = mock.MagicMock(wraps=dt)
    fake.datetime.now.side_effect = clock
    with mock.patch.object(sla_module, 'clock', clock), \
            mock.patch.object(case_module, 'datetime', fake):
        yield clock


def create_policy(company, lines, name="Standard", risk_share=0.8,
        default=True):
    """Return a policy on a calendar of Monday-Friday 09:00-17:00 UTC with
    the lines: (priority, tier, category, response hours, resolution hours);
    the default policy of the company unless default is False"""
    pool = Pool()
    Calendar = pool.get('crm.service.calendar')
    Policy = pool.get('crm.service.sla.policy')
    Configuration = pool.get('crm.service.configuration')
    calendar, = Calendar.create([{
                'name': "Office",
                'timezone': 'UTC',
                'hours': [('create', [{
                                'weekday': str(d),
                                'from_time': dt.time(9),
                                'to_time': dt.time(17),
                                } for d in range(5)])],
                }])
    policy, = Policy.create([{
                'name': name,
                'company': company.id,
                'calendar': calendar.id,
                'risk_share': risk_share,
                'lines': [('create', [{
                                'priority': priority,
                                'customer_tier': tier,
                                'category': category.id if category else None,
                                'response_target': response * H,
                                'resolution_target': resolution * H,
                                } for priority, tier, category, response,
                            resolution in lines])],
                }])
    if default:
        configuration = Configuration(1)
        configuration.sla_policy = policy
        configuration.save()
    return policy


def create_case(**values):
    "Return a new case of a new customer"
    pool = Pool()
    Case = pool.get('crm.service.case')
    Party = pool.get('party.party')
    if 'party' not in values:
        values['party'], = Party.create([{'name': "Customer"}])
    values.setdefault('subject', "Printer jams")
    case = Case(**values)
    case.save()
    return case
