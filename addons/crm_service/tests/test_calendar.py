# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import unittest
from zoneinfo import ZoneInfo

from trytond.model.exceptions import ValidationError
from trytond.modules.crm_sales.tests.tools import with_company
from trytond.modules.crm_service.calendar import (
    NoWorkingTime, Schedule, add_working_time, working_time_between)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module

H = dt.timedelta(hours=1)
NINE_FIVE = [(dt.time(9), dt.time(17))]
WEEK = {d: NINE_FIVE for d in range(5)}
BERLIN = Schedule(ZoneInfo('Europe/Berlin'), WEEK, {dt.date(2026, 1, 13)},
    {(1, 1)})
NEW_YORK = Schedule(ZoneInfo('America/New_York'), WEEK, set(), set())
SHANGHAI = Schedule(ZoneInfo('Asia/Shanghai'), {
        d: [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(18))]
        for d in range(5)}, set(), set())
# The Spring Festival of 2026: 15-23 February off, Saturdays 14 and 28
# February worked in exchange with the hours of a Monday
SPRING_FESTIVAL = Schedule(SHANGHAI.timezone, SHANGHAI.hours,
    {dt.date(2026, 2, 15) + dt.timedelta(days=n) for n in range(9)}, set(),
    {dt.date(2026, 2, 14): 0, dt.date(2026, 2, 28): 0})
# Working hours on the Sundays of the daylight saving changes
NIGHT_SHIFT = Schedule(ZoneInfo('Europe/Berlin'), {
        6: [(dt.time(0), dt.time(6))]}, set(), set())


def utc(*args):
    return dt.datetime(*args)


# (description, schedule, start in UTC, duration, deadline in UTC)
DEADLINES = [
    ("within a day", BERLIN, utc(2026, 1, 12, 9), 3 * H,
        utc(2026, 1, 12, 12)),
    ("to the end of the day exactly", BERLIN, utc(2026, 1, 12, 9), 7 * H,
        utc(2026, 1, 12, 16)),
    ("across a night", BERLIN, utc(2026, 1, 14, 15), 3 * H,
        utc(2026, 1, 15, 10)),
    ("over two whole days", BERLIN, utc(2026, 1, 14, 8), 16 * H,
        utc(2026, 1, 15, 16)),
    ("across a weekend", BERLIN, utc(2026, 1, 16, 14), 4 * H,
        utc(2026, 1, 19, 10)),
    ("across a holiday", BERLIN, utc(2026, 1, 12, 15), 3 * H,
        utc(2026, 1, 14, 10)),
    ("across a yearly holiday", BERLIN, utc(2025, 12, 31, 15), 2 * H,
        utc(2026, 1, 2, 9)),
    ("starting on a Saturday", BERLIN, utc(2026, 1, 17, 12), H,
        utc(2026, 1, 19, 9)),
    ("starting before the hours", BERLIN, utc(2026, 1, 19, 6), H,
        utc(2026, 1, 19, 9)),
    ("starting after the hours", BERLIN, utc(2026, 1, 19, 20), H,
        utc(2026, 1, 20, 9)),
    ("zero duration", BERLIN, utc(2026, 1, 17, 12), 0 * H,
        utc(2026, 1, 17, 12)),
    ("across the lunch break", SHANGHAI, utc(2026, 1, 12, 3), 2 * H,
        utc(2026, 1, 12, 6)),
    ("starting in the lunch break", SHANGHAI, utc(2026, 1, 12, 4, 30), H,
        utc(2026, 1, 12, 6)),
    ("across the lunch break and a night", SHANGHAI, utc(2026, 1, 12, 9),
        5 * H, utc(2026, 1, 13, 6)),
    ("across the spring forward in Berlin", BERLIN, utc(2026, 3, 27, 15),
        2 * H, utc(2026, 3, 30, 8)),
    ("across the fall back in Berlin", BERLIN, utc(2026, 10, 23, 14),
        2 * H, utc(2026, 10, 26, 9)),
    ("across the spring forward in New York", NEW_YORK,
        utc(2026, 3, 6, 21), 2 * H, utc(2026, 3, 9, 14)),
    ("across the fall back in New York", NEW_YORK,
        utc(2026, 10, 30, 20), 2 * H, utc(2026, 11, 2, 15)),
    ("within the short night of spring forward", NIGHT_SHIFT,
        utc(2026, 3, 28, 23), 5 * H, utc(2026, 3, 29, 4)),
    ("within the long night of fall back", NIGHT_SHIFT,
        utc(2026, 10, 24, 22), 7 * H, utc(2026, 10, 25, 5)),
    ("on a Saturday worked in exchange", SPRING_FESTIVAL,
        utc(2026, 2, 13, 9), 2 * H, utc(2026, 2, 14, 2)),
    ("over the festival to the next working day", SPRING_FESTIVAL,
        utc(2026, 2, 14, 9), 2 * H, utc(2026, 2, 24, 2)),
    ]

