"""Writes on residents, permits and households.

Each function reads top to bottom: authorise → validate → lock/load → check state → write → audit.
Personal data in audit events is masked; full values are returned only by ``resident_reveal_personal_data``,
which audits every reveal. ``actor=None`` means the system itself (imports, data feeds, the demo).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xinshimin.accounts.access import can_reveal_personal_data, is_role, require
from xinshimin.accounts.models import Role, Town
from xinshimin.audit.services import audit_record
from xinshimin.core.errors import Conflict, ValidationFailed
from xinshimin.core.masking import mask_name

from .idnumber import parse_id_number
from .models import HouseholdMember, ResidencePermit, Resident
from .names import parse_name
from .personal_data import id_number_columns, id_number_index, phone_columns
from .phone import parse_phone

logger = logging.getLogger(__name__)

EMPLOYER_MAX_LENGTH = 128
PERMIT_NUMBER_MAX_LENGTH = 32

# Fields ``resident_update`` knows, and the subset a resident may change about themself.
UPDATABLE_FIELDS = frozenset({"name", "phone", "employer", "employer_is_ruian", "town"})
SELF_UPDATABLE_FIELDS = frozenset({"phone", "employer"})
REVEALABLE_FIELDS = frozenset({"id_number", "phone"})


# --- authorisation -----------------------------------------------------------------------------------


def _is_system(actor: Any) -> bool:
    return actor is None


def _may_manage(actor: Any, resident_town_id: int | None) -> bool:
    """Staff who may change a resident's record: the centre (all), a clerk (their town), the system."""
    if _is_system(actor) or is_role(actor, Role.CENTRE_ADMIN):
        return True
    return is_role(actor, Role.CLERK) and actor.town_id is not None and actor.town_id == resident_town_id


def _require_manage(actor: Any, resident_town_id: int | None) -> None:
    require(
        _may_manage(actor, resident_town_id),
        _("您无权办理该新市民的业务：窗口工作人员只能办理本乡镇街道居民的业务。"),
    )


# --- validation helpers ------------------------------------------------------------------------------


def _clean_employer(employer: str) -> str:
    employer = " ".join((employer or "").split())
    if len(employer) > EMPLOYER_MAX_LENGTH:
        raise ValidationFailed(
            _("工作单位名称最多%(max)d个字，您输入了%(count)d个字。")
            % {"max": EMPLOYER_MAX_LENGTH, "count": len(employer)},
            field="employer",
        )
    return employer


def _require_town(town: Any) -> Town:
    if not isinstance(town, Town):
        raise ValidationFailed(_("请选择所在乡镇街道。"), field="town")
    return town


def _resident_summary(resident: Resident) -> dict[str, Any]:
    """The audit view of a resident: personal data masked."""
    return {
        "name": mask_name(resident.name),
        "id_number": resident.id_number_masked,
        "phone": resident.phone_masked,
        "town": resident.town.code,
        "employer": resident.employer,
        "employer_is_ruian": resident.employer_is_ruian,
        "user": resident.user_id,
    }


# --- residents ---------------------------------------------------------------------------------------


def resident_register(
    *,
    actor: Any,
    id_number: str,
    name: str,
    phone: str,
    town: Town,
    employer: str = "",
    employer_is_ruian: bool = False,
    user: Any = None,
) -> Resident:
    """Register a new citizen. Birth date and sex come from the ID number.

    Who: the centre, a clerk of ``town``, the system, or a resident-role user registering themself
    (``user`` is then that user). A second registration of the same ID number is a ``Conflict`` that does
    not say who holds it.
    """
    town = _require_town(town)
    if is_role(actor, Role.RESIDENT):
        require(user is None or user.pk == actor.pk, _("您只能为本人登记。"))
        user = actor
    else:
        _require_manage(actor, town.pk)
    parsed = parse_id_number(id_number)
    clean_name = parse_name(name)
    clean_phone = parse_phone(phone)
    clean_employer = _clean_employer(employer)
    if user is not None and getattr(user, "role", None) != Role.RESIDENT:
        raise ValidationFailed(_("只能关联新市民角色的登录账号。"), field="user")

    with transaction.atomic():
        if Resident.objects.filter(id_number_index=id_number_index(parsed.value)).exists():
            raise Conflict(
                _("该身份证号码已登记，请勿重复登记；如需修改信息，请查找已有记录。"), field="id_number"
            )
        if user is not None and Resident.objects.filter(user_id=user.pk).exists():
            raise Conflict(_("该登录账号已关联其他新市民。"), field="user")
        resident = Resident(
            user=user,
            name=clean_name,
            birth_date=parsed.birth_date,
            sex=parsed.sex,
            employer=clean_employer,
            employer_is_ruian=bool(employer_is_ruian),
            town=town,
            **id_number_columns(parsed.value),
            **phone_columns(clean_phone),
        )
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError:  # a concurrent registration of the same number won the race
            raise Conflict(_("该身份证号码已登记，请勿重复登记。"), field="id_number") from None
        audit_record(
            actor=actor, action="residents.register", obj=resident, after=_resident_summary(resident)
        )
    logger.info("resident %s registered in %s", resident.pk, town.code)
    return resident


