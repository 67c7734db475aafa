"""Working-day arithmetic on the official Chinese calendar (spec §6).

A day is a working day when it is an ordinary Monday–Friday that is not a statutory holiday, or a
weekend day turned into a working day (调休上班). Exceptions come from ``CalendarDay`` rows; a year with
no ``CalendarYear`` row is unknown, and any computation that touches it raises ``NoCalendarData``
instead of guessing.

Conventions (what the functions promise):

* ``add_working_days(start, n)``
    - ``n > 0``: the n-th working day after ``start``; ``start`` itself is never counted, whether or not
      it is a working day. (Received on Friday 2025-09-26, 5 working days: Sunday 09-28 was a 调休
      working day, 09-29, 09-30, then 10-01..10-08 were holidays, 10-09, 10-10 → Friday 2025-10-10.)
    - ``n == 0``: ``start`` if it is a working day, otherwise the next working day (a deadline of "0
      working days" that falls on a holiday moves to the next working day).
    - ``n < 0``: the |n|-th working day before ``start`` (``start`` not counted).
* ``working_days_between(a, b)``: the number of working days in the half-open interval (a, b]; ``0``
  when ``a == b``; when ``b < a`` it is ``-working_days_between(b, a)`` (antisymmetric).
  Hence for every ``n >= 0``: ``working_days_between(d, add_working_days(d, n)) == n`` when ``n > 0``
  or ``d`` is a working day; for ``n < 0`` it holds when ``d`` is a working day.
* ``next_working_day(d)``: the first working day strictly after ``d`` (= ``add_working_days(d, 1)``).

Speed: each year's working days are kept in-process as a sorted tuple of ordinals, so a deadline is a
binary search, not a day-by-day walk. The cache is cleared in this process when a year is loaded, and
other processes notice within ``VERSION_CHECK_SECONDS`` through a version key in Django's cache; every
cached year is also dropped after ``MAX_AGE_SECONDS`` so any staleness is bounded.
"""

from __future__ import annotations

import threading
import time
import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.utils.translation import gettext as _

from xinshimin.core.errors import DomainError

from .models import CalendarDay, CalendarYear

VERSION_KEY = "workdays:calendar-version"
VERSION_CHECK_SECONDS = 5.0
MAX_AGE_SECONDS = 300.0


class NoCalendarData(DomainError):
    """The calendar of a year the computation needs has not been loaded."""

    http_status = 409
    code = "no_calendar_data"

    def __init__(self, year: int):
        super().__init__(
            _("系统尚未载入 %(year)s 年的法定节假日安排，无法计算工作日期限。请管理员先载入该年度日历。")
            % {"year": year},
            year=year,
        )
        self.year = year


@dataclass(frozen=True)
class YearCalendar:
    """The working days of one loaded year, as sorted ordinals."""

    year: int
    working: tuple[int, ...]
    working_set: frozenset[int]
    first: int  # ordinal of 1 January
    last: int  # ordinal of 31 December

    @classmethod
    def build(cls, year: int, holidays: set[date], adjusted_workdays: set[date]) -> YearCalendar:
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        working = []
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            if day in adjusted_workdays or (day.weekday() < 5 and day not in holidays):
                working.append(ordinal)
        return cls(year, tuple(working), frozenset(working), first, last)


class _Cache:
    def __init__(self) -> None:
        self.years: dict[int, tuple[YearCalendar, float]] = {}
        self.version: object = None
        self.checked_at = float("-inf")
        self.lock = threading.Lock()

    def get(self, year: int) -> YearCalendar:
        now = time.monotonic()
        if now - self.checked_at >= VERSION_CHECK_SECONDS:
            self._refresh(now)
        entry = self.years.get(year)
        if entry is not None:
            return entry[0]
        loaded = _load_year(year)
        self.years[year] = (loaded, now)
        return loaded

    def _refresh(self, now: float) -> None:
        with self.lock:
            version = cache.get(VERSION_KEY)
            if version != self.version:
                self.years.clear()
                self.version = version
            else:
                for year, (_cal, cached_at) in list(self.years.items()):
                    if now - cached_at >= MAX_AGE_SECONDS:
                        self.years.pop(year, None)
            self.checked_at = now

    def clear(self, *, broadcast: bool) -> None:
        with self.lock:
            self.years.clear()
            if broadcast:
                version = uuid.uuid4().hex
                cache.set(VERSION_KEY, version, None)
                self.version = version
                self.checked_at = time.monotonic()


_cache = _Cache()


def _load_year(year: int) -> YearCalendar:
    year_id = CalendarYear.objects.filter(year=year).values_list("pk", flat=True).first()
    if year_id is None:
        raise NoCalendarData(year)
    holidays: set[date] = set()
    adjusted: set[date] = set()
    for day, kind in CalendarDay.objects.filter(year_id=year_id).values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else adjusted).add(day)
    return YearCalendar.build(year, holidays, adjusted)


def calendar_cache_clear(*, broadcast: bool = False) -> None:
    """Forget cached years in this process; with ``broadcast`` also tell other processes (bump version)."""
    _cache.clear(broadcast=broadcast)


def year_calendar(year: int) -> YearCalendar:
    """The working days of ``year``; raises ``NoCalendarData`` if the year is not loaded."""
    if not 1 <= year <= 9999:
        raise NoCalendarData(year)
    return _cache.get(year)


def is_working_day(d: date) -> bool:
    return d.toordinal() in year_calendar(d.year).working_set


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` not counted); see the module docstring."""
    if n == 0:
        return start if is_working_day(start) else add_working_days(start, 1)
    year = start.year
    ordinal = start.toordinal()
    remaining = abs(n)
    while True:
        cal = year_calendar(year)
        if n > 0:
            index = bisect_right(cal.working, ordinal)  # first working day after `ordinal`
            available = len(cal.working) - index
            if remaining <= available:
                return date.fromordinal(cal.working[index + remaining - 1])
            remaining -= available
            ordinal, year = cal.last, year + 1
        else:
            index = bisect_left(cal.working, ordinal)  # working days before `ordinal`
            if remaining <= index:
                return date.fromordinal(cal.working[index - remaining])
            remaining -= index
            ordinal, year = cal.first, year - 1


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b]; 0 when a == b; negative (antisymmetric) when b < a."""
    if a == b:
        return 0
    if b < a:
        return -working_days_between(b, a)
    low, high = a.toordinal(), b.toordinal()
    first_year = a.year + 1 if (a.month, a.day) == (12, 31) else a.year
    count = 0
    for year in range(first_year, b.year + 1):
        cal = year_calendar(year)
        count += bisect_right(cal.working, high) - bisect_right(cal.working, low)
    return count


def next_working_day(d: date) -> date:
    """The first working day strictly after ``d``."""
    return add_working_days(d, 1)


def previous_working_day(d: date) -> date:
    """The last working day strictly before ``d``."""
    return add_working_days(d, -1)


def working_days_in(start: date, end: date) -> list[date]:
    """The working days in [start, end], in order (for calendars and reports)."""
    if end < start:
        return []
    days: list[date] = []
    for year in range(start.year, end.year + 1):
        cal = year_calendar(year)
        lo = bisect_left(cal.working, start.toordinal())
        hi = bisect_right(cal.working, end.toordinal())
        days.extend(date.fromordinal(o) for o in cal.working[lo:hi])
    return days


__all__ = [
    "NoCalendarData",
    "YearCalendar",
    "add_working_days",
    "calendar_cache_clear",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "working_days_between",
    "working_days_in",
    "year_calendar",
]