# (description, schedule, start in UTC, end in UTC, working time)
BETWEEN = [
    ("within a day", BERLIN, utc(2026, 1, 12, 9), utc(2026, 1, 12, 12),
        3 * H),
    ("across a night", BERLIN, utc(2026, 1, 14, 15), utc(2026, 1, 15, 10),
        3 * H),
    ("a whole week with a holiday", BERLIN, utc(2026, 1, 12),
        utc(2026, 1, 19), 32 * H),
    ("a weekend", BERLIN, utc(2026, 1, 17), utc(2026, 1, 19), 0 * H),
    ("the end before the start", BERLIN, utc(2026, 1, 12, 12),
        utc(2026, 1, 12, 9), 0 * H),
    ("a day with a lunch break", SHANGHAI, utc(2026, 1, 12),
        utc(2026, 1, 13), 8 * H),
    ("the short day of spring forward", NIGHT_SHIFT, utc(2026, 3, 28),
        utc(2026, 3, 30), 5 * H),
    ("the long day of fall back", NIGHT_SHIFT, utc(2026, 10, 24),
        utc(2026, 10, 26), 7 * H),
    ("across the spring forward", BERLIN, utc(2026, 3, 27, 15),
        utc(2026, 3, 30, 8), 2 * H),
    ]


class WorkingTimeTestCase(unittest.TestCase):
    "Test the arithmetic of working time"

    def test_add_working_time(self):
        for description, schedule, start, duration, deadline in DEADLINES:
            with self.subTest(description):
                self.assertEqual(
                    add_working_time(schedule, start, duration), deadline)

    def test_working_time_between(self):
        for description, schedule, start, end, duration in BETWEEN:
            with self.subTest(description):
                self.assertEqual(
                    working_time_between(schedule, start, end), duration)

    def test_round_trip(self):
        "The working time up to a deadline is the duration added"
        for description, schedule, start, duration, deadline in DEADLINES:
            with self.subTest(description):
                self.assertEqual(
                    working_time_between(schedule, start, deadline),
                    duration)

    def test_no_hours(self):
        "A schedule without hours is an error, not an endless loop"
        empty = Schedule(ZoneInfo('UTC'), {}, set(), set())
        with self.assertRaises(NoWorkingTime):
            add_working_time(empty, utc(2026, 1, 12), H)
        with self.assertRaises(NoWorkingTime):
            working_time_between(empty, utc(2026, 1, 12), utc(2026, 1, 13))

    def test_only_holidays(self):
        "A schedule whose working days are all holidays is an error"
        start = dt.date(2026, 1, 1)
        holidays = {start + dt.timedelta(days=n) for n in range(5 * 366)}
        schedule = Schedule(ZoneInfo('UTC'), WEEK, holidays, set())
        with self.assertRaises(NoWorkingTime):
            add_working_time(schedule, utc(2026, 1, 1), H)


