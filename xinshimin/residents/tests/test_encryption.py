from __future__ import annotations

import pytest
from django.db import connection

from xinshimin.accounts.models import Town
from xinshimin.accounts.tests.factories import CentreAdminFactory
from xinshimin.residents.models import HouseholdMember, Resident
from xinshimin.residents.personal_data import id_number_index
from xinshimin.residents.services import household_member_add, resident_register

pytestmark = pytest.mark.django_db

ID = "522401199203154513"
PHONE = "13812345678"
CHILD_ID = "110105201501010025"


def _raw_rows(table: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name from the model
        return list(cursor.fetchall())


def test_the_database_holds_no_plaintext_id_number_or_phone(anyang: Town) -> None:
    centre = CentreAdminFactory()
    resident = resident_register(actor=centre, id_number=ID, name="王小明", phone=PHONE, town=anyang)
    household_member_add(actor=centre, resident=resident, relation="child", name="王小红", id_number=CHILD_ID)
    for table in (Resident._meta.db_table, HouseholdMember._meta.db_table, "audit_auditevent"):
        rows = _raw_rows(table)
        assert rows, table
        for row in rows:
            text = " ".join(str(value) for value in row)
            for secret in (ID, PHONE, CHILD_ID, ID.lower()):
                assert secret not in text, (table, secret)


def test_encryption_is_randomised_and_the_blind_index_finds_the_row(anyang: Town) -> None:
    centre = CentreAdminFactory()
    first = resident_register(actor=centre, id_number=ID, name="王小明", phone=PHONE, town=anyang)
    second = resident_register(
        actor=centre, id_number="11010519491231002X", name="李芳", phone=PHONE, town=anyang
    )
    assert first.phone_cipher != second.phone_cipher  # same phone, different ciphertext
    assert first.phone_index == second.phone_index  # same phone, same index
    assert Resident.objects.get(id_number_index=id_number_index(ID)) == first
    assert Resident.objects.get(pk=first.pk).id_number == ID


def test_blind_index_separates_purposes() -> None:
    from xinshimin.core import crypto

    assert crypto.blind_index(PHONE, purpose="id_number") != crypto.blind_index(PHONE, purpose="phone")
