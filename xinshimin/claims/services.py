"""Writes on claims: file, review (approve / reject / ask for evidence), supply evidence, lapse, withdraw,
recheck. Each function reads: authorise → validate → lock/load → check state → write → audit → notify
after commit.

Deadlines are working days on the official calendar (``workdays``); a deadline in a year whose calendar
is not loaded raises ``NoCalendarData`` rather than guess.

Decisions recorded here (spec §5 and guide 九 leave them open):

- **Missing-item claims are accepted all year; disputes only inside a review period.** The guide binds
  objections to a score (有异议的) to the centralised review periods and refuses them otherwise (逾期不予受理).
  A record that was never supplied (a new patent, volunteer hours, an award) is not an objection to a
  score the department computed, and making a person wait months to add it would leave their score wrong
  in the meantime; the department still reviews it within 10 working days.
- **Review: 10 working days; recheck: 5** [PRACTICE]. While the department waits for more evidence its
  clock stops; when the evidence arrives it has the working days that were left (at least one).
- **More evidence**: the reviewer sets a deadline of 1–15 working days (default 5). The resident may answer
  up to and including that day; from the next calendar day the claim lapses (视为放弃) — by the daily task
  ``claims_lapse_overdue`` and, lazily, whenever the claim is read.
- **Recheck (复核)**: once per claim, after an approval or a rejection, asked within 15 working days of the
  decision, with reasons; decided by a reviewer of the same department other than the one who decided.
- **Approval** writes the fact (source ``approved_claim``) and recomputes the resident's score. A claim of
  a list field (volunteer hours, awards …) adds its entries to the current list; a dispute replaces the
  value (for a deduction item only the entries of that item's kind are replaced). The reviewer may approve
  a corrected value (e.g. 36 months where 40 were claimed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import can_file_for_resident, is_role, require
from xinshimin.accounts.models import Department, Role
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.core.masking import mask_name
from xinshimin.core.uploads import CleanFile, delete_private, sanitise_uploads, store_private
from xinshimin.integrity.gates import ban_gate
from xinshimin.notifications.services import notify
from xinshimin.policies import ExchangeError, Facts, facts_to_exchange, parse_fact_value
from xinshimin.residents.models import Resident
from xinshimin.workdays.calendar import add_working_days, working_days_between

from .items import ClaimableItem, claimable_item
from .models import Claim, ClaimEvent, Evidence, ReviewPeriod
from .selectors import item_current_value

logger = logging.getLogger(__name__)

REVIEW_WORKING_DAYS = 10
RECHECK_WORKING_DAYS = 5
RECHECK_REQUEST_WORKING_DAYS = 15
EVIDENCE_DEFAULT_WORKING_DAYS = 5
EVIDENCE_MAX_WORKING_DAYS = 15
STATEMENT_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 1000
UPLOAD_AREA = "claims"


# --- review periods ----------------------------------------------------------------------------------


def review_period_on(day: date) -> ReviewPeriod | None:
    return ReviewPeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("starts_on").first()


def review_period_next(day: date) -> ReviewPeriod | None:
    return ReviewPeriod.objects.filter(starts_on__gt=day).order_by("starts_on").first()


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def dispute_window_message(day: date) -> str:
    """Why a dispute is refused on ``day``, with the next period's dates (computed from the table)."""
    upcoming = review_period_next(day)
    if upcoming is None:
        return _("当前不在集中审核期，下一审核期尚未公布，请关注瑞安新居民公众号的公告。")
    return _("当前不在集中审核期，下一审核期为 %(start)s至%(end)s") % {
        "start": _chinese_date(upcoming.starts_on),
        "end": (
            f"{upcoming.ends_on.month}月{upcoming.ends_on.day}日"
            if upcoming.ends_on.year == upcoming.starts_on.year
            else _chinese_date(upcoming.ends_on)
        ),
    }


# --- helpers -----------------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _clean_text(text: str, *, field: str, required: bool, max_length: int, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed(_("请填写%(what)s。") % {"what": what}, field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            _("%(what)s最多 %(max)d 个字，您填写了 %(count)d 个字。")
            % {"what": what, "max": max_length, "count": len(text)},
            field=field,
        )
    return text


def _canonical(field: str, value: Any) -> Any:
    """The value as the engine reads it, written back in the exchange format (normalised)."""
    try:
        parsed = parse_fact_value(field, value)
    except ExchangeError as exc:
        raise ValidationFailed(
            _("填写的内容有误（%(where)s）：%(problem)s") % {"where": exc.field, "problem": exc.message},
            field="value",
        ) from None
    if parsed is None:
        raise ValidationFailed(_("请填写申报的内容。"), field="value")
    return facts_to_exchange(Facts(**{field: parsed}))[field]


