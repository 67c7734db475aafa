"""The ban period: [start, start + 3 years), the last banned day is the day before the anniversary."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinshimin.integrity.periods import ban_last_day, chinese_date, years_later


@pytest.mark.parametrize(
    ("start", "last"),
    [
        (dt.date(2026, 3, 1), dt.date(2029, 2, 28)),  # the example of the guide's letter
        (dt.date(2027, 3, 1), dt.date(2030, 2, 28)),
        (dt.date(2025, 3, 1), dt.date(2028, 2, 29)),  # the last day falls on a leap day
        (dt.date(2028, 2, 29), dt.date(2031, 2, 27)),  # 29 Feb → anniversary 28 Feb, last day 27 Feb
        (dt.date(2026, 12, 31), dt.date(2029, 12, 30)),
        (dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
    ],
)
def test_ban_last_day_is_the_day_before_the_third_anniversary(start, last):
    assert ban_last_day(start) == last


def test_a_leap_day_anniversary_falls_on_28_february():
    assert years_later(dt.date(2028, 2, 29), 3) == dt.date(2031, 2, 28)
    assert years_later(dt.date(2028, 2, 29), 4) == dt.date(2032, 2, 29)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_a_ban_lasts_three_years_to_the_day(start):
    last = ban_last_day(start)
    free = last + dt.timedelta(days=1)
    assert free == years_later(start, 3)
    assert (free.month, free.day) == (start.month, start.day) or (start.month, start.day) == (2, 29)
    assert 365 * 3 <= (free - start).days <= 365 * 3 + 1


def test_chinese_dates_have_no_leading_zeros():
    assert chinese_date(dt.date(2029, 2, 8)) == "2029年2月8日"
