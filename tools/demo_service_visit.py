# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo field visits and customer ratings of crm_service.

Two field technicians visit the customers of the Hardware cases: the visits
of the resolved and closed cases are done with their report, those of the
open cases are planned over the next working days. The closed cases were
rated by most customers, with a spread of scores, so the CSAT reports show
something.
"""
import datetime as dt

MODULE = 'crm_service'
TECHNICIANS = ["Field Technician Li", "Field Technician Chen"]
REPORTS = [
    "Replaced the fuser unit; test pages are clean.",
    "Swapped the failing disk, the array is rebuilding.",
    "Cleaned the fans and updated the firmware; temperature is normal.",
    "Replaced the battery under warranty.",
    "Reseated the memory modules; the machine boots again.",
    ]
# Start hours of the visit slots of a day, each of two hours
SLOTS = [9, 11, 14]
SCORES = [5, 5, 5, 4, 4, 4, 3, 2, 1]
COMMENTS = {
    5: ["Fast and friendly, thank you!", "Solved on the first call."],
    4: ["Good service, a bit slow to start."],
    3: ["It works now, but it took three calls."],
    2: ["Nobody called me back for two days."],
    1: ["Still not fixed properly."],
    }


def _technicians(pool, company):
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    parties = Party.create([{'name': name} for name in TECHNICIANS])
    return Employee.create([{
                'party': party.id, 'company': company.id,
                } for party in parties])


def _working_days(today):
    day = today
    while True:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            yield day


def populate(pool, rng, today):
    Case = pool.get('crm.service.case')
    Visit = pool.get('crm.service.visit')
    Rating = pool.get('crm.service.rating')

    cases = Case.search([
            ['OR',
                ('category.name', '=', "Hardware"),
                ('category.parent.name', '=', "Hardware")],
            ], order=[('id', 'ASC')])
    if not cases:
        return
    technicians = _technicians(pool, cases[0].company)

    done, planned = [], []
    for case in cases:
        (done if case.state in {'resolved', 'closed'} else planned).append(
            case)
    booked = {}

    def book(technician, day):
        "The first free slot of the technician from the day on"
        while True:
            taken = booked.setdefault((technician, day), 0)
            if taken < len(SLOTS):
                booked[technician, day] += 1
                return dt.datetime.combine(day, dt.time(SLOTS[taken]))
            day += dt.timedelta(days=1)

    values, reports = [], []
    for i, case in enumerate(done):
        # On site the day before the resolution
        technician = technicians[i % 2]
        start = book(
            technician, case.resolved_at.date() - dt.timedelta(days=1))
        values.append(_visit(case, technician, start))
        reports.append(rng.choice(REPORTS))
    days = _working_days(today)
    for i, case in enumerate(planned):
        technician = technicians[i % 2]
        if i % (2 * len(SLOTS)) == 0:
            day = next(days)
        values.append(_visit(case, technician, book(technician, day)))
    visits = Visit.create(values)
    finished = visits[:len(done)]
    Visit.arrive(finished)
    to_write = []
    for visit, report in zip(finished, reports):
        to_write.extend([[visit], {'report': report}])
    if to_write:
        Visit.write(*to_write)
    Visit.do(finished)
    to_write = []
    for visit in finished:
        to_write.extend([[visit], {
                    'arrived_at': visit.scheduled_start,
                    'done_at': visit.scheduled_end,
                    }])
    if to_write:
        Visit.write(*to_write)

    _rate(Rating, rng)


def _visit(case, technician, start):
    address = case.party.address_get() if case.party else None
    return {
        'company': case.company.id,
        'case': case.id,
        'technician': technician.id,
        'scheduled_start': start,
        'scheduled_end': start + dt.timedelta(hours=2),
        'address': address.id if address else None,
        }


def _rate(Rating, rng):
    "Most customers answer the request of each close, a few do not"
    to_write = []
    for rating in Rating.search([], order=[('id', 'ASC')]):
        closed_at = rating.case.closed_at or rating.requested_at
        values = {'requested_at': closed_at}
        if rng.random() < 0.8:
            score = rng.choice(SCORES)
            values.update({
                    'score': score,
                    'rated_at': closed_at + dt.timedelta(
                        hours=rng.randint(1, 30)),
                    'comment': (rng.choice(COMMENTS[score])
                        if rng.random() < 0.6 else None),
                    })
        to_write.extend([[rating], values])
    if to_write:
        Rating.write(*to_write)
