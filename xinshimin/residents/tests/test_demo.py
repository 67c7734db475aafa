from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from xinshimin.accounts.models import Role, User
from xinshimin.audit.models import AuditEvent
from xinshimin.residents.demo import DEMO_PASSWORD, DEMO_USERNAMES, DemoRefused, build_demo
from xinshimin.residents.idnumber import parse_id_number
from xinshimin.residents.models import HouseholdMember, ResidencePermit, Resident
from xinshimin.residents.names import parse_name
from xinshimin.residents.phone import parse_phone

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)


def test_build_demo_creates_valid_residents_permits_and_households() -> None:
    summary = build_demo(residents=120, seed=7, today=TODAY)
    assert summary.residents == Resident.objects.count() == 120
    assert summary.permits == ResidencePermit.objects.count() == 120
    assert summary.household_members == HouseholdMember.objects.count()
    assert 30 <= summary.households <= 90
    for resident in Resident.objects.all():
        parsed = parse_id_number(resident.id_number, today=TODAY)
        assert (parsed.birth_date, parsed.sex) == (resident.birth_date, resident.sex)
        assert date(1965, 1, 1) <= resident.birth_date <= date(2004, 12, 31)
        assert parse_name(resident.name) == resident.name
        assert parse_phone(resident.phone) == resident.phone
    for member in HouseholdMember.objects.select_related("resident"):
        parsed = parse_id_number(member.id_number, today=TODAY)
        assert (parsed.birth_date, parsed.sex) == (member.birth_date, member.sex)
        if member.relation == "child":
            assert date(2010, 1, 1) <= member.birth_date <= date(2020, 12, 31)
    for permit in ResidencePermit.objects.all():
        assert permit.issued_on < permit.valid_until
        assert permit.zj_residence_registered_on <= permit.issued_on
        assert date(2012, 1, 1) <= permit.zj_residence_registered_on <= date(2025, 12, 31)
        assert permit.is_scoring(TODAY) == (permit.status != "expired")
    statuses = set(ResidencePermit.objects.values_list("status", flat=True))
    assert {"valid", "awaiting_endorsement", "expired"} <= statuses
    assert Resident.objects.values("town").distinct().count() >= 15


def test_build_demo_writes_one_audit_event_with_counts() -> None:
    summary = build_demo(residents=30, seed=1, today=TODAY)
    [event] = AuditEvent.objects.all()
    assert event.action == "demo.load"
    assert event.summary["after"]["residents"] == 30
    assert event.summary["after"]["household_members"] == summary.household_members


def test_build_demo_creates_one_login_per_role_and_is_repeatable() -> None:
    summary = build_demo(residents=10, seed=3, today=TODAY)
    assert summary.users_created == len(DEMO_USERNAMES) == 16
    users = {u.username: u for u in User.objects.select_related("town", "department", "provider")}
    assert users["admin"].is_superuser and users["admin"].role == Role.CENTRE_ADMIN
    assert users["clerk_anyang"].town.code == "anyang"
    assert users["clerk_tangxia"].town.code == "tangxia"
    assert users["reviewer_hrss"].department.code == "hrss"
    assert users["provider"].provider.name == "瑞安市文化旅游演艺中心"
    assert users["fund"].role == Role.FUND_OFFICER
    assert users["resident1"].check_password(DEMO_PASSWORD)
    assert users["centre"].has_perm("residents.view_resident")
    assert not users["centre"].has_perm("residents.change_resident")
    assert {u.resident.pk for u in User.objects.filter(username__startswith="resident")} == set(
        Resident.objects.order_by("pk").values_list("pk", flat=True)[:5]
    )
    again = build_demo(residents=10, seed=3, today=TODAY)  # same seed: new people, no clash
    assert again.users_created == 0
    assert Resident.objects.count() == 20


def test_build_demo_refuses_in_production(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(DemoRefused):
        build_demo(residents=1, seed=1)
    with pytest.raises(CommandError):
        call_command("demo", residents=1)
    assert not Resident.objects.exists()


def test_demo_command_reports_counts_and_if_empty_does_nothing() -> None:
    out = StringIO()
    call_command("demo", residents=12, seed=5, stdout=out)
    assert "residents created:         12" in out.getvalue()
    assert "residence permits created: 12" in out.getvalue()
    out = StringIO()
    call_command("demo", "--if-empty", residents=12, stdout=out)
    assert "nothing to do" in out.getvalue()
    assert Resident.objects.count() == 12


def test_demo_logins_prints_the_table() -> None:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "xinshimin demo" in out.getvalue()
    build_demo(residents=6, seed=2, today=TODAY)
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for username in DEMO_USERNAMES:
        assert username in text
    assert "市人力资源和社会保障局" in text
    assert DEMO_PASSWORD in text
