"""Seed the calendar with every year the pinned ``chinesecalendar`` package covers (2004–2026 in 1.11.0).

Self-contained on purpose (historical models, no app imports), and fast: one bulk insert per table.
Later years are loaded by an administrator (``xinshimin calendar load``), audited.
"""

from importlib.metadata import version

from django.db import migrations
from django.utils import timezone


def _chinese_name(english):
    from chinese_calendar.constants import Holiday

    try:
        return Holiday(english).chinese
    except ValueError:
        return english


def seed(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar.constants import holidays, workdays

    CalendarYear = apps.get_model("workdays", "CalendarYear")
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    source = f"chinese-calendar {version('chinesecalendar')}"
    years = sorted({d.year for d in holidays} | {d.year for d in workdays})
    now = timezone.now()
    existing = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
    missing = [y for y in years if y not in existing]
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source=source, loaded_at=now, note="seeded by migration") for y in missing]
    )
    by_year = {row.year: row for row in CalendarYear.objects.filter(year__in=missing)}
    if not by_year:
        return
    days = []
    for day in sorted(holidays):
        if day.year in by_year:
            _, english = chinese_calendar.get_holiday_detail(day)
            days.append(
                CalendarDay(date=day, year=by_year[day.year], kind="holiday", name=_chinese_name(english))
            )
    for day in sorted(workdays):
        if day.year in by_year:
            _, english = chinese_calendar.get_holiday_detail(day)
            name = f"{_chinese_name(english)}调休"
            days.append(CalendarDay(date=day, year=by_year[day.year], kind="adjusted_workday", name=name))
    CalendarDay.objects.bulk_create(days, batch_size=500)


def unseed(apps, schema_editor):
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    CalendarYear.objects.filter(note="seeded by migration").delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_calendar_years_and_days")]
    operations = [migrations.RunPython(seed, unseed)]
