"""Who may redeem an offer: the one place that decides it (``offer_eligibility``).

Rules [GUIDE 七(二); spec §5]: anyone holding a residence permit that counts for points on the day of the
request, with points above 0, may redeem. Redeeming never deducts points. A ban (3 years after fraud,
spec §5 "Audits and fraud") is checked here too, first (``integrity.gates``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.core.compiled import CompiledQuery
from xinshimin.integrity.gates import active_ban, ban_message
from xinshimin.integrity.models import Ban
from xinshimin.residents.models import ResidencePermit, Resident

from .models import Offer


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str = ""
    code: str = ""


ELIGIBLE = Eligibility(ok=True)


def _points_query(resident_id: Any, on: date) -> QuerySet[Any]:
    """The latest score computed on or before ``on``: one row, its ``total``."""
    from xinshimin.scoring.models import ScoreSnapshot

    return (
        ScoreSnapshot.objects.filter(resident_id=resident_id, as_of__lte=on)
        .order_by("-as_of", "-computed_at", "-id")
        .values("total")[:1]
    )


def resident_points(resident: Resident, *, on: date) -> Decimal | None:
    """The resident's total points as of ``on`` (the latest score computed on or before that day), or None."""
    row = _points_query(resident.pk, on).first()
    return row["total"] if row else None


def _resident_and_facts(on: date, **which: Any) -> QuerySet[Any]:
    """The resident picked by ``which`` with ban, permit and points, as one row (compiled once: see below)."""
    return (
        Resident.objects.filter(**which)
        .annotate(
            banned=Exists(Ban.objects.filter(resident_id=OuterRef("pk")).active_on(on)),
            has_permit=Exists(ResidencePermit.objects.scoring(on).filter(resident_id=OuterRef("pk"))),
            points=Subquery(_points_query(OuterRef("pk"), on)),
        )
        .values_list(*_RESIDENT_FIELDS, "banned", "has_permit", "points")[:1]
    )


_RESIDENT_FIELDS = ("id", "user_id", "name", "id_number_masked")  # what a redemption and its answer show

# Every redemption request that may win a unit asks this: compiled to SQL once (xinshimin/core/compiled.py).
_PLACEHOLDERS = (-918_273_645, date(1901, 2, 3))
_BY_USER = CompiledQuery(lambda user_id, on: _resident_and_facts(on, user_id=user_id), _PLACEHOLDERS)
_BY_RESIDENT = CompiledQuery(lambda pk, on: _resident_and_facts(on, pk=pk), _PLACEHOLDERS)


def _decide(
    resident: Resident, on: date, *, banned: bool, has_permit: bool, points: Decimal | None
) -> Eligibility:
    if banned:  # integrity: no points services during a fraud ban (spec §5); its dates only when banned
        ban = active_ban(resident, on)
        if ban is not None:
            return Eligibility(ok=False, code="banned", reason=ban_message(ban))
    return _permit_and_points_decide(bool(has_permit), points)


def offer_eligibility(*, offer: Offer, resident: Resident, at: datetime) -> Eligibility:
    """May ``resident`` redeem ``offer`` at the moment ``at``? ``reason`` says why not and what to do.

    Time windows, stock and the per-person limit are not eligibility: the redemption service answers
    those itself. This function only reads.
    """
    on = timezone.localdate(at)
    rows = _BY_RESIDENT.rows(resident.pk, on)
    if not rows:
        return _permit_and_points_decide(False, None)
    *_values, banned, has_permit, points = rows[0]
    return _decide(resident, on, banned=banned, has_permit=has_permit, points=points)


def resident_and_eligibility(*, user: Any, offer: Offer, at: datetime) -> tuple[Resident | None, Eligibility]:
    """The resident linked to ``user`` and ``offer_eligibility`` for them, from one query (the redemption
    path at the opening instant). ``(None, …)`` when the login has no resident record. Of the resident,
    only the fields a redemption and its certificate show are loaded (the others on access, as with
    ``.only()``)."""
    on = timezone.localdate(at)
    rows = _BY_USER.rows(user.pk, on)
    if not rows:
        return None, Eligibility(ok=False, code="no_resident")
    *values, banned, has_permit, points = rows[0]
    resident = Resident.from_db("default", list(_RESIDENT_FIELDS), values)
    return resident, _decide(resident, on, banned=banned, has_permit=has_permit, points=points)


def _permit_and_points_decide(has_permit: bool, points: Decimal | None) -> Eligibility:
    if not has_permit:
        return Eligibility(
            ok=False,
            code="no_valid_permit",
            reason=_(
                "您没有有效的浙江省居住证（在瑞安签发、有效或待签注），暂不能参加积分福利兑换。"
                "请先到居住地派出所或乡镇街道新居民服务窗口申领或续签居住证。"
            ),
        )
    if points is None or points <= 0:
        return Eligibility(
            ok=False,
            code="no_points",
            reason=_(
                "您目前没有积分（积分需大于 0 才能兑换）。请在“我的积分”中查看各项指标，"
                "缺少的材料可在集中审核期内申报。"
            ),
        )
    return ELIGIBLE
