"""The rules of filing and reviewing, one by one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from xinshimin.audit.models import AuditEvent
from xinshimin.claims.models import Claim, Evidence
from xinshimin.claims.services import (
    claim_approve,
    claim_file,
    claim_reject,
    claim_request_evidence,
    claim_supply_evidence,
    claim_withdraw,
)
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.core.uploads import UploadRefused
from xinshimin.residents.tests.factories import DepartmentFactory, ResidentFactory, ReviewerFactory
from xinshimin.scoring.models import Fact
from xinshimin.scoring.services import facts_upsert

from .conftest import at
from .factories import file_claim, make_world
from .helpers import photo, upload

pytestmark = pytest.mark.django_db

MARCH_10 = dt.date(2025, 3, 10)
POLICY = Path(__file__).resolve().parents[2] / "policies" / "data" / "ruian-2025.json"


def _departments_in_policy() -> dict[str, str]:
    document = json.loads(POLICY.read_text())
    return {item["code"]: item["department"]["code"] for item in document["items"]}


@pytest.mark.parametrize(
    ("item_code", "kind", "value"),
    [
        ("common.social_insurance", "dispute", 48),
        ("common.education", "claim", "bachelor"),
        ("local.housing", "claim", "registered_lease"),
        ("local.patent", "claim", [{"kind": "invention", "granted_on": "2023-06-01"}]),
        ("local.provident_fund", "claim", 12),
        ("ded.detention", "dispute", []),
    ],
)
def test_a_claim_goes_to_the_department_of_its_item_in_the_policy(item_code, kind, value):
    w = make_world()
    with at(MARCH_10):
        if item_code == "ded.detention":
            facts_upsert(
                actor=None,
                resident=w.resident,
                kind="deductions",
                value=[{"kind": "detention", "date": "2023-02-01"}],
                source="department_feed",
            )
        claim = file_claim(w.resident, item_code=item_code, kind=kind, value=value)
    assert claim.department.code == _departments_in_policy()[item_code]
    assert claim.fact_kind in (
        "zj_social_insurance_months",
        "education",
        "housing",
        "patents",
        "provident_fund_months",
        "deductions",
    )


def test_the_value_is_validated_with_the_exchange_format():
    w = make_world()
    with at(MARCH_10), pytest.raises(ValidationFailed) as bad:
        file_claim(w.resident, value=[{"date": "2024-02-30", "hours": 5}])
    assert "volunteer[0].date" in bad.value.message and "不是有效日期" in bad.value.message
    with at(MARCH_10), pytest.raises(ValidationFailed) as level:
        file_claim(w.resident, item_code="common.education", value="phd")
    assert "未知取值" in level.value.message
    with at(MARCH_10), pytest.raises(ValidationFailed):
        file_claim(w.resident, value=[])


def test_a_scalar_item_with_a_record_is_disputed_not_claimed():
    w = make_world()
    facts_upsert(
        actor=None, resident=w.resident, kind="education", value="high_school", source="department_feed"
    )
    with at(MARCH_10), pytest.raises(ValidationFailed) as refused:
        file_claim(w.resident, item_code="common.education", value="bachelor")
    assert "已有记录" in refused.value.message and "异议" in refused.value.message
    with at(MARCH_10):
        claim = file_claim(w.resident, item_code="common.education", kind="dispute", value="bachelor")
    assert claim.current_value == "high_school"


def test_a_dispute_must_differ_from_the_record_and_give_reasons():
    w = make_world()
    facts_upsert(
        actor=None, resident=w.resident, kind="zj_social_insurance_months", value=48, source="department_feed"
    )
    with at(MARCH_10), pytest.raises(ValidationFailed) as same:
        file_claim(w.resident, item_code="common.social_insurance", kind="dispute", value=48)
    assert "相同" in same.value.message
    with at(MARCH_10), pytest.raises(ValidationFailed) as reasons:
        claim_file(
            actor=w.resident.user,
            resident=w.resident,
            kind="dispute",
            item_code="common.social_insurance",
            value=60,
            statement="  ",
            files=[photo()],
        )
    assert "异议理由" in reasons.value.message


def test_age_and_deductions_cannot_be_claimed():
    w = make_world()
    with at(MARCH_10), pytest.raises(ValidationFailed) as age:
        file_claim(w.resident, item_code="common.age", value=30)
    assert "出生日期" in age.value.message
    with at(MARCH_10), pytest.raises(ValidationFailed) as deduction:
        file_claim(w.resident, item_code="ded.criminal", value=[{"kind": "criminal", "date": "2020-01-01"}])
    assert "扣减项目不能申报" in deduction.value.message
    with at(MARCH_10), pytest.raises(ValidationFailed) as unknown:
        file_claim(w.resident, item_code="local.lottery")
    assert "不存在" in unknown.value.message


def test_a_deduction_dispute_touches_only_the_entries_of_its_kind():
    w = make_world()
    facts_upsert(
        actor=None,
        resident=w.resident,
        kind="deductions",
        value=[{"kind": "detention", "date": "2023-02-01"}, {"kind": "credit_default", "date": "2024-01-05"}],
        source="department_feed",
    )
    ps = ReviewerFactory(department=DepartmentFactory(code="public_security"))
    with at(MARCH_10):
        claim = file_claim(w.resident, item_code="ded.detention", kind="dispute", value=[])
        assert claim.current_value == [{"kind": "detention", "date": "2023-02-01"}]
        with pytest.raises(ValidationFailed):
            file_claim(
                w.resident,
                item_code="ded.public_order_penalty",
                kind="dispute",
                value=[{"kind": "credit_default", "date": "2024-01-05"}],
            )
        claim_approve(actor=ps, claim=claim)
    assert Fact.objects.get(resident=w.resident, kind="deductions").value == [
        {"kind": "credit_default", "date": "2024-01-05"}
    ]


def test_a_claim_of_list_entries_adds_them_to_the_current_list():
    w = make_world()
    facts_upsert(
        actor=None,
        resident=w.resident,
        kind="volunteer",
        value=[{"date": "2023-01-01", "hours": 10}],
        source="department_feed",
    )
    with at(MARCH_10):
        claim = file_claim(
            w.resident, value=[{"date": "2023-01-01", "hours": 10}, {"date": "2024-05-01", "hours": 25}]
        )
        claim_approve(actor=w.volunteer, claim=claim)
    assert Fact.objects.get(resident=w.resident, kind="volunteer").value == [
        {"date": "2023-01-01", "hours": 10},
        {"date": "2024-05-01", "hours": 25},
    ]
    with at(MARCH_10), pytest.raises(ValidationFailed) as known:
        file_claim(w.resident, value=[{"date": "2024-05-01", "hours": 25}])
    assert "都已在系统中" in known.value.message


def test_the_reviewer_may_approve_a_corrected_value():
    w = make_world()
    with at(MARCH_10):
        claim = file_claim(w.resident, item_code="local.ruian_social_insurance", value=40)
        claim = claim_approve(actor=w.hrss, claim=claim, value=36, note="社保系统记录 36 个月")
    assert claim.approved_value == 36
    assert Fact.objects.get(resident=w.resident, kind="ruian_social_insurance_months").value == 36
    assert claim.events.last().note.startswith("审核通过，按部门核定的内容计分")
    assert AuditEvent.objects.get(action="claims.approve").summary["after"]["adjusted"] is True


def test_one_open_claim_per_item():
    w = make_world()
    with at(MARCH_10):
        first = file_claim(w.resident)
        with pytest.raises(Conflict) as twice:
            file_claim(w.resident, value=[{"date": "2024-06-01", "hours": 5}])
        assert first.reference in twice.value.message
        claim_withdraw(actor=w.resident.user, claim=first)
        assert (
            file_claim(w.resident, value=[{"date": "2024-06-01", "hours": 5}]).status
            == Claim.Status.SUBMITTED
        )


def test_evidence_is_required_and_bad_files_leave_nothing_behind(settings):
    w = make_world()
    with at(MARCH_10), pytest.raises(ValidationFailed) as none:
        file_claim(w.resident, files=[])
    assert "证明材料" in none.value.message
    with at(MARCH_10), pytest.raises(UploadRefused):
        file_claim(w.resident, files=[photo(), upload("x.jpg", b"<html><script>x</script></html>")])
    assert not Claim.objects.exists() and not Evidence.objects.exists()
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_only_the_resident_or_a_clerk_of_their_town_files():
    w = make_world()
    with at(MARCH_10):
        with pytest.raises(PermissionDenied):
            claim_file(
                actor=w.other.user,
                resident=w.resident,
                kind="claim",
                item_code="local.volunteer",
                value=[{"date": "2024-05-01", "hours": 25}],
                files=[photo()],
            )
        with pytest.raises(PermissionDenied) as elsewhere:
            claim_file(
                actor=w.clerk_elsewhere,
                resident=w.resident,
                kind="claim",
                item_code="local.volunteer",
                value=[{"date": "2024-05-01", "hours": 25}],
                files=[photo()],
                consent=True,
            )
        assert "本乡镇街道" in elsewhere.value.message
        with pytest.raises(PermissionDenied):
            claim_file(
                actor=w.hrss,
                resident=w.resident,
                kind="claim",
                item_code="local.volunteer",
                value=[{"date": "2024-05-01", "hours": 25}],
                files=[photo()],
            )


def test_a_window_filing_needs_and_records_consent():
    w = make_world()
    kwargs = {
        "resident": w.resident,
        "kind": "claim",
        "item_code": "local.volunteer",
        "value": [{"date": "2024-05-01", "hours": 25}],
    }
    with at(MARCH_10):
        with pytest.raises(ValidationFailed) as consent:
            claim_file(actor=w.clerk, files=[photo("扫描件.jpg")], **kwargs)
        assert consent.value.field == "consent"
        claim = claim_file(actor=w.clerk, files=[photo("扫描件.jpg")], consent=True, **kwargs)
    assert claim.channel == Claim.Channel.WINDOW and claim.consent_recorded and claim.filed_by == w.clerk
    event = AuditEvent.objects.get(action="claims.file")
    assert event.actor_id == w.clerk.pk and "consent" in event.summary["note"]
    assert event.summary["after"]["resident_name"].endswith("*")
    assert claim.events.first().actor_label == "安阳街道新居民服务窗口"


def test_a_resident_without_a_valid_permit_cannot_file():
    make_world()
    lapsed = ResidentFactory(with_user=True, permit__status="expired")
    with at(MARCH_10), pytest.raises(ValidationFailed) as refused:
        file_claim(lapsed)
    assert "居住证" in refused.value.message


def test_reviewers_decide_only_their_departments_claims_and_only_once():
    w = make_world()
    with at(MARCH_10):
        claim = file_claim(w.resident)
        with pytest.raises(PermissionDenied):
            claim_approve(actor=w.hrss, claim=claim)
        claim_approve(actor=w.volunteer, claim=claim)
        with pytest.raises(Conflict) as again:
            claim_reject(actor=w.volunteer2, claim=claim, reason="not_eligible")
        assert "审核通过" in again.value.message
        with pytest.raises(Conflict):
            claim_withdraw(actor=w.resident.user, claim=claim)


def test_reject_needs_a_standard_reason_and_other_needs_an_explanation():
    w = make_world()
    with at(MARCH_10):
        claim = file_claim(w.resident)
        with pytest.raises(ValidationFailed) as unknown:
            claim_reject(actor=w.volunteer, claim=claim, reason="because")
        assert "原因" in unknown.value.message
        with pytest.raises(ValidationFailed) as other:
            claim_reject(actor=w.volunteer, claim=claim, reason="other")
        assert "具体说明" in other.value.message
        claim = claim_reject(actor=w.volunteer, claim=claim, reason="other", note="服务记录不在瑞安")
    assert claim.status == Claim.Status.REJECTED
    assert claim.events.last().note == "其他原因（见说明）：服务记录不在瑞安"
    assert not Fact.objects.filter(resident=w.resident, kind="volunteer").exists()


def test_evidence_request_bounds_and_window_may_answer_for_the_resident():
    w = make_world()
    with at(MARCH_10):
        claim = file_claim(w.resident)
        with pytest.raises(ValidationFailed):
            claim_request_evidence(actor=w.volunteer, claim=claim, note="补充", working_days=0)
        with pytest.raises(ValidationFailed):
            claim_request_evidence(actor=w.volunteer, claim=claim, note="", working_days=5)
        claim = claim_request_evidence(actor=w.volunteer, claim=claim, note="请补充服务证明", working_days=5)
        with pytest.raises(PermissionDenied):
            claim_supply_evidence(actor=w.clerk_elsewhere, claim=claim, files=[photo()])
        claim = claim_supply_evidence(actor=w.clerk, claim=claim, files=[photo("补充扫描.jpg")])
    assert claim.status == Claim.Status.UNDER_REVIEW
    assert list(claim.evidence.values_list("stage", flat=True)) == ["filing", "supplement"]
