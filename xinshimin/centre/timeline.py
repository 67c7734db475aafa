"""The year's timeline (年度时间表): every phase of the year, generated from the data, never hard-coded.

Sources: the centralised review periods (``claims.ReviewPeriod``); for each published scene its
application window, its review window, its public notice (公示), the final list and the recorded
results (school places, subsidy payments); and the welfare openings (``welfare.Offer``). An entry is part
of a year when any of its days falls in that year. A fixed number of queries whatever the year holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CATEGORIES = {
    "review_period": gettext_lazy("集中审核期"),
    "scene_application": gettext_lazy("场景申请"),
    "scene_review": gettext_lazy("部门审核"),
    "scene_notice": gettext_lazy("名单公示"),
    "scene_final": gettext_lazy("最终名单"),
    "scene_result": gettext_lazy("结果落实"),
    "welfare": gettext_lazy("福利兑换"),
}


@dataclass(frozen=True)
class TimelineEntry:
    starts_on: dt.date
    ends_on: dt.date
    category: str
    title: str
    detail: str = ""
    url: str = ""

    @property
    def category_label(self) -> str:
        return str(CATEGORIES[self.category])

    @property
    def is_single_day(self) -> bool:
        return self.starts_on == self.ends_on

    def state(self, today: dt.date) -> str:
        """ "past", "current" or "upcoming" relative to ``today``."""
        if today > self.ends_on:
            return "past"
        if today < self.starts_on:
            return "upcoming"
        return "current"


@dataclass(frozen=True)
class Timeline:
    year: int
    entries: list[TimelineEntry]

    def by_month(self) -> list[tuple[int, list[TimelineEntry]]]:
        """Entries grouped by the month they start in (an entry from last year starts in January)."""
        first = dt.date(self.year, 1, 1)
        return [
            (month, list(items))
            for month, items in groupby(self.entries, key=lambda e: max(e.starts_on, first).month)
        ]


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _last_day(closes_at: dt.datetime) -> dt.date:
    """The last day of a window that closes at ``closes_at`` (exclusive): a window closing at midnight
    ends the day before."""
    return _local_day(closes_at - dt.timedelta(microseconds=1))


def _overlaps(year: int, start: dt.date, end: dt.date) -> bool:
    return start <= dt.date(year, 12, 31) and end >= dt.date(year, 1, 1)


def _review_periods(year: int) -> list[TimelineEntry]:
    from xinshimin.claims.models import ReviewPeriod

    rows = ReviewPeriod.objects.filter(starts_on__lte=dt.date(year, 12, 31), ends_on__gte=dt.date(year, 1, 1))
    return [
        TimelineEntry(
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            category="review_period",
            title=period.label,
            detail=_("可提出积分异议；补充申报全年受理。"),
            url=reverse("web:claims_new"),
        )
        for period in rows.order_by("starts_on")
    ]


def _scene_entries(year: int) -> list[TimelineEntry]:
    from xinshimin.scenes.models import Outcome, RankingRun, Scene

    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    zone = timezone.get_current_timezone()
    year_start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    year_stop = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    scenes = list(
        Scene.objects.filter(status__in=[Scene.Status.PUBLISHED, Scene.Status.ARCHIVED])
        .filter(
            Q(year=year)
            | Q(opens_at__lt=year_stop, closes_at__gt=year_start)
            | Q(review_starts_on__lte=last, review_ends_on__gte=first)
            | Q(notice__starts_on__lte=last, notice__ends_on__gte=first)
        )
        .select_related("notice")
        .order_by("opens_at", "pk")
        .distinct()
    )
    ids = [scene.pk for scene in scenes]
    finals = dict(
        RankingRun.objects.filter(
            scene_id__in=ids, status=RankingRun.Status.FINAL, finalised_at__isnull=False
        )
        .order_by()
        .values_list("scene_id", "finalised_at")
    )
    results = {
        row["application__scene_id"]: row
        for row in Outcome.objects.filter(
            application__scene_id__in=ids,
            kind__in=[Outcome.Kind.PLACED, Outcome.Kind.NOT_PLACED, Outcome.Kind.SUBSIDY_PAID],
        )
        .order_by()
        .values("application__scene_id")
        .annotate(first=Min("recorded_at"), last=Max("recorded_at"))
    }
    entries: list[TimelineEntry] = []
    for scene in scenes:
        detail_url = reverse("web:scene_detail", args=[scene.pk])
        entries.append(
            TimelineEntry(
                starts_on=_local_day(scene.opens_at),
                ends_on=_last_day(scene.closes_at),
                category="scene_application",
                title=_("%(scene)s：申请") % {"scene": scene.name},
                detail=_("在线申请，或到现居住地乡镇街道新居民服务窗口代办。"),
                url=detail_url,
            )
        )
        entries.append(
            TimelineEntry(
                starts_on=scene.review_starts_on,
                ends_on=scene.review_ends_on,
                category="scene_review",
                title=_("%(scene)s：部门审核") % {"scene": scene.name},
                detail=_("相关部门核查申请人的资格条件。"),
                url=detail_url,
            )
        )
        notice = getattr(scene, "notice", None)
        if notice is not None:
            entries.append(
                TimelineEntry(
                    starts_on=notice.starts_on,
                    ends_on=notice.ends_on,
                    category="scene_notice",
                    title=_("%(scene)s：名单公示") % {"scene": scene.name},
                    detail=_("公示 %(days)s 个工作日，公示期内可对本人名次提出异议。")
                    % {"days": notice.working_days},
                    url=reverse("web:notice_detail", args=[scene.pk]),
                )
            )
        finalised_at = finals.get(scene.pk)
        if finalised_at is not None:
            day = _local_day(finalised_at)
            entries.append(
                TimelineEntry(
                    starts_on=day,
                    ends_on=day,
                    category="scene_final",
                    title=_("%(scene)s：最终名单确定") % {"scene": scene.name},
                    url=reverse("web:notice_detail", args=[scene.pk]),
                )
            )
        result = results.get(scene.pk)
        if result is not None:
            labels: dict[str, str] = {
                Scene.Kind.SCHOOL.value: _("%(scene)s：入学安置"),
                Scene.Kind.HOUSING.value: _("%(scene)s：补贴发放"),
            }
            label = labels.get(str(scene.kind), _("%(scene)s：结果登记"))
            entries.append(
                TimelineEntry(
                    starts_on=_local_day(result["first"]),
                    ends_on=_local_day(result["last"]),
                    category="scene_result",
                    title=label % {"scene": scene.name},
                    detail=_("按最终名单和名额落实。"),
                )
            )
    return entries


def _welfare_entries(year: int) -> list[TimelineEntry]:
    from xinshimin.welfare.models import Offer

    zone = timezone.get_current_timezone()
    year_start = dt.datetime.combine(dt.date(year, 1, 1), dt.time.min, tzinfo=zone)
    year_stop = dt.datetime.combine(dt.date(year + 1, 1, 1), dt.time.min, tzinfo=zone)
    rows = Offer.objects.published().filter(opens_at__lt=year_stop, closes_at__gt=year_start)
    return [
        TimelineEntry(
            starts_on=_local_day(offer.opens_at),
            ends_on=_last_day(offer.closes_at),
            category="welfare",
            title=_("福利兑换：%(title)s") % {"title": offer.title},
            detail=_("共 %(stock)s 份，先到先得，兑换不扣积分。") % {"stock": offer.stock},
            url=reverse("web:welfare_offer_detail", args=[offer.pk]),
        )
        for offer in rows.select_related("provider").order_by("opens_at", "pk")
    ]


def year_timeline(year: int) -> Timeline:
    """Every phase of ``year``, ordered by start date (then end date, then title)."""
    entries = [
        entry
        for entry in (*_review_periods(year), *_scene_entries(year), *_welfare_entries(year))
        if _overlaps(year, entry.starts_on, entry.ends_on)
    ]
    entries.sort(key=lambda e: (e.starts_on, e.ends_on, e.category, e.title))
    return Timeline(year=year, entries=entries)


def timeline_years(*, around: int) -> list[int]:
    """Years worth offering in the year switcher: the year before ``around`` to the year after, plus any
    year with review periods or scenes."""
    from xinshimin.claims.models import ReviewPeriod
    from xinshimin.scenes.models import Scene

    years = {around - 1, around, around + 1}
    years.update(ReviewPeriod.objects.values_list("year", flat=True).distinct())
    years.update(
        Scene.objects.filter(status__in=[Scene.Status.PUBLISHED, Scene.Status.ARCHIVED])
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(years)
