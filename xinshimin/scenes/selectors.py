"""Reads of the scenes area. Visibility is part of the query: a row a user may not see is never fetched.

Public reads (no login) return only published lists, whose rows hold masked names and IDs only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.core.errors import NotFound
from xinshimin.policies import to_quarters

from . import gates, ranking
from .access import may_receive_final_list
from .models import (
    Application,
    ApplicationCheck,
    Notice,
    Objection,
    Outcome,
    RankingRow,
    RankingRun,
    Scene,
)
from .receipts import receipt_matches, receipt_parse

# --- scenes ---------------------------------------------------------------------------------------------


def scene_list(*, visible_to: Any) -> QuerySet[Scene]:
    """Scenes a user may see: the centre and auditors all (drafts too), everyone else the published ones."""
    rows = Scene.objects.select_related("policy").prefetch_related("departments")
    if is_role(visible_to, Role.CENTRE_ADMIN, Role.AUDITOR):
        return rows
    return rows.filter(status__in=[Scene.Status.PUBLISHED, Scene.Status.ARCHIVED])


def scene_get(*, visible_to: Any, pk: Any) -> Scene:
    try:
        return scene_list(visible_to=visible_to).get(pk=pk)
    except (Scene.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该场景。")) from None


def scene_open_list(*, at: dt.datetime | None = None) -> QuerySet[Scene]:
    at = at or timezone.now()
    return Scene.objects.filter(status=Scene.Status.PUBLISHED, opens_at__lte=at, closes_at__gt=at)


def scene_counts(scene: Scene) -> dict[str, int]:
    """Applications of a scene by status (for the centre's overview)."""
    return dict(scene.applications.values_list("status").annotate(n=Count("id")).order_by())


def current_run(scene: Scene) -> RankingRun | None:
    return scene.runs.exclude(status=RankingRun.Status.SUPERSEDED).first()


def run_history(scene: Scene) -> list[RankingRun]:
    """Every version of the scene's list, newest first."""
    return list(scene.runs.order_by("-version"))


# --- applications ---------------------------------------------------------------------------------------


def application_list(*, visible_to: Any) -> QuerySet[Application]:
    """Applications a user may see: a resident their own; a clerk those of their town's residents; a
    reviewer those with a check or objection for their department; the centre and auditors all."""
    rows = Application.objects.select_related("scene", "resident")
    user = visible_to
    if is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR):
        return rows
    if is_role(user, Role.CLERK):
        return rows.filter(resident__town_id=user.town_id) if user.town_id else rows.none()
    if is_role(user, Role.REVIEWER):
        return rows.filter(
            Exists(
                ApplicationCheck.objects.filter(
                    application_id=OuterRef("pk"), department_id=user.department_id
                )
            )
            | Exists(
                Objection.objects.filter(application_id=OuterRef("pk"), department_id=user.department_id)
            )
        )
    if is_role(user, Role.RESIDENT):
        return rows.filter(resident__user_id=user.pk)
    return rows.none()


def application_get(*, visible_to: Any, pk: Any) -> Application:
    try:
        return application_list(visible_to=visible_to).get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该申请，或您无权查看。")) from None


def check_list(*, visible_to: Any, pending_only: bool = False) -> QuerySet[ApplicationCheck]:
    """Department checks a reviewer may see: their own department's only (the centre: all)."""
    rows = ApplicationCheck.objects.select_related(
        "application__scene", "application__resident", "department"
    )
    if is_role(visible_to, Role.CENTRE_ADMIN, Role.AUDITOR):
        pass
    elif is_role(visible_to, Role.REVIEWER):
        rows = rows.filter(department_id=visible_to.department_id)
    else:
        return rows.none()
    rows = rows.exclude(application__status=Application.Status.WITHDRAWN)
    if pending_only:
        rows = rows.filter(result=ApplicationCheck.Result.PENDING)
    return rows.order_by("application__scene_id", "application__submitted_at", "id")


def check_get(*, visible_to: Any, pk: Any) -> ApplicationCheck:
    try:
        return check_list(visible_to=visible_to).get(pk=pk)
    except (ApplicationCheck.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该核查项目，或不属于您的部门。")) from None


def objection_list(*, visible_to: Any, pending_only: bool = False) -> QuerySet[Objection]:
    rows = Objection.objects.select_related(
        "application__scene", "application__resident", "row__run", "department"
    )
    user = visible_to
    if is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR):
        pass
    elif is_role(user, Role.REVIEWER):
        rows = rows.filter(department_id=user.department_id)
    elif is_role(user, Role.CLERK):
        rows = rows.filter(application__resident__town_id=user.town_id)
    elif is_role(user, Role.RESIDENT):
        rows = rows.filter(application__resident__user_id=user.pk)
    else:
        return rows.none()
    if pending_only:
        rows = rows.filter(status=Objection.Status.PENDING)
    return rows


def objection_get(*, visible_to: Any, pk: Any) -> Objection:
    try:
        return objection_list(visible_to=visible_to).get(pk=pk)
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该异议，或您无权查看。")) from None


