# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo SLA of crm_service.

A "Standard" calendar (Monday-Friday 09:00-12:00 and 13:00-18:00 in
Shanghai, with the Chinese public holidays and the weekend days worked in
exchange of the demo year and the year before) and an
"Extended" one (every day 08:00-20:00); the default "Standard" policy with
a target per priority and customer tier; two escalation levels.  The demo
cases of demo_service get their opening time and their SLA clocks, so some
are met, some breached and some at risk (the open cases are made recent);
the escalation runs once.
"""
import datetime as dt

from trytond.transaction import Transaction

MODULE = 'crm_service'
# The days off of the State Council's notices and the weekend days worked in
# exchange (with the hours of a Monday); other years fall back to the
# holidays on fixed dates.
HOLIDAYS = {
    2025: [
        ("New Year's Day", '01-01', 1),
        ("Spring Festival", '01-28', 8),
        ("Qingming Festival", '04-04', 3),
        ("Labour Day", '05-01', 5),
        ("Dragon Boat Festival", '05-31', 3),
        ("National Day and Mid-Autumn Festival", '10-01', 8),
        ],
    2026: [
        ("New Year's Day", '01-01', 3),
        ("Spring Festival", '02-15', 9),
        ("Qingming Festival", '04-04', 3),
        ("Labour Day", '05-01', 5),
        ("Dragon Boat Festival", '06-19', 3),
        ("Mid-Autumn Festival", '09-25', 3),
        ("National Day", '10-01', 7),
        ],
    }
WORKDAYS = {
    2025: ['01-26', '02-08', '04-27', '09-28', '10-11'],
    2026: ['01-04', '02-14', '02-28', '05-09', '09-20', '10-10'],
    }
FIXED_HOLIDAYS = [
    ("New Year's Day", '01-01', 1),
    ("Labour Day", '05-01', 3),
    ("National Day", '10-01', 7),
    ]
# The shares of their running target the open cases consumed: on track,
# at risk and breached
SHARES = [0.3, 0.6, 0.9, 0.95, 1.5]
# Working hours of first response and resolution per priority and tier
TARGETS = {
    'urgent': {'A': (0.5, 4), 'B': (1, 6), 'C': (1, 8), None: (1, 8)},
    'high': {'A': (1, 8), 'B': (2, 12), 'C': (2, 16), None: (2, 16)},
    'normal': {'A': (2, 16), 'B': (4, 24), 'C': (4, 32), None: (4, 32)},
    'low': {'A': (4, 32), 'B': (8, 40), 'C': (8, 48), None: (8, 48)},
    }


def _holidays(year):
    holidays = []
    for name, start, days in HOLIDAYS.get(year, FIXED_HOLIDAYS):
        first = dt.date.fromisoformat(f'{year}-{start}')
        holidays.extend({
                'name': name, 'date': first + dt.timedelta(days=n),
                'recurring': False} for n in range(days))
    return holidays


def populate(pool, rng, today):
    Calendar = pool.get('crm.service.calendar')
    Policy = pool.get('crm.service.sla.policy')
    Level = pool.get('crm.service.escalation.level')
    Configuration = pool.get('crm.service.configuration')
    Case = pool.get('crm.service.case')

    standard, extended = Calendar.create([{
                'name': "Standard",
                'timezone': 'Asia/Shanghai',
                'hours': [('create', [{
                                'weekday': str(d),
                                'from_time': f,
                                'to_time': t,
                                } for d in range(5)
                            for f, t in [(dt.time(9), dt.time(12)),
                                (dt.time(13), dt.time(18))]])],
                'holidays': [('create', _holidays(today.year)
                            + _holidays(today.year - 1))],
                'workdays': [('create', [{
                                'date': dt.date.fromisoformat(f'{y}-{d}'),
                                'weekday': '0',
                                'name': "Worked in exchange"}
                            for y in [today.year - 1, today.year]
                            for d in WORKDAYS.get(y, [])])],
                }, {
                'name': "Extended",
                'timezone': 'Asia/Shanghai',
                'hours': [('create', [{
                                'weekday': str(d),
                                'from_time': dt.time(8),
                                'to_time': dt.time(20),
                                } for d in range(7)])],
                }])
    hours = dt.timedelta(hours=1)
    policy, _ = Policy.create([{
                'name': "Standard",
                'calendar': standard.id,
                'lines': [('create', [{
                                'priority': priority,
                                'customer_tier': tier,
                                'response_target': response * hours,
                                'resolution_target': resolution * hours,
                                } for priority, tiers in TARGETS.items()
                            for tier, (response, resolution)
                            in tiers.items()])],
                }, {
                'name': "Extended Hours",
                'calendar': extended.id,
                'lines': [('create', [{
                                'priority': priority,
                                'response_target': response * hours,
                                'resolution_target': resolution * hours,
                                } for priority, (response, resolution) in [
                                ('urgent', (1, 4)), ('high', (2, 8)),
                                ('normal', (4, 16)), ('low', (8, 24))]])],
                }])
    Level.create([{
                'name': "Team leader", 'sequence': 10,
                'recipient': 'leader', 'delay': dt.timedelta(),
                }, {
                'name': "Service managers", 'sequence': 20,
                'recipient': 'managers', 'delay': 4 * hours,
                }])
    configuration = Configuration(1)
    configuration.sla_policy = policy
    configuration.save()

    now = dt.datetime.combine(today, dt.time(17))
    cases = Case.search([])
    to_write = []
    for case in cases:
        if case.state in {'resolved', 'closed'}:
            # Handled in the past: opened some hours before the first stamp
            stamps = [s for s in [case.assigned_at, case.first_response_at,
                    case.resolved_at] if s]
            to_write.extend([[case], {'sla_start': min(stamps)
                        - dt.timedelta(hours=rng.randint(1, 12))}])
        else:
            to_write.extend([[case], _open_case_stamps(
                        case, policy, now, rng)])
    if to_write:
        Case.write(*to_write)
    # The lists show the creation date as the opening time
    table = Case.__table__()
    Transaction().connection.cursor().execute(*table.update(
            [table.create_date], [table.sla_start],
            where=table.id.in_([c.id for c in cases])))
    Case.compute_sla(Case.browse(cases), now=now)
    Case.escalate(now=now)


def _open_case_stamps(case, policy, now, rng):
    """Return the opening and the stamps of an open case so that the share of
    its running target consumed at now is one of the demo's mix"""
    line = policy.match(case.priority, case.customer_tier, case.category)
    target = (line.resolution_target if case.first_response_at
        else line.response_target)
    needed = target * rng.choice(SHARES)
    opened = now
    while policy.calendar.working_time_between(opened, now) < needed:
        opened -= dt.timedelta(minutes=15)
    stamps = {'sla_start': opened}
    if case.assigned_at:
        stamps['assigned_at'] = opened + dt.timedelta(minutes=5)
    if case.first_response_at:
        stamps['first_response_at'] = opened + dt.timedelta(
            minutes=rng.randint(10, 50))
    if case.waiting_since:
        stamps['waiting_since'] = now - (now - opened) / 4
    return stamps
