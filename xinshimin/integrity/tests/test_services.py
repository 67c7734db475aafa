"""Plans, draws and findings: who may, what is refused and why, and draws that repeat from their seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from xinshimin.audit.models import AuditEvent
from xinshimin.claims.tests.factories import make_world
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.core.uploads import private_path
from xinshimin.integrity import sampling, services
from xinshimin.integrity.models import AuditPlan, AuditSample
from xinshimin.integrity.selectors import draw_reproduces
from xinshimin.residents.tests.factories import AuditorFactory, ClerkFactory, ResidentFactory, ReviewerFactory

from .helpers import approved_volunteer_claim, at, claims_plan, find_fraud, propose

pytestmark = pytest.mark.django_db

JAN = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))


def test_only_the_centre_and_auditors_audit():
    for outsider in (ReviewerFactory(), ClerkFactory(), ResidentFactory(with_user=True).user):
        with pytest.raises(PermissionDenied):
            claims_plan(outsider, start=JAN[0], end=JAN[1])


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"rate": "0"}, "rate", "大于 0"),
        ({"rate": "100.01"}, "rate", "不超过 100"),
        ({"rate": "2.555"}, "rate", "两位小数"),
        ({"rate": "five"}, "rate", "百分比"),
        ({"period_from": None}, "period_from", "起止"),
        ({"period_to": dt.date(2025, 12, 31)}, "period_to", "不能早于"),
        ({"item_code": "local.nonsense"}, "item_code", "local.nonsense"),
        ({"name": " "}, "name", "计划名称"),
        ({"target": "people"}, "target", "抽查对象"),
    ],
)
def test_impossible_plans_are_refused_with_the_field_and_the_reason(changes, field, words):
    values = {
        "actor": AuditorFactory(),
        "name": "抽查",
        "target": AuditPlan.Target.CLAIMS,
        "rate": "5",
        "period_from": JAN[0],
        "period_to": JAN[1],
        **changes,
    }
    with pytest.raises(ValidationFailed) as refused:
        services.audit_plan_create(**values)
    assert refused.value.field == field and words in refused.value.message


def test_a_scene_plan_needs_a_scene():
    with pytest.raises(ValidationFailed) as refused:
        services.audit_plan_create(
            actor=AuditorFactory(), name="入学抽查", target=AuditPlan.Target.APPLICATIONS, rate="5"
        )
    assert refused.value.field == "scene"


def test_a_draw_samples_the_rate_rounded_up_from_the_approved_claims_of_the_period_and_repeats():
    w = make_world()
    auditor = AuditorFactory()
    residents = [ResidentFactory(with_user=True) for _ in range(4)]
    claims = [
        approved_volunteer_claim(r, w.volunteer, filed=dt.date(2026, 1, 5), approved=dt.date(2026, 1, 12))
        for r in residents
    ]
    # Outside the population: decided in February; and one still waiting for review.
    approved_volunteer_claim(w.resident, w.volunteer, filed=dt.date(2026, 2, 2), approved=dt.date(2026, 2, 3))
    with at(dt.date(2026, 1, 20)):
        from xinshimin.claims.tests.factories import file_claim

        file_claim(w.other)
        draw = services.audit_draw_create(
            actor=auditor, plan=claims_plan(auditor, start=JAN[0], end=JAN[1], rate="30")
        )
    assert draw.population_ids == sorted(c.pk for c in claims)
    assert draw.sample_size == 2  # ceil(4 × 30%) = ceil(1.2)
    samples = list(draw.samples.order_by("position"))
    expected = sampling.draw(draw.seed, "claims.claim", draw.population_ids, Decimal("30"))
    assert [(s.claim_id, s.key) for s in samples] == expected
    assert {s.resident_id for s in samples} <= {r.pk for r in residents}
    assert draw_reproduces(draw)
    # A tampered sample no longer matches its seed.
    other = next(c for c in claims if c.pk not in {s.claim_id for s in samples})
    AuditSample.objects.filter(pk=samples[0].pk).update(claim_id=other.pk, resident_id=other.resident_id)
    assert not draw_reproduces(draw)


def test_a_stopped_plan_cannot_be_drawn():
    auditor = AuditorFactory()
    plan = claims_plan(auditor, start=JAN[0], end=JAN[1])
    services.audit_plan_set_active(actor=auditor, plan=plan, active=False)
    with pytest.raises(Conflict):
        services.audit_draw_create(actor=auditor, plan=plan)
    assert AuditEvent.objects.filter(action="integrity.plan_stop").count() == 1


def _one_sample(w):
    auditor = AuditorFactory()
    approved_volunteer_claim(
        w.resident, w.volunteer, filed=dt.date(2026, 1, 5), approved=dt.date(2026, 1, 12)
    )
    with at(dt.date(2026, 1, 20)):
        draw = services.audit_draw_create(actor=auditor, plan=claims_plan(auditor, start=JAN[0], end=JAN[1]))
    return auditor, draw.samples.get()


def test_findings_need_a_description_and_fraud_needs_evidence_and_are_recorded_once():
    w = make_world()
    auditor, sample = _one_sample(w)
    with pytest.raises(ValidationFailed) as no_note:
        services.sample_record_finding(actor=auditor, sample=sample, finding="discrepancy", note="")
    assert no_note.value.field == "note"
    with pytest.raises(ValidationFailed) as no_files:
        services.sample_record_finding(actor=auditor, sample=sample, finding="fraud_suspected", note="伪造")
    assert no_files.value.field == "evidence"
    with pytest.raises(ValidationFailed):
        services.sample_record_finding(actor=auditor, sample=sample, finding="pending", note="x")
    with pytest.raises(PermissionDenied):
        services.sample_record_finding(actor=w.volunteer, sample=sample, finding="no_issue")

    sample = find_fraud(auditor, sample)
    assert sample.finding == AuditSample.Finding.FRAUD_SUSPECTED and sample.found_by == auditor
    stored = sample.evidence.get()
    assert private_path(stored.file_path).is_file() and stored.original_name == "志愿汇核查回函.jpg"
    with pytest.raises(Conflict) as again:
        services.sample_record_finding(actor=auditor, sample=sample, finding="no_issue")
    assert "不能再次记录" in again.value.message


def test_a_sanction_is_proposed_only_on_a_fraud_finding_and_once():
    w = make_world()
    auditor, sample = _one_sample(w)
    services.sample_record_finding(
        actor=auditor, sample=sample, finding="discrepancy", note="时长记录少 5 小时"
    )
    with pytest.raises(Conflict) as not_fraud:
        propose(auditor, sample)
    assert "涉嫌提供虚假材料" in not_fraud.value.message

    auditor2, sample2 = AuditorFactory(), None
    with at(dt.date(2026, 1, 21)):
        sample2 = services.audit_draw_create(
            actor=auditor2, plan=claims_plan(auditor2, start=JAN[0], end=JAN[1])
        ).samples.get()
    find_fraud(auditor2, sample2)
    propose(auditor2, sample2)
    with pytest.raises(Conflict):
        propose(auditor, sample2)


def test_evidence_files_are_checked_like_every_upload():
    w = make_world()
    auditor, sample = _one_sample(w)
    from xinshimin.claims.tests.helpers import upload
    from xinshimin.core.uploads import UploadRefused

    with pytest.raises(UploadRefused):
        services.sample_record_finding(
            actor=auditor,
            sample=sample,
            finding="fraud_suspected",
            note="伪造",
            files=[upload("evil.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")],
        )
    sample.refresh_from_db()
    assert sample.is_pending and not sample.evidence.exists()
