"""The pages: a resident files through the form, a reviewer works the queue, a clerk files at the window
and prints the receipt, anyone follows a claim by its reference code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from xinshimin.claims.models import Claim
from xinshimin.claims.services import claim_request_evidence
from xinshimin.scoring.models import Fact

from .conftest import at
from .factories import file_claim, make_world
from .helpers import jpeg_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db

MARCH_10 = dt.date(2025, 3, 10)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def w():
    cache.clear()
    return make_world()


def test_resident_files_a_claim_through_the_form_and_follows_it(w):
    with at(MARCH_10):
        client = logged_in(w.resident.user)
        picker = client.get(reverse("web:claims_new"))
        assert picker.status_code == 200
        page = picker.content.decode()
        assert "志愿服务" in page and "团市委" in page and "可提出异议" in page
        form = client.get(reverse("web:claims_new_form", args=["local.volunteer", "claim"]))
        assert form.status_code == 200 and 'name="row-0-hours"' in form.content.decode()
        response = client.post(
            reverse("web:claims_new_form", args=["local.volunteer", "claim"]),
            {
                "rows": "3",
                "row-0-date": "2024-05-01",
                "row-0-hours": "12.5",
                "row-1-date": "2024-06-01",
                "row-1-hours": "8",
                "statement": "志愿汇记录",
                "evidence": [
                    upload("截图.jpg", jpeg_bytes()),
                    upload("证明.pdf", pdf_bytes(), "application/pdf"),
                ],
            },
        )
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:claims_detail", args=[claim.pk]
    )
    assert claim.proposed_value == [{"date": "2024-05-01", "hours": 12.5}, {"date": "2024-06-01", "hours": 8}]
    assert claim.evidence.count() == 2
    with at(MARCH_10):
        detail = client.get(response["Location"]).content.decode()
    assert claim.reference in detail and "部门审核决定" in detail and "2025-03-24" in detail
    assert "截图.jpg" in detail and reverse("web:review_evidence", args=[claim.pk, 1]) not in detail


def test_the_form_shows_a_refusal_and_keeps_what_was_typed(w):
    with at(dt.date(2025, 6, 16)):
        client = logged_in(w.resident.user)
        picker = client.get(reverse("web:claims_new")).content.decode()
        assert "下一审核期为 2025年7月1日至9月30日" in picker
        response = client.post(
            reverse("web:claims_new_form", args=["common.social_insurance", "dispute"]),
            {"value": "60", "statement": "单位漏缴", "evidence": [upload("a.jpg", jpeg_bytes())]},
        )
        assert response.status_code == 422
        page = response.content.decode()
        assert "当前不在集中审核期" in page and 'value="60"' in page and "单位漏缴" in page
        bad = client.post(
            reverse("web:claims_new_form", args=["local.volunteer", "claim"]),
            {
                "rows": "1",
                "row-0-date": "2024-05-01",
                "row-0-hours": "5",
                "evidence": [upload("a.jpg", b"<svg/>")],
            },
        )
    assert bad.status_code == 422 and "SVG" in bad.content.decode()
    assert not Claim.objects.exists()


def test_reviewer_queue_highlights_overdue_filters_and_approves(w, django_assert_max_num_queries):
    with at(MARCH_10):
        late = file_claim(w.resident)
        fresh = file_claim(w.other)
    client = logged_in(w.volunteer)
    with at(dt.date(2025, 3, 25)):  # the first claim was due on 24 March
        with django_assert_max_num_queries(12):
            queue = client.get(reverse("web:review_queue"))
        page = queue.content.decode()
        assert queue.status_code == 200 and late.reference in page and "已超期" in page
        overdue_only = client.get(reverse("web:review_queue"), {"overdue": "1"}).content.decode()
        assert late.reference in overdue_only
        assert (
            client.get(reverse("web:review_queue"), {"item": "local.talent"}).content.decode().count("SB-")
            == 0
        )
        assert 'accesskey="a"' in client.get(reverse("web:review_detail", args=[late.pk])).content.decode()
        response = client.post(reverse("web:review_approve", args=[late.pk]), {"note": "核实"})
        assert response.status_code == 302
        response = client.post(
            reverse("web:review_reject", args=[fresh.pk]), {"reason": "other", "note": ""}, follow=True
        )
        assert "具体说明" in response.content.decode()
    late.refresh_from_db()
    assert late.status == Claim.Status.APPROVED
    assert Fact.objects.filter(resident=w.resident, kind="volunteer", source="approved_claim").exists()
    fresh.refresh_from_db()
    assert fresh.status == Claim.Status.SUBMITTED


def test_reviewer_approves_with_a_corrected_value_from_the_form(w):
    with at(MARCH_10):
        claim = file_claim(w.resident, item_code="local.ruian_social_insurance", value=40)
        logged_in(w.hrss).post(
            reverse("web:review_approve", args=[claim.pk]), {"adjust": "on", "value": "36"}
        )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED and claim.approved_value == 36


def test_non_reviewers_get_404_on_review_pages(w):
    with at(MARCH_10):
        claim = file_claim(w.resident)
    for user in (w.resident.user, w.clerk, w.centre):
        client = logged_in(user)
        assert client.get(reverse("web:review_queue")).status_code == 404
        assert client.post(reverse("web:review_approve", args=[claim.pk])).status_code == 404


def test_clerk_files_at_the_window_with_consent_and_prints_the_receipt(w):
    with at(MARCH_10):
        client = logged_in(w.clerk)
        found = client.get(reverse("web:window_home"), {"q": "522401199203154513"}).content.decode()
        assert reverse("web:window_pick", args=[w.resident.pk]) in found
        assert client.get(reverse("web:window_pick", args=[w.other.pk])).status_code == 404  # another town
        url = reverse("web:window_new_form", args=[w.resident.pk, "common.education", "claim"])
        form = client.get(url).content.decode()
        assert 'name="consent"' in form and "大学本科" in form
        refused = client.post(
            url, {"value": "bachelor", "evidence": [upload("scan.pdf", pdf_bytes(), "application/pdf")]}
        )
        assert refused.status_code == 422 and "同意" in refused.content.decode()
        response = client.post(
            url,
            {
                "value": "bachelor",
                "consent": "on",
                "evidence": [upload("scan.pdf", pdf_bytes(), "application/pdf")],
            },
        )
        claim = Claim.objects.get()
        assert response["Location"] == reverse("web:window_receipt", args=[claim.pk])
        receipt = client.get(response["Location"]).content.decode()
        pdf = client.get(reverse("web:window_receipt_pdf", args=[claim.pk]))
        elsewhere = logged_in(w.clerk_elsewhere).get(response["Location"])
    assert claim.channel == Claim.Channel.WINDOW and claim.department.code == "education"
    assert claim.reference in receipt and "522401********4513" in receipt and "市教育局" in receipt
    assert "522401199203154513" not in receipt
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf["Content-Type"] == "application/pdf"
    )
    assert elsewhere.status_code == 404


def test_public_lookup_shows_status_only_and_limits_guessing(w):
    with at(MARCH_10):
        claim = file_claim(w.resident)
        claim_request_evidence(actor=w.volunteer, claim=claim, note="请补充", working_days=5)
    client = Client()
    with at(dt.date(2025, 3, 12)):
        page = client.get(
            reverse("web:claims_track"), {"reference": claim.reference.lower(), "id_last4": "4513"}
        )
    body = page.content.decode()
    assert page.status_code == 200 and "待补充材料" in body and "2025-03-17" in body
    assert w.resident.name not in body and "522401" not in body
    api = client.get("/api/claims/track", {"reference": claim.reference, "id_last4": "4513"})
    assert api.status_code == 200 and api.json()["status"] == "evidence_requested"
    for _ in range(10):
        assert (
            client.get(
                reverse("web:claims_track"), {"reference": claim.reference, "id_last4": "0000"}
            ).status_code
            == 404
        )
    blocked = client.get(reverse("web:claims_track"), {"reference": claim.reference, "id_last4": "4513"})
    assert blocked.status_code == 429 and "15 分钟" in blocked.content.decode()


def test_workbench_cards_by_role(w):
    with at(MARCH_10):
        file_claim(w.resident)
    with at(dt.date(2025, 3, 25)):
        reviewer = logged_in(w.volunteer).get(reverse("web:workbench")).content.decode()
        resident = logged_in(w.resident.user).get(reverse("web:workbench")).content.decode()
        clerk = logged_in(w.clerk).get(reverse("web:workbench")).content.decode()
    assert "审核队列" in reviewer and "1 件已超期" in reviewer
    assert "我的申报" in resident and "办理中 1 件" in resident
    assert "窗口代办" in clerk and reverse("web:window_home") in clerk


def test_resident_withdraws_and_reads_notices(w, django_capture_on_commit_callbacks):
    with at(MARCH_10):
        client = logged_in(w.resident.user)
        with django_capture_on_commit_callbacks(execute=True):
            claim = file_claim(w.resident)
            client.post(reverse("web:claims_withdraw", args=[claim.pk]))
        claim.refresh_from_db()
        assert claim.status == Claim.Status.WITHDRAWN
        notices = client.get(reverse("web:claims_notices")).content.decode()
        assert "积分申报已受理" in notices and "积分申报已撤回" in notices
        client.post(reverse("web:claims_notices"))
        assert "未读" not in client.get(reverse("web:claims_notices")).content.decode()


def test_recheck_through_the_pages(w):
    from xinshimin.claims.services import claim_reject

    with at(MARCH_10):
        claim = file_claim(w.resident, item_code="common.skill", value="level3")
        claim_reject(actor=w.hrss, claim=claim, reason="insufficient_evidence")
        resident = logged_in(w.resident.user)
        detail = resident.get(reverse("web:claims_detail", args=[claim.pk])).content.decode()
        assert "申请复核" in detail and "证明材料不足或无法核实" in detail
        resident.post(reverse("web:claims_recheck", args=[claim.pk]), {"reason": "证书可在人社网站查验"})
        claim.refresh_from_db()
        assert claim.status == Claim.Status.RECHECK_REQUESTED
        first = logged_in(w.hrss).get(reverse("web:review_detail", args=[claim.pk])).content.decode()
        assert "原决定由您作出" in first and reverse("web:review_recheck", args=[claim.pk]) not in first
        second = logged_in(w.hrss2)
        page = second.get(reverse("web:review_detail", args=[claim.pk])).content.decode()
        assert reverse("web:review_recheck", args=[claim.pk]) in page and "三级" in page
        second.post(reverse("web:review_recheck", args=[claim.pk]), {"decision": "approve", "note": "已查验"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RECHECK_APPROVED
    assert Fact.objects.get(resident=w.resident, kind="skill").value == "level3"
