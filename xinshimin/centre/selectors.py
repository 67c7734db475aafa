"""Reads of the centre: announcements (visibility inside the query) and the dashboards' aggregate queries.

The dashboard queries count and sum in the database (a fixed number of queries whatever the population)
and return plain rows; ``dashboard.py`` turns them into tables and charts. They show aggregates only —
never a name, an ID number or a phone number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.models import Department, Town
from xinshimin.core.errors import NotFound

from .access import can_manage_announcements, may_see_resident_announcements
from .models import Announcement

# --- announcements -------------------------------------------------------------------------------------------


def announcement_list_public(*, user: Any, at: dt.datetime | None = None) -> QuerySet[Announcement]:
    """Live announcements: public ones for everybody, residents' ones for anyone logged in."""
    rows = Announcement.objects.live(at or timezone.now())
    if not may_see_resident_announcements(user):
        rows = rows.filter(audience=Announcement.Audience.PUBLIC)
    return rows.order_by("-published_at", "-pk")


def announcement_latest(*, user: Any, limit: int = 5, at: dt.datetime | None = None) -> list[Announcement]:
    """For the home page: the newest live announcements this visitor may see."""
    return list(announcement_list_public(user=user, at=at)[:limit])


def announcement_get(*, user: Any, pk: Any, at: dt.datetime | None = None) -> Announcement:
    """A live announcement the user may see; the centre also sees drafts, scheduled and withdrawn ones."""
    rows = (
        Announcement.objects.all()
        if can_manage_announcements(user)
        else announcement_list_public(user=user, at=at)
    )
    try:
        return rows.select_related("published_by").get(pk=pk)
    except (Announcement.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("未找到该公告，或公告已下线。")) from None


def announcement_list_managed(*, user: Any, status: str | None = None) -> QuerySet[Announcement]:
    """Every announcement, for the centre's management list (others get none)."""
    if not can_manage_announcements(user):
        return Announcement.objects.none()
    rows = Announcement.objects.select_related("created_by", "published_by").prefetch_related("jobs")
    if status in Announcement.Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")


# --- dashboard filters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Business dates ``start`` … ``end`` (both included)."""

    start: dt.date
    end: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes [start 00:00, day after end 00:00) in the configured time zone."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        stop = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return start, stop

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        months: list[dt.date] = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


