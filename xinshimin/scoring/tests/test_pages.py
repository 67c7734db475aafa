"""The scoring pages (my points, the estimator, the centre's policy versions and what-if) and the
estimate API."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xinshimin.accounts.models import Department, User
from xinshimin.audit.models import AuditEvent
from xinshimin.policies.tests.helpers import WORKED_EXAMPLE
from xinshimin.residents.tests.factories import ClerkFactory, ResidentFactory
from xinshimin.scoring.models import PolicyRecord, ScoreSnapshot
from xinshimin.scoring.services import facts_upsert, policy_draft_copy

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 5, 14)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def SHANGHAI_NOON(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def _no_inline_code(html: str) -> None:
    """The CSP allows no inline script or style: every <script> has a src, no style attribute/element."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html and " style=" not in html and "onclick=" not in html


@pytest.fixture
def resident_client() -> tuple[Client, Any]:
    resident = ResidentFactory(with_user=True, name="张小三", id_number=WORKED_EXAMPLE["id_number"])
    hrss = Department.objects.get(code="hrss")
    for kind in ("zj_social_insurance_months", "skill"):
        facts_upsert(
            actor=None,
            resident=resident,
            kind=kind,
            value=WORKED_EXAMPLE["facts"][kind],
            source="department_feed",
            department=hrss,
        )
    client = Client()
    client.force_login(resident.user)
    return client, resident


# --- my points ---------------------------------------------------------------------------------------


def test_my_points_shows_total_groups_explanations_sources_claim_links_and_history(
    resident_client: tuple[Client, Any],
) -> None:
    client, resident = resident_client
    with time_machine.travel(SHANGHAI_NOON(TODAY), tick=False):
        response = client.get(reverse("web:scoring_points"))
    assert response.status_code == 200
    html = response.content.decode()
    snapshot = ScoreSnapshot.objects.get(resident=resident, as_of=TODAY)  # today's score joins the history
    assert f'<span class="score" data-total>{snapshot.total}</span>' in html
    assert "ruian-2025.1" in html and "2025-05-14" in html
    assert "浙江省内缴纳社保 48 个月 × 0.5 = 24 分" in html
    assert "部门数据 · 市人力资源和社会保障局" in html  # the fact's source and department
    # No education on record: it says so, who provides it, and links to file a claim.
    assert reverse("web:claims_new_form", args=["common.education", "claim"]) in html
    assert "申报" in html
    assert "<svg" in html and "积分历史" in html
    _no_inline_code(html)
    with time_machine.travel(SHANGHAI_NOON(TODAY), tick=False):
        again = client.get(reverse("web:scoring_points"))
    assert again.status_code == 200 and ScoreSnapshot.objects.filter(resident=resident).count() == 1


def test_my_points_in_english(resident_client: tuple[Client, Any]) -> None:
    client, _resident = resident_client
    client.cookies["django_language"] = "en"
    with time_machine.travel(SHANGHAI_NOON(TODAY), tick=False):
        html = client.get(reverse("web:scoring_points"), headers={"accept-language": "en"}).content.decode()
    assert "Social insurance in Zhejiang: 48 months × 0.5 = 24 points" in html
    assert "浙江省内缴纳社保 48 个月" not in html


def test_my_points_is_for_residents_and_workbench_shows_the_card(resident_client: tuple[Client, Any]) -> None:
    client, _resident = resident_client
    with time_machine.travel(SHANGHAI_NOON(TODAY), tick=False):
        client.get(reverse("web:scoring_points"))
        workbench = client.get(reverse("web:workbench")).content.decode()
    assert "我的积分" in workbench and reverse("web:scoring_points") in workbench
    staff = Client()
    staff.force_login(ClerkFactory())
    assert staff.get(reverse("web:scoring_points")).status_code == 404
    assert Client().get(reverse("web:scoring_points")).status_code == 302


# --- the estimator -----------------------------------------------------------------------------------


