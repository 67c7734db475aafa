"""Writes of the scenes area. Each function: authorise → lock/load → check state → write → audit.

``actor=None`` means the system (the demo, management commands). Every refusal is a ``DomainError`` with a
Chinese message that says what is wrong and how to put it right.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role, require
from xinshimin.accounts.models import Department, Role
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict, NotFound, ValidationFailed
from xinshimin.core.masking import mask_name
from xinshimin.integrity.gates import ban_gate
from xinshimin.policies import format_points, to_quarters
from xinshimin.residents.models import HouseholdMember, ResidencePermit, Resident
from xinshimin.scoring.models import Fact, PolicyRecord
from xinshimin.workdays.calendar import add_working_days

from . import gates, ranking, scores, sql_ranking
from .access import may_decide_check, may_decide_objection, may_receive_final_list
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

NOTICE_WORKING_DAYS = 5
SCHOOL_DEFAULT_TOP_N = 30
SOCIAL_INSURANCE_ITEM = "common.social_insurance"
REQUIRED_DATA_CODES = frozenset({"child", "stage", "declarations"})
DEFAULT_REQUIRED_DATA = {
    Scene.Kind.SCHOOL: ["child", "stage"],
    Scene.Kind.HOUSING: ["declarations"],
}


class GatesFailed(ValidationFailed):
    """The applicant does not meet one or more eligibility gates; ``results`` explains each one."""

    code = "gates_failed"

    def __init__(self, results: Sequence[gates.GateResult]):
        failed = gates.failures(results)
        message = _("不符合申请条件：") + " ".join(
            f"（{i}）{r.message}" for i, r in enumerate(failed, start=1)
        )
        super().__init__(message)
        self.results = list(results)


# --- helpers -------------------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _is_centre(actor: Any) -> bool:
    return actor is None or is_role(actor, Role.CENTRE_ADMIN)


def _require_centre(actor: Any) -> None:
    require(_is_centre(actor), _("只有新居民服务中心管理员可以执行此操作。"))


def _department(code: str) -> Department:
    try:
        return Department.objects.get(code=code)
    except Department.DoesNotExist:
        raise NotFound(
            _("系统中没有代码为 %(code)s 的部门，请先在基础数据中添加。") % {"code": code}
        ) from None


def _permit_view(resident: Resident, on: dt.date) -> gates.PermitView | None:
    permit = resident.current_permit(on)
    if permit is None:
        return None
    return gates.PermitView(
        number=permit.number,
        status=permit.status,
        status_label=str(permit.get_status_display()),
        valid_until=permit.valid_until,
        is_scoring=permit.is_scoring(on),
    )


def _current_run(scene: Scene) -> RankingRun | None:
    return scene.runs.exclude(status=RankingRun.Status.SUPERSEDED).first()


# --- scenes --------------------------------------------------------------------------------------------


def _scene_summary(scene: Scene) -> dict[str, Any]:
    return {
        "code": scene.code,
        "name": scene.name,
        "kind": scene.kind,
        "mode": scene.mode,
        "year": scene.year,
        "opens_at": scene.opens_at,
        "closes_at": scene.closes_at,
        "review": [scene.review_starts_on, scene.review_ends_on],
        "as_of": scene.as_of,
        "quota": scene.quota,
        "top_n": scene.top_n,
        "threshold": scene.threshold,
        "tie_break": scene.tie_break,
        "required_data": scene.required_data,
        "policy": scene.policy.version_id,
        "status": scene.status,
    }


def scene_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    year: int,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    review_starts_on: dt.date,
    review_ends_on: dt.date,
    as_of: dt.date,
    policy: PolicyRecord,
    mode: str = Scene.Mode.RANKED,
    quota: int | None = None,
    top_n: int | None = None,
    threshold: Decimal | str | None = None,
    tie_break: Sequence[str] | None = None,
    required_data: Sequence[str] | None = None,
    departments: Iterable[Department | str] = (),
    description: str = "",
) -> Scene:
    """Define a scene (a draft until ``scene_publish``). School scenes default to top 30 priority."""
    _require_centre(actor)
    if kind not in Scene.Kind.values:
        raise ValidationFailed(_("场景类型无效。"), field="kind")
    if mode not in Scene.Mode.values:
        raise ValidationFailed(_("场景方式必须是“按积分排名”或“达到分数线”。"), field="mode")
    if not name.strip():
        raise ValidationFailed(_("请填写场景名称。"), field="name")
    if closes_at <= opens_at:
        raise ValidationFailed(_("申请截止时间必须晚于开始时间。"), field="closes_at")
    if review_ends_on < review_starts_on:
        raise ValidationFailed(_("审核截止日期不能早于审核开始日期。"), field="review_ends_on")
    if policy.status != PolicyRecord.Status.PUBLISHED:
        raise ValidationFailed(_("只能采用已发布的积分政策版本。"), field="policy")
    if policy.effective_on is not None and policy.effective_on > as_of:
        raise ValidationFailed(
            _("积分政策 %(version)s 自 %(on)s 起生效，晚于积分计算日期 %(as_of)s。")
            % {"version": policy.version_id, "on": policy.effective_on, "as_of": as_of},
            field="policy",
        )
    try:
        chain = ranking.validate_chain(
            list(tie_break) if tie_break is not None else list(ranking.DEFAULT_CHAIN)
        )
    except ranking.ChainError as exc:
        raise ValidationFailed(str(exc), field="tie_break") from None
    threshold_value: Decimal | None = None
    if threshold not in (None, ""):
        try:
            threshold_value = Decimal(str(threshold))
            to_quarters(threshold_value)
        except (InvalidOperation, ValueError):
            raise ValidationFailed(
                _("分数线必须是 0.25 的整数倍，例如 120 或 120.25。"), field="threshold"
            ) from None
    if mode == Scene.Mode.THRESHOLD and threshold_value is None:
        raise ValidationFailed(_("达标类场景必须设置分数线。"), field="threshold")
    if quota is not None and quota < 1:
        raise ValidationFailed(_("名额至少为 1；不限名额请留空。"), field="quota")
    required = list(required_data) if required_data is not None else DEFAULT_REQUIRED_DATA.get(kind, [])  # type: ignore[call-overload]
    unknown = [c for c in required if c not in REQUIRED_DATA_CODES]
    if unknown:
        raise ValidationFailed(
            _("未知的申请信息代码：%(codes)s。") % {"codes": "、".join(unknown)}, field="required_data"
        )
    dept_objects = [d if isinstance(d, Department) else _department(d) for d in departments]
    with transaction.atomic():
        if Scene.objects.filter(code=code).exists():
            raise Conflict(_("场景代码 %(code)s 已被使用，请换一个。") % {"code": code}, field="code")
        scene = Scene.objects.create(
            code=code,
            name=name.strip(),
            kind=kind,
            mode=mode,
            year=year,
            description=description,
            opens_at=opens_at,
            closes_at=closes_at,
            review_starts_on=review_starts_on,
            review_ends_on=review_ends_on,
            as_of=as_of,
            quota=quota,
            top_n=top_n if top_n is not None else (SCHOOL_DEFAULT_TOP_N if kind == Scene.Kind.SCHOOL else 0),
            threshold=threshold_value,
            tie_break=list(chain),
            required_data=required,
            policy=policy,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        scene.departments.set(dept_objects)
        audit_record(actor=actor, action="scenes.scene_create", obj=scene, after=_scene_summary(scene))
    return scene


def scene_publish(*, actor: Any, scene: Scene) -> Scene:
    """Publish a draft scene and commit to its lottery seed: the SHA-256 of a fresh random seed is shown on
    the scene page from now on; the seed itself is revealed by the first ranking run."""
    _require_centre(actor)
    with transaction.atomic():
        scene = Scene.objects.select_for_update().get(pk=scene.pk)
        if scene.status != Scene.Status.DRAFT:
            raise Conflict(_("该场景已发布，不能重复发布。"))
        now = timezone.now()
        seed = secrets.token_hex(32)
        scene.lottery_seed = seed
        scene.lottery_seed_commitment = ranking.seed_commitment(seed)
        scene.seed_committed_at = now
        scene.status = Scene.Status.PUBLISHED
        scene.published_at = now
        scene.save(
            update_fields=[
                "lottery_seed",
                "lottery_seed_commitment",
                "seed_committed_at",
                "status",
                "published_at",
            ]
        )
        audit_record(
            actor=actor,
            action="scenes.scene_publish",
            obj=scene,
            before={"status": Scene.Status.DRAFT},
            after={"status": scene.status, "seed_commitment": scene.lottery_seed_commitment},
        )
    return scene


# --- applications --------------------------------------------------------------------------------------


def _channel_for(actor: Any, resident: Resident) -> str:
    """Online when the resident applies themself; window when a clerk of their town files for them."""
    if actor is None:
        return Application.Channel.WINDOW
    if is_role(actor, Role.RESIDENT):
        require(resident.user_id == actor.pk, _("您只能为本人提交申请。"))
        return Application.Channel.ONLINE
    if is_role(actor, Role.CLERK):
        require(
            actor.town_id is not None and actor.town_id == resident.town_id,
            _("窗口工作人员只能为本乡镇街道的居民代办申请。"),
        )
        return Application.Channel.WINDOW
    require(False, _("只有申请人本人或其所在乡镇街道的窗口工作人员可以提交申请。"))
    raise AssertionError  # pragma: no cover


def _window_refusal(scene: Scene, now: dt.datetime) -> Conflict:
    values = {"name": scene.name, "opens": _local(scene.opens_at), "closes": _local(scene.closes_at)}
    if scene.status != Scene.Status.PUBLISHED:
        return Conflict(_("“%(name)s”尚未开放申请。") % values, code="window_closed")
    if now < scene.opens_at:
        return Conflict(
            _("“%(name)s”的申请时间为 %(opens)s 至 %(closes)s，尚未开始，请届时再申请。") % values,
            code="window_closed",
        )
    return Conflict(
        _("“%(name)s”的申请时间为 %(opens)s 至 %(closes)s，已经截止，逾期不予受理。") % values,
        code="window_closed",
    )


def _clean_declarations(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    unknown = set(raw) - {*gates.HOUSING_DECLARATIONS, "prior_subsidy_years"}
    if unknown:
        raise ValidationFailed(
            _("未知的声明项：%(keys)s。") % {"keys": "、".join(sorted(unknown))}, field="declarations"
        )
    clean: dict[str, Any] = {code: raw.get(code) is True for code in gates.HOUSING_DECLARATIONS}
    prior = raw.get("prior_subsidy_years", 0)
    if isinstance(prior, str) and prior.strip().isdigit():
        prior = int(prior.strip())
    if isinstance(prior, bool) or not isinstance(prior, int) or not 0 <= prior <= 10:
        raise ValidationFailed(
            _("“此前已享受住房租赁补贴的年数”请填写 0 到 10 之间的整数。"), field="prior_subsidy_years"
        )
    clean["prior_subsidy_years"] = prior
    return clean


def subsidy_paid_years(resident: Resident, *, before_year: int | None = None) -> list[int]:
    """Years in which this resident had a housing subsidy paid through the platform (final-list outcomes)."""
    rows = Outcome.objects.filter(
        application__resident=resident,
        application__kind=Scene.Kind.HOUSING,
        kind=Outcome.Kind.SUBSIDY_PAID,
    )
    if before_year is not None:
        rows = rows.filter(application__year__lt=before_year)
    return sorted(set(rows.values_list("application__year", flat=True)))


def application_gates(
    *,
    scene: Scene,
    resident: Resident,
    on: dt.date,
    child: HouseholdMember | None = None,
    stage: str = "",
    declarations: dict[str, Any] | None = None,
) -> list[gates.GateResult]:
    """The eligibility gates of ``scene`` for this applicant on ``on`` (every result, passed or not)."""
    permit = _permit_view(resident, on)
    if scene.kind == Scene.Kind.SCHOOL:
        if child is None:
            return [
                *gates.generic_gates(permit=permit, on=on),
                gates.GateResult("child", False, _("请选择申请入学的子女。")),
            ]
        return gates.school_gates(
            permit=permit,
            employer_is_ruian=resident.employer_is_ruian,
            birth_date=child.birth_date,
            stage=stage,
            year=scene.year,
            on=on,
        )
    if scene.kind == Scene.Kind.HOUSING:
        return gates.housing_gates(
            permit=permit,
            declarations=declarations or {},
            deductions=scores.deductions_of(resident),
            paid_years=subsidy_paid_years(resident, before_year=scene.year),
            on=on,
        )
    return gates.generic_gates(permit=permit, on=on)


def _application_summary(application: Application) -> dict[str, Any]:
    return {
        "number": application.number,
        "scene": application.scene.code,
        "resident": application.resident.id_number_masked,
        "child": application.child_id_number_masked,
        "stage": application.stage,
        "status": application.status,
        "channel": application.channel,
    }


def application_submit(
    *,
    actor: Any,
    scene: Scene,
    resident: Resident,
    child: HouseholdMember | None = None,
    stage: str = "",
    declarations: dict[str, Any] | None = None,
) -> Application:
    """File an application during the scene's window, online (the resident) or at a clerk's window.

    Refused outside the window (with the dates), for a second application for the same child in the same
    year (school) or to the same scene (others), and when an eligibility gate fails (``GatesFailed``).
    """
    channel = _channel_for(actor, resident)
    clean_declarations: dict[str, Any] = {}
    if scene.kind == Scene.Kind.SCHOOL:
        if child is None:
            raise ValidationFailed(_("请选择申请入学的子女。"), field="child")
        if child.resident_id != resident.pk or child.relation != HouseholdMember.Relation.CHILD:
            raise ValidationFailed(
                _("所选子女不在申请人的家庭成员登记中，请先到窗口登记子女信息。"), field="child"
            )
        if stage not in Application.Stage.values:
            raise ValidationFailed(_("请选择入学阶段：小学一年级或初中一年级。"), field="stage")
    else:
        child, stage = None, ""
    if scene.kind == Scene.Kind.HOUSING:
        clean_declarations = _clean_declarations(declarations)

    with transaction.atomic():
        scene = Scene.objects.select_for_update().get(pk=scene.pk)
        now = timezone.now()
        if not scene.is_open(now):
            raise _window_refusal(scene, now)
        if child is not None:
            earlier = (
                Application.objects.filter(
                    kind=Scene.Kind.SCHOOL, year=scene.year, child_id_index=child.id_number_index
                )
                .exclude(status=Application.Status.WITHDRAWN)
                .first()
            )
            if earlier is not None:
                raise Conflict(
                    _("该子女 %(year)s 年已提交过积分入学申请（编号 %(number)s），每名子女每年只能申请一次。")
                    % {"year": scene.year, "number": earlier.number},
                    code="duplicate_application",
                )
        elif (
            Application.objects.filter(scene=scene, resident=resident)
            .exclude(status=Application.Status.WITHDRAWN)
            .exists()
        ):
            raise Conflict(
                _("您已提交过“%(name)s”的申请，不能重复申请。") % {"name": scene.name},
                code="duplicate_application",
            )
        today = timezone.localdate(now)
        ban_gate(resident=resident, on=today)  # a fraud sanction bars every points service for 3 years
        results = application_gates(
            scene=scene,
            resident=resident,
            on=today,
            child=child,
            stage=stage,
            declarations=clean_declarations,
        )
        if gates.failures(results):
            raise GatesFailed(results)
        scene.application_count = F("application_count") + 1
        scene.save(update_fields=["application_count"])
        scene.refresh_from_db(fields=["application_count"])
        application = Application(
            scene=scene,
            resident=resident,
            number=f"{scene.code}-{scene.application_count:06d}",
            kind=scene.kind,
            year=scene.year,
            child=child,
            child_id_index=child.id_number_index if child else "",
            child_name_masked=mask_name(child.name) if child else "",
            child_id_number_masked=child.id_number_masked if child else "",
            stage=stage,
            declarations=clean_declarations,
            gate_results=[r.as_dict() for r in results],
            channel=channel,
            submitted_at=now,
            submitted_by=actor if actor is not None else None,
        )
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            raise Conflict(_("该申请已存在，请勿重复提交。"), code="duplicate_application") from None
        checks = _checks_for(scene)
        ApplicationCheck.objects.bulk_create(
            [ApplicationCheck(application=application, code=code, department=dept) for code, dept in checks]
        )
        if not checks:
            application.status = Application.Status.ELIGIBLE
            application.reviewed_at = now
            application.save(update_fields=["status", "reviewed_at"])
        audit_record(
            actor=actor, action="scenes.apply", obj=application, after=_application_summary(application)
        )
    return application


def _checks_for(scene: Scene) -> list[tuple[str, Department]]:
    pairs = gates.CHECKS.get(scene.kind)
    if pairs is not None:
        return [(code, _department(dept)) for code, dept in pairs]
    return [("eligibility", dept) for dept in scene.departments.order_by("code")]


def application_withdraw(*, actor: Any, application: Application) -> Application:
    """The applicant (or a clerk of their town) withdraws an application while the window is open."""
    _channel_for(actor, application.resident)
    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("scene").get(pk=application.pk)
        now = timezone.now()
        if application.status == Application.Status.WITHDRAWN:
            raise Conflict(_("该申请已撤回。"))
        if not application.scene.is_open(now):
            raise Conflict(
                _("申请期已于 %(closes)s 截止，截止后不能撤回申请。")
                % {"closes": _local(application.scene.closes_at)}
            )
        before = application.status
        application.status = Application.Status.WITHDRAWN
        application.withdrawn_at = now
        application.save(update_fields=["status", "withdrawn_at"])
        audit_record(
            actor=actor,
            action="scenes.withdraw",
            obj=application,
            before={"status": before},
            after={"status": application.status},
        )
    return application


def check_decide(*, actor: Any, check: ApplicationCheck, passed: bool, reason: str) -> ApplicationCheck:
    """A department reviewer records one check with a reason. When the last check of an application is
    decided, the application becomes eligible (all passed) or rejected (any failed)."""
    require(may_decide_check(actor, check), _("只有负责该核查项目的部门审核员可以审核。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写审核理由（通过也请写明核查依据）。"), field="reason")
    with transaction.atomic():
        check = (
            ApplicationCheck.objects.select_for_update().select_related("application__scene").get(pk=check.pk)
        )
        application = Application.objects.select_for_update().get(pk=check.application_id)
        scene = check.application.scene
        today = timezone.localdate()
        if not scene.review_starts_on <= today <= scene.review_ends_on:
            raise Conflict(
                _("“%(name)s”的审核期为 %(start)s 至 %(end)s，今天不在审核期内。")
                % {"name": scene.name, "start": scene.review_starts_on, "end": scene.review_ends_on}
            )
        if application.status == Application.Status.WITHDRAWN:
            raise Conflict(_("该申请已由申请人撤回，无需审核。"))
        if scene.runs.exists():
            raise Conflict(_("该场景已生成排名，审核结果不能再修改；如有错误请通过公示异议更正。"))
        before = {"result": check.result, "reason": check.reason}
        now = timezone.now()
        check.result = ApplicationCheck.Result.PASS if passed else ApplicationCheck.Result.FAIL
        check.reason = reason
        check.reviewer = actor
        check.decided_at = now
        check.save(update_fields=["result", "reason", "reviewer", "decided_at"])
        app_before = application.status
        if application.review_started_at is None:
            application.review_started_at = now
        results = list(application.checks.values_list("result", flat=True))
        if ApplicationCheck.Result.PENDING in results:
            application.status = Application.Status.UNDER_REVIEW
            application.reviewed_at = None
        elif ApplicationCheck.Result.FAIL in results:
            application.status = Application.Status.REJECTED
            application.reviewed_at = now
        else:
            application.status = Application.Status.ELIGIBLE
            application.reviewed_at = now
        application.save(update_fields=["status", "review_started_at", "reviewed_at"])
        audit_record(
            actor=actor,
            action="scenes.check",
            obj=check,
            before=before,
            after={
                "result": check.result,
                "reason": reason,
                "application": application.number,
                "application_status": [app_before, application.status],
            },
        )
    return check


# --- ranking -------------------------------------------------------------------------------------------


class _Payload(NamedTuple):
    application_id: int
    name_masked: str
    id_number_masked: str
    snapshot_id: int | None


def _parse_date(value: Any) -> dt.date | None:
    """A date column, or a stored fact value (an ISO date string, possibly still JSON-quoted)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip('"'))
        except ValueError:
            return None
    return None


