"""The ban period after a fraud sanction (spec §5 "Audits and fraud"; guide 十 and 六(五)): pure date arithmetic.

A ban is the half-open interval ``[start, start + 3 years)``:

- ``start`` is the day the sanction takes effect (the day it is approved): banned that day already;
- ``start + 3 years`` is the same month and day three years later; a ban starting on 29 February ends
  at 28 February (the years after a leap year have no 29 February);
- that anniversary day is the first free day. The **last banned day is the day before it**, and that is
  the date every message gives ("限制期至 2029年2月28日" for a ban that started on 2026-03-01).

So on the day after the last banned day the gates let the person through again.
"""

from __future__ import annotations

from datetime import date, timedelta

BAN_YEARS = 3


def years_later(start: date, years: int) -> date:
    """The same month and day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February → a year without it
        return start.replace(year=start.year + years, day=28)


def ban_last_day(start: date, years: int = BAN_YEARS) -> date:
    """The last day of a ban that starts on ``start``: the day before the anniversary (end included)."""
    return years_later(start, years) - timedelta(days=1)


def chinese_date(day: date) -> str:
    """2029年2月28日 (no leading zeros), as official letters write dates."""
    return f"{day.year}年{day.month}月{day.day}日"