class CalendarTestCase(unittest.TestCase):
    "Test the working-time calendars"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['crm_service'])

    def create_calendar(self, hours, holidays=(), timezone='Europe/Berlin'):
        pool = Pool()
        Calendar = pool.get('crm.service.calendar')
        calendar, = Calendar.create([{
                    'name': "Office",
                    'timezone': timezone,
                    'hours': [('create', [{
                                    'weekday': str(d),
                                    'from_time': f,
                                    'to_time': t,
                                    } for d, f, t in hours])],
                    'holidays': [('create', [{
                                    'date': d,
                                    'name': "Holiday",
                                    'recurring': r,
                                    } for d, r in holidays])],
                    }])
        return calendar

    @with_company
    def test_calendar_arithmetic(self):
        "A calendar counts its hours and holidays in its time zone"
        calendar = self.create_calendar(
            [(d, dt.time(9), dt.time(17)) for d in range(5)],
            [(dt.date(2026, 1, 13), False), (dt.date(2000, 1, 1), True)])
        for description, schedule, start, duration, deadline in DEADLINES:
            if schedule is not BERLIN:
                continue
            with self.subTest(description):
                self.assertEqual(
                    calendar.add_working_time(start, duration), deadline)
        self.assertEqual(calendar.working_time_between(
                utc(2026, 1, 12), utc(2026, 1, 19)), 32 * H)

    @with_company
    def test_workdays(self):
        "A day off worked takes the hours of its weekday, once a date"
        pool = Pool()
        Workday = pool.get('crm.service.calendar.workday')
        Holiday = pool.get('crm.service.calendar.holiday')
        calendar = self.create_calendar(
            [(0, dt.time(9), dt.time(17)), (1, dt.time(9), dt.time(12))])
        saturday = dt.date(2026, 1, 17)
        # Friday 16 has no hours: Monday 19 09:00 without the workday
        self.assertEqual(calendar.add_working_time(
                utc(2026, 1, 16, 12), H), utc(2026, 1, 19, 9))
        Workday.create([{
                    'calendar': calendar.id, 'date': saturday,
                    'weekday': '1', 'name': "Exchange"}])
        self.assertEqual(calendar.add_working_time(
                utc(2026, 1, 16, 12), 4 * H), utc(2026, 1, 19, 9))
        self.assertEqual(calendar.working_time_between(
                utc(2026, 1, 17), utc(2026, 1, 18)), 3 * H)
        with self.assertRaisesRegex(ValidationError, "both a holiday"):
            Holiday.create([{'calendar': calendar.id, 'date': saturday}])
        # The last: a refused SQL constraint ends the transaction
        with self.assertRaisesRegex(ValidationError, "one working day off"):
            Workday.create([{'calendar': calendar.id, 'date': saturday}])

    @with_company
    def test_no_working_hours(self):
        "A calendar without working hours is a clear error"
        calendar = self.create_calendar([])
        with self.assertRaisesRegex(ValidationError, "no working time"):
            calendar.add_working_time(utc(2026, 1, 12), H)
        with self.assertRaisesRegex(ValidationError, "no working time"):
            calendar.working_time_between(
                utc(2026, 1, 12), utc(2026, 1, 13))

    @with_company
    def test_hours_order(self):
        "Working hours end after they start"
        with self.assertRaisesRegex(ValidationError, "end after they start"):
            self.create_calendar([(0, dt.time(17), dt.time(9))])
        with self.assertRaisesRegex(ValidationError, "end after they start"):
            self.create_calendar([(0, dt.time(9), dt.time(9))])

    @with_company
    def test_hours_overlap(self):
        "The intervals of a day do not overlap; touching is fine"
        pool = Pool()
        Hours = pool.get('crm.service.calendar.hours')
        calendar = self.create_calendar([
                (0, dt.time(9), dt.time(12)), (0, dt.time(12), dt.time(18)),
                (1, dt.time(9), dt.time(12))])
        self.assertEqual(len(calendar.hours), 3)
        with self.assertRaisesRegex(ValidationError, "overlap"):
            Hours.create([{
                        'calendar': calendar.id, 'weekday': '1',
                        'from_time': dt.time(11), 'to_time': dt.time(14),
                        }])

    @with_company
    def test_timezone_validated(self):
        "The time zone is an IANA zone"
        with self.assertRaises(ValidationError):
            self.create_calendar([], timezone='Mars/Olympus')