def _quarters(value: Decimal | str | int) -> int:
    """Points (a Decimal, or a decimal string from the snapshot's JSON) → exact quarter points."""
    quarters = (Decimal(value) if isinstance(value, str) else value) * 4
    whole = int(quarters)
    if whole != quarters:
        raise ValueError(f"{value} is not a multiple of 0.25")
    return whole


def _entry_rows(scene: Scene, eligible: Any) -> Iterable[tuple[Any, ...]]:
    """One tuple per eligible application: id, number, submitted_at, name, masked ID, snapshot id, total,
    social-insurance points, registration date (fact), registration date (permit)."""
    permit_registered = (
        ResidencePermit.objects.filter(resident_id=OuterRef("resident_id"), issued_on__lte=scene.as_of)
        .order_by("-issued_on", "-id")
        .values("ruian_residence_registered_on")[:1]
    )
    fact_registered = Fact.objects.filter(
        resident_id=OuterRef("resident_id"), kind="ruian_residence_registered_on"
    ).values("value")[:1]
    rows = (
        eligible.annotate(
            snap=FilteredRelation(
                "resident__score_snapshots",
                condition=Q(
                    resident__score_snapshots__policy_id=scene.policy_id,
                    resident__score_snapshots__as_of=scene.as_of,
                ),
            ),
            permit_registered=Subquery(permit_registered),
            fact_registered=Subquery(fact_registered),
            social_insurance=KeyTextTransform("points", KeyTransform(SOCIAL_INSURANCE_ITEM, "snap__items")),
        )
        .values_list(
            "pk",
            "number",
            "submitted_at",
            "resident__name",
            "resident__id_number_masked",
            "snap__pk",
            "snap__total",
            "social_insurance",
            "fact_registered",
            "permit_registered",
        )
        .order_by()
    )
    if connection.vendor != "postgresql":
        return rows.iterator(chunk_size=5000)  # type: ignore[no-any-return]
    # PostgreSQL returns exactly the Python types the ORM would (Decimal, aware datetimes in UTC, dates;
    # the JSON fact as its text), so read the rows straight from the cursor: the ORM's per-row converters
    # cost more than the query. JIT compilation costs more than it saves for this single pass.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        if not connection.get_autocommit():
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        fetched: list[tuple[Any, ...]] = cursor.fetchall()
        return fetched