def resident_update(*, actor: Any, resident: Resident, **changes: Any) -> Resident:
    """Change ``name``, ``phone``, ``employer``, ``employer_is_ruian`` or ``town``.

    A resident may change only their own ``phone`` and ``employer``; a clerk residents of their town;
    the centre anyone. Unknown fields are refused. Returns the updated resident.
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(fields)s。可修改的字段：%(allowed)s。")
            % {"fields": "、".join(unknown), "allowed": "、".join(sorted(UPDATABLE_FIELDS))},
            field=unknown[0],
        )
    if is_role(actor, Role.RESIDENT):
        require(resident.user_id == actor.pk, _("您只能修改本人的信息。"))
        not_allowed = sorted(set(changes) - SELF_UPDATABLE_FIELDS)
        require(
            not not_allowed,
            _("这些信息需到窗口办理变更：%(fields)s。") % {"fields": "、".join(not_allowed)},
        )
    else:
        _require_manage(actor, resident.town_id)

    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = parse_name(changes["name"])
    if "phone" in changes:
        values.update(phone_columns(parse_phone(changes["phone"])))
    if "employer" in changes:
        values["employer"] = _clean_employer(changes["employer"])
    if "employer_is_ruian" in changes:
        values["employer_is_ruian"] = bool(changes["employer_is_ruian"])
    if "town" in changes:
        values["town"] = _require_town(changes["town"])

    with transaction.atomic():
        locked = Resident.objects.select_for_update().select_related("town").get(pk=resident.pk)
        before = _resident_summary(locked)
        changed = [
            key
            for key, value in values.items()
            if getattr(locked, key) != value and not key.endswith(("_cipher", "_masked"))
        ]
        if not changed:
            return locked
        for key, value in values.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*values, "updated_at"])
        after = _resident_summary(locked)
        audit_record(
            actor=actor,
            action="residents.update",
            obj=locked,
            before={k: v for k, v in before.items() if before[k] != after[k]},
            after={k: v for k, v in after.items() if before[k] != after[k]},
        )
    for key, value in values.items():
        setattr(resident, key, value)
    return locked


def resident_reveal_personal_data(*, actor: Any, resident: Resident, field: str) -> str:
    """The full ID number or phone, for staff whose role needs it; every reveal is audited.

    The centre and auditors may reveal anyone's; a clerk only for residents of their town.
    """
    if field not in REVEALABLE_FIELDS:
        raise ValidationFailed(_("只能查看完整的身份证号码或手机号码。"), field="field")
    allowed = can_reveal_personal_data(actor) and (
        not is_role(actor, Role.CLERK) or (actor.town_id is not None and actor.town_id == resident.town_id)
    )
    require(allowed, _("您无权查看该新市民的完整个人信息。"))
    with transaction.atomic():
        audit_record(actor=actor, action="residents.reveal", obj=resident, after={"field": field})
    logger.info("resident %s: %s revealed", resident.pk, field)
    return resident.id_number if field == "id_number" else resident.phone


# --- permits -----------------------------------------------------------------------------------------


def permit_issue(
    *,
    actor: Any,
    resident: Resident,
    number: str,
    issuing_town: Town,
    issued_on: date,
    valid_until: date,
    zj_residence_registered_on: date,
    ruian_residence_registered_on: date | None = None,
) -> ResidencePermit:
    """Record a residence permit issued to ``resident``. Who: the centre, a clerk of the resident's town."""
    _require_manage(actor, resident.town_id)
    issuing_town = _require_town(issuing_town)
    clean_number = "".join((number or "").split()).upper()
    if not clean_number:
        raise ValidationFailed(_("请填写居住证编号。"), field="number")
    if len(clean_number) > PERMIT_NUMBER_MAX_LENGTH:
        raise ValidationFailed(
            _("居住证编号最多%(max)d位。") % {"max": PERMIT_NUMBER_MAX_LENGTH}, field="number"
        )
    if valid_until <= issued_on:
        raise ValidationFailed(_("有效期截止日期应晚于签发日期，请核对两个日期。"), field="valid_until")
    if zj_residence_registered_on > issued_on:
        raise ValidationFailed(
            _("浙江省居住登记日期不能晚于居住证签发日期。"), field="zj_residence_registered_on"
        )
    if (
        ruian_residence_registered_on is not None
        and ruian_residence_registered_on < zj_residence_registered_on
    ):
        raise ValidationFailed(
            _("瑞安市居住登记日期不能早于浙江省居住登记日期（在瑞安登记也就是在浙江登记）。"),
            field="ruian_residence_registered_on",
        )

    with transaction.atomic():
        if ResidencePermit.objects.filter(number=clean_number).exists():
            raise Conflict(_("居住证编号 %(number)s 已登记。") % {"number": clean_number}, field="number")
        permit = ResidencePermit(
            resident=resident,
            number=clean_number,
            issuing_town=issuing_town,
            issued_on=issued_on,
            valid_until=valid_until,
            zj_residence_registered_on=zj_residence_registered_on,
            ruian_residence_registered_on=ruian_residence_registered_on,
        )
        try:
            with transaction.atomic():
                permit.save()
        except IntegrityError:
            raise Conflict(
                _("居住证编号 %(number)s 已登记。") % {"number": clean_number}, field="number"
            ) from None
        audit_record(
            actor=actor,
            action="residents.permit_issue",
            obj=permit,
            after={
                "resident": resident.pk,
                "number": clean_number,
                "issuing_town": issuing_town.code,
                "issued_on": issued_on,
                "valid_until": valid_until,
                "status": permit.status,
                "zj_residence_registered_on": zj_residence_registered_on,
                "ruian_residence_registered_on": ruian_residence_registered_on,
            },
        )
    return permit


