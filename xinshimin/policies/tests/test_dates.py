"""Date arithmetic of spec §2, one row per case."""

from __future__ import annotations

import pytest

from xinshimin.policies import age_on, full_months, within_last_years, years_before

from .helpers import d

AGE_ROWS = [
    # birth,       as_of,        age
    ("1992-03-15", "2025-04-01", 33),
    ("1985-04-01", "2025-04-01", 40),  # birthday today
    ("1985-04-02", "2025-04-01", 39),  # birthday tomorrow
    ("1985-03-31", "2025-04-01", 40),  # birthday yesterday
    ("2000-02-29", "2025-02-28", 24),  # leap-day birthday, common year: not yet on 28 Feb
    ("2000-02-29", "2025-03-01", 25),
    ("2000-02-29", "2024-02-29", 24),
    ("2025-04-01", "2025-04-01", 0),
]


@pytest.mark.parametrize(("birth", "as_of", "expected"), AGE_ROWS)
def test_age_is_full_years_at_the_as_of_date(birth: str, as_of: str, expected: int) -> None:
    assert age_on(d(birth), d(as_of)) == expected


MONTH_ROWS = [
    # start,       as_of,        full months
    ("2018-06-10", "2025-04-01", 81),  # the worked example
    ("2020-01-01", "2025-04-01", 63),
    ("2025-04-01", "2025-04-01", 0),
    ("2025-04-02", "2025-04-01", 0),  # start after as_of: never below 0
    ("2025-03-01", "2025-04-01", 1),
    ("2025-03-02", "2025-04-01", 0),  # one day short of a month
    ("2025-01-31", "2025-02-28", 0),  # month end: 28 < 31, not a full month
    ("2025-01-31", "2025-03-01", 1),
    ("2024-03-31", "2024-04-30", 0),  # 30 < 31
    ("2024-01-29", "2024-02-29", 1),  # to a 29 February
    ("2024-02-29", "2025-02-28", 11),  # from a 29 February: 28 < 29
    ("2024-02-29", "2025-03-01", 12),
    ("2024-02-29", "2028-02-29", 48),
]


@pytest.mark.parametrize(("start", "as_of", "expected"), MONTH_ROWS)
def test_full_months_follow_the_spec_formula(start: str, as_of: str, expected: int) -> None:
    assert full_months(d(start), d(as_of)) == expected


YEARS_BEFORE_ROWS = [
    ("2025-04-01", 3, "2022-04-01"),
    ("2028-02-29", 3, "2025-02-28"),  # 29 Feb → 28 Feb
    ("2028-02-29", 4, "2024-02-29"),  # leap year to leap year keeps 29 Feb
    ("2025-03-01", 1, "2024-03-01"),
]


@pytest.mark.parametrize(("as_of", "years", "expected"), YEARS_BEFORE_ROWS)
def test_years_before_keeps_month_and_day(as_of: str, years: int, expected: str) -> None:
    assert years_before(d(as_of), years) == d(expected)


WINDOW_ROWS = [
    # event,       as_of,        years, counts
    ("2022-04-01", "2025-04-01", 3, False),  # exactly as_of − 3 years: out
    ("2022-04-02", "2025-04-01", 3, True),  # one day later: in
    ("2025-04-01", "2025-04-01", 3, True),  # on the as-of date: in
    ("2025-04-02", "2025-04-01", 3, False),  # after the as-of date: never
    ("2025-02-28", "2028-02-29", 3, False),  # window start moved to 28 Feb
    ("2025-03-01", "2028-02-29", 3, True),
    ("2020-02-29", "2025-02-28", 5, True),
    ("2020-02-28", "2025-02-28", 5, False),
]


@pytest.mark.parametrize(("event", "as_of", "years", "expected"), WINDOW_ROWS)
def test_look_back_window_boundaries(event: str, as_of: str, years: int, expected: bool) -> None:
    assert within_last_years(d(event), d(as_of), years) is expected
