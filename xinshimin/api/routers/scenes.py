"""API endpoints of the scenes area, mounted at /api/scenes/.

Residents apply and follow their applications; reviewers decide their department's checks and
objections; the centre ranks, publishes and finalises; receiving departments fetch the final list and
record outcomes. ``/notices/…`` endpoints are public (no authentication) and return masked rows only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role
from xinshimin.api.pagination import LimitOffsetPagination
from xinshimin.core.errors import NotFound
from xinshimin.residents.models import HouseholdMember, Resident
from xinshimin.residents.selectors import resident_for_user, resident_get
from xinshimin.scenes import ranking, selectors, services
from xinshimin.scenes.models import Application, ApplicationCheck, Objection, RankingRow, RankingRun, Scene

router = Router(tags=["scenes"])


# --- schemas --------------------------------------------------------------------------------------------


class SceneOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    mode: str
    year: int
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    review_starts_on: dt.date
    review_ends_on: dt.date
    as_of: dt.date
    quota: int | None
    top_n: int
    threshold: Decimal | None
    tie_break: list[str]
    required_data: list[str]
    policy: str
    departments: list[str]
    lottery_seed_commitment: str
    lottery_seed: str | None

    @staticmethod
    def resolve_policy(obj: Scene) -> str:
        return obj.policy.version_id

    @staticmethod
    def resolve_departments(obj: Scene) -> list[str]:
        return [d.code for d in obj.departments.all()]

    @staticmethod
    def resolve_lottery_seed(obj: Scene) -> str | None:
        return obj.lottery_seed if obj.is_seed_revealed else None


class GateOut(Schema):
    code: str
    passed: bool
    message: str


class ApplicationStepOut(Schema):
    code: str
    label: str
    state: str
    on: dt.date | dt.datetime | None
    detail: str
    lines: list[str]


class ApplicationOut(Schema):
    id: int
    number: str
    scene_id: int
    scene: str
    status: str
    channel: str
    stage: str
    child_name_masked: str
    applicant_name_masked: str
    applicant_id_number_masked: str
    submitted_at: dt.datetime
    gate_results: list[GateOut]

    @staticmethod
    def resolve_scene(obj: Application) -> str:
        return str(obj.scene)

    @staticmethod
    def resolve_applicant_name_masked(obj: Application) -> str:
        return obj.resident.masked_name

    @staticmethod
    def resolve_applicant_id_number_masked(obj: Application) -> str:
        return obj.resident.id_number_masked


class ApplicationCheckOut(Schema):
    id: int
    application_id: int
    application_number: str
    code: str
    label: str
    department: str
    result: str
    reason: str
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_application_number(obj: ApplicationCheck) -> str:
        return obj.application.number

    @staticmethod
    def resolve_department(obj: ApplicationCheck) -> str:
        return obj.department.code


class ApplicationDetailOut(ApplicationOut):
    timeline: list[ApplicationStepOut]
    checks: list[ApplicationCheckOut]
    receipt: str | None

    @staticmethod
    def resolve_timeline(obj: Application, context: dict[str, Any]) -> list[dict[str, Any]]:
        viewer = context["request"].user
        return [vars(step) for step in selectors.application_timeline(obj, viewer=viewer)]

    @staticmethod
    def resolve_checks(obj: Application, context: dict[str, Any]) -> list[ApplicationCheck]:
        return list(selectors.visible_checks(obj, context["request"].user).select_related("application"))

    @staticmethod
    def resolve_receipt(obj: Application) -> str | None:
        row = obj.ranking_rows.exclude(run__status=RankingRun.Status.SUPERSEDED).first()
        return row.receipt if row else None


class ApplyIn(Schema):
    resident_id: int | None = None  # a clerk filing at the window names the resident
    child_id: int | None = None
    stage: str = ""
    declarations: dict[str, Any] | None = None


class DecideCheckIn(Schema):
    passed: bool
    reason: str


class ObjectionIn(Schema):
    item_code: str
    statement: str


class ObjectionOut(Schema):
    id: int
    application_number: str
    run_version: int
    rank: int
    item_code: str
    department: str
    channel: str
    status: str
    statement: str
    decision_reason: str
    filed_at: dt.datetime
    decided_at: dt.datetime | None
    result_run_version: int | None

    @staticmethod
    def resolve_application_number(obj: Objection) -> str:
        return obj.application.number

    @staticmethod
    def resolve_run_version(obj: Objection) -> int:
        return obj.row.run.version

    @staticmethod
    def resolve_rank(obj: Objection) -> int:
        return obj.row.rank

    @staticmethod
    def resolve_department(obj: Objection) -> str:
        return obj.department.code

    @staticmethod
    def resolve_result_run_version(obj: Objection) -> int | None:
        return obj.result_run.version if obj.result_run else None


class ObjectionDecisionIn(Schema):
    upheld: bool
    reason: str
    fact_kind: str = ""
    fact_value: Any = None


class RunOut(Schema):
    id: int
    scene_id: int
    version: int
    status: str
    reason: str
    row_count: int
    as_of: dt.date
    chain: list[str]
    seed: str
    inputs_digest: str
    output_digest: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    finalised_at: dt.datetime | None


class PublicRowOut(Schema):
    rank: int
    number: str
    name_masked: str
    id_number_masked: str
    total: Decimal
    is_top_n: bool
    is_selected: bool


class FinalRowOut(PublicRowOut):
    application_id: int
    child_name_masked: str
    child_id_number_masked: str
    stage: str
    outcomes: list[str]

    @staticmethod
    def resolve_child_name_masked(obj: RankingRow) -> str:
        return obj.application.child_name_masked

    @staticmethod
    def resolve_child_id_number_masked(obj: RankingRow) -> str:
        return obj.application.child_id_number_masked

    @staticmethod
    def resolve_stage(obj: RankingRow) -> str:
        return obj.application.stage

    @staticmethod
    def resolve_outcomes(obj: RankingRow) -> list[str]:
        return [selectors.outcome_text(o) for o in obj.application.outcomes.all()]


class NoticeOut(Schema):
    scene_id: int
    scene: str
    version: int
    status: str
    superseded: bool
    starts_on: dt.date
    ends_on: dt.date
    chain: list[str]
    seed: str
    seed_commitment: str
    output_digest: str
    row_count: int


class VerifyOut(Schema):
    valid: bool
    scene: str | None = None
    version: int | None = None
    superseded: bool | None = None
    row: PublicRowOut | None = None


class OutcomeIn(Schema):
    kind: str
    school: str = ""
    amount_yuan: Decimal | None = None
    months: int | None = None
    period_from: dt.date | None = None
    paid_on: dt.date | None = None
    note: str = ""


class OutcomeOut(Schema):
    id: int
    kind: str
    text: str


# --- scenes ---------------------------------------------------------------------------------------------


@router.get("", response=list[SceneOut])
def list_scenes(request: HttpRequest) -> QuerySet[Scene]:
    return selectors.scene_list(visible_to=request.user)


@router.get("/applications", response=list[ApplicationOut])
@paginate(LimitOffsetPagination)
def list_applications(request: HttpRequest) -> QuerySet[Application]:
    """Applications the caller may see (a resident: their own)."""
    return selectors.application_list(visible_to=request.user).order_by("-submitted_at", "-id")


@router.get("/applications/{application_id}", response=ApplicationDetailOut)
def get_application(request: HttpRequest, application_id: int) -> Application:
    """One application with its timeline (submitted, review, ranked, notice, final, outcome) and checks."""
    return selectors.application_get(visible_to=request.user, pk=application_id)


@router.post("/applications/{application_id}/outcomes", response={201: OutcomeOut})
def record_outcome(request: HttpRequest, application_id: int, payload: OutcomeIn) -> Status[dict[str, Any]]:
    application = selectors.application_get(visible_to=request.user, pk=application_id)
    outcome = services.outcome_record(actor=request.user, application=application, **payload.dict())
    return Status(201, {"id": outcome.pk, "kind": outcome.kind, "text": selectors.outcome_text(outcome)})


@router.get("/checks", response=list[ApplicationCheckOut])
@paginate(LimitOffsetPagination)
def list_checks(request: HttpRequest, pending: bool = True) -> QuerySet[ApplicationCheck]:
    """A reviewer's checks: their own department's only."""
    return selectors.check_list(visible_to=request.user, pending_only=pending)


@router.post("/checks/{check_id}", response=ApplicationCheckOut)
def decide_check(request: HttpRequest, check_id: int, payload: DecideCheckIn) -> ApplicationCheck:
    check = selectors.check_get(visible_to=request.user, pk=check_id)
    return services.check_decide(
        actor=request.user, check=check, passed=payload.passed, reason=payload.reason
    )


@router.get("/objections", response=list[ObjectionOut])
@paginate(LimitOffsetPagination)
def list_objections(request: HttpRequest, pending: bool = False) -> QuerySet[Objection]:
    return selectors.objection_list(visible_to=request.user, pending_only=pending).order_by("-filed_at")


@router.post("/objections/{objection_id}/decision", response=ObjectionOut)
def decide_objection(request: HttpRequest, objection_id: int, payload: ObjectionDecisionIn) -> Objection:
    objection = selectors.objection_get(visible_to=request.user, pk=objection_id)
    return services.objection_decide(
        actor=request.user,
        objection=objection,
        upheld=payload.upheld,
        reason=payload.reason,
        fact_kind=payload.fact_kind,
        fact_value=payload.fact_value,
    )


@router.post("/applications/{application_id}/objections", response={201: ObjectionOut})
def file_objection(request: HttpRequest, application_id: int, payload: ObjectionIn) -> Status[Objection]:
    """Object to the application's row in the list currently under notice."""
    application = selectors.application_get(visible_to=request.user, pk=application_id)
    row = application.ranking_rows.exclude(run__status=RankingRun.Status.SUPERSEDED).first()
    if row is None:
        raise NotFound(_("该申请不在公示名单中。"))
    objection = services.objection_file(
        actor=request.user, row=row, item_code=payload.item_code, statement=payload.statement
    )
    return Status(201, objection)


