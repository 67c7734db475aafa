from __future__ import annotations

import json
from datetime import date

import pytest

from xinshimin.accounts.models import Town
from xinshimin.accounts.tests.factories import (
    AuditorFactory,
    CentreAdminFactory,
    ClerkFactory,
    FundOfficerFactory,
    ResidentUserFactory,
    ReviewerFactory,
)
from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.residents.idnumber import InvalidIdNumber
from xinshimin.residents.models import HouseholdMember, ResidencePermit, Resident
from xinshimin.residents.names import InvalidName
from xinshimin.residents.phone import InvalidPhone
from xinshimin.residents.services import (
    household_member_add,
    household_member_remove,
    permit_issue,
    permit_set_status,
    resident_register,
    resident_reveal_personal_data,
    resident_update,
)
from xinshimin.residents.tests.factories import HouseholdMemberFactory, PermitFactory, ResidentFactory

pytestmark = pytest.mark.django_db

ID = "522401199203154513"
PHONE = "13812345678"


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def _register(actor: object, town: Town, **overrides: object) -> Resident:
    values: dict[str, object] = {"id_number": ID, "name": "王小明", "phone": PHONE, "town": town}
    values.update(overrides)
    return resident_register(actor=actor, **values)  # type: ignore[arg-type]


# --- register ----------------------------------------------------------------------------------------


def test_resident_register_by_clerk_derives_birth_and_sex_and_audits_masked(anyang: Town) -> None:
    clerk = ClerkFactory(town=anyang)
    resident = _register(
        clerk,
        anyang,
        id_number=" 52240119920315451３ ",
        phone="+86 138-1234-5678",
        employer=" 瑞安市某某鞋业 ",
    )
    resident.refresh_from_db()
    assert resident.id_number == ID
    assert resident.phone == PHONE
    assert (resident.birth_date, resident.sex) == (date(1992, 3, 15), "M")
    assert resident.employer == "瑞安市某某鞋业"
    assert resident.town == anyang
    [event] = _events("residents.register")
    assert event.actor_id == clerk.pk
    assert event.object_id == str(resident.pk)
    assert event.summary["after"]["id_number"] == "522401********4513"
    assert event.summary["after"]["phone"] == "138****5678"
    assert event.summary["after"]["name"] == "王**"
    dumped = json.dumps(event.summary, ensure_ascii=False)
    assert ID not in dumped and PHONE not in dumped and "王小明" not in dumped


def test_resident_register_refuses_a_duplicate_id_without_saying_whose(anyang: Town) -> None:
    centre = CentreAdminFactory()
    _register(centre, anyang, name="王小明")
    for variant in (ID, "５２２４０１１９９２０３１５４５１３", "522401 19920315 4513"):
        with pytest.raises(Conflict) as info:
            _register(centre, anyang, id_number=variant, name="李四", phone="13900000000")
        message = str(info.value.message)
        assert "该身份证号码已登记" in message
        assert "王" not in message and "4513" not in message
    assert Resident.objects.count() == 1
    assert len(_events("residents.register")) == 1


def test_resident_register_validates_every_input(anyang: Town) -> None:
    centre = CentreAdminFactory()
    with pytest.raises(InvalidIdNumber):
        _register(centre, anyang, id_number="522401199203154510")
    with pytest.raises(InvalidName):
        _register(centre, anyang, name="Wang")
    with pytest.raises(InvalidPhone):
        _register(centre, anyang, phone="12345")
    with pytest.raises(ValidationFailed):
        _register(centre, anyang, employer="厂" * 129)
    with pytest.raises(ValidationFailed):
        _register(centre, None)  # type: ignore[arg-type]
    assert not Resident.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role_factory", [ReviewerFactory, FundOfficerFactory, AuditorFactory])
def test_resident_register_refused_for_roles_without_the_right(role_factory: type, anyang: Town) -> None:
    with pytest.raises(PermissionDenied):
        _register(role_factory(), anyang)
    assert not Resident.objects.exists()


