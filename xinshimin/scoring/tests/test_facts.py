"""Facts: upsert with history and audit, idempotent; assembled into the engine input."""

from __future__ import annotations

import datetime as dt

import pytest

from xinshimin.accounts.models import Department, User
from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import PermissionDenied
from xinshimin.policies import ExchangeError, Facts
from xinshimin.residents.tests.factories import ClerkFactory, ResidentFactory, ReviewerFactory, TownFactory
from xinshimin.scoring.models import Fact, FactRevision
from xinshimin.scoring.selectors import resident_facts
from xinshimin.scoring.services import facts_upsert

pytestmark = pytest.mark.django_db


def test_upsert_records_history_and_audit_and_is_idempotent(centre: User) -> None:
    resident = ResidentFactory()
    hrss = Department.objects.get(code="hrss")
    for _ in range(2):
        fact = facts_upsert(
            actor=None,
            resident=resident,
            kind="zj_social_insurance_months",
            value=48,
            source="department_feed",
            department=hrss,
        )
    assert fact is not None and fact.value == 48
    assert FactRevision.objects.count() == 1
    assert AuditEvent.objects.filter(action="scoring.fact_upsert").count() == 1
    facts_upsert(
        actor=centre, resident=resident, kind="zj_social_insurance_months", value=50, source="window_entry"
    )
    revisions = list(FactRevision.objects.order_by("id").values_list("old_value", "new_value"))
    assert revisions == [(None, 48), (48, 50)]
    assert Fact.objects.get(resident=resident).recorded_by == centre


def test_values_are_stored_in_canonical_form() -> None:
    resident = ResidentFactory()
    facts_upsert(actor=None, resident=resident, kind="skill", value=["level3"], source="demo")
    facts_upsert(
        actor=None,
        resident=resident,
        kind="volunteer",
        value=[{"date": "2024-05-01", "hours": 12.5}],
        source="demo",
    )
    assert dict(Fact.objects.values_list("kind", "value")) == {
        "skill": "level3",
        "volunteer": [{"date": "2024-05-01", "hours": 12.5}],
    }
    # the same value written differently is no change
    facts_upsert(actor=None, resident=resident, kind="skill", value="level3", source="demo")
    assert FactRevision.objects.count() == 2


def test_bad_values_are_refused_naming_the_field() -> None:
    resident = ResidentFactory()
    with pytest.raises(ExchangeError, match="2023-02-30 不是有效日期"):
        facts_upsert(
            actor=None,
            resident=resident,
            kind="zj_residence_registered_on",
            value="2023-02-30",
            source="demo",
        )
    with pytest.raises(ExchangeError, match="未知字段"):
        facts_upsert(actor=None, resident=resident, kind="shoe_size", value=42, source="demo")
    assert not Fact.objects.exists()


def test_none_removes_a_fact_and_keeps_its_history() -> None:
    resident = ResidentFactory()
    facts_upsert(actor=None, resident=resident, kind="veteran", value=True, source="demo")
    assert facts_upsert(actor=None, resident=resident, kind="veteran", value=None, source="demo") is None
    assert not Fact.objects.exists()
    assert list(FactRevision.objects.values_list("new_value", flat=True)) == [True, None]


def test_who_may_record_facts() -> None:
    town = TownFactory(code="anyang")
    resident = ResidentFactory(town=town)
    hrss = Department.objects.get(code="hrss")
    reviewer = ReviewerFactory(department=hrss)
    facts_upsert(
        actor=reviewer,
        resident=resident,
        kind="skill",
        value="level4",
        source="department_feed",
        department=hrss,
    )
    with pytest.raises(PermissionDenied):
        facts_upsert(
            actor=reviewer,
            resident=resident,
            kind="education",
            value="master",
            source="department_feed",
            department=Department.objects.get(code="education"),
        )
    facts_upsert(
        actor=ClerkFactory(town=town), resident=resident, kind="veteran", value=True, source="window_entry"
    )
    with pytest.raises(PermissionDenied):
        facts_upsert(
            actor=ClerkFactory(town=TownFactory(code="tangxia")),
            resident=resident,
            kind="veteran",
            value=False,
            source="window_entry",
        )


def test_resident_facts_use_the_permit_dates_unless_a_fact_says_otherwise() -> None:
    resident = ResidentFactory(permit__zj_residence_registered_on=dt.date(2019, 5, 1))
    facts_upsert(actor=None, resident=resident, kind="education", value="bachelor", source="demo")
    facts = resident_facts(resident, as_of=dt.date(2025, 4, 1))
    assert facts == Facts(
        education=("bachelor",),
        zj_residence_registered_on=dt.date(2019, 5, 1),
        ruian_residence_registered_on=dt.date(2019, 5, 1),
    )
    facts_upsert(
        actor=None, resident=resident, kind="zj_residence_registered_on", value="2018-06-10", source="demo"
    )
    assert resident_facts(resident).zj_residence_registered_on == dt.date(2018, 6, 10)
