# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Working-time calendars and the arithmetic of working time.

The database stores naive UTC datetimes; the working hours are wall-clock
hours of the calendar's time zone.  The arithmetic converts each working
interval of a local day to UTC, so a day of 09:00-17:00 stays 09:00-17:00
local time across a daylight saving change and an interval that spans the
change lasts the real time that elapses in it.
"""
import datetime as dt
from collections import namedtuple
from types import MappingProxyType
from zoneinfo import ZoneInfo

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.modules.company.company import TIMEZONES
from trytond.pool import Pool

from .exceptions import CalendarHoursError, CalendarNoWorkingTimeError

UTC = dt.timezone.utc
WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]
# A calendar whose working days are all holidays for this many days in a
# row has no working time to give: stop instead of searching for ever
MAX_IDLE_DAYS = 3 * 366

Schedule = namedtuple('Schedule',
    ['timezone', 'hours', 'holidays', 'yearly', 'workdays'],
    defaults=[MappingProxyType({})])
Schedule.__doc__ = """The working time of a calendar as plain values.

timezone: a tzinfo; hours: {weekday (0 = Monday): [(from, to) times]};
holidays: a set of dates; yearly: a set of (month, day) recurring each year;
workdays: {date: weekday} the days off worked with the hours of the weekday
(the weekend days worked in exchange for a holiday).
"""


class NoWorkingTime(ValueError):
    "The schedule has no working time to count"


def _intervals(schedule, day):
    "Yield the working intervals of the local day as aware UTC datetimes"
    if day in schedule.holidays or (day.month, day.day) in schedule.yearly:
        return
    weekday = schedule.workdays.get(day, day.weekday())
    for start, end in schedule.hours.get(weekday, []):
        yield (
            dt.datetime.combine(day, start, schedule.timezone).astimezone(UTC),
            dt.datetime.combine(day, end, schedule.timezone).astimezone(UTC))


def _to_utc(value):
    return value.replace(tzinfo=UTC)


def _local_day(schedule, value):
    return value.astimezone(schedule.timezone).date()


def _check(schedule):
    if not any(schedule.hours.values()):
        raise NoWorkingTime("no working hours")


def add_working_time(schedule, start, duration):
    """Return the naive UTC datetime when the duration of working time that
    starts at the naive UTC start is spent.

    A start outside working hours begins at the next working interval; a
    zero duration returns the start itself."""
    _check(schedule)
    if duration <= dt.timedelta():
        return start
    current = _to_utc(start)
    remaining = duration
    day = _local_day(schedule, current)
    idle = 0
    while True:
        worked = False
        for begin, end in _intervals(schedule, day):
            worked = True
            if end <= current:
                continue
            begin = max(begin, current)
            if end - begin >= remaining:
                return (begin + remaining).replace(tzinfo=None)
            remaining -= end - begin
            current = end
        idle = 0 if worked else idle + 1
        if idle > MAX_IDLE_DAYS:
            raise NoWorkingTime("no working day")
        day += dt.timedelta(days=1)


def working_time_between(schedule, start, end):
    """Return the working time as a timedelta between two naive UTC
    datetimes, zero when the end is not after the start."""
    _check(schedule)
    total = dt.timedelta()
    if end <= start:
        return total
    start, end = _to_utc(start), _to_utc(end)
    day = _local_day(schedule, start)
    last = _local_day(schedule, end)
    while day <= last:
        for begin, finish in _intervals(schedule, day):
            begin, finish = max(begin, start), min(finish, end)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def _check_holiday_workday(calendars):
    "Raise when a date of a calendar is a holiday and a working day off"
    for calendar in calendars:
        both = ({h.date for h in calendar.holidays if not h.recurring}
            & {w.date for w in calendar.workdays})
        if both:
            raise CalendarHoursError(gettext(
                    'crm_service.msg_calendar_holiday_workday',
                    date=min(both), calendar=calendar.rec_name))


class Calendar(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'crm.service.calendar'
    __string__ = "Working-Time Calendar"

    name = fields.Char("Name", required=True, translate=True)
    timezone = fields.Selection(
        TIMEZONES, "Time Zone", required=True, translate=False,
        help="The working hours are local times of this zone.")
    hours = fields.One2Many(
        'crm.service.calendar.hours', 'calendar', "Working Hours")
    holidays = fields.One2Many(
        'crm.service.calendar.holiday', 'calendar', "Holidays")
    workdays = fields.One2Many(
        'crm.service.calendar.workday', 'calendar', "Working Days Off",
        help="The days off worked, such as the weekend days worked in "
        "exchange for a public holiday.")
    _schedules = Cache('crm.service.calendar.schedule', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_timezone(cls):
        return 'UTC'

    @property
    def schedule(self):
        """The Schedule of the calendar

        Kept in a cache cleared when a calendar, its hours or its holidays
        change: every deadline of every case reads it."""
        cached = self._schedules.get(self.id)
        if cached is None:
            hours = {}
            for line in self.hours:
                hours.setdefault(int(line.weekday), []).append(
                    (line.from_time, line.to_time))
            holidays, yearly = set(), set()
            for holiday in self.holidays:
                if holiday.recurring:
                    yearly.add((holiday.date.month, holiday.date.day))
                else:
                    holidays.add(holiday.date)
            cached = self._schedules.set(self.id, (
                    self.timezone,
                    tuple((d, tuple(sorted(i))) for d, i in hours.items()),
                    tuple(holidays), tuple(yearly),
                    tuple((w.date, int(w.weekday)) for w in self.workdays)))
        timezone, hours, holidays, yearly, workdays = cached
        return Schedule(ZoneInfo(timezone),
            {d: list(i) for d, i in hours}, set(holidays), set(yearly),
            dict(workdays))

    @classmethod
    def on_modification(cls, mode, calendars, field_names=None):
        super().on_modification(mode, calendars, field_names=field_names)
        cls._schedules.clear()

    def check_working_time(self):
        "Raise when the calendar has no working hours"
        if not self.hours:
            raise CalendarNoWorkingTimeError(gettext(
                    'crm_service.msg_calendar_no_working_time',
                    calendar=self.rec_name))

    def _compute(self, function, *args):
        self.check_working_time()
        try:
            return function(self.schedule, *args)
        except NoWorkingTime:
            raise CalendarNoWorkingTimeError(gettext(
                    'crm_service.msg_calendar_no_working_time',
                    calendar=self.rec_name))

    def add_working_time(self, start, duration):
        "Return the deadline: start plus the duration of working time"
        return self._compute(add_working_time, start, duration)

    def working_time_between(self, start, end):
        "Return the working time elapsed between start and end"
        return self._compute(working_time_between, start, end)


class _SchedulePart:
    "A part of the schedule of a calendar: its change clears the schedules"
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Calendar = pool.get('crm.service.calendar')
        super().on_modification(mode, records, field_names=field_names)
        Calendar._schedules.clear()


class CalendarHours(_SchedulePart, ModelSQL, ModelView):
    __name__ = 'crm.service.calendar.hours'
    __string__ = "Working Hours"

    calendar = fields.Many2One(
        'crm.service.calendar', "Calendar", required=True,
        ondelete='CASCADE')
    weekday = fields.Selection(WEEKDAYS, "Weekday", required=True, sort=False)
    from_time = fields.Time("From", required=True, format='%H:%M')
    to_time = fields.Time("To", required=True, format='%H:%M')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('weekday', 'ASC'),
            ('from_time', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def default_weekday(cls):
        return '0'

    @classmethod
    def default_from_time(cls):
        return dt.time(9)

    @classmethod
    def default_to_time(cls):
        return dt.time(17)

    def get_rec_name(self, name):
        weekday = dict(WEEKDAYS)[self.weekday]
        return (f'{weekday} {self.from_time:%H:%M}-{self.to_time:%H:%M}')

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        for line in lines:
            if line.from_time >= line.to_time:
                raise CalendarHoursError(gettext(
                        'crm_service.msg_calendar_hours_order',
                        hours=line.rec_name))
        calendars = {line.calendar for line in lines}
        for calendar in calendars:
            by_day = {}
            for line in calendar.hours:
                by_day.setdefault(line.weekday, []).append(line)
            for day_lines in by_day.values():
                day_lines.sort(key=lambda h: h.from_time)
                for before, after in zip(day_lines, day_lines[1:]):
                    if after.from_time < before.to_time:
                        raise CalendarHoursError(gettext(
                                'crm_service.msg_calendar_hours_overlap',
                                hours=after.rec_name,
                                other=before.rec_name,
                                calendar=calendar.rec_name))


class CalendarHoliday(_SchedulePart, ModelSQL, ModelView):
    __name__ = 'crm.service.calendar.holiday'
    __string__ = "Calendar Holiday"

    calendar = fields.Many2One(
        'crm.service.calendar', "Calendar", required=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    name = fields.Char("Name", translate=True)
    recurring = fields.Boolean(
        "Yearly", help="The holiday falls on the same day every year.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'ASC'))

    @classmethod
    def default_recurring(cls):
        return False

    @classmethod
    def validate_fields(cls, holidays, field_names):
        super().validate_fields(holidays, field_names)
        _check_holiday_workday({h.calendar for h in holidays})


class CalendarWorkday(_SchedulePart, ModelSQL, ModelView):
    "A day off worked with the hours of a weekday"
    __name__ = 'crm.service.calendar.workday'
    __string__ = "Calendar Working Day Off"

    calendar = fields.Many2One(
        'crm.service.calendar', "Calendar", required=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    weekday = fields.Selection(
        WEEKDAYS, "Hours of", required=True, sort=False,
        help="The weekday whose working hours apply that day.")
    name = fields.Char("Name", translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('calendar_date_unique', Unique(t, t.calendar, t.date),
                'crm_service.msg_calendar_workday_unique'),
            ]
        cls._order.insert(0, ('date', 'ASC'))

    @classmethod
    def default_weekday(cls):
        return '0'

    @classmethod
    def validate_fields(cls, workdays, field_names):
        super().validate_fields(workdays, field_names)
        _check_holiday_workday({w.calendar for w in workdays})
