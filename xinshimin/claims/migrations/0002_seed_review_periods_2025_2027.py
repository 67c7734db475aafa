"""Seed the centralised review periods (集中审核期) 2025–2027: March–April and July–September [GUIDE 九(三)].

The centre adjusts the exact dates in the admin once the year's announcements are published.
"""

from datetime import date

from django.db import migrations

PERIODS = [
    (year, start, end, label)
    for year in (2025, 2026, 2027)
    for start, end, label in (
        (date(year, 3, 1), date(year, 4, 30), f"{year}年春季集中审核期（积分入学受理期间）"),
        (date(year, 7, 1), date(year, 9, 30), f"{year}年夏秋季集中审核期（积分租赁等服务受理期间）"),
    )
]


def seed(apps, schema_editor):
    ReviewPeriod = apps.get_model("claims", "ReviewPeriod")
    for year, start, end, label in PERIODS:
        ReviewPeriod.objects.get_or_create(
            starts_on=start, defaults={"year": year, "ends_on": end, "label": label}
        )


def unseed(apps, schema_editor):
    ReviewPeriod = apps.get_model("claims", "ReviewPeriod")
    ReviewPeriod.objects.filter(starts_on__in=[p[1] for p in PERIODS]).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_claims_evidence_events_review_periods")]

    operations = [migrations.RunPython(seed, unseed)]