def ranking_entries(scene: Scene, *, seed: str) -> list[ranking.Entry]:
    """The eligible applications of a scene as ranking entries, with their snapshots at (policy, as_of).

    Missing snapshots are computed first, in bulk. One query reads everything else.
    """
    eligible = Application.objects.filter(scene=scene, status=Application.Status.ELIGIBLE)
    scores.snapshots_ensure(
        policy=scene.policy, as_of=scene.as_of, resident_ids=eligible.values_list("resident_id", flat=True)
    )
    entries = []
    lottery = ranking.lottery_key
    # Few distinct values repeat across 100,000 rows: remember their conversions.
    quarters: dict[Any, int] = {}
    masked: dict[str, str] = {}
    for pk, number, submitted_at, name, id_masked, snap_id, total, si, fact_reg, permit_reg in _entry_rows(
        scene, eligible
    ):
        if snap_id is None:
            raise Conflict(
                _("申请 %(number)s 缺少 %(as_of)s 的积分快照，无法排名，请先重算积分。")
                % {"number": number, "as_of": scene.as_of}
            )
        total_q = quarters.get(total)
        if total_q is None:
            total_q = quarters[total] = _quarters(total)
        si = si or "0"
        si_q = quarters.get(si)
        if si_q is None:
            si_q = quarters[si] = _quarters(si)
        name_masked = masked.get(name)
        if name_masked is None:
            name_masked = masked[name] = mask_name(name)
        entries.append(
            ranking.Entry(
                number,
                total_q,
                si_q,
                (_parse_date(fact_reg) if fact_reg is not None else None) or permit_reg,
                submitted_at,
                lottery(seed, number),
                _Payload(pk, name_masked, id_masked, snap_id),
            )
        )
    return entries


