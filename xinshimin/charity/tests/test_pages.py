"""The charity pages and API, per role: what each may open and do."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from xinshimin.charity.models import CaseEvidence, Donation, HardshipCase
from xinshimin.charity.services import case_decide
from xinshimin.residents.tests.factories import AuditorFactory, ClerkFactory, ResidentFactory, ReviewerFactory

from .conftest import D, fund, submit, verify_twice

pytestmark = pytest.mark.django_db

NOW = "2025-03-03 10:00 +0800"


def client_for(user) -> Client:
    client = Client()
    client.force_login(getattr(user, "user", user))
    return client


def png(name: str = "bill.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


APPLY = {
    "category": "illness",
    "amount_requested": "5000",
    "description": "本人突发重病住院治疗，医疗费用负担沉重。",
}


@time_machine.travel(NOW, tick=False)
def test_resident_applies_online_with_evidence_and_sees_the_case(applicant):
    client = client_for(applicant)
    assert client.get(reverse("web:charity_case_apply")).status_code == 200
    response = client.post(reverse("web:charity_case_apply"), {**APPLY, "evidence": [png()]})
    case = HardshipCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:charity_case_detail", args=[case.pk]
    )
    assert case.evidence.count() == 1 and case.due_on == date(2025, 3, 17)
    page = client.get(reverse("web:charity_my_cases")).content.decode()
    assert case.number in page and "2025-03-17" in page
    assert client.get(reverse("web:charity_case_detail", args=[case.pk])).status_code == 200
    # Someone else's case is not found (not "forbidden").
    other = client_for(ResidentFactory(with_user=True))
    assert other.get(reverse("web:charity_case_detail", args=[case.pk])).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_fake_image_is_refused_with_a_message(applicant):
    client = client_for(applicant)
    fake = SimpleUploadedFile(
        "proof.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    response = client.post(reverse("web:charity_case_apply"), {**APPLY, "evidence": [fake]})
    assert response.status_code == 200
    assert not HardshipCase.objects.exists()
    assert "proof.jpg" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_evidence_is_served_only_to_the_fund_office_and_assigned_verifiers(
    applicant, officer, officer2, reviewer
):
    client_for(applicant).post(reverse("web:charity_case_apply"), {**APPLY, "evidence": [png("病历.png")]})
    case = HardshipCase.objects.get()
    item = CaseEvidence.objects.get()
    url = reverse("web:charity_evidence_download", args=[item.pk])
    response = client_for(officer).get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "image/png"
    assert client_for(reviewer).get(url).status_code == 404  # not assigned yet
    assert client_for(applicant).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    from xinshimin.charity.services import verifiers_assign

    verifiers_assign(actor=officer, case=case, verifiers=[officer2, reviewer])
    assert client_for(reviewer).get(url).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_fund_office_runs_a_case_through_the_pages(applicant, officer, officer2, reviewer):
    fund(officer, "20000")
    case = submit(applicant)
    office = client_for(officer)
    queue = office.get(reverse("web:charity_case_list")).content.decode()
    assert case.number in queue and "王**" in queue and "王小明" not in queue
    detail = office.get(reverse("web:charity_case_detail", args=[case.pk])).content.decode()
    assert "reviewer_v" in detail and "fund_b" in detail  # candidates
    office.post(reverse("web:charity_case_assign", args=[case.pk]), {"verifiers": [officer2.pk, reviewer.pk]})
    assert case.assignments.count() == 2
    for verifier in (officer2, reviewer):
        client = client_for(verifier)
        assert case.number in client.get(reverse("web:charity_my_verifications")).content.decode()
        client.post(
            reverse("web:charity_case_verify", args=[case.pk]),
            {"checked": "查看病历和费用清单", "found": "情况属实", "finding": "confirmed"},
        )
    assert case.verifications.count() == 2
    office.post(
        reverse("web:charity_case_decide", args=[case.pk]),
        {"outcome": "approved", "amount_approved": "4500", "reason": "经两人核实情况属实，批准救助。"},
    )
    case.refresh_from_db()
    assert case.status == "approved" and str(case.amount_approved) == "4500.00"
    office.post(reverse("web:charity_case_disburse", args=[case.pk]))
    case.refresh_from_db()
    assert case.status == "disbursed"
    ledger_page = office.get(reverse("web:charity_ledger")).content.decode()
    assert "试算平衡" in ledger_page and "¥15,500.00" in ledger_page


@time_machine.travel(NOW, tick=False)
def test_a_decision_without_two_verifications_is_refused_on_the_page(applicant, officer):
    case = submit(applicant)
    response = client_for(officer).post(
        reverse("web:charity_case_decide", args=[case.pk]),
        {"outcome": "approved", "amount_approved": "100", "reason": "未经核实直接批准的尝试。"},
        follow=True,
    )
    assert "至少2名不同核实人" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "submitted"


@time_machine.travel(NOW, tick=False)
def test_refusal_letter_page_and_pdf_for_the_applicant_only(applicant, officer, officer2, reviewer):
    case = submit(applicant)
    verify_twice(case, officer, officer2, reviewer)
    case_decide(
        actor=officer,
        case=case,
        outcome="refused",
        reason="经核实已获商业保险足额赔付，不符合救助条件。",
        today=D,
    )
    mine = client_for(applicant)
    letter = mine.get(reverse("web:charity_refusal_letter", args=[case.pk])).content.decode()
    assert "王小明" in letter and "商业保险足额赔付" in letter
    assert "书面说明" in mine.get(reverse("web:charity_my_cases")).content.decode()
    pdf = mine.get(reverse("web:charity_refusal_letter_pdf", args=[case.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "商业保险足额赔付" in text and case.number in text
    stranger = client_for(ResidentFactory(with_user=True))
    assert stranger.get(reverse("web:charity_refusal_letter", args=[case.pk])).status_code == 404
    assert stranger.get(reverse("web:charity_refusal_letter_pdf", args=[case.pk])).status_code == 404
    office = client_for(officer)
    office.post(
        reverse("web:charity_letter_deliver", args=[case.pk]),
        {"delivered_on": "2025-03-03", "method": "online"},
    )
    case.refresh_from_db()
    assert case.letter_delivered_on == date(2025, 3, 3)


@time_machine.travel("2025-03-20 10:00 +0800", tick=False)
def test_workbench_cards_show_the_overdue_count(applicant, officer):
    submit(applicant, today=date(2025, 3, 3))  # due 03-17: overdue on 03-20
    page = client_for(officer).get(reverse("web:workbench")).content.decode()
    assert "爱心基金办公室" in page and "已超期 1 件" in page
    resident_page = client_for(applicant).get(reverse("web:workbench")).content.decode()
    assert "爱心基金困难申报" in resident_page and "爱心基金办公室" not in resident_page


@time_machine.travel(NOW, tick=False)
def test_clerk_files_at_the_window_with_consent(applicant, clerk):
    client = client_for(clerk)
    found = client.get(reverse("web:charity_window_apply"), {"q": applicant.id_number}).content.decode()
    assert "王小明" in found
    response = client.post(reverse("web:charity_window_apply"), {**APPLY, "q": applicant.id_number})
    assert response.status_code == 200 and not HardshipCase.objects.exists()  # no consent ticked
    client.post(reverse("web:charity_window_apply"), {**APPLY, "q": applicant.id_number, "consent": "on"})
    case = HardshipCase.objects.get()
    assert case.channel == "window" and case.filed_by == clerk
    other_town = client_for(
        ClerkFactory(
            town=__import__("xinshimin.accounts.tests.factories", fromlist=["TownFactory"]).TownFactory(
                code="tangxia"
            )
        )
    )
    assert (
        "王小明"
        not in other_town.get(
            reverse("web:charity_window_apply"), {"q": applicant.id_number}
        ).content.decode()
    )


@time_machine.travel(NOW, tick=False)
def test_donation_entry_receipt_and_pdf(officer, applicant):
    office = client_for(officer)
    response = office.post(
        reverse("web:charity_donation_create"),
        {
            "donor_kind": "resident",
            "id_number": applicant.id_number,
            "amount": "888",
            "donated_on": "2025-03-03",
        },
    )
    donation = Donation.objects.get()
    assert response["Location"] == reverse("web:charity_donation_receipt", args=[donation.pk])
    assert (
        donation.resident == applicant
        and donation.receipt_number in office.get(response["Location"]).content.decode()
    )
    pdf = office.get(reverse("web:charity_donation_receipt_pdf", args=[donation.pk]))
    assert "¥888.00" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    # The donor sees their receipt; other residents and reviewers do not.
    assert (
        client_for(applicant).get(reverse("web:charity_donation_receipt", args=[donation.pk])).status_code
        == 200
    )
    assert (
        client_for(ResidentFactory(with_user=True))
        .get(reverse("web:charity_donation_receipt", args=[donation.pk]))
        .status_code
        == 404
    )
    assert client_for(ReviewerFactory()).get(reverse("web:charity_donation_list")).status_code == 404
    bad = office.post(
        reverse("web:charity_donation_create"),
        {"donor_kind": "employer", "donor_name": "", "amount": "1", "donated_on": "2025-03-03"},
    )
    assert bad.status_code == 200 and "请填写捐赠人或捐赠单位名称" in bad.content.decode()


@time_machine.travel(NOW, tick=False)
def test_ledger_reversal_from_the_page(officer):
    donation = fund(officer, "100")
    office = client_for(officer)
    office.post(reverse("web:charity_entry_reverse", args=[donation.entry.pk]), {"reason": "录入错误"})
    assert donation.entry.__class__.objects.filter(reverses=donation.entry).exists()
    assert client_for(AuditorFactory()).get(reverse("web:charity_ledger")).status_code == 200
    assert client_for(ReviewerFactory()).get(reverse("web:charity_ledger")).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_queue_pages_stay_within_a_few_queries(applicant, officer, django_assert_max_num_queries):
    for _ in range(5):
        submit(ResidentFactory(with_user=True))
    office = client_for(officer)
    with django_assert_max_num_queries(25):
        assert office.get(reverse("web:charity_case_list")).status_code == 200


# --- API ---------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_api_flow_and_errors(applicant, officer, officer2, reviewer):
    fund(officer, "10000")
    created = client_for(applicant).post(
        "/api/charity/cases",
        json.dumps({**APPLY, "amount_requested": "3000"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    assert created.json()["due_on"] == "2025-03-17" and created.json()["applicant_masked"] == "王**"
    office = client_for(officer)
    one = office.post(
        f"/api/charity/cases/{case_id}/verifiers",
        json.dumps({"verifier_ids": [officer2.pk]}),
        content_type="application/json",
    )
    assert one.status_code == 422
    office.post(
        f"/api/charity/cases/{case_id}/verifiers",
        json.dumps({"verifier_ids": [officer2.pk, reviewer.pk]}),
        content_type="application/json",
    )
    early = office.post(
        f"/api/charity/cases/{case_id}/decision",
        json.dumps({"outcome": "approved", "reason": "未经核实直接批准，试一试看看"}),
        content_type="application/json",
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "needs_two_verifications"
    for verifier in (officer2, reviewer):
        r = client_for(verifier).post(
            f"/api/charity/cases/{case_id}/verifications",
            json.dumps({"checked": "电话核实", "found": "属实", "finding": "confirmed"}),
            content_type="application/json",
        )
        assert r.status_code == 200, r.content
    decided = office.post(
        f"/api/charity/cases/{case_id}/decision",
        json.dumps({"outcome": "approved", "reason": "经两人核实属实，批准。"}),
        content_type="application/json",
    )
    assert decided.json()["status"] == "approved"
    paid = office.post(f"/api/charity/cases/{case_id}/disbursement")
    assert paid.status_code == 200 and paid.json()["kind"] == "grant"
    ledger = office.get("/api/charity/ledger").json()
    assert (
        ledger["balanced"] and {a["code"]: a["balance"] for a in ledger["accounts"]}["fund_bank"] == "7000.00"
    )
    assert client_for(ResidentFactory(with_user=True)).get(f"/api/charity/cases/{case_id}").status_code == 404
    assert client_for(applicant).get("/api/charity/ledger").status_code == 404
    report = Client().get("/api/charity/reports/2025")
    assert report.status_code == 200 and report.json()["grants_paid"] == "3000.00"
    assert "王" not in json.dumps(report.json(), ensure_ascii=False).replace("王**", "")


@time_machine.travel(NOW, tick=False)
def test_api_donation_of_a_resident(officer, applicant):
    office = client_for(officer)
    r = office.post(
        "/api/charity/donations",
        json.dumps(
            {
                "donor_kind": "resident",
                "id_number": applicant.id_number,
                "amount": "50",
                "donated_on": "2025-03-01",
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["receipt_number"] == "SJ2025-00001"
    assert office.get("/api/charity/donations").json()["count"] == 1
    refused = client_for(applicant).post(
        "/api/charity/donations",
        json.dumps({"donor_kind": "individual", "donor_name": "我", "amount": "5"}),
        content_type="application/json",
    )
    assert refused.status_code == 403


@time_machine.travel(NOW, tick=False)
def test_applicant_adds_evidence_then_withdraws(applicant, officer):
    case = submit(applicant)
    mine = client_for(applicant)
    mine.post(reverse("web:charity_evidence_add", args=[case.pk]), {"evidence": [png("费用清单.png")]})
    assert case.evidence.get().original_name == "费用清单.png"
    # Only the applicant (or the fund office) adds evidence; a stranger does not even find the case.
    stranger = client_for(ResidentFactory(with_user=True))
    assert (
        stranger.post(reverse("web:charity_evidence_add", args=[case.pk]), {"evidence": [png()]}).status_code
        == 404
    )
    mine.post(reverse("web:charity_case_withdraw", args=[case.pk]))
    case.refresh_from_db()
    assert case.status == "withdrawn"
    after = mine.post(reverse("web:charity_evidence_add", args=[case.pk]), {"evidence": [png()]}, follow=True)
    assert "已办结" in after.content.decode() and case.evidence.count() == 1
