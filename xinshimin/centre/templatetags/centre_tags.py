"""Template helpers: dates the Chinese way, and the latest announcements for the home page.

{% load centre_tags %}
{{ day|cn_date }}                 2026年3月1日        (English pages: 1 March 2026)
{{ moment|cn_datetime }}          2026年3月1日 09:30  (local time)
{{ day|cn_month }}                2026年3月
{{ start|cn_range:end }}          2026年3月1日至4月30日
{% latest_announcements 5 as items %}
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language

register = template.Library()

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    if isinstance(value, dt.date):
        return value
    return None


def format_cn_date(day: dt.date, *, english: bool = False) -> str:
    if english:
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


@register.filter
def cn_date(value: Any) -> str:
    """A date (or the local date of a datetime) written 2026年3月1日."""
    day = _as_date(value)
    return format_cn_date(day, english=_english()) if day else ""


@register.filter
def cn_datetime(value: Any) -> str:
    """A moment in local time, written 2026年3月1日 09:30."""
    if not isinstance(value, dt.datetime):
        return cn_date(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_cn_date(local.date(), english=_english())} {local:%H:%M}"


@register.filter
def cn_month(value: Any) -> str:
    day = _as_date(value)
    if day is None:
        return ""
    return f"{_MONTHS_EN[day.month - 1]} {day.year}" if _english() else f"{day.year}年{day.month}月"


@register.filter
def cn_range(start: Any, end: Any) -> str:
    """2026年3月1日至4月30日 (the end's year is written only when it differs); one day: 2026年3月1日."""
    first, last = _as_date(start), _as_date(end)
    if first is None:
        return cn_date(last)
    if last is None or last == first:
        return cn_date(first)
    if _english():
        return f"{format_cn_date(first, english=True)} – {format_cn_date(last, english=True)}"
    if last.year == first.year:
        return f"{format_cn_date(first)}至{last.month}月{last.day}日"
    return f"{format_cn_date(first)}至{format_cn_date(last)}"


@register.filter
def cell(value: Any) -> str:
    """A dashboard table cell: dates the Chinese way, money with thousands separators, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return cn_datetime(value)
    if isinstance(value, dt.date):
        return cn_date(value)
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@register.simple_tag(takes_context=True)
def latest_announcements(context: template.Context, limit: int = 5) -> list[Any]:
    """The newest live announcements the visitor may see (public ones; residents' ones once logged in)."""
    from xinshimin.centre.selectors import announcement_latest

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return announcement_latest(user=user, limit=limit)