@dataclass(frozen=True)
class RankingResult:
    entries: list[ranking.Entry]  # in rank order
    published: list[ranking.PublishedRow]
    inputs_digest: str
    output_digest: str


def ranking_compute(scene: Scene, *, seed: str | None = None) -> RankingResult:
    """Order the eligible applications of ``scene`` by its chain and compute both digests (no writes
    except missing snapshots). The same data gives the same result."""
    seed = scene.lottery_seed if seed is None else seed
    chain = ranking.validate_chain(scene.tie_break)
    entries = ranking_entries(scene, seed=seed)
    ordered = ranking.order(entries, chain)
    threshold_q = to_quarters(scene.threshold) if scene.threshold is not None else None
    flags = ranking.selection_flags
    mode, top_n, quota = scene.mode, scene.top_n, scene.quota
    published = [
        ranking.PublishedRow(
            rank,
            entry.number,
            entry.payload.name_masked,
            entry.payload.id_number_masked,
            entry.total_q,
            *flags(rank, entry.total_q, mode=mode, top_n=top_n, quota=quota, threshold_q=threshold_q),
        )
        for rank, entry in enumerate(ordered, start=1)
    ]
    return RankingResult(
        entries=ordered,
        published=published,
        inputs_digest=ranking.inputs_digest(
            scene_code=scene.code,
            as_of=scene.as_of,
            policy_version=scene.policy.version_id,
            chain=chain,
            seed=seed,
            entries=ordered,
        ),
        output_digest=ranking.output_digest(published),
    )


