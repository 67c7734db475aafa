"""No full ID number or phone reaches a log record, even with every logger (and SQL) at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.db import connection

from xinshimin.accounts.models import Town
from xinshimin.accounts.tests.factories import CentreAdminFactory, ClerkFactory
from xinshimin.residents.services import (
    household_member_add,
    resident_register,
    resident_reveal_personal_data,
    resident_update,
)

pytestmark = pytest.mark.django_db

ID = "522401199203154513"
PHONE = "13812345678"
NEW_PHONE = "15987654321"
CHILD_ID = "110105201501010025"


@pytest.fixture
def sql_logged() -> Iterator[None]:
    previous = connection.force_debug_cursor
    connection.force_debug_cursor = True
    try:
        yield
    finally:
        connection.force_debug_cursor = previous


def test_register_update_and_reveal_log_no_personal_data(
    anyang: Town, caplog: pytest.LogCaptureFixture, sql_logged: None
) -> None:
    centre, clerk = CentreAdminFactory(), ClerkFactory(town=anyang)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    resident = resident_register(actor=clerk, id_number=ID, name="王小明", phone=PHONE, town=anyang)
    resident_update(actor=clerk, resident=resident, phone=NEW_PHONE)
    household_member_add(actor=clerk, resident=resident, relation="child", name="王小红", id_number=CHILD_ID)
    assert resident_reveal_personal_data(actor=centre, resident=resident, field="id_number") == ID
    assert resident_reveal_personal_data(actor=clerk, resident=resident, field="phone") == NEW_PHONE

    sql_records = [r for r in caplog.records if r.name == "django.db.backends"]
    assert sql_records, "SQL logging was not captured: the test would prove nothing"
    assert any(r.name == "xinshimin.residents.services" for r in caplog.records)
    for record in caplog.records:
        text = " ".join([record.getMessage(), repr(record.args), str(record.__dict__.get("params", ""))])
        for secret in (ID, PHONE, NEW_PHONE, CHILD_ID):
            assert secret not in text, record.name