def _month_key(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.date().replace(day=1)
    day: dt.date = value
    return day.replace(day=1)


# --- residents and scores ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownCount:
    code: str
    name: str
    residents: int
    scoring: int


def residents_by_town(*, town: Town | None, on: dt.date) -> list[TownCount]:
    """Residents per town: registered, and holding a permit that counts for points on ``on``. Every town
    is listed (zero included) unless one town is asked for. Two queries."""
    from xinshimin.residents.models import ResidencePermit, Resident

    rows = Resident.objects.annotate(
        has_scoring_permit=Exists(ResidencePermit.objects.scoring(on).filter(resident_id=OuterRef("pk")))
    )
    if town is not None:
        rows = rows.filter(town=town)
    counts = {
        row["town_id"]: row
        for row in rows.order_by()
        .values("town_id")
        .annotate(residents=Count("pk"), scoring=Count("pk", filter=Q(has_scoring_permit=True)))
    }
    towns = [town] if town is not None else list(Town.objects.order_by("code"))
    return [
        TownCount(
            code=t.code,
            name=t.name,
            residents=int(counts.get(t.pk, {}).get("residents", 0)),
            scoring=int(counts.get(t.pk, {}).get("scoring", 0)),
        )
        for t in towns
    ]


SCORE_BIN = 20
SCORE_TOP = 300  # 100 common + 200 local at most (policy §2)


@dataclass(frozen=True)
class ScoreBin:
    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


def score_histogram(*, town: Town | None, on: dt.date, width: int = SCORE_BIN) -> list[ScoreBin]:
    """How many residents' latest score snapshot (as of ``on`` at the latest) falls in each band of
    ``width`` points: [0, 20), [20, 40) … the last band includes the top score. One query."""
    from xinshimin.scoring.models import ScoreSnapshot

    latest = (
        ScoreSnapshot.objects.filter(resident_id=OuterRef("resident_id"), as_of__lte=on)
        .order_by("-as_of", "-computed_at", "-pk")
        .values("pk")[:1]
    )
    rows = ScoreSnapshot.objects.filter(as_of__lte=on, pk=Subquery(latest))
    if town is not None:
        rows = rows.filter(resident__town=town)
    lows = list(range(0, SCORE_TOP, width))
    whens = [When(total__lt=low + width, then=Value(index)) for index, low in enumerate(lows)]
    band = Case(*whens, default=Value(len(lows) - 1), output_field=IntegerField())
    counts = {
        row["band"]: row["n"]
        for row in rows.order_by().annotate(band=band).values("band").annotate(n=Count("pk"))
    }
    return [
        ScoreBin(low=low, high=min(low + width, SCORE_TOP), count=int(counts.get(index, 0)))
        for index, low in enumerate(lows)
    ]


# --- scenes --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SceneTownCount:
    scene_id: int
    scene: str
    year: int
    town: str
    total: int
    eligible: int
    rejected: int


def applications_by_scene_and_town(*, town: Town | None, period: Period) -> list[SceneTownCount]:
    """Applications (withdrawn ones left out) submitted in the period, per scene and applicant's town.
    One query."""
    from xinshimin.scenes.models import Application

    start, stop = period.bounds()
    rows = Application.objects.filter(submitted_at__gte=start, submitted_at__lt=stop).exclude(
        status=Application.Status.WITHDRAWN
    )
    if town is not None:
        rows = rows.filter(resident__town=town)
    grouped = (
        rows.order_by()
        .values("scene_id", "scene__name", "scene__year", "resident__town__code", "resident__town__name")
        .annotate(
            total=Count("pk"),
            eligible=Count("pk", filter=Q(status=Application.Status.ELIGIBLE)),
            rejected=Count("pk", filter=Q(status=Application.Status.REJECTED)),
        )
        .order_by("-scene__year", "scene__name", "scene_id", "resident__town__code")
    )
    return [
        SceneTownCount(
            scene_id=row["scene_id"],
            scene=row["scene__name"],
            year=row["scene__year"],
            town=row["resident__town__name"],
            total=row["total"],
            eligible=row["eligible"],
            rejected=row["rejected"],
        )
        for row in grouped
    ]


# --- reviews -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentBacklog:
    code: str
    name: str
    claims_waiting: int
    claims_overdue: int
    claims_evidence: int
    claims_decided: int
    checks_pending: int
    checks_overdue: int

    @property
    def waiting(self) -> int:
        return self.claims_waiting + self.checks_pending

    @property
    def overdue(self) -> int:
        return self.claims_overdue + self.checks_overdue


def review_backlog(*, town: Town | None, period: Period, today: dt.date) -> list[DepartmentBacklog]:
    """Per department, now: claims waiting for its decision (and how many are past their due date), claims
    waiting for the resident's evidence, scene eligibility checks pending (overdue once the scene's review
    window has ended); and claims it decided in the period. Three queries."""
    from xinshimin.claims.models import Claim
    from xinshimin.scenes.models import ApplicationCheck

    start, stop = period.bounds()
    claims = Claim.objects.all()
    checks = ApplicationCheck.objects.filter(result=ApplicationCheck.Result.PENDING).exclude(
        application__status="withdrawn"
    )
    if town is not None:
        claims = claims.filter(resident__town=town)
        checks = checks.filter(application__resident__town=town)
    waiting = Q(status__in=Claim.DEPARTMENT_STATUSES)
    claim_counts = {
        row["department_id"]: row
        for row in claims.order_by()
        .values("department_id")
        .annotate(
            waiting=Count("pk", filter=waiting),
            overdue=Count("pk", filter=waiting & Q(due_on__lt=today)),
            awaiting_evidence=Count("pk", filter=Q(status=Claim.Status.EVIDENCE_REQUESTED)),
            decided=Count("pk", filter=Q(decided_at__gte=start, decided_at__lt=stop)),
        )
    }
    check_counts = {
        row["department_id"]: row
        for row in checks.order_by()
        .values("department_id")
        .annotate(
            pending=Count("pk"),
            overdue=Count("pk", filter=Q(application__scene__review_ends_on__lt=today)),
        )
    }
    result = []
    for department in Department.objects.order_by("code"):
        c, k = claim_counts.get(department.pk, {}), check_counts.get(department.pk, {})
        result.append(
            DepartmentBacklog(
                code=department.code,
                name=department.name,
                claims_waiting=int(c.get("waiting", 0)),
                claims_overdue=int(c.get("overdue", 0)),
                claims_evidence=int(c.get("awaiting_evidence", 0)),
                claims_decided=int(c.get("decided", 0)),
                checks_pending=int(k.get("pending", 0)),
                checks_overdue=int(k.get("overdue", 0)),
            )
        )
    return result


# --- welfare -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferRow:
    pk: int
    title: str
    provider: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    stock: int
    granted: int
    granted_in_town: int | None


@dataclass(frozen=True)
class MonthStock:
    month: dt.date
    offers: int
    stock: int
    redeemed: int


def welfare_openings(*, town: Town | None, period: Period) -> list[OfferRow]:
    """Published offers opening in the period: stock and units granted (and granted to residents of
    ``town``). One query."""
    from xinshimin.welfare.models import Offer

    start, stop = period.bounds()
    rows = Offer.objects.published().filter(opens_at__gte=start, opens_at__lt=stop).select_related("provider")
    if town is not None:
        rows = rows.annotate(in_town=Count("redemptions", filter=Q(redemptions__resident__town=town)))
    return [
        OfferRow(
            pk=offer.pk,
            title=offer.title,
            provider=offer.provider.name,
            opens_at=offer.opens_at,
            closes_at=offer.closes_at,
            stock=offer.stock,
            granted=offer.stock - offer.remaining,
            granted_in_town=getattr(offer, "in_town", None),
        )
        for offer in rows.order_by("opens_at", "pk")
    ]


def welfare_by_month(*, town: Town | None, period: Period) -> list[MonthStock]:
    """Per month of the period: offers opened, their stock, and units redeemed that month (by residents of
    ``town`` if given). Two queries."""
    from xinshimin.welfare.models import Offer, Redemption

    start, stop = period.bounds()
    offers = {
        _month_key(row["month"]): row
        for row in Offer.objects.published()
        .filter(opens_at__gte=start, opens_at__lt=stop)
        .order_by()
        .annotate(month=TruncMonth("opens_at"))
        .values("month")
        .annotate(n=Count("pk"), stock=Sum("stock"))
    }
    redemptions = Redemption.objects.filter(
        granted_at__gte=start, granted_at__lt=stop, offer__status=Offer.Status.PUBLISHED
    )
    if town is not None:
        redemptions = redemptions.filter(resident__town=town)
    redeemed = {
        _month_key(row["month"]): row["n"]
        for row in redemptions.order_by()
        .annotate(month=TruncMonth("granted_at"))
        .values("month")
        .annotate(n=Count("pk"))
    }
    return [
        MonthStock(
            month=month,
            offers=int(offers.get(month, {}).get("n", 0)),
            stock=int(offers.get(month, {}).get("stock") or 0),
            redeemed=int(redeemed.get(month, 0)),
        )
        for month in period.months()
    ]


# --- charity fund --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFund:
    month: dt.date
    money_in: Decimal
    money_out: Decimal

    @property
    def net(self) -> Decimal:
        return self.money_in - self.money_out


def fund_by_month(*, period: Period) -> list[MonthFund]:
    """Money into and out of the fund's bank account per month (ledger lines by entry date; a reversal
    shows as a movement of its own month). One query."""
    from xinshimin.charity.ledger import FUND_BANK
    from xinshimin.charity.models import JournalLine

    zero = Decimal("0.00")
    sums = {
        _month_key(row["month"]): row
        for row in JournalLine.objects.filter(
            account__code=FUND_BANK, entry__entry_on__gte=period.start, entry__entry_on__lte=period.end
        )
        .order_by()
        .annotate(month=TruncMonth("entry__entry_on"))
        .values("month")
        .annotate(money_in=Sum("debit"), money_out=Sum("credit"))
    }
    return [
        MonthFund(
            month=month,
            money_in=Decimal(sums.get(month, {}).get("money_in") or zero).quantize(zero),
            money_out=Decimal(sums.get(month, {}).get("money_out") or zero).quantize(zero),
        )
        for month in period.months()
    ]