_ROW_COLUMNS = (
    "run_id",
    "application_id",
    "rank",
    "number",
    "name_masked",
    "id_number_masked",
    "total",
    "social_insurance",
    "residence_registered_on",
    "submitted_at",
    "is_top_n",
    "is_selected",
    "snapshot_id",
)


def _row_values(run: RankingRun, result: RankingResult) -> Iterable[tuple[Any, ...]]:
    """The column values of every row, in ``_ROW_COLUMNS`` order (points as two-decimal strings)."""
    run_pk = run.pk
    for entry, row in zip(result.entries, result.published, strict=True):
        payload: _Payload = entry.payload
        yield (
            run_pk,
            payload.application_id,
            row.rank,
            entry.number,
            row.name_masked,
            row.id_number_masked,
            format_points(entry.total_q),
            format_points(entry.social_insurance_q),
            entry.residence_registered_on,
            entry.submitted_at,
            row.is_top_n,
            row.is_selected,
            payload.snapshot_id,
        )


def _write_rows(run: RankingRun, result: RankingResult) -> None:
    """Insert the rows computed in Python (databases other than PostgreSQL)."""
    objects = [
        RankingRow(**dict(zip(_ROW_COLUMNS, value, strict=True))) for value in _row_values(run, result)
    ]
    RankingRow.objects.bulk_create(objects, batch_size=2000)