def test_resident_register_refused_for_a_clerk_of_another_town(anyang: Town, tangxia: Town) -> None:
    with pytest.raises(PermissionDenied):
        _register(ClerkFactory(town=tangxia), anyang)


def test_a_resident_user_registers_only_themself(anyang: Town) -> None:
    me, other = ResidentUserFactory(), ResidentUserFactory()
    with pytest.raises(PermissionDenied):
        _register(me, anyang, user=other)
    resident = _register(me, anyang)
    assert resident.user == me
    with pytest.raises(Conflict):
        _register(me, anyang, id_number="11010519491231002X", phone="13900000000")


def test_resident_register_links_only_resident_role_users(anyang: Town) -> None:
    with pytest.raises(ValidationFailed):
        _register(CentreAdminFactory(), anyang, user=ReviewerFactory())


# --- update ------------------------------------------------------------------------------------------


def test_resident_update_refuses_unknown_fields(anyang: Town) -> None:
    resident = ResidentFactory(town=anyang)
    with pytest.raises(ValidationFailed) as info:
        resident_update(actor=CentreAdminFactory(), resident=resident, id_number=ID, nickname="x")
    assert info.value.field == "id_number"
    assert "nickname" in str(info.value.message)


def test_a_resident_may_change_own_phone_and_employer_only(anyang: Town) -> None:
    resident = ResidentFactory(town=anyang, with_user=True, phone="13900000001", employer="旧单位")
    updated = resident_update(
        actor=resident.user, resident=resident, phone="138 1234 5678", employer="新单位"
    )
    updated.refresh_from_db()
    assert (updated.phone, updated.employer) == (PHONE, "新单位")
    [event] = _events("residents.update")
    assert event.summary == {
        "before": {"phone": "139****0001", "employer": "旧单位"},
        "after": {"phone": "138****5678", "employer": "新单位"},
    }
    with pytest.raises(PermissionDenied):
        resident_update(actor=resident.user, resident=resident, employer_is_ruian=True)
    with pytest.raises(PermissionDenied):
        resident_update(actor=resident.user, resident=ResidentFactory(town=anyang), phone=PHONE)


def test_resident_update_by_clerk_of_another_town_is_refused(anyang: Town, tangxia: Town) -> None:
    resident = ResidentFactory(town=anyang)
    with pytest.raises(PermissionDenied):
        resident_update(actor=ClerkFactory(town=tangxia), resident=resident, employer="x")
    with pytest.raises(PermissionDenied):
        resident_update(actor=ReviewerFactory(), resident=resident, employer="x")
    updated = resident_update(actor=ClerkFactory(town=anyang), resident=resident, employer="瑞安市某厂")
    assert updated.employer == "瑞安市某厂"


def test_resident_update_by_centre_moves_town_and_audits_only_changes(anyang: Town, tangxia: Town) -> None:
    resident = ResidentFactory(town=anyang, name="张三")
    updated = resident_update(actor=CentreAdminFactory(), resident=resident, town=tangxia, name="张三")
    assert Resident.objects.get(pk=resident.pk).town == tangxia
    assert updated.town == tangxia
    [event] = _events("residents.update")
    assert event.summary == {"before": {"town": "anyang"}, "after": {"town": "tangxia"}}


def test_resident_update_without_a_change_writes_no_audit(anyang: Town) -> None:
    resident = ResidentFactory(town=anyang, phone=PHONE)
    resident_update(actor=CentreAdminFactory(), resident=resident, phone=PHONE, employer=resident.employer)
    assert not _events("residents.update")


