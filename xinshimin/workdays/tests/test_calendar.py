"""Working-day arithmetic on the seeded official calendar (2004–2026 from chinesecalendar 1.11.0).

Expected dates below were worked out by hand from the State Council notices:
2025 Spring Festival: 01-28..02-04 off, Sun 01-26 and Sat 02-08 worked.
2025 National Day + Mid-autumn: 10-01..10-08 off, Sun 09-28 and Sat 10-11 worked.
2026 New Year: 01-01..01-03 off, Sun 01-04 worked.
2026 Spring Festival: 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked.
2026 Mid-autumn 09-25..09-27 off; National Day 10-01..10-07 off, Sun 09-20 and Sat 10-10 worked.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xinshimin.core.errors import DomainError
from xinshimin.workdays import calendar as cal
from xinshimin.workdays.calendar import (
    NoCalendarData,
    add_working_days,
    is_working_day,
    next_working_day,
    previous_working_day,
    working_days_between,
    working_days_in,
)
from xinshimin.workdays.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2025 Spring Festival
        (D(2025, 1, 25), False),  # ordinary Saturday
        (D(2025, 1, 26), True),  # Sunday worked (调休)
        (D(2025, 1, 27), True),
        (D(2025, 1, 28), False),  # 除夕 holiday, a Tuesday
        (D(2025, 2, 3), False),  # Monday, holiday
        (D(2025, 2, 4), False),
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),  # Saturday worked
        (D(2025, 2, 9), False),
        # 2025 National Day
        (D(2025, 9, 27), False),
        (D(2025, 9, 28), True),  # Sunday worked
        (D(2025, 10, 1), False),
        (D(2025, 10, 6), False),  # Monday: 中秋
        (D(2025, 10, 8), False),  # Wednesday, still off
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday worked
        (D(2025, 10, 12), False),
        # 2026
        (D(2026, 1, 2), False),  # Friday, New Year
        (D(2026, 1, 4), True),  # Sunday worked
        (D(2026, 2, 14), True),  # Saturday worked
        (D(2026, 2, 23), False),  # Monday, Spring Festival
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday worked
        (D(2026, 9, 20), True),  # Sunday worked
        (D(2026, 9, 25), False),  # Friday, Mid-autumn
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday worked
        (D(2026, 12, 31), True),  # ordinary Thursday
    ],
)
def test_is_working_day_follows_official_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2025 National Day
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Friday → the worked Sunday
        (D(2025, 9, 26), 3, D(2025, 9, 30)),
        (D(2025, 9, 26), 4, D(2025, 10, 9)),  # jumps the whole holiday
        (D(2025, 9, 26), 5, D(2025, 10, 10)),
        (D(2025, 9, 26), 6, D(2025, 10, 11)),  # the worked Saturday
        (D(2025, 9, 26), 7, D(2025, 10, 13)),
        (D(2025, 10, 1), 1, D(2025, 10, 9)),  # start on a holiday
        (D(2025, 9, 30), 3, D(2025, 10, 11)),
        (D(2025, 9, 26), 10, D(2025, 10, 16)),
        # 2025 Spring Festival
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 1, 27), 5, D(2025, 2, 10)),  # 02-05, 06, 07, Sat 08 worked, Mon 10
        (D(2025, 1, 28), 1, D(2025, 2, 5)),
        # 2026 Spring Festival and National Day
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 13), 5, D(2026, 2, 27)),
        (D(2026, 2, 13), 6, D(2026, 2, 28)),
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        # across the year: 2025-12-31 worked, 2026-01-01..03 off, Sun 01-04 worked
        (D(2025, 12, 30), 1, D(2025, 12, 31)),
        (D(2025, 12, 30), 2, D(2026, 1, 4)),
        (D(2025, 12, 30), 3, D(2026, 1, 5)),
        (D(2025, 12, 31), 1, D(2026, 1, 4)),
        (D(2024, 12, 27), 5, D(2025, 1, 6)),  # 12-30, 12-31, (01-01 off), 01-02, 01-03, Mon 01-06
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


def test_add_working_days_zero_keeps_a_working_day_and_moves_a_day_off() -> None:
    assert add_working_days(D(2025, 9, 28), 0) == D(2025, 9, 28)  # worked Sunday stays
    assert add_working_days(D(2025, 10, 9), 0) == D(2025, 10, 9)
    assert add_working_days(D(2025, 10, 1), 0) == D(2025, 10, 9)  # holiday → next working day
    assert add_working_days(D(2025, 10, 12), 0) == D(2025, 10, 13)  # ordinary Sunday → Monday


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2025, 10, 9), -1, D(2025, 9, 30)),
        (D(2025, 10, 9), -4, D(2025, 9, 26)),
        (D(2025, 10, 13), -1, D(2025, 10, 11)),
        (D(2026, 1, 5), -1, D(2026, 1, 4)),
        (D(2026, 1, 4), -1, D(2025, 12, 31)),  # back across the year
    ],
)
def test_add_negative_working_days_counts_backwards(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


def test_next_and_previous_working_day() -> None:
    assert next_working_day(D(2025, 9, 30)) == D(2025, 10, 9)
    assert next_working_day(D(2025, 9, 27)) == D(2025, 9, 28)
    assert next_working_day(D(2025, 10, 10)) == D(2025, 10, 11)
    assert previous_working_day(D(2025, 10, 9)) == D(2025, 9, 30)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (D(2025, 9, 26), D(2025, 10, 12), 6),  # 09-28, 29, 30, 10-09, 10, 11
        (D(2025, 9, 30), D(2025, 10, 8), 0),
        (D(2025, 10, 1), D(2025, 10, 1), 0),
        (D(2025, 10, 9), D(2025, 10, 9), 0),  # a == b is 0 even on a working day
        (D(2025, 10, 8), D(2025, 10, 9), 1),  # (a, b] includes b
        (D(2025, 10, 9), D(2025, 10, 10), 1),  # … and excludes a
        (D(2025, 1, 24), D(2025, 2, 9), 6),  # 01-26, 01-27, 02-05, 02-06, 02-07, 02-08
        (D(2025, 12, 30), D(2026, 1, 5), 3),
        (D(2025, 10, 12), D(2025, 9, 26), -6),  # antisymmetric
        # whole years (chinese_calendar.get_workdays counts 248 for 2025 and for 2026; 01-01 is off)
        (D(2025, 1, 1), D(2025, 12, 31), 248),
        (D(2024, 12, 31), D(2026, 12, 31), 248 + 248),
    ],
)
def test_working_days_between(a: date, b: date, expected: int) -> None:
    assert working_days_between(a, b) == expected


def test_working_days_in_lists_the_days() -> None:
    assert working_days_in(D(2025, 9, 27), D(2025, 10, 11)) == [
        D(2025, 9, 28),
        D(2025, 9, 29),
        D(2025, 9, 30),
        D(2025, 10, 9),
        D(2025, 10, 10),
        D(2025, 10, 11),
    ]
    assert working_days_in(D(2025, 10, 2), D(2025, 10, 1)) == []


def test_seed_matches_chinese_calendar_for_every_day_of_every_seeded_year() -> None:
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2004, 2027))
    day = D(2004, 1, 1)
    while day.year <= 2026:
        assert is_working_day(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_seed_names_days_in_chinese() -> None:
    assert CalendarDay.objects.get(date=D(2025, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2025, 1, 26)).name == "春节调休"
    adjusted_2026 = CalendarDay.objects.filter(
        year__year=2026, kind=CalendarDay.Kind.ADJUSTED_WORKDAY
    ).values_list("date", flat=True)
    assert list(adjusted_2026) == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]


class TestYearWithoutCalendar:
    def test_a_year_never_loaded_is_refused_with_a_clear_message(self) -> None:
        with pytest.raises(NoCalendarData) as info:
            is_working_day(D(2031, 3, 2))
        error = info.value
        assert isinstance(error, DomainError)
        assert error.code == "no_calendar_data"
        assert error.year == 2031
        assert error.message == (
            "系统尚未载入 2031 年的法定节假日安排，无法计算工作日期限。请管理员先载入该年度日历。"
        )
        assert error.as_dict()["code"] == "no_calendar_data"

    def test_deadline_crossing_into_an_unloaded_year_is_refused(self) -> None:
        # 2026-12-29, 30, 31 are the last three working days of 2026; the fourth would be in 2027.
        assert add_working_days(D(2026, 12, 28), 3) == D(2026, 12, 31)
        with pytest.raises(NoCalendarData) as info:
            add_working_days(D(2026, 12, 28), 5)
        assert info.value.year == 2027
        assert "2027" in info.value.message
        with pytest.raises(NoCalendarData):
            next_working_day(D(2026, 12, 31))
        with pytest.raises(NoCalendarData):
            working_days_between(D(2026, 12, 20), D(2027, 1, 5))

    def test_a_start_in_an_unloaded_year_is_refused_even_for_zero_days(self) -> None:
        with pytest.raises(NoCalendarData):
            add_working_days(D(2031, 1, 6), 0)
        with pytest.raises(NoCalendarData):
            add_working_days(D(2004, 1, 5), -5)  # back into 2003, never loaded

    def test_a_missing_year_is_not_remembered_as_missing(self) -> None:
        with pytest.raises(NoCalendarData):
            is_working_day(D(2027, 1, 4))
        CalendarYear.objects.create(year=2027, source="test", loaded_at="2026-11-01T00:00:00+08:00")
        assert is_working_day(D(2027, 1, 4)) is True  # now known (no exceptions: a Monday works)


def test_cached_years_are_reloaded_when_another_process_bumps_the_version(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert is_working_day(D(2026, 12, 31)) is True
    # Another process loads a corrected 2026: the row changes underneath, and the version key moves.
    CalendarDay.objects.create(
        year=CalendarYear.objects.get(year=2026), date=D(2026, 12, 31), kind="holiday", name="test"
    )
    assert is_working_day(D(2026, 12, 31)) is True  # still cached in this process
    from django.core.cache import cache

    cache.set(cal.VERSION_KEY, "another-process", None)
    monkeypatch.setattr(cal, "VERSION_CHECK_SECONDS", 0.0)
    assert is_working_day(D(2026, 12, 31)) is False


def test_hundred_thousand_deadlines_are_fast(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    starts = [D(2024, 1, 1) + timedelta(days=i % 700) for i in range(100_000)]
    add_working_days(starts[0], 1)  # warm the cache for one year
    began = time.perf_counter()
    with django_assert_max_num_queries(2 * 3):  # at most 2 queries for each other year touched
        for i, start in enumerate(starts):
            add_working_days(start, 1 + i % 30)
    elapsed = time.perf_counter() - began
    assert elapsed < 3.0, f"100,000 deadlines took {elapsed:.2f}s"


dates_with_data = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 6, 30))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=dates_with_data, n=st.integers(min_value=0, max_value=120))
def test_add_then_count_gives_back_n(start: date, n: int) -> None:
    result = add_working_days(start, n)
    assert is_working_day(result)
    assert result >= start
    if n > 0 or is_working_day(start):
        assert working_days_between(start, result) == n
    else:  # n == 0 on a day off: moved to the next working day
        assert result == next_working_day(start)
        assert working_days_between(start, result) == 1
    if n > 0:
        # Nothing earlier would do: the day before the result has one working day fewer.
        assert working_days_between(start, result - timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=D(2004, 7, 1), max_value=D(2026, 12, 31)), n=st.integers(1, 100))
def test_counting_backwards_from_a_working_day_inverts(start: date, n: int) -> None:
    assume(is_working_day(start))
    result = add_working_days(start, -n)
    assert is_working_day(result)
    assert working_days_between(start, result) == -n
    assert add_working_days(result, n) == start