def _ranking_run(*, actor: Any, scene: Scene, reason: str) -> RankingRun:
    """Compute and store a new version (inside the caller's transaction, scene row locked).

    PostgreSQL ranks in one SQL statement (``sql_ranking``); other databases rank in Python
    (``ranking_compute``). Both follow ``ranking.py`` and give the same rows and digests."""
    now = timezone.now()
    if not scene.lottery_seed:
        raise Conflict(_("该场景没有摇号种子承诺值，请先发布场景。"))
    if scene.seed_revealed_at is None:
        scene.seed_revealed_at = now
        scene.save(update_fields=["seed_revealed_at"])
    in_database = connection.vendor == "postgresql"
    eligible = Application.objects.filter(scene=scene, status=Application.Status.ELIGIBLE)
    result: RankingResult | None = None
    if in_database:
        scores.snapshots_ensure(
            policy=scene.policy,
            as_of=scene.as_of,
            resident_ids=eligible.values_list("resident_id", flat=True),
        )
    else:
        result = ranking_compute(scene)
    current = _current_run(scene)
    notice = Notice.objects.filter(scene=scene).first()
    if current is not None:
        current.status = RankingRun.Status.SUPERSEDED
        current.superseded_at = now
        current.save(update_fields=["status", "superseded_at"])
    version = (scene.runs.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    run = RankingRun.objects.create(
        scene=scene,
        version=version,
        status=RankingRun.Status.PUBLISHED if notice else RankingRun.Status.COMPUTED,
        supersedes=current,
        reason=reason,
        as_of=scene.as_of,
        policy=scene.policy,
        chain=list(scene.tie_break),
        seed=scene.lottery_seed,
        mode=scene.mode,
        top_n=scene.top_n,
        quota=scene.quota,
        threshold=scene.threshold,
        row_count=len(result.entries) if result else 0,
        inputs_digest=result.inputs_digest if result else "",
        output_digest=result.output_digest if result else "",
        created_at=now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        published_at=now if notice else None,
    )
    if result is not None:
        _write_rows(run, result)
    else:
        count, run.inputs_digest, run.output_digest = sql_ranking.rank_in_database(
            run=run, scene=scene, seed=scene.lottery_seed
        )
        expected = eligible.count()
        if count != expected:
            raise Conflict(
                _("有 %(missing)s 份申请缺少 %(as_of)s 的积分快照，无法排名，请先重算积分。")
                % {"missing": expected - count, "as_of": scene.as_of}
            )
        run.row_count = count
        run.save(update_fields=["row_count", "inputs_digest", "output_digest"])
    audit_record(
        actor=actor,
        action="scenes.rank",
        obj=run,
        before={"version": current.version} if current else None,
        after={
            "scene": scene.code,
            "version": run.version,
            "rows": run.row_count,
            "inputs_digest": run.inputs_digest,
            "output_digest": run.output_digest,
            "seed": run.seed,
            "status": run.status,
        },
        note=reason,
    )
    return run


def ranking_run_create(*, actor: Any, scene: Scene, reason: str = "") -> RankingRun:
    """Rank the eligible applications after the window has closed and every check is decided.

    Reveals the lottery seed (committed when the scene was published). A run while an earlier version
    is current supersedes it; after the list is final nothing can be re-ranked.
    """
    _require_centre(actor)
    with transaction.atomic():
        scene = Scene.objects.select_for_update().select_related("policy").get(pk=scene.pk)
        now = timezone.now()
        if scene.status != Scene.Status.PUBLISHED:
            raise Conflict(_("场景尚未发布，不能排名。"))
        if now < scene.closes_at:
            raise Conflict(
                _("申请期至 %(closes)s 截止，截止后才能排名。") % {"closes": _local(scene.closes_at)}
            )
        current = _current_run(scene)
        if current is not None and current.status == RankingRun.Status.FINAL:
            raise Conflict(_("最终名单已确定，不能重新排名。"))
        if current is not None and current.status == RankingRun.Status.PUBLISHED:
            raise Conflict(_("名单正在公示，公示期间只能通过审核异议更正并生成新版本。"))
        pending = scene.applications.filter(
            status__in=[Application.Status.SUBMITTED, Application.Status.UNDER_REVIEW]
        ).count()
        if pending:
            raise Conflict(
                _("还有 %(count)s 份申请未完成部门审核，全部审核完毕后才能排名。") % {"count": pending}
            )
        return _ranking_run(actor=actor, scene=scene, reason=reason or _("首次排名"))


# --- public notice -------------------------------------------------------------------------------------


def notice_dates(published_on: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of a 5-working-day notice published on ``published_on``.

    The notice starts on the publication day if it is a working day, otherwise on the next working day,
    and ends at the end of its 5th working day. Raises ``NoCalendarData`` without the year's calendar.
    """
    first = add_working_days(published_on, 0)
    return first, add_working_days(first, NOTICE_WORKING_DAYS - 1)


def notice_publish(*, actor: Any, scene: Scene, published_on: dt.date | None = None) -> Notice:
    """Publish the current ranking as the public notice (公示) for 5 working days from the publication day.

    The centre publishes today or on a later day; only the system (``actor=None``: the demo, an import of
    lists published before the platform) may record an earlier publication day."""
    _require_centre(actor)
    with transaction.atomic():
        scene = Scene.objects.select_for_update().get(pk=scene.pk)
        if Notice.objects.filter(scene=scene).exists():
            raise Conflict(_("该场景的排名已经公示，不能重复发布。"))
        run = _current_run(scene)
        if run is None or run.status != RankingRun.Status.COMPUTED:
            raise Conflict(_("请先生成排名，再发布公示。"))
        now = timezone.now()
        today = timezone.localdate(now)
        published_on = published_on or today
        if published_on < today and actor is not None:
            raise ValidationFailed(_("公示发布日期不能早于今天。"), field="published_on")
        starts_on, ends_on = notice_dates(published_on)
        notice = Notice.objects.create(
            scene=scene,
            published_on=published_on,
            starts_on=starts_on,
            ends_on=ends_on,
            working_days=NOTICE_WORKING_DAYS,
            published_at=now,
            published_by=actor if actor is not None and actor.is_authenticated else None,
        )
        run.status = RankingRun.Status.PUBLISHED
        run.published_at = now
        run.save(update_fields=["status", "published_at"])
        audit_record(
            actor=actor,
            action="scenes.notice_publish",
            obj=notice,
            after={
                "scene": scene.code,
                "run": run.version,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "output_digest": run.output_digest,
            },
        )
    return notice


# --- objections ----------------------------------------------------------------------------------------


def objection_file(*, actor: Any, row: RankingRow, item_code: str, statement: str) -> Objection:
    """An applicant (online) or a clerk of their town (at the window) objects to one item of one row of the
    list during the notice. After the notice ends it is refused with the end date."""
    row = RankingRow.objects.select_related("run__scene__policy", "application__resident").get(pk=row.pk)
    application = row.application
    channel = _channel_for(actor, application.resident)
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed(_("请写明异议内容：哪一项分数不对，正确的情况是什么。"), field="statement")
    scene = row.run.scene
    item = scores.policy_item(row.run.policy, item_code)
    if item is None:
        raise ValidationFailed(_("请选择有异议的积分项目。"), field="item_code")
    with transaction.atomic():
        notice = Notice.objects.filter(scene=scene).first()
        today = timezone.localdate()
        if notice is None:
            raise Conflict(_("该名单尚未公示，不能提出异议。"))
        if notice.has_ended(today):
            raise Conflict(
                _("公示期已于 %(end)s 结束，逾期不予受理。") % {"end": notice.ends_on}, code="notice_closed"
            )
        if today < notice.starts_on:
            raise Conflict(_("公示自 %(start)s 开始，请届时再提出。") % {"start": notice.starts_on})
        run = RankingRun.objects.select_for_update().get(pk=row.run_id)
        if run.status != RankingRun.Status.PUBLISHED:
            raise Conflict(_("该版本名单已被更正版本取代，请在最新版本中核对后再提出异议。"))
        if Objection.objects.filter(
            application=application, item_code=item_code, status=Objection.Status.PENDING
        ).exists():
            raise Conflict(_("您对该项目的异议正在审核中，请勿重复提交。"))
        objection = Objection.objects.create(
            row=row,
            application=application,
            item_code=item_code,
            department=_department(item.department_code),
            statement=statement,
            channel=channel,
            filed_at=timezone.now(),
            filed_by=actor,
        )
        audit_record(
            actor=actor,
            action="scenes.object",
            obj=objection,
            after={
                "application": application.number,
                "run": run.version,
                "rank": row.rank,
                "item": item_code,
                "channel": channel,
            },
        )
    return objection


def objection_decide(
    *,
    actor: Any,
    objection: Objection,
    upheld: bool,
    reason: str,
    fact_kind: str = "",
    fact_value: Any = None,
) -> Objection:
    """The responsible department decides an objection with a reason. An upheld objection corrects the
    fact (``fact_kind`` = ``fact_value``, exchange format), refreshes the resident's snapshot and produces a
    new ranking version that supersedes the current one."""
    require(may_decide_objection(actor, objection), _("只有该积分项目的责任部门可以审核此异议。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写审核意见。"), field="reason")
    if upheld and not fact_kind:
        item = scores.policy_item(objection.row.run.policy, objection.item_code)
        fact_kind = (item.fact_field if item else "") or ""
        if not fact_kind:
            raise ValidationFailed(_("异议成立时请指明要更正的事实项目。"), field="fact_kind")
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update()
            .select_related("application__resident", "row__run__scene")
            .get(pk=objection.pk)
        )
        if objection.status != Objection.Status.PENDING:
            raise Conflict(_("该异议已审核完毕。"))
        scene = Scene.objects.select_for_update().select_related("policy").get(pk=objection.row.run.scene_id)
        current = _current_run(scene)
        if current is not None and current.status == RankingRun.Status.FINAL:
            raise Conflict(_("最终名单已确定，不能再更正。"))
        now = timezone.now()
        objection.decision_reason = reason
        objection.decided_by = actor
        objection.decided_at = now
        if upheld:
            resident = objection.application.resident
            scores.fact_correct(
                actor=actor,
                resident=resident,
                kind=fact_kind,
                value=fact_value,
                department=objection.department,
                source_ref=f"objection:{objection.pk}",
            )
            scores.snapshot_refresh(resident=resident, policy=scene.policy, as_of=scene.as_of)
            objection.status = Objection.Status.UPHELD
            objection.corrected_fact_kind = fact_kind
            objection.corrected_fact_value = fact_value
            objection.result_run = _ranking_run(
                actor=actor,
                scene=scene,
                reason=_("异议 %(id)s（申请 %(number)s，%(item)s）成立，更正后重新排名")
                % {"id": objection.pk, "number": objection.application.number, "item": objection.item_code},
            )
        else:
            objection.status = Objection.Status.REJECTED
        objection.save()
        audit_record(
            actor=actor,
            action="scenes.objection_decide",
            obj=objection,
            before={"status": Objection.Status.PENDING},
            after={
                "status": objection.status,
                "reason": reason,
                "fact_kind": fact_kind if upheld else "",
                "new_run": objection.result_run.version if objection.result_run else None,
            },
        )
    return objection


# --- final list and outcomes ---------------------------------------------------------------------------


def ranking_finalise(*, actor: Any, scene: Scene) -> RankingRun:
    """After the notice has ended and every objection is decided, the current version becomes final."""
    _require_centre(actor)
    with transaction.atomic():
        scene = Scene.objects.select_for_update().get(pk=scene.pk)
        notice = Notice.objects.filter(scene=scene).first()
        if notice is None:
            raise Conflict(_("名单尚未公示，不能确定最终名单。"))
        today = timezone.localdate()
        if not notice.has_ended(today):
            raise Conflict(_("公示期至 %(end)s 结束，公示期满后才能确定最终名单。") % {"end": notice.ends_on})
        pending = Objection.objects.filter(application__scene=scene, status=Objection.Status.PENDING).count()
        if pending:
            raise Conflict(
                _("还有 %(count)s 件异议未审核，审核完毕后才能确定最终名单。") % {"count": pending}
            )
        run = _current_run(scene)
        if run is None or run.status != RankingRun.Status.PUBLISHED:
            raise Conflict(_("没有可确定为最终名单的公示版本。"))
        run.status = RankingRun.Status.FINAL
        run.finalised_at = timezone.now()
        run.save(update_fields=["status", "finalised_at"])
        audit_record(
            actor=actor,
            action="scenes.finalise",
            obj=run,
            before={"status": RankingRun.Status.PUBLISHED},
            after={"status": run.status, "version": run.version, "output_digest": run.output_digest},
        )
    return run


def application_revoke(*, actor: Any, application: Application, reason: str) -> Application:
    """Cancel an application that rests on false material (spec §5, audits and fraud), by the centre.

    Before the list is final the application is rejected (an ``integrity`` check failed with the reason,
    shown in its timeline) and, if a list exists, a new version without it supersedes the current one.
    On a final list a ``revoked`` outcome cancels the school place or subsidy obtained."""
    _require_centre(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请写明取消资格的原因。"), field="reason")
    with transaction.atomic():
        scene = Scene.objects.select_for_update().select_related("policy").get(pk=application.scene_id)
        application = Application.objects.select_for_update().get(pk=application.pk)
        now = timezone.now()
        before = application.status
        final = RankingRow.objects.filter(
            application=application, run__status=RankingRun.Status.FINAL
        ).exists()
        if final:
            Outcome.objects.create(
                application=application,
                kind=Outcome.Kind.REVOKED,
                note=reason,
                recorded_at=now,
                recorded_by=actor if actor is not None and actor.is_authenticated else None,
            )
        else:
            ApplicationCheck.objects.update_or_create(
                application=application,
                code="integrity",
                defaults={
                    "department": _department("centre"),
                    "result": ApplicationCheck.Result.FAIL,
                    "reason": reason,
                    "reviewer": actor if actor is not None and actor.is_authenticated else None,
                    "decided_at": now,
                },
            )
            application.status = Application.Status.REJECTED
            application.reviewed_at = now
            application.save(update_fields=["status", "reviewed_at"])
            current = _current_run(scene)
            if current is not None and current.rows.filter(application=application).exists():
                _ranking_run(
                    actor=actor,
                    scene=scene,
                    reason=_("申请 %(number)s 因提供虚假材料被取消资格，重新排名")
                    % {"number": application.number},
                )
        audit_record(
            actor=actor,
            action="scenes.revoke",
            obj=application,
            before={"status": before},
            after={"status": application.status, "final_list": final, "reason": reason},
        )
    return application


def final_list_export_record(*, actor: Any, run: RankingRun, fmt: str) -> None:
    """Audit a department's download of a final list (the download itself is in ``exports``)."""
    require(may_receive_final_list(actor, run.scene), _("只有接收最终名单的部门和服务中心可以导出。"))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="scenes.final_export",
            obj=run,
            after={"scene": run.scene.code, "version": run.version, "format": fmt, "rows": run.row_count},
        )


def outcome_record(
    *,
    actor: Any,
    application: Application,
    kind: str,
    school: str = "",
    amount_yuan: Decimal | str | None = None,
    months: int | None = None,
    period_from: dt.date | None = None,
    paid_on: dt.date | None = None,
    note: str = "",
) -> Outcome:
    """Record what came of an application on the final list: a school place (education), a subsidy
    payment with its months (housing), or a revocation (the centre)."""
    application = Application.objects.select_related("scene", "resident").get(pk=application.pk)
    scene = application.scene
    require(
        actor is None or (may_receive_final_list(actor, scene) and not is_role(actor, Role.AUDITOR)),
        _("只有接收最终名单的部门或服务中心可以登记结果。"),
    )
    if kind not in Outcome.Kind.values:
        raise ValidationFailed(_("结果类型无效。"), field="kind")
    row = RankingRow.objects.filter(application=application, run__status=RankingRun.Status.FINAL).first()
    if row is None:
        raise Conflict(_("申请 %(number)s 不在最终名单中，不能登记结果。") % {"number": application.number})
    if kind in (Outcome.Kind.PLACED, Outcome.Kind.NOT_PLACED) and scene.kind != Scene.Kind.SCHOOL:
        raise ValidationFailed(_("入学结果只适用于积分入学场景。"), field="kind")
    if kind == Outcome.Kind.PLACED and not school.strip():
        raise ValidationFailed(_("请填写安排入读的学校。"), field="school")
    amount: Decimal | None = None
    if kind == Outcome.Kind.SUBSIDY_PAID:
        if scene.kind != Scene.Kind.HOUSING:
            raise ValidationFailed(_("补贴发放只适用于住房租赁补贴场景。"), field="kind")
        if not row.is_selected:
            raise Conflict(_("申请 %(number)s 未在名额内，不能发放补贴。") % {"number": application.number})
        try:
            amount = Decimal(str(amount_yuan)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise ValidationFailed(_("请填写发放金额（元），例如 3600.00。"), field="amount_yuan") from None
        if amount <= 0:
            raise ValidationFailed(_("发放金额必须大于 0。"), field="amount_yuan")
        if months is None or not 1 <= months <= 12:
            raise ValidationFailed(_("补贴月数请填写 1 到 12 之间的整数。"), field="months")
        if period_from is None:
            raise ValidationFailed(_("请填写补贴起始月份。"), field="period_from")
        period_from = period_from.replace(day=1)
    with transaction.atomic():
        outcome = Outcome.objects.create(
            application=application,
            kind=kind,
            school=school.strip(),
            amount_yuan=amount,
            months=months if kind == Outcome.Kind.SUBSIDY_PAID else None,
            period_from=period_from if kind == Outcome.Kind.SUBSIDY_PAID else None,
            paid_on=paid_on,
            note=note.strip(),
            recorded_at=timezone.now(),
            recorded_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_record(
            actor=actor,
            action="scenes.outcome",
            obj=outcome,
            after={"application": application.number, **outcome.summary()},
        )
    return outcome
