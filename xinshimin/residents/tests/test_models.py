from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from xinshimin.residents.models import HouseholdMember, ResidencePermit, Resident
from xinshimin.residents.tests.factories import HouseholdMemberFactory, PermitFactory, ResidentFactory

pytestmark = pytest.mark.django_db

Status = ResidencePermit.Status


@pytest.mark.parametrize(
    ("status", "on", "expected"),
    [
        (Status.VALID, date(2024, 1, 1), True),
        (Status.AWAITING_ENDORSEMENT, date(2024, 1, 1), True),
        (Status.EXPIRED, date(2024, 1, 1), False),
        (Status.CANCELLED, date(2024, 1, 1), False),
        (Status.VALID, date(2022, 3, 1), True),  # the day of issue
        (Status.VALID, date(2022, 2, 28), False),  # before issue
        (Status.VALID, date(2030, 12, 31), True),  # the last valid day
        (Status.VALID, date(2031, 1, 1), False),  # past valid_until
        (Status.AWAITING_ENDORSEMENT, date(2031, 1, 1), False),
    ],
)
def test_permit_is_scoring_depends_on_status_and_dates(status: str, on: date, expected: bool) -> None:
    permit = PermitFactory(status=status, issued_on=date(2022, 3, 1), valid_until=date(2030, 12, 31))
    assert permit.is_scoring(on) is expected
    assert ResidencePermit.objects.scoring(on).filter(pk=permit.pk).exists() is expected
    assert Resident.objects.holding_scoring_permit(on).filter(pk=permit.resident_id).exists() is expected


def test_current_permit_is_the_latest_issued_by_the_date() -> None:
    resident = ResidentFactory(permit=None)
    old = PermitFactory(resident=resident, issued_on=date(2018, 1, 1), valid_until=date(2023, 1, 1))
    new = PermitFactory(
        resident=resident, issued_on=date(2023, 1, 1), valid_until=date(2028, 1, 1), status=Status.CANCELLED
    )
    assert resident.current_permit(date(2017, 12, 31)) is None
    assert resident.current_permit(date(2022, 12, 31)) == old
    assert resident.current_permit(date(2023, 1, 1)) == new
    assert not resident.current_permit(date(2024, 1, 1)).is_scoring(date(2024, 1, 1))  # type: ignore[union-attr]


def test_permit_valid_until_must_be_after_issue() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        PermitFactory(issued_on=date(2024, 1, 1), valid_until=date(2024, 1, 1))


def test_permit_number_is_unique() -> None:
    PermitFactory(number="RA0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        PermitFactory(number="RA0001")


def test_resident_id_number_is_unique() -> None:
    ResidentFactory(id_number="522401199203154513")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentFactory(id_number="522401199203154513")


def test_at_most_one_spouse_per_resident_in_the_database() -> None:
    resident = ResidentFactory()
    HouseholdMemberFactory(resident=resident, relation=HouseholdMember.Relation.SPOUSE)
    HouseholdMemberFactory(resident=resident, relation=HouseholdMember.Relation.CHILD)
    HouseholdMemberFactory(resident=resident, relation=HouseholdMember.Relation.CHILD)
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdMemberFactory(resident=resident, relation=HouseholdMember.Relation.SPOUSE)
    HouseholdMemberFactory(relation=HouseholdMember.Relation.SPOUSE)  # another resident's spouse is fine


def test_a_household_member_is_recorded_once_per_resident() -> None:
    first, second = ResidentFactory(), ResidentFactory()
    HouseholdMemberFactory(resident=first, id_number="110105201501010025")
    HouseholdMemberFactory(resident=second, id_number="110105201501010025")  # the other parent
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdMemberFactory(resident=first, id_number="110105201501010025")


def test_str_and_repr_never_show_the_full_id_number_or_name() -> None:
    resident = ResidentFactory(id_number="522401199203154513", name="王小明", phone="13812345678")
    member = HouseholdMemberFactory(resident=resident, id_number="11010519491231002X", name="王大明")
    permit = resident.permits.get()
    for text in (str(resident), repr(resident), str(member), repr(member), str(permit)):
        assert "522401199203154513" not in text
        assert "11010519491231002X" not in text
        assert "13812345678" not in text
        assert "小明" not in text
    assert str(resident) == "王** 522401********4513"


def test_resident_properties_decrypt_and_mask() -> None:
    resident = ResidentFactory(id_number="522401199203154513", name="欧阳娜娜", phone="13812345678")
    resident.refresh_from_db()
    assert resident.id_number == "522401199203154513"
    assert resident.phone == "13812345678"
    assert resident.masked_name == "欧阳**"
    assert resident.phone_masked == "138****5678"
    assert resident.birth_date == date(1992, 3, 15)
    assert resident.sex == "M"
    assert resident.age_on(date(2025, 3, 14)) == 32


def test_factories_take_permit_and_user_options(anyang: object) -> None:
    expired = ResidentFactory(permit__status=ResidencePermit.Status.EXPIRED)
    assert expired.permits.get().status == "expired"
    assert ResidentFactory(permit=None).permits.count() == 0
    with_login = ResidentFactory(with_user=True)
    assert with_login.user is not None and with_login.user.role == "resident"
    assert with_login.user.resident == with_login