def permit_set_status(*, actor: Any, permit: ResidencePermit, status: str, reason: str) -> ResidencePermit:
    """Change a permit's status (e.g. to 待签注 or 已注销) with a reason. A cancelled permit stays cancelled.

    Setting the status it already has changes nothing and writes no audit event.
    """
    if status not in ResidencePermit.Status.values:
        raise ValidationFailed(_("未知的居住证状态“%(status)s”。") % {"status": status}, field="status")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写变更原因。"), field="reason")
    with transaction.atomic():
        locked = ResidencePermit.objects.select_for_update().select_related("resident").get(pk=permit.pk)
        _require_manage(actor, locked.resident.town_id)
        if locked.status == status:
            return locked
        if locked.status == ResidencePermit.Status.CANCELLED:
            raise Conflict(
                _("居住证已注销，不能再变更状态；如需恢复，请重新登记新的居住证。"), field="status"
            )
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="residents.permit_status",
            obj=locked,
            before={"status": before},
            after={"status": status},
            note=reason,
        )
    permit.status = locked.status
    return locked


# --- household ---------------------------------------------------------------------------------------


def household_member_add(
    *, actor: Any, resident: Resident, relation: str, name: str, id_number: str
) -> HouseholdMember:
    """Add a child or the spouse to a resident's household; birth date and sex come from the ID number.

    Who: the centre, a clerk of the resident's town. At most one spouse; each person once per household.
    """
    _require_manage(actor, resident.town_id)
    if relation not in HouseholdMember.Relation.values:
        raise ValidationFailed(_("关系只能是“子女”或“配偶”。"), field="relation")
    parsed = parse_id_number(id_number)
    clean_name = parse_name(name)
    index = id_number_index(parsed.value)
    if index == resident.id_number_index:
        raise ValidationFailed(_("不能把本人登记为自己的家庭成员，请核对身份证号码。"), field="id_number")

    with transaction.atomic():
        Resident.objects.select_for_update().filter(pk=resident.pk).first()  # serialise household writes
        if resident.household.filter(id_number_index=index).exists():
            raise Conflict(_("该家庭成员已登记。"), field="id_number")
        if (
            relation == HouseholdMember.Relation.SPOUSE
            and resident.household.filter(relation=HouseholdMember.Relation.SPOUSE).exists()
        ):
            raise Conflict(
                _("已登记配偶，每人只能登记一名配偶；如有变更，请先移除原配偶记录。"), field="relation"
            )
        member = HouseholdMember.objects.create(
            resident=resident,
            relation=relation,
            name=clean_name,
            birth_date=parsed.birth_date,
            sex=parsed.sex,
            **id_number_columns(parsed.value),
        )
        audit_record(
            actor=actor,
            action="residents.household_add",
            obj=member,
            after={
                "resident": resident.pk,
                "relation": relation,
                "name": mask_name(clean_name),
                "id_number": member.id_number_masked,
            },
        )
    return member


def household_member_remove(*, actor: Any, member: HouseholdMember, reason: str) -> None:
    """Remove a household member recorded in error or no longer in the household (e.g. after a divorce)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写移除原因。"), field="reason")
    with transaction.atomic():
        locked = HouseholdMember.objects.select_for_update().select_related("resident").get(pk=member.pk)
        _require_manage(actor, locked.resident.town_id)
        audit_record(
            actor=actor,
            action="residents.household_remove",
            obj=locked,
            before={
                "resident": locked.resident_id,
                "relation": locked.relation,
                "name": mask_name(locked.name),
                "id_number": locked.id_number_masked,
            },
            note=reason,
        )
        locked.delete()