# --- timeline -------------------------------------------------------------------------------------------


@dataclass
class Step:
    code: str
    label: str
    state: str  # done | current | failed | pending
    on: dt.date | dt.datetime | None = None
    detail: str = ""
    lines: list[str] = field(default_factory=list)


def visible_checks(application: Application, viewer: Any = None) -> QuerySet[ApplicationCheck]:
    """The checks of an application a viewer may read: a reviewer only their own department's."""
    rows = application.checks.select_related("department").order_by("id")
    if is_role(viewer, Role.REVIEWER):
        rows = rows.filter(department_id=viewer.department_id)
    return rows


def application_timeline(application: Application, *, viewer: Any = None) -> list[Step]:
    """The steps of an application with their dates: submitted, under review, ranked, notice, final,
    outcome; failed steps say why. A reviewer ``viewer`` sees the check lines of their department only."""
    scene = application.scene
    steps = [
        Step(
            "submitted",
            _("已提交"),
            "done",
            application.submitted_at,
            _("编号 %(number)s，%(channel)s")
            % {"number": application.number, "channel": application.get_channel_display()},
        )
    ]
    if application.status == Application.Status.WITHDRAWN:
        steps.append(Step("withdrawn", _("已撤回"), "failed", application.withdrawn_at))
        return steps
    checks = list(visible_checks(application, viewer))
    failed = [c for c in checks if c.result == ApplicationCheck.Result.FAIL]
    review_lines = [
        f"{gates.check_label(c.code)}（{c.department.name}）：{c.get_result_display()}"
        + (f" — {c.reason}" if c.reason else "")
        for c in checks
    ]
    if application.status == Application.Status.REJECTED:
        steps.append(
            Step(
                "review",
                _("审核未通过"),
                "failed",
                application.reviewed_at,
                "；".join(f"{gates.check_label(c.code)}：{c.reason}" for c in failed),
                review_lines,
            )
        )
        return steps
    if application.status == Application.Status.ELIGIBLE:
        steps.append(Step("review", _("审核通过"), "done", application.reviewed_at, "", review_lines))
    else:
        steps.append(
            Step(
                "review",
                _("审核中"),
                "current",
                application.review_started_at,
                _("审核期 %(start)s 至 %(end)s")
                % {"start": scene.review_starts_on, "end": scene.review_ends_on},
                review_lines,
            )
        )
    row = (
        RankingRow.objects.filter(application=application)
        .exclude(run__status=RankingRun.Status.SUPERSEDED)
        .select_related("run")
        .first()
    )
    if row is None:
        steps.append(Step("ranked", _("排名"), "pending", None, _("申请截止、审核完毕后统一排名。")))
    else:
        steps.append(
            Step(
                "ranked",
                _("已排名"),
                "done",
                row.run.created_at,
                _("第 %(rank)s 名，%(total)s 分（名单第 %(version)s 版）")
                % {"rank": row.rank, "total": row.total, "version": row.run.version},
            )
        )
    notice = Notice.objects.filter(scene=scene).first()
    today = timezone.localdate()
    if notice is None:
        steps.append(Step("notice", _("公示"), "pending"))
    else:
        steps.append(
            Step(
                "notice",
                _("公示"),
                "done" if notice.has_ended(today) else "current",
                notice.starts_on,
                _("公示期 %(start)s 至 %(end)s（5 个工作日），期间可对分数提出异议。")
                % {"start": notice.starts_on, "end": notice.ends_on},
            )
        )
    if row is not None and row.run.status == RankingRun.Status.FINAL:
        flags = []
        if row.is_top_n:
            flags.append(_("前 %(n)s 名优先") % {"n": row.run.top_n})
        flags.append(_("在名额内") if row.is_selected else _("未在名额内"))
        steps.append(
            Step("final", _("最终名单"), "done", row.run.finalised_at, "，".join(str(f) for f in flags))
        )
    else:
        steps.append(Step("final", _("最终名单"), "pending"))
    outcomes = list(application.outcomes.order_by("recorded_at"))
    if outcomes:
        steps.append(
            Step(
                "outcome",
                _("结果"),
                "failed" if any(o.kind == Outcome.Kind.REVOKED for o in outcomes) else "done",
                outcomes[-1].recorded_at,
                "",
                [outcome_text(o) for o in outcomes],
            )
        )
    else:
        steps.append(Step("outcome", _("结果"), "pending"))
    return steps


def outcome_text(outcome: Outcome) -> str:
    if outcome.kind == Outcome.Kind.PLACED:
        return _("已安排入读 %(school)s") % {"school": outcome.school}
    if outcome.kind == Outcome.Kind.SUBSIDY_PAID:
        return _("发放住房租赁补贴 ¥%(amount)s（%(months)s 个月，自 %(from)s 起）") % {
            "amount": outcome.amount_yuan,
            "months": outcome.months,
            "from": outcome.period_from.strftime("%Y-%m") if outcome.period_from else "",
        }
    text = str(outcome.get_kind_display())
    return f"{text}：{outcome.note}" if outcome.note else text