def test_estimator_page_scores_without_login_and_stores_nothing() -> None:
    client = Client()
    page = client.get(reverse("web:scoring_estimate"))
    assert page.status_code == 200
    _no_inline_code(page.content.decode())
    form = {
        "as_of": "2025-04-01",
        "birth_date": "1992-03-15",
        "education": "bachelor",
        "skill": "level3",
        "zj_social_insurance_months": "48",
        "zj_residence_registered_on": "2018-06-10",
        "ruian_residence_registered_on": "2020-01-01",
        "housing": "registered_lease",
        "employed_in_ruian": "on",
        "ruian_social_insurance_months": "40",
        "provident_fund_months": "12",
        "tax_paid_last_year_yuan": "20000",
        "volunteer_hours": "12.5",
        "blood_donations": "2",
        "charity_yuan": "3000",
        "bravery": "1",
        "awards_provincial": "1",
        "patents_invention": "1",
        "talent_tier": "4",
        "party_member": "on",
        "spring_festival_stays": "2",
        "ded_detention": "1",
    }
    snapshots = ScoreSnapshot.objects.count()
    response = client.post(reverse("web:scoring_estimate"), form)
    html = response.content.decode()
    assert response.status_code == 200
    # The worked example of the spec, entered as counts: 208 points; the detention dated on the as-of date.
    assert '<span class="score" data-total>208.00</span>' in html
    assert "估算结果，仅供参考，以部门数据和审核结果为准" in html
    assert "ruian-2025.1" in html
    assert ScoreSnapshot.objects.count() == snapshots