# --- reveal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_factory", [CentreAdminFactory, AuditorFactory])
def test_reveal_returns_full_values_and_is_audited(role_factory: type, anyang: Town) -> None:
    resident = ResidentFactory(town=anyang, id_number=ID, phone=PHONE)
    actor = role_factory()
    assert resident_reveal_personal_data(actor=actor, resident=resident, field="id_number") == ID
    assert resident_reveal_personal_data(actor=actor, resident=resident, field="phone") == PHONE
    events = _events("residents.reveal")
    assert [e.summary["after"]["field"] for e in events] == ["id_number", "phone"]
    assert all(e.actor_id == actor.pk and e.object_id == str(resident.pk) for e in events)


def test_reveal_by_clerk_only_for_their_town(anyang: Town, tangxia: Town) -> None:
    resident = ResidentFactory(town=anyang, id_number=ID)
    assert (
        resident_reveal_personal_data(actor=ClerkFactory(town=anyang), resident=resident, field="id_number")
        == ID
    )
    with pytest.raises(PermissionDenied):
        resident_reveal_personal_data(actor=ClerkFactory(town=tangxia), resident=resident, field="id_number")
    assert len(_events("residents.reveal")) == 1


def test_reveal_refused_for_reviewer_and_residents(anyang: Town) -> None:
    resident = ResidentFactory(town=anyang, with_user=True)
    other = ResidentFactory(town=anyang, with_user=True)
    for actor in (ReviewerFactory(), FundOfficerFactory(), other.user, resident.user, None):
        with pytest.raises(PermissionDenied):
            resident_reveal_personal_data(actor=actor, resident=resident, field="id_number")
    assert not _events("residents.reveal")


def test_reveal_refuses_other_fields(anyang: Town) -> None:
    with pytest.raises(ValidationFailed):
        resident_reveal_personal_data(
            actor=CentreAdminFactory(), resident=ResidentFactory(), field="id_number_cipher"
        )


# --- permits -----------------------------------------------------------------------------------------


def _issue(actor: object, resident: Resident, **overrides: object) -> ResidencePermit:
    values: dict[str, object] = {
        "number": "ra 2024 0001",
        "issuing_town": resident.town,
        "issued_on": date(2024, 3, 1),
        "valid_until": date(2029, 3, 1),
        "zj_residence_registered_on": date(2023, 6, 1),
        "ruian_residence_registered_on": date(2023, 6, 1),
    }
    values.update(overrides)
    return permit_issue(actor=actor, resident=resident, **values)  # type: ignore[arg-type]


def test_permit_issue_records_and_audits(anyang: Town) -> None:
    resident = ResidentFactory(town=anyang, permit=None)
    permit = _issue(ClerkFactory(town=anyang), resident)
    assert permit.number == "RA20240001"
    assert permit.status == ResidencePermit.Status.VALID
    assert resident.current_permit(date(2024, 3, 1)) == permit
    [event] = _events("residents.permit_issue")
    assert event.summary["after"]["valid_until"] == "2029-03-01"


def test_permit_issue_checks_dates_and_number(anyang: Town, tangxia: Town) -> None:
    resident = ResidentFactory(town=anyang, permit=None)
    centre = CentreAdminFactory()
    with pytest.raises(ValidationFailed) as info:
        _issue(centre, resident, valid_until=date(2024, 3, 1))
    assert info.value.field == "valid_until"
    with pytest.raises(ValidationFailed):
        _issue(centre, resident, zj_residence_registered_on=date(2024, 3, 2))
    with pytest.raises(ValidationFailed):
        _issue(centre, resident, ruian_residence_registered_on=date(2023, 5, 31))
    with pytest.raises(ValidationFailed):
        _issue(centre, resident, number="  ")
    _issue(centre, resident)
    with pytest.raises(Conflict):
        _issue(centre, resident, number="RA20240001")
    with pytest.raises(PermissionDenied):
        _issue(ClerkFactory(town=tangxia), resident, number="RA2")
    assert ResidencePermit.objects.count() == 1


