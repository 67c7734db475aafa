"""Date arithmetic exactly as the rules define it (spec §2, "Dates").

- age: full years at the as-of date;
- full months between a start date and the as-of date, never below 0;
- "within the last N years": ``as_of − N years < event ≤ as_of``, where ``as_of − N years`` keeps the
  month and day and 29 February becomes 28 February in a common year.
"""

from __future__ import annotations

import datetime as dt


def age_on(birth_date: dt.date, as_of: dt.date) -> int:
    """Full years of age at ``as_of`` (0 before the first birthday; negative if born after ``as_of``)."""
    before_birthday = (as_of.month, as_of.day) < (birth_date.month, birth_date.day)
    return as_of.year - birth_date.year - (1 if before_birthday else 0)


def full_months(start: dt.date, as_of: dt.date) -> int:
    """Full months from ``start`` to ``as_of``; 0 if ``start`` is on or after ``as_of``."""
    months = (
        (as_of.year - start.year) * 12 + (as_of.month - start.month) - (1 if as_of.day < start.day else 0)
    )
    return max(months, 0)


def years_before(as_of: dt.date, years: int) -> dt.date:
    """``as_of`` moved back ``years`` calendar years, keeping month and day (29 Feb → 28 Feb)."""
    year = as_of.year - years
    if as_of.month == 2 and as_of.day == 29 and not _is_leap(year):
        return dt.date(year, 2, 28)
    return as_of.replace(year=year)


def within_last_years(event: dt.date, as_of: dt.date, years: int) -> bool:
    """True if ``as_of − years < event ≤ as_of`` (the look-back window of the rules)."""
    return years_before(as_of, years) < event <= as_of


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