def test_estimator_explains_bad_input() -> None:
    response = Client().post(
        reverse("web:scoring_estimate"),
        {"birth_date": "1990-01-01", "age": "35", "zj_social_insurance_months": "-3"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "data-total" not in html
    assert "出生日期和年龄只需填写一项" in html
    assert "请按下方提示修改后重新提交" in html
    assert html.count('class="errorlist"') == 2  # age, and the negative months
    late = Client().post(reverse("web:scoring_estimate"), {"as_of": "2025-04-01", "birth_date": "2025-05-01"})
    assert "晚于评分日期" in late.content.decode() and "data-total" not in late.content.decode()


def test_estimator_is_rate_limited(settings: Any) -> None:
    settings.XINSHIMIN_RATE_LIMITS = {**settings.XINSHIMIN_RATE_LIMITS, "estimate": "2/60"}
    client = Client()
    codes = [client.post(reverse("web:scoring_estimate"), {"age": "30"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_estimate_api() -> None:
    body = {"facts": WORKED_EXAMPLE["facts"], "birth_date": "1992-03-15", "as_of": "2025-04-01"}
    response = Client().post("/api/scoring/estimate", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["estimate"] is True and data["notice"] == "估算结果，仅供参考，以部门数据和审核结果为准"
    assert (data["total"], data["common"], data["local"], data["deductions"]) == (
        "208.00",
        "82.25",
        "145.75",
        "20.00",
    )
    items = {item["code"]: item for item in data["items"]}
    assert items["ded.detention"]["points"] == "-20.00"
    assert items["common.social_insurance"]["zh"] == "浙江省内缴纳社保 48 个月 × 0.5 = 24 分"
    bad = Client().post(
        "/api/scoring/estimate",
        json.dumps({"facts": {"skill": "level9"}, "age": 30}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "skill"


# --- the centre's policy pages -----------------------------------------------------------------------


@pytest.fixture
def centre_client(centre: User) -> Client:
    client = Client()
    client.force_login(centre)
    return client


def _seed() -> PolicyRecord:
    return PolicyRecord.objects.get(version_id="ruian-2025.1")


def test_centre_copies_edits_and_publishes_a_draft(centre_client: Client) -> None:
    listing = centre_client.get(reverse("web:scoring_policies"))
    assert listing.status_code == 200 and "ruian-2025.1" in listing.content.decode()
    _no_inline_code(listing.content.decode())
    copied = centre_client.post(reverse("web:scoring_policy_copy", args=[_seed().pk]))
    draft = PolicyRecord.objects.get(version_id="ruian-2025.2")
    assert copied.status_code == 302 and copied["Location"] == reverse(
        "web:scoring_policy_detail", args=[draft.pk]
    )
    detail = centre_client.get(copied["Location"])
    assert detail.status_code == 200 and "common.social_insurance" in detail.content.decode()

    broken = copy.deepcopy(draft.document)
    broken["items"][3]["params"]["rate"] = "0.3"
    broken["items"][0]["kind"] = "magic"
    refused = centre_client.post(
        reverse("web:scoring_policy_detail", args=[draft.pk]),
        {"document": json.dumps(broken, ensure_ascii=False)},
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert "不是 0.25 的整数倍" in html and "未知的规则类型" in html  # every problem, at once
    not_json = centre_client.post(reverse("web:scoring_policy_detail", args=[draft.pk]), {"document": "{"})
    assert not_json.status_code == 422 and "不是有效的 JSON" in not_json.content.decode()

    changed = copy.deepcopy(draft.document)
    changed["items"][3]["params"]["rate"] = "0.75"
    saved = centre_client.post(
        reverse("web:scoring_policy_detail", args=[draft.pk]),
        {"document": json.dumps(changed, ensure_ascii=False)},
    )
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.document["items"][3]["params"]["rate"] == "0.75"
    assert AuditEvent.objects.filter(action="scoring.policy_draft_update").exists()
    assert "common.social_insurance" in centre_client.get(saved["Location"]).content.decode()

    past = centre_client.post(
        reverse("web:scoring_policy_publish", args=[draft.pk]), {"effective_on": "2020-01-01"}
    )
    assert past.status_code == 302
    draft.refresh_from_db()
    assert draft.status == PolicyRecord.Status.DRAFT
    later = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    published = centre_client.post(
        reverse("web:scoring_policy_publish", args=[draft.pk]), {"effective_on": later}
    )
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.status == PolicyRecord.Status.PUBLISHED and draft.effective_on.isoformat() == later
    frozen = centre_client.post(reverse("web:scoring_policy_detail", args=[draft.pk]), {"document": "{}"})
    assert frozen.status_code == 302
    draft.refresh_from_db()
    assert draft.document["items"][3]["params"]["rate"] == "0.75"


def test_policy_pages_are_for_the_centre_only(resident_client: tuple[Client, Any]) -> None:
    client, _resident = resident_client
    assert client.get(reverse("web:scoring_policies")).status_code == 404
    assert client.post(reverse("web:scoring_policy_copy", args=[_seed().pk])).status_code == 404
    assert PolicyRecord.objects.count() == 1


def _population() -> None:
    hrss = Department.objects.get(code="hrss")
    for months in (48, 10, 0):
        resident = ResidentFactory()
        facts_upsert(
            actor=None,
            resident=resident,
            kind="zj_social_insurance_months",
            value=months,
            source="department_feed",
            department=hrss,
        )


def _rate_draft(centre: User) -> PolicyRecord:
    draft = policy_draft_copy(actor=centre, source=_seed())
    document = copy.deepcopy(draft.document)
    document["items"][3]["params"]["rate"] = "0.25"
    draft.document = document
    draft.save()
    return draft


def test_whatif_page_in_the_request(centre_client: Client, centre: User) -> None:
    _population()
    draft = _rate_draft(centre)
    page = centre_client.get(reverse("web:scoring_policy_whatif", args=[draft.pk]))
    assert page.status_code == 200
    response = centre_client.post(
        reverse("web:scoring_policy_whatif", args=[draft.pk]), {"as_of": "2025-04-30"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "ruian-2025.1 → ruian-2025.2" in html
    assert html.count("<svg") == 3  # change bands, distribution before and after
    assert "-12.00" in html and "-2.50" in html
    _no_inline_code(html)


def test_whatif_page_as_a_job_with_progress(centre_client: Client, centre: User, settings: Any) -> None:
    settings.XINSHIMIN_WHATIF_SYNC_LIMIT = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _population()
    draft = _rate_draft(centre)
    started = centre_client.post(
        reverse("web:scoring_policy_whatif", args=[draft.pk]), {"as_of": "2025-04-30"}
    )
    assert started.status_code == 302 and "?job=" in started["Location"]
    key = started["Location"].split("?job=")[1]
    status = centre_client.get(reverse("web:scoring_policy_whatif_status", args=[draft.pk]) + f"?job={key}")
    assert status.json() | {"status_label": ""} == {
        "status": "done",
        "status_label": "",
        "done": 3,
        "total": 3,
        "percent": 100,
        "finished": True,
        "error": "",
    }
    page = centre_client.get(started["Location"]).content.decode()
    assert "-12.00" in page and "ruian-2025.1 → ruian-2025.2" in page
    other = policy_draft_copy(actor=centre, source=_seed())
    assert (
        centre_client.get(
            reverse("web:scoring_policy_whatif_status", args=[other.pk]) + f"?job={key}"
        ).status_code
        == 404
    )
    assert centre_client.get(reverse("web:scoring_policy_whatif_status", args=[draft.pk])).status_code == 400