# --- public lists ---------------------------------------------------------------------------------------


def public_scenes_with_notice() -> QuerySet[Scene]:
    """Scenes whose list has been published (newest notice first)."""
    return (
        Scene.objects.filter(notice__isnull=False).select_related("notice").order_by("-notice__published_on")
    )


def public_run(*, scene_pk: Any, version: Any = None) -> RankingRun:
    """A published version of a scene's list (the current one by default). Unpublished runs are hidden."""
    rows = RankingRun.objects.select_related("scene", "scene__notice", "policy").filter(
        scene_id=scene_pk, published_at__isnull=False
    )
    try:
        if version is None:
            return rows.exclude(status=RankingRun.Status.SUPERSEDED).get()
        return rows.get(version=version)
    except (RankingRun.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("未找到该公示名单。")) from None


def public_rows(run: RankingRun) -> QuerySet[RankingRow]:
    """The rows of a list, in rank order, as the public sees them (masked columns only)."""
    return run.rows.order_by("rank").only(
        "id",
        "run_id",
        "application_id",
        "rank",
        "number",
        "name_masked",
        "id_number_masked",
        "total",
        "is_top_n",
        "is_selected",
    )


def receipt_lookup(code: str) -> RankingRow | None:
    """The published row a receipt code belongs to (its tag checked), or None."""
    parsed = receipt_parse(code)
    if parsed is None:
        return None
    run_id, rank, tag = parsed
    row = (
        RankingRow.objects.select_related("run__scene")
        .filter(run_id=run_id, rank=rank, run__published_at__isnull=False)
        .first()
    )
    if row is None or not receipt_matches(
        tag, run_id=row.run_id, rank=row.rank, number=row.number, total=row.total
    ):
        return None
    return row


def own_row(run: RankingRun, user: Any) -> RankingRow | None:
    """The logged-in resident's row in a list (the first, if they have several applications)."""
    if not is_role(user, Role.RESIDENT):
        return None
    return run.rows.filter(application__resident__user_id=user.pk).order_by("rank").first()


def own_rows(run: RankingRun, user: Any) -> list[RankingRow]:
    if not is_role(user, Role.RESIDENT):
        return []
    return list(run.rows.filter(application__resident__user_id=user.pk).order_by("rank"))


def final_run(*, visible_to: Any, scene: Scene) -> RankingRun:
    """The final list of a scene, for the receiving department and the centre."""
    if not may_receive_final_list(visible_to, scene):
        raise NotFound(_("未找到最终名单，或您无权查看。"))
    run = scene.runs.filter(status=RankingRun.Status.FINAL).first()
    if run is None:
        raise NotFound(_("该场景尚未确定最终名单。"))
    return run


def final_rows(run: RankingRun) -> QuerySet[RankingRow]:
    return run.rows.select_related("application").prefetch_related("application__outcomes").order_by("rank")


def run_verify(run: RankingRun) -> bool:
    """Recompute the order and both digests from the run's stored rows; True if they match."""
    rows = list(run.rows.order_by("rank"))
    entries = [
        ranking.Entry(
            number=row.number,
            total_q=to_quarters(row.total),
            social_insurance_q=to_quarters(row.social_insurance),
            residence_registered_on=row.residence_registered_on,
            submitted_at=row.submitted_at,
            lottery_key=ranking.lottery_key(run.seed, row.number),
            payload=row,
        )
        for row in rows
    ]
    ordered = ranking.order(entries, run.chain)
    threshold_q = to_quarters(run.threshold) if run.threshold is not None else None
    published = []
    for rank, entry in enumerate(ordered, start=1):
        top, selected = ranking.selection_flags(
            rank, entry.total_q, mode=run.mode, top_n=run.top_n, quota=run.quota, threshold_q=threshold_q
        )
        published.append(
            ranking.PublishedRow(
                rank=rank,
                number=entry.number,
                name_masked=entry.payload.name_masked,
                id_number_masked=entry.payload.id_number_masked,
                total_q=entry.total_q,
                is_top_n=top,
                is_selected=selected,
            )
        )
    inputs = ranking.inputs_digest(
        scene_code=run.scene.code,
        as_of=run.as_of,
        policy_version=run.policy.version_id,
        chain=run.chain,
        seed=run.seed,
        entries=ordered,
    )
    return inputs == run.inputs_digest and ranking.output_digest(published) == run.output_digest


def reviewer_counts(user: Any) -> dict[str, int]:
    """Pending work of a reviewer: checks and objections of their department."""
    return {
        "checks": check_list(visible_to=user, pending_only=True).count(),
        "objections": objection_list(visible_to=user, pending_only=True).count(),
    }


def notices_open_on(day: dt.date) -> QuerySet[Notice]:
    return Notice.objects.filter(Q(starts_on__lte=day) & Q(ends_on__gte=day)).select_related("scene")