def test_permit_set_status_audits_with_reason_and_cancelled_is_final(anyang: Town) -> None:
    permit = PermitFactory(resident=ResidentFactory(town=anyang, permit=None))
    clerk = ClerkFactory(town=anyang)
    permit_set_status(actor=clerk, permit=permit, status="awaiting_endorsement", reason="年度签注未办理")
    assert ResidencePermit.objects.get(pk=permit.pk).status == "awaiting_endorsement"
    [event] = _events("residents.permit_status")
    assert event.summary == {
        "before": {"status": "valid"},
        "after": {"status": "awaiting_endorsement"},
        "note": "年度签注未办理",
    }
    permit_set_status(actor=clerk, permit=permit, status="awaiting_endorsement", reason="重复")
    assert len(_events("residents.permit_status")) == 1
    permit_set_status(actor=clerk, permit=permit, status="cancelled", reason="离开瑞安")
    with pytest.raises(Conflict):
        permit_set_status(actor=clerk, permit=permit, status="valid", reason="误操作")
    with pytest.raises(ValidationFailed):
        permit_set_status(actor=clerk, permit=permit, status="lost", reason="x")
    with pytest.raises(ValidationFailed):
        permit_set_status(actor=clerk, permit=permit, status="valid", reason=" ")
    with pytest.raises(PermissionDenied):
        permit_set_status(actor=ReviewerFactory(), permit=permit, status="valid", reason="x")


# --- household ---------------------------------------------------------------------------------------


def test_household_member_add_derives_birth_and_sex(anyang: Town) -> None:
    resident = ResidentFactory(town=anyang)
    child = household_member_add(
        actor=ClerkFactory(town=anyang),
        resident=resident,
        relation="child",
        name="王小红",
        id_number="110105201501010025",
    )
    assert (child.birth_date, child.sex, child.id_number) == (date(2015, 1, 1), "F", "110105201501010025")
    [event] = _events("residents.household_add")
    assert event.summary["after"]["id_number"] == "110105********0025"
    assert "110105201501010025" not in json.dumps(event.summary)


def test_household_member_add_refuses_second_spouse_duplicate_and_self(anyang: Town, tangxia: Town) -> None:
    resident = ResidentFactory(town=anyang, id_number=ID)
    centre = CentreAdminFactory()
    household_member_add(
        actor=centre, resident=resident, relation="spouse", name="李芳", id_number="11010519491231002X"
    )
    with pytest.raises(Conflict):
        household_member_add(
            actor=centre, resident=resident, relation="spouse", name="赵敏", id_number="440524188001010014"
        )
    with pytest.raises(Conflict):
        household_member_add(
            actor=centre, resident=resident, relation="child", name="李芳", id_number="11010519491231002X"
        )
    with pytest.raises(ValidationFailed):
        household_member_add(actor=centre, resident=resident, relation="child", name="王小明", id_number=ID)
    with pytest.raises(ValidationFailed):
        household_member_add(
            actor=centre, resident=resident, relation="parent", name="王老", id_number="440524188001010014"
        )
    with pytest.raises(PermissionDenied):
        household_member_add(
            actor=ClerkFactory(town=tangxia),
            resident=resident,
            relation="child",
            name="王二",
            id_number="440524188001010014",
        )
    with pytest.raises(PermissionDenied):
        household_member_add(
            actor=resident.user or ResidentUserFactory(),
            resident=resident,
            relation="child",
            name="王二",
            id_number="440524188001010014",
        )
    assert resident.household.count() == 1


def test_household_member_remove_is_audited(anyang: Town) -> None:
    member = HouseholdMemberFactory(resident=ResidentFactory(town=anyang), relation="spouse")
    with pytest.raises(ValidationFailed):
        household_member_remove(actor=CentreAdminFactory(), member=member, reason="")
    household_member_remove(actor=ClerkFactory(town=anyang), member=member, reason="离婚")
    assert not HouseholdMember.objects.exists()
    [event] = _events("residents.household_remove")
    assert event.summary["note"] == "离婚"