def _same(a: Any, b: Any) -> bool:
    def key(value: Any) -> str:
        if isinstance(value, list):
            value = sorted(json.dumps(v, sort_keys=True, ensure_ascii=False) for v in value)
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    return key(a) == key(b)


def _validate_value(item: ClaimableItem, kind: str, value: Any, current: Any) -> Any:
    assert item.field is not None
    clean = _canonical(item.field, value)
    if item.is_list and kind == Claim.Kind.CLAIM and not clean:
        raise ValidationFailed(_("请至少填写一条需要补充的记录。"), field="value")
    if item.match_kind:
        wrong = [e for e in clean if e.get("kind") != item.match_kind]
        if wrong:
            raise ValidationFailed(
                _("该项目只能填写“%(label)s”类的记录。") % {"label": item.label_zh}, field="value"
            )
    if kind == Claim.Kind.CLAIM:
        if item.is_list:
            known = {json.dumps(e, sort_keys=True, ensure_ascii=False) for e in (current or [])}
            if all(json.dumps(e, sort_keys=True, ensure_ascii=False) in known for e in clean):
                raise ValidationFailed(
                    _("您填写的记录都已在系统中，无需申报；如认为计分有误，请在集中审核期提出异议。"),
                    field="value",
                )
        elif current is not None:
            raise ValidationFailed(
                _("“%(label)s”已有记录，不属于缺失项目；如认为记录有误，请在集中审核期提出异议。")
                % {"label": item.label_zh},
                field="kind",
            )
    elif current is not None and _same(clean, current):
        raise ValidationFailed(_("您填写的内容与现有记录相同，请填写您认为正确的内容。"), field="value")
    return clean


