"""Writes of the charity fund: cases, verification, decisions, letters, donations, grants and reversals.

Each function reads top to bottom: authorise → validate → lock/load → check state → write → audit.
Lock order (so two transactions never wait on each other in a circle): the case row first, then the
ledger accounts by primary key, then the number counters (see ``ledger``).
Deadlines are working days on the official calendar (``workdays``); a year without calendar data
raises ``NoCalendarData`` rather than guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import can_file_for_resident, is_role, require
from xinshimin.accounts.models import Department, Role, User
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.core.masking import mask_name
from xinshimin.residents.models import Resident
from xinshimin.workdays.calendar import add_working_days

from . import evidence as evidence_files
from . import ledger
from .access import can_be_verifier, can_manage_fund, has_conflict, is_applicant
from .models import (
    ZERO,
    CaseDecision,
    CaseEvidence,
    ConflictDeclaration,
    Donation,
    HardshipCase,
    JournalEntry,
    Verification,
    VerifierAssignment,
)

DECISION_WORKING_DAYS = 10  # spec §5: a decision normally within 10 working days
LETTER_WORKING_DAYS = 10  # spec §5: a refusal is explained in writing within 10 working days
EMPLOYER_PRIORITY_YUAN = Decimal("100000")  # spec §5: employers giving ¥100,000 or more
MIN_VERIFICATIONS = 2
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
REASON_MIN = 10
CHARITY_DEPARTMENT = "charity"


# --- helpers -----------------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _require_fund_office(actor: Any) -> None:
    require(can_manage_fund(actor), _("只有爱心基金办公室工作人员可以办理此项业务。"))


def _text(value: str, *, field: str, label: str, minimum: int = 1, maximum: int = 2000) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise ValidationFailed(
            _("请填写%(label)s（至少%(n)d个字）。") % {"label": label, "n": minimum}, field=field
        )
    if len(text) > maximum:
        raise ValidationFailed(
            _("%(label)s最多%(n)d个字，请精简。") % {"label": label, "n": maximum}, field=field
        )
    return text


def _lock_case(case: HardshipCase) -> HardshipCase:
    return HardshipCase.objects.select_for_update().select_related("applicant").get(pk=case.pk)


def normalise_employer(name: str) -> str:
    """Employer names compare without spaces (full-width included) and case-insensitively."""
    return "".join((name or "").split()).replace("\u3000", "").casefold()


def _not_reversed() -> dict[str, bool]:
    """Filter keywords for donations whose ledger entry has not been reversed."""
    return {"entry__reversed_by__isnull": True}


def employer_donation_total(employer: str) -> Decimal:
    """What an employer (by name) has given the fund in total, reversed donations excluded."""
    key = normalise_employer(employer)
    if not key:
        return ZERO
    total = ZERO
    for name, amount in Donation.objects.filter(
        donor_kind=Donation.DonorKind.EMPLOYER, **_not_reversed()
    ).values_list("donor_name", "amount"):
        if normalise_employer(name) == key:
            total += amount
    return total


def resident_is_donor(resident: Resident) -> bool:
    return Donation.objects.filter(resident=resident, **_not_reversed()).exists()


def priority_flags(resident: Resident) -> tuple[bool, bool]:
    """(employer gave ≥ ¥100,000, the resident has donated) — spec §5 aid priority."""
    return employer_donation_total(resident.employer) >= EMPLOYER_PRIORITY_YUAN, resident_is_donor(resident)


def _case_summary(case: HardshipCase) -> dict[str, Any]:
    return {
        "number": case.number,
        "applicant": mask_name(case.applicant.name),
        "status": case.status,
        "category": case.category,
        "amount_requested": case.amount_requested,
        "due_on": case.due_on,
    }


# --- cases -------------------------------------------------------------------------------------------


def case_submit(
    *,
    actor: Any,
    applicant: Resident,
    category: str,
    amount_requested: Any,
    description: str,
    is_urgent: bool = False,
    evidence: Sequence[evidence_files.UploadedFile] = (),
    consent: bool = False,
    today: date | None = None,
) -> HardshipCase:
    """File a hardship application: online by the resident, or at a window by a clerk of their town.

    A clerk must record that the resident consented. The decision is due in 10 working days on the
    official calendar; priority flags are taken as they stand on the day of submission.
    """
    if is_role(actor, Role.RESIDENT) and applicant.user_id == actor.pk:
        channel = HardshipCase.Channel.ONLINE
    elif can_file_for_resident(actor, applicant):
        channel = HardshipCase.Channel.WINDOW
        if not consent:
            raise ValidationFailed(
                _("窗口代办需要申请人本人同意：请向申请人确认后勾选“申请人本人同意代办”。"), field="consent"
            )
    else:
        raise PermissionDenied(
            _("只有申请人本人，或其所在乡镇街道的窗口工作人员（经本人同意）可以提交困难申报。")
        )
    if category not in HardshipCase.Category.values:
        raise ValidationFailed(_("请选择困难类别。"), field="category")
    amount = ledger.money(amount_requested, field="amount_requested")
    text = _text(
        description,
        field="description",
        label=_("困难情况说明"),
        minimum=DESCRIPTION_MIN,
        maximum=DESCRIPTION_MAX,
    )
    checked = evidence_files.check_uploads(evidence)
    submitted_on = _today(today)
    due_on = add_working_days(submitted_on, DECISION_WORKING_DAYS)
    stored: list[str] = []
    try:
        with transaction.atomic():
            if HardshipCase.objects.open().filter(applicant=applicant).exists():
                raise Conflict(
                    _("该申请人已有一件正在办理的困难申报，请等待办理结果，或先撤回原申请。"),
                    code="case_open",
                )
            employer_priority, donor_priority = priority_flags(applicant)
            case = HardshipCase.objects.create(
                number=ledger.next_number("AX", submitted_on.year, width=4),
                applicant=applicant,
                category=category,
                amount_requested=amount,
                description=text,
                is_urgent=bool(is_urgent),
                priority_employer=employer_priority,
                priority_donor=donor_priority,
                channel=channel,
                filed_by=actor,
                consent_recorded=channel == HardshipCase.Channel.WINDOW,
                submitted_at=timezone.now(),
                submitted_on=submitted_on,
                due_on=due_on,
            )
            for item in checked:
                name = evidence_files.store(item)
                stored.append(name)
                CaseEvidence.objects.create(
                    case=case,
                    original_name=item.original_name,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                    stored_name=name,
                    uploaded_by=actor,
                )
            audit_record(
                actor=actor,
                action="charity.case_submit",
                obj=case,
                after={**_case_summary(case), "channel": channel, "evidence": len(checked)},
            )
    except IntegrityError:
        for name in stored:
            evidence_files.remove_quietly(name)
        raise Conflict(
            _("该申请人已有一件正在办理的困难申报，请等待办理结果，或先撤回原申请。"), code="case_open"
        ) from None
    except BaseException:
        for name in stored:
            evidence_files.remove_quietly(name)
        raise
    return case


def evidence_add(
    *, actor: Any, case: HardshipCase, files: Sequence[evidence_files.UploadedFile]
) -> list[CaseEvidence]:
    """Add evidence to an open case: the applicant, or the fund office (e.g. material handed in)."""
    require(
        is_applicant(actor, case) or can_manage_fund(actor),
        _("只有申请人本人或爱心基金办公室可以补充证明材料。"),
    )
    checked = evidence_files.check_uploads(files)
    if not checked:
        raise ValidationFailed(_("请选择要上传的文件。"), field="evidence")
    stored: list[str] = []
    try:
        with transaction.atomic():
            case = _lock_case(case)
            if case.status not in HardshipCase.OPEN_STATUSES:
                raise Conflict(_("该申请已办结，不能再补充材料。"))
            if case.evidence.count() + len(checked) > evidence_files.MAX_FILES:
                raise ValidationFailed(
                    _("每件申请最多%(n)d个证明文件。") % {"n": evidence_files.MAX_FILES}, field="evidence"
                )
            rows = []
            for item in checked:
                name = evidence_files.store(item)
                stored.append(name)
                rows.append(
                    CaseEvidence.objects.create(
                        case=case,
                        original_name=item.original_name,
                        content_type=item.content_type,
                        size=item.size,
                        sha256=item.sha256,
                        stored_name=name,
                        uploaded_by=actor,
                    )
                )
            audit_record(actor=actor, action="charity.evidence_add", obj=case, after={"files": len(rows)})
    except BaseException:
        for name in stored:
            evidence_files.remove_quietly(name)
        raise
    return rows


def case_withdraw(*, actor: Any, case: HardshipCase, today: date | None = None) -> HardshipCase:
    """The applicant withdraws an open application."""
    require(is_applicant(actor, case), _("只有申请人本人可以撤回申请。"))
    with transaction.atomic():
        case = _lock_case(case)
        if case.status not in HardshipCase.OPEN_STATUSES:
            raise Conflict(_("该申请已有处理结果，不能撤回。"))
        before = case.status
        case.status = HardshipCase.Status.WITHDRAWN
        case.withdrawn_on = _today(today)
        case.save(update_fields=["status", "withdrawn_on", "updated_at"])
        audit_record(
            actor=actor,
            action="charity.case_withdraw",
            obj=case,
            before={"status": before},
            after={"status": case.status},
        )
    return case


def case_set_urgent(*, actor: Any, case: HardshipCase, is_urgent: bool) -> HardshipCase:
    """The fund office marks an open case urgent (急事急办), which puts it first in the queue."""
    _require_fund_office(actor)
    with transaction.atomic():
        case = _lock_case(case)
        if case.status not in HardshipCase.OPEN_STATUSES:
            raise Conflict(_("该申请已办结。"))
        before = case.is_urgent
        case.is_urgent = bool(is_urgent)
        case.save(update_fields=["is_urgent", "updated_at"])
        audit_record(
            actor=actor,
            action="charity.case_set_urgent",
            obj=case,
            before={"is_urgent": before},
            after={"is_urgent": case.is_urgent},
        )
    return case


# --- conflicts and verification -----------------------------------------------------------------------


def conflict_declare(*, actor: Any, user: User, resident: Resident, reason: str) -> ConflictDeclaration:
    """Record a conflict of interest between a staff member and a resident (self-declared, or by the office).

    Open assignments of that person to the resident's cases without a recorded verification are withdrawn.
    """
    require(
        (actor is not None and actor.pk == user.pk and can_be_verifier(actor)) or can_manage_fund(actor),
        _("利益冲突由工作人员本人申报，或由爱心基金办公室登记。"),
    )
    text = _text(reason, field="reason", label=_("原因"), minimum=2, maximum=200)
    with transaction.atomic():
        declaration, created = ConflictDeclaration.objects.get_or_create(
            user=user, resident=resident, defaults={"reason": text, "declared_by": actor}
        )
        if not created:
            raise Conflict(_("该利益冲突已经登记过。"))
        withdrawn = VerifierAssignment.objects.filter(
            verifier=user,
            case__applicant=resident,
            case__status__in=HardshipCase.OPEN_STATUSES,
            verification__isnull=True,
        )
        withdrawn_ids = list(withdrawn.values_list("case__number", flat=True))
        withdrawn.delete()
        audit_record(
            actor=actor,
            action="charity.conflict_declare",
            obj=declaration,
            after={
                "user": user.get_username(),
                "resident": mask_name(resident.name),
                "withdrawn": withdrawn_ids,
            },
        )
    return declaration


def _verifier_problem(user: Any, case: HardshipCase) -> str | None:
    if not can_be_verifier(user):
        return _("%(user)s 不是在岗工作人员，不能担任核实人。") % {"user": user.get_username()}
    if is_applicant(user, case):
        return _("%(user)s 是申请人本人，不能核实自己的申请。") % {"user": user.get_username()}
    if has_conflict(user, case):
        return _("%(user)s 已申报与申请人存在利益冲突，不能担任核实人。") % {"user": user.get_username()}
    return None


def verifiers_assign(
    *, actor: Any, case: HardshipCase, verifiers: Sequence[User]
) -> list[VerifierAssignment]:
    """The fund office assigns verifiers; after this the case has at least two (spec §5)."""
    _require_fund_office(actor)
    if is_applicant(actor, case):
        raise PermissionDenied(_("您是申请人本人，不能办理自己的申请。"))
    unique = {v.pk: v for v in verifiers}
    with transaction.atomic():
        case = _lock_case(case)
        if case.status not in HardshipCase.OPEN_STATUSES:
            raise Conflict(_("该申请已办结，不能再指派核实人。"))
        already = set(case.assignments.values_list("verifier_id", flat=True))
        new = [v for pk, v in unique.items() if pk not in already]
        if not new:
            raise ValidationFailed(_("请选择尚未指派的核实人。"), field="verifiers")
        for verifier in new:
            problem = _verifier_problem(verifier, case)
            if problem:
                raise ValidationFailed(problem, field="verifiers")
        if len(already) + len(new) < MIN_VERIFICATIONS:
            raise ValidationFailed(
                _("每件申请至少需要指派%(n)d名核实人，请再选择%(more)d名。")
                % {"n": MIN_VERIFICATIONS, "more": MIN_VERIFICATIONS - len(already) - len(new)},
                field="verifiers",
            )
        rows = [VerifierAssignment.objects.create(case=case, verifier=v, assigned_by=actor) for v in new]
        before = case.status
        if case.status == HardshipCase.Status.SUBMITTED:
            case.status = HardshipCase.Status.VERIFYING
            case.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="charity.verifiers_assign",
            obj=case,
            before={"status": before},
            after={"status": case.status, "verifiers": [v.get_username() for v in new]},
        )
    return rows


def verification_record(
    *, actor: Any, case: HardshipCase, checked: str, found: str, finding: str
) -> Verification:
    """An assigned verifier records what they checked and what they found. Written once."""
    if finding not in Verification.Finding.values:
        raise ValidationFailed(_("请选择核实结论。"), field="finding")
    checked_text = _text(checked, field="checked", label=_("核实内容"), minimum=2)
    found_text = _text(found, field="found", label=_("核实结果"), minimum=2)
    with transaction.atomic():
        case = _lock_case(case)
        assignment = VerifierAssignment.objects.filter(
            case=case, verifier_id=getattr(actor, "pk", None)
        ).first()
        if assignment is None:
            raise PermissionDenied(_("您不是该申请的核实人。"))
        problem = _verifier_problem(actor, case)
        if problem:
            raise PermissionDenied(problem)
        if case.status not in HardshipCase.OPEN_STATUSES:
            raise Conflict(_("该申请已办结，不能再记录核实情况。"))
        if Verification.objects.filter(assignment=assignment).exists():
            raise Conflict(_("您已经记录过该申请的核实情况；如需更正，请联系爱心基金办公室。"))
        verification = Verification.objects.create(
            case=case,
            assignment=assignment,
            verifier=actor,
            checked=checked_text,
            found=found_text,
            finding=finding,
        )
        audit_record(
            actor=actor,
            action="charity.verification_record",
            obj=case,
            after={"finding": finding, "verifier": actor.get_username()},
        )
    return verification


def usable_verifications(case: HardshipCase) -> list[Verification]:
    """Completed verifications a decision may rest on: by distinct people, none of them the applicant or
    conflicted (a conflict declared after the verification disqualifies it)."""
    usable = []
    for verification in case.verifications.select_related("verifier").order_by("completed_at", "pk"):
        if _verifier_problem(verification.verifier, case) is None:
            usable.append(verification)
    return usable


def case_decide(
    *,
    actor: Any,
    case: HardshipCase,
    outcome: str,
    reason: str,
    amount_approved: Any = None,
    today: date | None = None,
) -> CaseDecision:
    """Approve or refuse a case resting on at least two completed verifications by different people.

    A refusal must give its reasons: they are the written explanation the applicant receives, which is
    due within 10 working days of the decision.
    """
    _require_fund_office(actor)
    if outcome not in CaseDecision.Outcome.values:
        raise ValidationFailed(_("请选择“批准救助”或“不予救助”。"), field="outcome")
    reason_text = _text(reason, field="reason", label=_("决定理由"), minimum=REASON_MIN)
    decided_on = _today(today)
    with transaction.atomic():
        case = _lock_case(case)
        if is_applicant(actor, case):
            raise PermissionDenied(_("您是申请人本人，不能对自己的申请作出决定。"))
        if case.status not in HardshipCase.OPEN_STATUSES:
            raise Conflict(_("该申请已有处理结果或已撤回。"))
        verifications = usable_verifications(case)
        if len(verifications) < MIN_VERIFICATIONS:
            raise Conflict(
                _("作出决定前需要至少%(n)d名不同核实人完成核实，目前只有%(have)d名。请等待核实完成。")
                % {"n": MIN_VERIFICATIONS, "have": len(verifications)},
                code="needs_two_verifications",
            )
        amount: Decimal | None = None
        if outcome == CaseDecision.Outcome.APPROVED:
            amount = ledger.money(
                amount_approved if amount_approved not in (None, "") else case.amount_requested,
                field="amount_approved",
            )
            if amount > case.amount_requested:
                raise ValidationFailed(
                    _("批准金额不能超过申请金额 %(max)s 元。") % {"max": case.amount_requested},
                    field="amount_approved",
                )
        decision = CaseDecision.objects.create(
            case=case,
            outcome=outcome,
            verification_a=verifications[0],
            verification_b=verifications[1],
            decided_by=actor,
            decided_on=decided_on,
            reason=reason_text,
            amount_approved=amount,
        )
        before = case.status
        case.status = outcome  # the decision row exists first: the database checks for it
        case.decided_on = decided_on
        case.decided_by = actor
        case.decision_reason = reason_text
        case.amount_approved = amount
        if outcome == CaseDecision.Outcome.REFUSED:
            case.letter_due_on = add_working_days(decided_on, LETTER_WORKING_DAYS)
        case.save(
            update_fields=[
                "status",
                "decided_on",
                "decided_by",
                "decision_reason",
                "amount_approved",
                "letter_due_on",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action="charity.case_decide",
            obj=case,
            before={"status": before},
            after={
                "status": case.status,
                "amount_approved": amount,
                "verifications": [verifications[0].pk, verifications[1].pk],
                "letter_due_on": case.letter_due_on,
            },
        )
    return decision


def letter_deliver(
    *, actor: Any, case: HardshipCase, delivered_on: date, method: str, today: date | None = None
) -> HardshipCase:
    """Record that the written explanation of a refusal reached the applicant."""
    _require_fund_office(actor)
    if method not in HardshipCase.LetterMethod.values:
        raise ValidationFailed(_("请选择送达方式。"), field="method")
    with transaction.atomic():
        case = _lock_case(case)
        if case.status != HardshipCase.Status.REFUSED:
            raise Conflict(_("只有不予救助的申请需要送达书面解释。"))
        if case.letter_delivered_on is not None:
            raise Conflict(_("书面解释已于 %(d)s 送达。") % {"d": case.letter_delivered_on})
        if case.decided_on and delivered_on < case.decided_on:
            raise ValidationFailed(_("送达日期不能早于决定日期。"), field="delivered_on")
        if delivered_on > _today(today):
            raise ValidationFailed(_("送达日期不能晚于今天。"), field="delivered_on")
        case.letter_delivered_on = delivered_on
        case.letter_method = method
        case.save(update_fields=["letter_delivered_on", "letter_method", "updated_at"])
        audit_record(
            actor=actor,
            action="charity.letter_deliver",
            obj=case,
            after={
                "delivered_on": delivered_on,
                "method": method,
                "late": bool(case.letter_due_on and delivered_on > case.letter_due_on),
            },
        )
    return case


# --- money -------------------------------------------------------------------------------------------


def case_disburse(*, actor: Any, case: HardshipCase, paid_on: date | None = None) -> JournalEntry:
    """Pay an approved grant out of the fund: Dr grants expense, Cr fund bank. Refused if the fund lacks it."""
    _require_fund_office(actor)
    paid_on = _today(paid_on)
    with transaction.atomic():
        case = _lock_case(case)
        if case.status != HardshipCase.Status.APPROVED:
            raise Conflict(_("只有已批准、尚未发放的申请可以发放救助金。"))
        if is_applicant(actor, case):
            raise PermissionDenied(_("您是申请人本人，不能为自己发放救助金。"))
        amount = case.amount_approved
        assert amount is not None  # guaranteed by charity_case_approved_amount
        entry = ledger.post_entry(
            kind=JournalEntry.Kind.GRANT,
            entry_on=paid_on,
            memo=_("救助发放 %(n)s") % {"n": case.number},
            lines=[ledger.debit(ledger.GRANTS_EXPENSE, amount), ledger.credit(ledger.FUND_BANK, amount)],
            actor=actor,
            case=case,
        )
        case.status = HardshipCase.Status.DISBURSED
        case.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="charity.case_disburse",
            obj=case,
            before={"status": HardshipCase.Status.APPROVED},
            after={"status": case.status, "amount": amount, "entry": entry.number},
        )
    return entry


def _net_granted(case: HardshipCase) -> Decimal:
    """Grants paid for the case less returns, from the ledger (reversals included)."""
    sums = case.journal_entries.filter(lines__account__code=ledger.GRANTS_EXPENSE).aggregate(
        d=Sum("lines__debit"), c=Sum("lines__credit")
    )
    returns = case.journal_entries.filter(lines__account__code=ledger.GRANT_RETURNS).aggregate(
        d=Sum("lines__debit"), c=Sum("lines__credit")
    )
    granted = (sums["d"] or ZERO) - (sums["c"] or ZERO)
    returned = (returns["c"] or ZERO) - (returns["d"] or ZERO)
    return granted - returned


def grant_return_record(
    *, actor: Any, case: HardshipCase, amount: Any, returned_on: date | None = None, note: str = ""
) -> JournalEntry:
    """Money of a grant that came back to the fund (e.g. paid by insurance after all)."""
    _require_fund_office(actor)
    value = ledger.money(amount)
    returned_on = _today(returned_on)
    with transaction.atomic():
        case = _lock_case(case)
        if case.status != HardshipCase.Status.DISBURSED:
            raise Conflict(_("只有已发放的救助款可以登记退回。"))
        outstanding = _net_granted(case)
        if value > outstanding:
            raise ValidationFailed(
                _("退回金额不能超过该案已发放且未退回的 %(max)s 元。") % {"max": outstanding}, field="amount"
            )
        memo = _("救助款退回 %(n)s") % {"n": case.number}
        if note.strip():
            memo = f"{memo}：{note.strip()}"
        entry = ledger.post_entry(
            kind=JournalEntry.Kind.GRANT_RETURN,
            entry_on=returned_on,
            memo=memo,
            lines=[ledger.debit(ledger.FUND_BANK, value), ledger.credit(ledger.GRANT_RETURNS, value)],
            actor=actor,
            case=case,
        )
        audit_record(
            actor=actor,
            action="charity.grant_return",
            obj=case,
            after={"amount": value, "entry": entry.number},
        )
    return entry


def _donor_name(donor_kind: str, resident: Resident | None, donor_name: str) -> str:
    if donor_kind == Donation.DonorKind.RESIDENT:
        assert resident is not None
        return resident.name
    name = " ".join((donor_name or "").split())
    if not name:
        raise ValidationFailed(_("请填写捐赠人或捐赠单位名称。"), field="donor_name")
    if len(name) > 128:
        raise ValidationFailed(_("捐赠人名称最多128个字。"), field="donor_name")
    return name


def donation_record(
    *,
    actor: Any,
    donor_kind: str,
    amount: Any,
    donated_on: date | None = None,
    resident: Resident | None = None,
    donor_name: str = "",
    consent_to_name: bool = False,
    note: str = "",
    today: date | None = None,
) -> Donation:
    """Record a gift received by the fund and issue its receipt: Dr fund bank, Cr donations income.

    A resident's donation also updates their ``charity_donations`` fact for points (spec §4).
    """
    _require_fund_office(actor)
    if donor_kind not in Donation.DonorKind.values:
        raise ValidationFailed(_("请选择捐赠人类型。"), field="donor_kind")
    if (donor_kind == Donation.DonorKind.RESIDENT) != (resident is not None):
        raise ValidationFailed(
            _("新市民捐赠请选择捐赠的新市民；单位或其他个人捐赠请填写名称，不要选择新市民。"),
            field="resident",
        )
    value = ledger.money(amount)
    on = donated_on or _today(today)
    if on > _today(today):
        raise ValidationFailed(_("捐赠日期不能晚于今天。"), field="donated_on")
    name = _donor_name(donor_kind, resident, donor_name)
    with transaction.atomic():
        receipt = ledger.next_number("SJ", on.year)
        entry = ledger.post_entry(
            kind=JournalEntry.Kind.DONATION,
            entry_on=on,
            memo=_("捐赠收入 收据 %(r)s") % {"r": receipt},
            lines=[ledger.debit(ledger.FUND_BANK, value), ledger.credit(ledger.DONATIONS_INCOME, value)],
            actor=actor,
        )
        donation = Donation.objects.create(
            receipt_number=receipt,
            donor_kind=donor_kind,
            resident=resident,
            donor_name=name,
            amount=value,
            donated_on=on,
            consent_to_name=bool(consent_to_name),
            note=(note or "").strip()[:200],
            entry=entry,
            recorded_by=actor,
        )
        shown = (
            mask_name(name)
            if donor_kind in (Donation.DonorKind.RESIDENT, Donation.DonorKind.INDIVIDUAL)
            else name
        )
        audit_record(
            actor=actor,
            action="charity.donation_record",
            obj=donation,
            after={
                "receipt": receipt,
                "donor_kind": donor_kind,
                "donor": shown,
                "amount": value,
                "entry": entry.number,
                "consent_to_name": donation.consent_to_name,
            },
        )
        if resident is not None:
            donation_fact_sync(actor=actor, resident=resident, source_ref=receipt)
    return donation


def entry_reverse(*, actor: Any, entry: JournalEntry, reason: str, on: date | None = None) -> JournalEntry:
    """Correct a posting by a reversing entry (the original stays as it was).

    Reversing a grant puts its case back to "approved"; reversing a resident's donation updates their
    points fact. Refused if it would take the fund's bank balance below zero.
    """
    _require_fund_office(actor)
    reason_text = _text(reason, field="reason", label=_("冲销原因"), minimum=4, maximum=150)
    on = on or timezone.localdate()
    with transaction.atomic():
        case = _lock_case(entry.case) if entry.case_id is not None else None  # type: ignore[arg-type]
        entry = JournalEntry.objects.select_related("case").get(pk=entry.pk)
        if entry.kind == JournalEntry.Kind.REVERSAL:
            raise Conflict(_("冲销凭证不能再次冲销；如有错误，请重新登记正确的业务。"))
        if JournalEntry.objects.filter(reverses=entry).exists():
            raise Conflict(_("该凭证已经冲销过。"))
        if on < entry.entry_on:
            raise ValidationFailed(_("冲销日期不能早于原凭证日期。"), field="on")
        if (
            case is not None
            and entry.kind == JournalEntry.Kind.GRANT
            and case.status != HardshipCase.Status.DISBURSED
        ):
            raise Conflict(_("该案件状态已变化，不能冲销这笔发放。"))
        if (
            case is not None
            and entry.kind == JournalEntry.Kind.GRANT
            and case.journal_entries.filter(
                kind=JournalEntry.Kind.GRANT_RETURN, reversed_by__isnull=True
            ).exists()
        ):
            raise Conflict(_("该案已有救助款退回记录，请先冲销退回记录，再冲销发放。"))
        reversal = ledger.post_entry(
            kind=JournalEntry.Kind.REVERSAL,
            entry_on=on,
            memo=_("冲销 %(n)s：%(r)s") % {"n": entry.number, "r": reason_text},
            lines=ledger.reversing_lines(entry),
            actor=actor,
            case=case,
            reverses=entry,
        )
        if case is not None and entry.kind == JournalEntry.Kind.GRANT:
            case.status = HardshipCase.Status.APPROVED
            case.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="charity.entry_reverse",
            obj=reversal,
            after={"reverses": entry.number, "reason": reason_text},
        )
        donation = Donation.objects.filter(entry=entry).select_related("resident").first()
        if donation is not None and donation.resident is not None:
            donation_fact_sync(actor=actor, resident=donation.resident, source_ref=reversal.number)
    return reversal


# --- points ------------------------------------------------------------------------------------------


def donation_fact_value(resident: Resident) -> list[dict[str, Any]]:
    """The resident's ``charity_donations`` fact: every fund donation not reversed, oldest first."""
    value: list[dict[str, Any]] = []
    for donated_on, amount in (
        Donation.objects.filter(resident=resident, **_not_reversed())
        .order_by("donated_on", "pk")
        .values_list("donated_on", "amount")
    ):
        yuan: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
        value.append({"date": donated_on.isoformat(), "yuan": yuan})
    return value


def donation_fact_sync(*, actor: Any, resident: Resident, source_ref: str = "") -> None:
    """Send the resident's full list of fund donations to scoring as the ``charity_donations`` fact.

    The fund office's feed is a department feed (department ``charity``) written by the system: the
    donation service has already checked that ``actor`` belongs to the fund office, and the scoring
    service lets only the system, the centre and a department's own reviewers record department facts.
    The list replaces the previous value; with no donation left (all reversed) the fact is removed.
    """
    from xinshimin.scoring.models import Fact
    from xinshimin.scoring.services import facts_upsert

    value = donation_fact_value(resident)
    facts_upsert(
        actor=None,
        resident=resident,
        kind="charity_donations",
        value=value or None,
        source=Fact.Source.DEPARTMENT_FEED,
        source_ref=f"{source_ref} ({actor.get_username()})" if actor is not None else source_ref,
        department=Department.objects.filter(code=CHARITY_DEPARTMENT).first(),
    )
