"""A whole claim, start to end: filed → reviewed → approved → the fact written and the score changed,
with the audit trail, the timeline and the notices showing each step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from xinshimin.audit.models import AuditEvent
from xinshimin.audit.services import audit_verify
from xinshimin.claims.models import Claim
from xinshimin.claims.selectors import claim_timeline
from xinshimin.claims.services import claim_approve, claim_start_review
from xinshimin.notifications.models import Notice, SmsMessage
from xinshimin.notifications.sms import MemorySmsBackend
from xinshimin.scoring.models import Fact, FactRevision, ScoreSnapshot
from xinshimin.scoring.services import snapshot_resident

from .conftest import at
from .factories import file_claim, make_world

pytestmark = pytest.mark.django_db

MARCH_10 = dt.date(2025, 3, 10)  # a Monday inside the spring review period


def _volunteer_points(snapshot: ScoreSnapshot) -> Decimal:
    return Decimal(str(snapshot.items["local.volunteer"]["points"]))


def test_claim_review_approval_changes_the_score_with_an_audit_trail(django_capture_on_commit_callbacks):
    w = make_world()
    resident = w.resident
    with at(MARCH_10):
        before = snapshot_resident(resident=resident, as_of=MARCH_10)
        assert _volunteer_points(before) == 0

        with django_capture_on_commit_callbacks(execute=True):
            claim = file_claim(resident, value=[{"date": "2024-05-01", "hours": 25}])
        assert claim.status == Claim.Status.SUBMITTED
        assert claim.department.code == "volunteer"  # routed by the policy document's item department
        assert claim.due_on == dt.date(2025, 3, 24)  # 10 working days

    with at(dt.date(2025, 3, 12)):
        with django_capture_on_commit_callbacks(execute=True):
            claim = claim_start_review(actor=w.volunteer, claim=claim)
            claim = claim_approve(actor=w.volunteer, claim=claim, note="志愿汇记录核实无误")
        assert claim.status == Claim.Status.APPROVED

    fact = Fact.objects.get(resident=resident, kind="volunteer")
    assert fact.value == [{"date": "2024-05-01", "hours": 25}]
    assert fact.source == Fact.Source.APPROVED_CLAIM
    assert fact.source_ref == claim.reference
    assert fact.department.code == "volunteer"
    assert (
        FactRevision.objects.filter(resident=resident, kind="volunteer", source_ref=claim.reference).count()
        == 1
    )

    after = ScoreSnapshot.objects.get(resident=resident, as_of=dt.date(2025, 3, 12))
    assert _volunteer_points(after) == 2  # 1 point per full 10 hours
    assert after.total == before.total + 2

    claim_events = list(
        AuditEvent.objects.filter(object_type="claims.claim", object_id=str(claim.pk)).values_list(
            "action", flat=True
        )
    )
    assert claim_events == ["claims.file", "claims.start_review", "claims.approve"]
    fact_event = AuditEvent.objects.get(action="scoring.fact_upsert", object_id=str(resident.pk))
    approve_event = AuditEvent.objects.get(action="claims.approve")
    assert fact_event.seq < approve_event.seq
    assert fact_event.summary["after"]["source_ref"] == claim.reference
    assert approve_event.actor_id == w.volunteer.pk
    assert approve_event.summary["after"]["total"] == str(after.total)
    assert audit_verify().ok

    steps = claim_timeline(claim, today=dt.date(2025, 3, 12))
    assert [s.title for s in steps[:3]] == ["提交申报", "部门开始审核", "审核通过"]
    assert all(s.done for s in steps[:3])

    titles = list(Notice.objects.filter(resident=resident).order_by("pk").values_list("title", flat=True))
    assert titles == ["积分申报已受理", "积分申报审核中", "积分申报审核通过"]
    assert SmsMessage.objects.filter(resident=resident, status=SmsMessage.Status.SENT).count() == 3
    assert MemorySmsBackend.outbox[0]["body"].startswith("【瑞安新居民】积分申报已受理")
    assert claim.reference in MemorySmsBackend.outbox[0]["body"]
