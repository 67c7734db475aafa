"""Reads of the integrity area, with visibility decided in the query (a hidden row is never fetched).

The centre's administrators and the auditors see everything here; a resident sees only their own
approved sanctions (the decision letter) and bans; everyone else sees nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.claims.models import Evidence
from xinshimin.core.errors import NotFound

from . import sampling
from .access import can_read_integrity
from .models import AuditDraw, AuditPlan, AuditSample, Ban, FindingEvidence, Recovery, Sanction

M = TypeVar("M", bound=Model)


def _not_found(what: str) -> NotFound:
    return NotFound(_("未找到该%(what)s，或您无权查看。") % {"what": what})


def _get(rows: QuerySet[M], pk: Any, what: str) -> M:
    try:
        return rows.get(pk=int(pk))
    except (ValueError, TypeError, OverflowError):
        raise _not_found(what) from None
    except ObjectDoesNotExist:
        raise _not_found(what) from None


# --- plans, draws, samples ---------------------------------------------------------------------------


def plans_visible_to(user: Any) -> QuerySet[AuditPlan]:
    rows = AuditPlan.objects.select_related("scene", "department", "created_by")
    return rows if can_read_integrity(user) else rows.none()


def plan_get(*, visible_to: Any, pk: Any) -> AuditPlan:
    return _get(plans_visible_to(visible_to), pk, _("抽查计划"))


def draws_visible_to(user: Any) -> QuerySet[AuditDraw]:
    rows = AuditDraw.objects.select_related("plan", "created_by")
    return rows if can_read_integrity(user) else rows.none()


def draw_get(*, visible_to: Any, pk: Any) -> AuditDraw:
    return _get(draws_visible_to(visible_to), pk, _("抽样"))


def samples_visible_to(user: Any) -> QuerySet[AuditSample]:
    rows = AuditSample.objects.select_related(
        "draw__plan", "claim__department", "application__scene", "resident__town", "found_by"
    )
    return rows if can_read_integrity(user) else rows.none()


def sample_get(*, visible_to: Any, pk: Any) -> AuditSample:
    return _get(samples_visible_to(visible_to), pk, _("抽查样本"))


def draw_samples(draw: AuditDraw) -> list[AuditSample]:
    return list(draw.samples.select_related("claim", "application__scene", "resident").order_by("position"))


def draw_reproduces(draw: AuditDraw) -> bool:
    """Repeat the draw from its seed and frozen population: True if it gives the stored sample."""
    expected = [i for i, _key in sampling.draw(draw.seed, draw.object_type, draw.population_ids, draw.rate)]
    field = "claim_id" if draw.object_type == "claims.claim" else "application_id"
    stored = list(draw.samples.order_by("position").values_list(field, flat=True))
    return expected == stored and sampling.population_digest(draw.object_type, draw.population_ids) == (
        draw.population_digest
    )


def finding_evidence_get(*, visible_to: Any, pk: Any) -> FindingEvidence:
    rows = FindingEvidence.objects.all() if can_read_integrity(visible_to) else FindingEvidence.objects.none()
    return _get(rows, pk, _("核查证据"))


def sample_claim_evidence_get(*, visible_to: Any, sample: AuditSample, pk: Any) -> Evidence:
    """A file of the sampled claim, for the auditor (the sample itself was already checked as visible)."""
    if sample.claim_id is None or not can_read_integrity(visible_to):
        raise _not_found(_("证明材料"))
    return _get(Evidence.objects.filter(claim_id=sample.claim_id), pk, _("证明材料"))


# --- sanctions, bans, recoveries ---------------------------------------------------------------------


def sanctions_visible_to(user: Any) -> QuerySet[Sanction]:
    rows = Sanction.objects.select_related(
        "resident__town", "sample__draw__plan", "proposed_by", "decided_by"
    )
    if can_read_integrity(user):
        return rows
    if is_role(user, Role.RESIDENT):
        return rows.filter(resident__user_id=user.pk, status=Sanction.Status.APPROVED)
    return rows.none()


def sanction_get(*, visible_to: Any, pk: Any) -> Sanction:
    return _get(sanctions_visible_to(visible_to), pk, _("违规处理"))


def sanctions_to_decide(*, user: Any) -> QuerySet[Sanction]:
    """Proposals waiting for a second person: everyone's but the user's own."""
    if not can_read_integrity(user):
        return Sanction.objects.none()
    return (
        sanctions_visible_to(user)
        .filter(status=Sanction.Status.PROPOSED)
        .exclude(proposed_by_id=user.pk)
        .order_by("proposed_at", "pk")
    )


def bans_active(*, visible_to: Any, on: date | None = None) -> QuerySet[Ban]:
    on = on or timezone.localdate()
    rows = Ban.objects.active_on(on).select_related("resident__town", "sanction").order_by("ends_on", "pk")
    if can_read_integrity(visible_to):
        return rows
    if is_role(visible_to, Role.RESIDENT):
        return rows.filter(resident__user_id=visible_to.pk)
    return rows.none()


def recoveries_visible_to(user: Any) -> QuerySet[Recovery]:
    rows = Recovery.objects.select_related("resident__town", "sanction", "application__scene")
    if can_read_integrity(user):
        return rows
    if is_role(user, Role.RESIDENT):
        return rows.filter(resident__user_id=user.pk)
    return rows.none()


def recovery_get(*, visible_to: Any, pk: Any) -> Recovery:
    return _get(recoveries_visible_to(visible_to), pk, _("追回事项"))


def workbench_numbers(user: Any) -> dict[str, Any]:
    """Numbers for the integrity cards on /workbench/ (empty for other roles)."""
    today = timezone.localdate()
    if can_read_integrity(user):
        return {
            "pending_samples": samples_visible_to(user).filter(finding=AuditSample.Finding.PENDING).count(),
            "to_decide": sanctions_to_decide(user=user).count(),
            "active_bans": bans_active(visible_to=user, on=today).count(),
            "open_recoveries": recoveries_visible_to(user).filter(status=Recovery.Status.OPEN).count(),
        }
    if is_role(user, Role.RESIDENT):
        ban = bans_active(visible_to=user, on=today).order_by("-ends_on").first()
        return {
            "ban": ban,
            "sanctions": list(sanctions_visible_to(user).order_by("-decided_at")[:5]),
            "recoveries": list(recoveries_visible_to(user).filter(status=Recovery.Status.OPEN)),
        }
    return {}