# --- public notices (no login) --------------------------------------------------------------------------


@router.get("/notices/verify", response=VerifyOut, auth=None)
def verify_receipt(request: HttpRequest, code: str) -> dict[str, Any]:
    """Check a receipt code against the published lists (public)."""
    row = selectors.receipt_lookup(code)
    if row is None:
        return {"valid": False}
    return {
        "valid": True,
        "scene": str(row.run.scene),
        "version": row.run.version,
        "superseded": row.run.is_superseded,
        "row": row,
    }


def _notice_out(run: RankingRun) -> dict[str, Any]:
    scene = run.scene
    return {
        "scene_id": scene.pk,
        "scene": str(scene),
        "version": run.version,
        "status": run.status,
        "superseded": run.is_superseded,
        "starts_on": scene.notice.starts_on,
        "ends_on": scene.notice.ends_on,
        "chain": ranking.describe_chain(run.chain),
        "seed": run.seed,
        "seed_commitment": scene.lottery_seed_commitment,
        "output_digest": run.output_digest,
        "row_count": run.row_count,
    }


@router.get("/notices/{scene_id}", response=NoticeOut, auth=None)
def get_notice(request: HttpRequest, scene_id: int, version: int | None = None) -> dict[str, Any]:
    """The published list of a scene (current version, or ``version``): its dates, seed and digest."""
    return _notice_out(selectors.public_run(scene_pk=scene_id, version=version))