def _store_files(
    claim: Claim, files: Sequence[CleanFile], *, stage: str, actor: Any, stored: list[str]
) -> None:
    now = timezone.now()
    for clean in files:
        path = store_private(clean, area=UPLOAD_AREA)
        stored.append(path)
        Evidence.objects.create(
            claim=claim,
            stage=stage,
            file_path=path,
            original_name=clean.original_name[:100],
            content_type=clean.content_type,
            size=clean.size,
            sha256=clean.sha256,
            uploaded_at=now,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def _actor_label(actor: Any, claim: Claim) -> str:
    if actor is None:
        return _("系统")
    if is_role(actor, Role.RESIDENT):
        return _("申请人本人")
    if is_role(actor, Role.CLERK):
        return _("%(town)s新居民服务窗口") % {"town": actor.town}
    if is_role(actor, Role.REVIEWER):
        return _("%(department)s审核员") % {"department": claim.department.name}
    return str(actor.get_role_display())


def _event(claim: Claim, *, actor: Any, action: str, note: str = "") -> None:
    ClaimEvent.objects.create(
        claim=claim,
        at=timezone.now(),
        action=action,
        status=claim.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_actor_label(actor, claim),
        note=note,
    )


def _summary(claim: Claim) -> dict[str, Any]:
    """The audit view of a claim (the resident's name masked; the value is not personal data)."""
    return {
        "reference": claim.reference,
        "resident": claim.resident_id,
        "resident_name": mask_name(claim.resident.name),
        "kind": claim.kind,
        "item": claim.item_code,
        "department": claim.department.code,
        "status": claim.status,
        "due_on": claim.due_on,
    }


def _claim_url(claim: Claim) -> str:
    return reverse("web:claims_detail", args=[claim.pk])


def _notify_resident(claim: Claim, title: str, body: str) -> None:
    """After commit: an in-app notice and a text message to the resident."""
    claim_id = claim.pk

    def send() -> None:
        fresh = Claim.objects.select_related("resident").get(pk=claim_id)
        try:
            notify(resident=fresh.resident, title=title, body=body, link=_claim_url(fresh), sms=True)
        except Exception:  # a notice must never undo or block the change it reports
            logger.exception("could not notify the resident of claim %s", claim_id)

    transaction.on_commit(send)


def _lock(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().select_related("resident", "department").get(pk=claim.pk)


def _require_reviewer(actor: Any, claim: Claim) -> None:
    require(
        is_role(actor, Role.REVIEWER) and actor.department_id == claim.department_id,
        _("只有%(department)s的审核员可以办理该申报。") % {"department": claim.department.name},
    )


def _require_applicant(actor: Any, claim: Claim) -> None:
    """The resident themself, or a window clerk of the resident's town."""
    resident = claim.resident
    if is_role(actor, Role.RESIDENT) and resident.user_id == actor.pk:
        return
    if can_file_for_resident(actor, resident):
        return
    raise PermissionDenied(_("只有申请人本人或其所在乡镇街道的服务窗口可以办理此事项。"))


def _state_error(claim: Claim, doing: str) -> Conflict:
    return Conflict(
        _("该申报当前状态为“%(status)s”，不能%(doing)s。")
        % {"status": claim.get_status_display(), "doing": doing},
        status=claim.status,
    )


# --- filing ------------------------------------------------------------------------------------------


def claim_file(
    *,
    actor: Any,
    resident: Resident,
    kind: str,
    item_code: str,
    value: Any,
    statement: str = "",
    files: Sequence[Any] = (),
    consent: bool = False,
    today: date | None = None,
) -> Claim:
    """File a claim (missing item) or a dispute (wrong item) with evidence; returns the new claim.

    Who: the resident themself (online), or a clerk of the resident's town at the window, who must
    confirm the resident's consent. The claim is routed to the department of the item in the policy in
    force and is due in 10 working days.
    """
    today = _today(today)
    if is_role(actor, Role.RESIDENT):
        require(resident.user_id == actor.pk, _("您只能为本人申报。"))
        channel = Claim.Channel.ONLINE
    elif is_role(actor, Role.CLERK):
        require(
            can_file_for_resident(actor, resident),
            _("窗口工作人员只能为本乡镇街道的新市民代办申报。"),
        )
        if not consent:
            raise ValidationFailed(
                _("请先取得申请人本人同意，并勾选“申请人已同意由窗口代为申报”。"), field="consent"
            )
        channel = Claim.Channel.WINDOW
    else:
        raise PermissionDenied(_("只有新市民本人或乡镇街道服务窗口可以提交积分申报。"))

    ban_gate(resident=resident, on=today)  # integrity: no points services during a fraud ban (spec §5)
    if kind not in Claim.Kind.values:
        raise ValidationFailed(_("请选择申报类型：补充申报或积分异议。"), field="kind")
    if not resident.permits.scoring(today).exists():
        raise ValidationFailed(
            _("申请人目前没有有效的《浙江省居住证》，暂不能申报积分。请先办理或签注居住证。"),
            field="resident",
        )
    item = claimable_item(item_code, today)
    if kind == Claim.Kind.CLAIM and not item.may_claim:
        raise ValidationFailed(item.why_not, field="kind")
    if kind == Claim.Kind.DISPUTE and not item.may_dispute:
        raise ValidationFailed(item.why_not, field="kind")
    if kind == Claim.Kind.DISPUTE and review_period_on(today) is None:
        raise Conflict(dispute_window_message(today), code="outside_review_period", field="kind")
    statement = _clean_text(
        statement,
        field="statement",
        required=kind == Claim.Kind.DISPUTE,
        max_length=STATEMENT_MAX_LENGTH,
        what=_("异议理由") if kind == Claim.Kind.DISPUTE else _("申请说明"),
    )
    current = item_current_value(resident, item, today)
    clean_value = _validate_value(item, kind, value, current)
    if not files:
        raise ValidationFailed(_("请上传至少一份证明材料（照片或 PDF）。"), field="evidence")
    clean_files = sanitise_uploads(files)
    department = Department.objects.filter(code=item.department_code).first()
    if department is None:
        raise ValidationFailed(
            _("该项目的审核部门（%(department)s）尚未在系统中开通，请联系新居民服务中心。")
            % {"department": item.department_name_zh},
            field="item_code",
        )
    due_on = add_working_days(today, REVIEW_WORKING_DAYS)

    stored: list[str] = []
    try:
        with transaction.atomic():
            Resident.objects.select_for_update().filter(pk=resident.pk).first()
            existing = Claim.objects.open().filter(resident=resident, item_code=item.code).first()
            if existing is not None:
                raise Conflict(
                    _("该项目已有一件正在办理的申报（%(reference)s），请等待办理结果，或撤回后重新提交。")
                    % {"reference": existing.reference},
                    code="claim_open",
                )
            claim = Claim(
                resident=resident,
                kind=kind,
                item_code=item.code,
                item_label=item.label_zh,
                fact_kind=item.field or "",
                proposed_value=clean_value,
                current_value=current,
                statement=statement,
                department=department,
                status=Claim.Status.SUBMITTED,
                channel=channel,
                filed_by=actor,
                consent_recorded=channel == Claim.Channel.WINDOW,
                filed_at=timezone.now(),
                submitted_on=today,
                due_on=due_on,
            )
            try:
                with transaction.atomic():
                    claim.save()
            except IntegrityError:
                raise Conflict(_("该项目已有一件正在办理的申报，请勿重复提交。"), code="claim_open") from None
            claim.reference = f"SB-{today.year}-{claim.pk:06d}"
            claim.save(update_fields=["reference"])
            _store_files(claim, clean_files, stage=Evidence.Stage.FILING, actor=actor, stored=stored)
            _event(
                claim,
                actor=actor,
                action="file",
                note=_("已受理，由%(department)s审核，办理期限 %(due)s。")
                % {"department": department.name, "due": _chinese_date(due_on)},
            )
            audit_record(
                actor=actor,
                action="claims.file",
                obj=claim,
                after={**_summary(claim), "channel": channel, "files": len(clean_files)},
                note="consent recorded by the window clerk" if channel == Claim.Channel.WINDOW else "",
            )
    except BaseException:
        for path in stored:
            delete_private(path)
        raise
    _notify_resident(
        claim,
        _("积分申报已受理"),
        _("您的“%(item)s”%(kind)s已受理（编号 %(reference)s），%(department)s将于 %(due)s 前办结。")
        % {
            "item": claim.item_label,
            "kind": claim.get_kind_display(),
            "reference": claim.reference,
            "department": department.name,
            "due": _chinese_date(due_on),
        },
    )
    return claim


# --- department review -------------------------------------------------------------------------------


def claim_start_review(*, actor: Any, claim: Claim) -> Claim:
    """A reviewer takes up a submitted claim (审核中); optional, the decisions work from 'submitted' too."""
    _require_reviewer(actor, claim)
    with transaction.atomic():
        claim = _lock(claim)
        if claim.status != Claim.Status.SUBMITTED:
            raise _state_error(claim, _("开始审核"))
        claim.status = Claim.Status.UNDER_REVIEW
        claim.save(update_fields=["status", "updated_at"])
        _event(claim, actor=actor, action="start_review", note=_("部门已开始审核。"))
        audit_record(
            actor=actor,
            action="claims.start_review",
            obj=claim,
            before={"status": Claim.Status.SUBMITTED},
            after={"status": claim.status},
        )
    _notify_resident(
        claim,
        _("积分申报审核中"),
        _("您的申报 %(reference)s 已进入审核。") % {"reference": claim.reference},
    )
    return claim


def claim_request_evidence(
    *,
    actor: Any,
    claim: Claim,
    note: str,
    working_days: int = EVIDENCE_DEFAULT_WORKING_DAYS,
    today: date | None = None,
) -> Claim:
    """Ask the resident for more evidence by a deadline; without an answer the claim then lapses."""
    _require_reviewer(actor, claim)
    today = _today(today)
    note = _clean_text(note, field="note", required=True, max_length=NOTE_MAX_LENGTH, what=_("需补充的材料"))
    if not 1 <= int(working_days) <= EVIDENCE_MAX_WORKING_DAYS:
        raise ValidationFailed(
            _("补充材料期限应为 1 至 %(max)d 个工作日。") % {"max": EVIDENCE_MAX_WORKING_DAYS},
            field="working_days",
        )
    evidence_due_on = add_working_days(today, int(working_days))
    with transaction.atomic():
        claim = _lock(claim)
        if claim.status not in Claim.REVIEWABLE_STATUSES:
            raise _state_error(claim, _("要求补充材料"))
        before = claim.status
        claim.status = Claim.Status.EVIDENCE_REQUESTED
        claim.evidence_requested_on = today
        claim.evidence_due_on = evidence_due_on
        claim.evidence_request_note = note
        claim.save(
            update_fields=[
                "status",
                "evidence_requested_on",
                "evidence_due_on",
                "evidence_request_note",
                "updated_at",
            ]
        )
        _event(
            claim,
            actor=actor,
            action="request_evidence",
            note=_("请于 %(due)s 前补充材料：%(note)s")
            % {"due": _chinese_date(evidence_due_on), "note": note},
        )
        audit_record(
            actor=actor,
            action="claims.request_evidence",
            obj=claim,
            before={"status": before},
            after={"status": claim.status, "evidence_due_on": evidence_due_on, "note": note},
        )
    _notify_resident(
        claim,
        _("请补充积分申报材料"),
        _("您的申报 %(reference)s 需要补充材料，请于 %(due)s 前提交，逾期视为放弃。要求：%(note)s")
        % {"reference": claim.reference, "due": _chinese_date(evidence_due_on), "note": note},
    )
    return claim


def claim_supply_evidence(
    *, actor: Any, claim: Claim, files: Sequence[Any], note: str = "", today: date | None = None
) -> Claim:
    """The resident (or their town's window) answers a request for more evidence, by its deadline."""
    _require_applicant(actor, claim)
    today = _today(today)
    note = _clean_text(note, field="note", required=False, max_length=NOTE_MAX_LENGTH, what=_("补充说明"))
    if not files:
        raise ValidationFailed(_("请上传补充的证明材料。"), field="evidence")
    clean_files = sanitise_uploads(files)
    claim = claim_lapse_if_overdue(claim=claim, today=today)
    if claim.status == Claim.Status.LAPSED:
        raise Conflict(
            _("补充材料的截止日期（%(due)s）已过，该申报已视为放弃。如仍需申报，请重新提交。")
            % {"due": _chinese_date(claim.evidence_due_on or today)},
            code="claim_lapsed",
        )
    stored: list[str] = []
    try:
        with transaction.atomic():
            claim = _lock(claim)
            if claim.status != Claim.Status.EVIDENCE_REQUESTED:
                raise _state_error(claim, _("补充材料"))
            assert claim.evidence_requested_on is not None
            # The department's clock stopped while it waited: it gets the working days that were left.
            remaining = max(working_days_between(claim.evidence_requested_on, claim.due_on), 1)
            claim.due_on = add_working_days(today, remaining)
            claim.status = Claim.Status.UNDER_REVIEW
            claim.save(update_fields=["status", "due_on", "updated_at"])
            _store_files(claim, clean_files, stage=Evidence.Stage.SUPPLEMENT, actor=actor, stored=stored)
            _event(
                claim,
                actor=actor,
                action="supply_evidence",
                note=(note + "\n" if note else "")
                + _("已补充材料 %(n)d 份，部门办理期限 %(due)s。")
                % {"n": len(clean_files), "due": _chinese_date(claim.due_on)},
            )
            audit_record(
                actor=actor,
                action="claims.supply_evidence",
                obj=claim,
                before={"status": Claim.Status.EVIDENCE_REQUESTED},
                after={"status": claim.status, "due_on": claim.due_on, "files": len(clean_files)},
            )
    except BaseException:
        for path in stored:
            delete_private(path)
        raise
    _notify_resident(
        claim,
        _("补充材料已收到"),
        _("申报 %(reference)s 的补充材料已收到，部门将于 %(due)s 前办结。")
        % {"reference": claim.reference, "due": _chinese_date(claim.due_on)},
    )
    return claim


def _resulting_value(claim: Claim, value: Any, today: date) -> Any:
    """The fact's new full value when ``value`` (the item's part) is approved."""
    from xinshimin.scoring.selectors import resident_fact_values

    stored = resident_fact_values(claim.resident).get(claim.fact_kind)
    if claim.kind == Claim.Kind.CLAIM and isinstance(value, list):
        merged = list(stored or [])
        known = {json.dumps(e, sort_keys=True, ensure_ascii=False) for e in merged}
        for entry in value:
            if json.dumps(entry, sort_keys=True, ensure_ascii=False) not in known:
                merged.append(entry)
        return merged
    item = claimable_item(claim.item_code, today)
    if item.match_kind and isinstance(value, list):
        others = [e for e in (stored or []) if e.get("kind") != item.match_kind]
        return others + value
    return value


def _apply(claim: Claim, *, actor: Any, value: Any, today: date) -> dict[str, Any]:
    """Write the approved fact and recompute the score; returns what the audit event should show."""
    from xinshimin.scoring import services as scoring

    new_value = _resulting_value(claim, value, today)
    scoring.facts_upsert(
        actor=actor,
        resident=claim.resident,
        kind=claim.fact_kind,
        value=new_value,
        source="approved_claim",
        source_ref=claim.reference or "",
        department=claim.department,
    )
    snapshot = scoring.snapshot_resident(resident=claim.resident, as_of=today)
    return {"fact": claim.fact_kind, "total": str(snapshot.total)}


def _approved_value(claim: Claim, value: Any, today: date) -> Any:
    if value is None:
        return claim.proposed_value
    item = claimable_item(claim.item_code, today)
    clean = _canonical(claim.fact_kind, value)
    if item.match_kind and any(e.get("kind") != item.match_kind for e in clean):
        raise ValidationFailed(
            _("该项目只能认定“%(label)s”类的记录。") % {"label": item.label_zh}, field="value"
        )
    return clean


def claim_approve(
    *, actor: Any, claim: Claim, value: Any = None, note: str = "", today: date | None = None
) -> Claim:
    """Approve: the fact is written (source ``approved_claim``) and the score recomputed.

    ``value`` (optional) is the value the department establishes when it differs from what was claimed.
    """
    _require_reviewer(actor, claim)
    today = _today(today)
    note = _clean_text(note, field="note", required=False, max_length=NOTE_MAX_LENGTH, what=_("审核意见"))
    approved = _approved_value(claim, value, today)
    with transaction.atomic():
        claim = _lock(claim)
        if claim.status not in Claim.REVIEWABLE_STATUSES:
            raise _state_error(claim, _("审核通过"))
        before = claim.status
        result = _apply(claim, actor=actor, value=approved, today=today)
        claim.status = Claim.Status.APPROVED
        claim.approved_value = approved
        claim.decided_at = timezone.now()
        claim.decided_by = actor
        claim.decision_note = note
        claim.closed_at = claim.decided_at
        claim.save(
            update_fields=[
                "status",
                "approved_value",
                "decided_at",
                "decided_by",
                "decision_note",
                "closed_at",
                "updated_at",
            ]
        )
        adjusted = not _same(approved, claim.proposed_value)
        _event(
            claim,
            actor=actor,
            action="approve",
            note=(_("审核通过，按部门核定的内容计分。") if adjusted else _("审核通过，积分已更新。"))
            + (f"\n{note}" if note else ""),
        )
        audit_record(
            actor=actor,
            action="claims.approve",
            obj=claim,
            before={"status": before},
            after={"status": claim.status, "approved_value": approved, "adjusted": adjusted, **result},
            note=note,
        )
    _notify_resident(
        claim,
        _("积分申报审核通过"),
        _("您的申报 %(reference)s（%(item)s）已审核通过，积分已更新。")
        % {"reference": claim.reference, "item": claim.item_label},
    )
    return claim


def _clean_reason(reason: str, note: str) -> tuple[str, str]:
    if reason not in Claim.RejectReason.values:
        raise ValidationFailed(_("请选择不通过的原因。"), field="reason")
    note = _clean_text(
        note,
        field="note",
        required=reason == Claim.RejectReason.OTHER,
        max_length=NOTE_MAX_LENGTH,
        what=_("具体说明"),
    )
    return reason, note


def claim_reject(
    *, actor: Any, claim: Claim, reason: str, note: str = "", today: date | None = None
) -> Claim:
    """Reject with a standard reason (``Claim.RejectReason``) and, for "other", an explanation."""
    _require_reviewer(actor, claim)
    reason, note = _clean_reason(reason, note)
    with transaction.atomic():
        claim = _lock(claim)
        if claim.status not in Claim.REVIEWABLE_STATUSES:
            raise _state_error(claim, _("作出不通过决定"))
        before = claim.status
        claim.status = Claim.Status.REJECTED
        claim.reject_reason = reason
        claim.decision_note = note
        claim.decided_at = timezone.now()
        claim.decided_by = actor
        claim.closed_at = claim.decided_at
        claim.save(
            update_fields=[
                "status",
                "reject_reason",
                "decision_note",
                "decided_at",
                "decided_by",
                "closed_at",
                "updated_at",
            ]
        )
        label = str(Claim.RejectReason(reason).label)
        _event(claim, actor=actor, action="reject", note=label + (f"：{note}" if note else ""))
        audit_record(
            actor=actor,
            action="claims.reject",
            obj=claim,
            before={"status": before},
            after={"status": claim.status, "reason": reason},
            note=note,
        )
    _notify_resident(
        claim,
        _("积分申报未通过"),
        _("您的申报 %(reference)s 未通过：%(reason)s。如有异议，可在 %(days)d 个工作日内申请复核。")
        % {"reference": claim.reference, "reason": label, "days": RECHECK_REQUEST_WORKING_DAYS},
    )
    return claim


# --- resident actions --------------------------------------------------------------------------------


def claim_withdraw(*, actor: Any, claim: Claim, today: date | None = None) -> Claim:
    """The resident (or their window) withdraws a claim that is still open (not during a recheck)."""
    _require_applicant(actor, claim)
    with transaction.atomic():
        claim = _lock(claim)
        if claim.status not in (*Claim.REVIEWABLE_STATUSES, Claim.Status.EVIDENCE_REQUESTED):
            raise _state_error(claim, _("撤回"))
        before = claim.status
        claim.status = Claim.Status.WITHDRAWN
        claim.closed_at = timezone.now()
        claim.save(update_fields=["status", "closed_at", "updated_at"])
        _event(claim, actor=actor, action="withdraw", note=_("申请人已撤回申报。"))
        audit_record(
            actor=actor,
            action="claims.withdraw",
            obj=claim,
            before={"status": before},
            after={"status": claim.status},
        )
    _notify_resident(
        claim, _("积分申报已撤回"), _("申报 %(reference)s 已撤回。") % {"reference": claim.reference}
    )
    return claim


def claim_recheck_deadline(claim: Claim) -> date | None:
    """The last day on which a recheck of the decision may be asked for (None before a decision)."""
    if claim.decided_at is None:
        return None
    return add_working_days(timezone.localdate(claim.decided_at), RECHECK_REQUEST_WORKING_DAYS)


def claim_request_recheck(
    *, actor: Any, claim: Claim, reason: str, files: Sequence[Any] = (), today: date | None = None
) -> Claim:
    """Ask once for a recheck (复核) of a decision, with reasons; due in 5 working days."""
    _require_applicant(actor, claim)
    today = _today(today)
    reason = _clean_text(
        reason, field="reason", required=True, max_length=STATEMENT_MAX_LENGTH, what=_("复核理由")
    )
    clean_files = sanitise_uploads(files) if files else []
    due_on = add_working_days(today, RECHECK_WORKING_DAYS)
    stored: list[str] = []
    try:
        with transaction.atomic():
            claim = _lock(claim)
            if claim.recheck_requested_on is not None:
                raise Conflict(
                    _("每件申报只能申请一次复核，本件已于 %(day)s 申请过。")
                    % {"day": _chinese_date(claim.recheck_requested_on)},
                    code="recheck_used",
                )
            if claim.status not in Claim.DECIDED_STATUSES:
                raise _state_error(claim, _("申请复核"))
            last_day = claim_recheck_deadline(claim)
            if last_day is not None and today > last_day:
                raise Conflict(
                    _("申请复核的期限（%(day)s）已过。") % {"day": _chinese_date(last_day)},
                    code="recheck_late",
                )
            before = claim.status
            claim.status = Claim.Status.RECHECK_REQUESTED
            claim.recheck_requested_on = today
            claim.recheck_reason = reason
            claim.due_on = due_on
            claim.closed_at = None
            claim.save(
                update_fields=[
                    "status",
                    "recheck_requested_on",
                    "recheck_reason",
                    "due_on",
                    "closed_at",
                    "updated_at",
                ]
            )
            _store_files(claim, clean_files, stage=Evidence.Stage.RECHECK, actor=actor, stored=stored)
            _event(
                claim,
                actor=actor,
                action="recheck_request",
                note=_("申请复核：%(reason)s\n由其他审核员于 %(due)s 前复核。")
                % {"reason": reason, "due": _chinese_date(due_on)},
            )
            audit_record(
                actor=actor,
                action="claims.recheck_request",
                obj=claim,
                before={"status": before},
                after={"status": claim.status, "due_on": due_on, "files": len(clean_files)},
                note=reason,
            )
    except BaseException:
        for path in stored:
            delete_private(path)
        raise
    _notify_resident(
        claim,
        _("复核申请已受理"),
        _("申报 %(reference)s 的复核申请已受理，将于 %(due)s 前答复。")
        % {"reference": claim.reference, "due": _chinese_date(due_on)},
    )
    return claim


def claim_recheck_decide(
    *,
    actor: Any,
    claim: Claim,
    approve: bool,
    value: Any = None,
    reason: str = "",
    note: str = "",
    today: date | None = None,
) -> Claim:
    """Answer a recheck: approve (the fact is written as approved) or uphold a refusal with a reason.

    Only a reviewer of the same department who did not take the first decision.
    """
    _require_reviewer(actor, claim)
    today = _today(today)
    require(
        claim.decided_by_id != actor.pk,
        _("复核须由作出原决定以外的审核员办理，请交由本部门其他审核员复核。"),
    )
    if approve:
        note = _clean_text(note, field="note", required=False, max_length=NOTE_MAX_LENGTH, what=_("复核意见"))
        approved = _approved_value(claim, value, today)
    else:
        reason, note = _clean_reason(reason, note)
    with transaction.atomic():
        claim = _lock(claim)
        if claim.status != Claim.Status.RECHECK_REQUESTED:
            raise _state_error(claim, _("复核"))
        if claim.decided_by_id == actor.pk:
            raise PermissionDenied(_("复核须由作出原决定以外的审核员办理，请交由本部门其他审核员复核。"))
        claim.recheck_decided_at = timezone.now()
        claim.recheck_decided_by = actor
        claim.recheck_note = note
        claim.closed_at = claim.recheck_decided_at
        after: dict[str, Any]
        if approve:
            changes = claim.approved_value is None or not _same(approved, claim.approved_value)
            result = _apply(claim, actor=actor, value=approved, today=today) if changes else {}
            claim.status = Claim.Status.RECHECK_APPROVED
            claim.approved_value = approved
            after = {"status": claim.status, "approved_value": approved, **result}
            event_note = _("复核通过，积分已更新。")
        else:
            claim.status = Claim.Status.RECHECK_REJECTED
            claim.recheck_reject_reason = reason
            after = {"status": claim.status, "reason": reason}
            event_note = _("复核维持原决定：%(reason)s") % {"reason": Claim.RejectReason(reason).label}
        claim.save(
            update_fields=[
                "status",
                "approved_value",
                "recheck_decided_at",
                "recheck_decided_by",
                "recheck_reject_reason",
                "recheck_note",
                "closed_at",
                "updated_at",
            ]
        )
        _event(claim, actor=actor, action="recheck_decide", note=event_note + (f"\n{note}" if note else ""))
        audit_record(
            actor=actor,
            action="claims.recheck_decide",
            obj=claim,
            before={"status": Claim.Status.RECHECK_REQUESTED},
            after=after,
            note=note,
        )
    _notify_resident(
        claim,
        _("复核结果"),
        _("申报 %(reference)s 的复核结果：%(result)s。")
        % {"reference": claim.reference, "result": claim.get_status_display()},
    )
    return claim


# --- lapse -------------------------------------------------------------------------------------------


def _lapse(claim: Claim, today: date) -> bool:
    """Lapse one locked claim if its evidence deadline has passed; True if it lapsed."""
    if claim.status != Claim.Status.EVIDENCE_REQUESTED or claim.evidence_due_on is None:
        return False
    if today <= claim.evidence_due_on:
        return False
    claim.status = Claim.Status.LAPSED
    claim.closed_at = timezone.now()
    claim.save(update_fields=["status", "closed_at", "updated_at"])
    _event(
        claim,
        actor=None,
        action="lapse",
        note=_("未在 %(due)s 前补充材料，视为放弃。") % {"due": _chinese_date(claim.evidence_due_on)},
    )
    audit_record(
        actor=None,
        action="claims.lapse",
        obj=claim,
        before={"status": Claim.Status.EVIDENCE_REQUESTED},
        after={"status": claim.status, "evidence_due_on": claim.evidence_due_on, "on": today},
    )
    _notify_resident(
        claim,
        _("积分申报已视为放弃"),
        _("申报 %(reference)s 未在 %(due)s 前补充材料，已视为放弃。如需申报，请重新提交。")
        % {"reference": claim.reference, "due": _chinese_date(claim.evidence_due_on)},
    )
    return True


def claim_lapse_if_overdue(*, claim: Claim, today: date | None = None) -> Claim:
    """Lazily lapse a claim when it is read after its evidence deadline; returns the current claim."""
    today = _today(today)
    if not (
        claim.status == Claim.Status.EVIDENCE_REQUESTED
        and claim.evidence_due_on is not None
        and today > claim.evidence_due_on
    ):
        return claim
    with transaction.atomic():
        locked = _lock(claim)
        _lapse(locked, today)
    claim.refresh_from_db()
    return claim


def claims_lapse_overdue(*, today: date | None = None) -> int:
    """Lapse every claim whose evidence deadline was before ``today``; returns how many lapsed."""
    today = _today(today)
    ids = list(
        Claim.objects.filter(status=Claim.Status.EVIDENCE_REQUESTED, evidence_due_on__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    lapsed = 0
    for claim_id in ids:
        with transaction.atomic():
            claim = (
                Claim.objects.select_for_update()
                .select_related("resident", "department")
                .filter(pk=claim_id)
                .first()
            )
            if claim is not None and _lapse(claim, today):
                lapsed += 1
    return lapsed