@router.get("/notices/{scene_id}/rows", response=list[PublicRowOut], auth=None)
@paginate(LimitOffsetPagination)
def list_notice_rows(request: HttpRequest, scene_id: int, version: int | None = None) -> QuerySet[RankingRow]:
    """The masked rows of a published list, in rank order."""
    return selectors.public_rows(selectors.public_run(scene_pk=scene_id, version=version))


# --- one scene ------------------------------------------------------------------------------------------


@router.get("/{scene_id}", response=SceneOut)
def get_scene(request: HttpRequest, scene_id: int) -> Scene:
    return selectors.scene_get(visible_to=request.user, pk=scene_id)


@router.post("/{scene_id}/applications", response={201: ApplicationOut})
def apply(request: HttpRequest, scene_id: int, payload: ApplyIn) -> Status[Application]:
    """Apply: a resident for themself (online), a clerk for a resident of their town (``resident_id``)."""
    scene = selectors.scene_get(visible_to=request.user, pk=scene_id)
    resident: Resident | None
    if is_role(request.user, Role.RESIDENT):
        resident = resident_for_user(request.user)
        if resident is None:
            raise NotFound(_("您的账户尚未关联居民档案，请到乡镇街道新居民服务窗口办理。"))
    else:
        resident = resident_get(visible_to=request.user, pk=payload.resident_id)
    child = None
    if payload.child_id is not None:
        child = get_object_or_404(HouseholdMember, pk=payload.child_id, resident=resident)
    application = services.application_submit(
        actor=request.user,
        scene=scene,
        resident=resident,
        child=child,
        stage=payload.stage,
        declarations=payload.declarations,
    )
    return Status(201, application)


@router.get("/{scene_id}/runs", response=list[RunOut])
def list_runs(request: HttpRequest, scene_id: int) -> list[RankingRun]:
    """Every version of the scene's list (unpublished ones for the centre and auditors only)."""
    scene = selectors.scene_get(visible_to=request.user, pk=scene_id)
    runs = selectors.run_history(scene)
    if is_role(request.user, Role.CENTRE_ADMIN, Role.AUDITOR):
        return runs
    return [r for r in runs if r.is_public]


@router.post("/{scene_id}/rank", response={201: RunOut})
def rank(request: HttpRequest, scene_id: int) -> Status[RankingRun]:
    scene = selectors.scene_get(visible_to=request.user, pk=scene_id)
    return Status(201, services.ranking_run_create(actor=request.user, scene=scene))


@router.post("/{scene_id}/notice", response={201: NoticeOut})
def publish_notice(request: HttpRequest, scene_id: int) -> Status[dict[str, Any]]:
    scene = selectors.scene_get(visible_to=request.user, pk=scene_id)
    services.notice_publish(actor=request.user, scene=scene)
    return Status(201, _notice_out(selectors.public_run(scene_pk=scene.pk)))


@router.post("/{scene_id}/finalise", response=RunOut)
def finalise(request: HttpRequest, scene_id: int) -> RankingRun:
    scene = selectors.scene_get(visible_to=request.user, pk=scene_id)
    return services.ranking_finalise(actor=request.user, scene=scene)


@router.get("/{scene_id}/final", response=list[FinalRowOut])
@paginate(LimitOffsetPagination)
def final_list(request: HttpRequest, scene_id: int) -> QuerySet[RankingRow]:
    """The final list for the receiving department (education / housing) and the centre; each call is
    audited."""
    scene = selectors.scene_get(visible_to=request.user, pk=scene_id)
    run = selectors.final_run(visible_to=request.user, scene=scene)
    services.final_list_export_record(actor=request.user, run=run, fmt="api")
    return selectors.final_rows(run)
