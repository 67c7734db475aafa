"""/api/claims/: the same rules as the pages, JSON in and out, errors in the API's one shape."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from xinshimin.claims.models import Claim

from .conftest import at
from .factories import make_world
from .helpers import jpeg_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db

MARCH_10 = dt.date(2025, 3, 10)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, data: dict) -> object:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_file_review_and_recheck_through_the_api():
    w = make_world()
    with at(MARCH_10):
        resident = logged_in(w.resident.user)
        filed = resident.post(
            "/api/claims",
            {
                "kind": "claim",
                "item_code": "local.ruian_social_insurance",
                "value": "40",
                "statement": "社保记录遗漏",
                "evidence": [upload("社保.jpg", jpeg_bytes())],
            },
        )
        assert filed.status_code == 201, filed.content
        body = filed.json()
        claim_id = body["id"]
        assert (
            body["department"] == "hrss" and body["due_on"] == "2025-03-24" and body["status"] == "submitted"
        )
        assert (
            body["timeline"][0]["title"] == "提交申报" and body["evidence"][0]["original_name"] == "社保.jpg"
        )

        reviewer = logged_in(w.hrss)
        queue = reviewer.get("/api/claims", {"queue": "true"}).json()
        assert [row["id"] for row in queue["items"]] == [claim_id]
        assert reviewer.get("/api/claims/queue/counts").json() == {
            "open": 1,
            "due_soon": 0,
            "overdue": 0,
            "rechecks": 0,
        }
        asked = post_json(
            reviewer,
            f"/api/claims/{claim_id}/request-evidence",
            {"note": "请补充社保缴费清单", "working_days": 3},
        )
        assert asked.json()["evidence_due_on"] == "2025-03-13"
        supplied = resident.post(
            f"/api/claims/{claim_id}/supply-evidence",
            {"evidence": [upload("清单.pdf", pdf_bytes(), "application/pdf")]},
        )
        assert supplied.status_code == 200 and supplied.json()["status"] == "under_review"
        rejected = post_json(
            reviewer, f"/api/claims/{claim_id}/reject", {"reason": "record_correct", "note": ""}
        )
        assert rejected.json()["status"] == "rejected"

        recheck = resident.post(f"/api/claims/{claim_id}/recheck", {"reason": "缴费清单显示 40 个月"})
        assert recheck.json()["status"] == "recheck_requested" and recheck.json()["due_on"] == "2025-03-17"
        same = post_json(reviewer, f"/api/claims/{claim_id}/recheck-decision", {"decision": "approve"})
        assert same.status_code == 403 and "其他审核员" in same.json()["error"]["message"]
        decided = post_json(
            logged_in(w.hrss2),
            f"/api/claims/{claim_id}/recheck-decision",
            {"decision": "approve", "value": 40},
        )
        assert decided.status_code == 200 and decided.json()["status"] == "recheck_approved"
    assert Claim.objects.get(pk=claim_id).approved_value == 40


def test_a_window_clerk_files_for_a_resident_of_their_town_only():
    w = make_world()
    data = {"kind": "claim", "item_code": "common.education", "value": '"bachelor"', "consent": "true"}
    with at(MARCH_10):
        ok = logged_in(w.clerk).post(
            "/api/claims", {**data, "resident_id": w.resident.pk, "evidence": [upload("a.jpg", jpeg_bytes())]}
        )
        assert ok.status_code == 201 and ok.json()["channel"] == "window"
        other = logged_in(w.clerk).post(
            "/api/claims", {**data, "resident_id": w.other.pk, "evidence": [upload("a.jpg", jpeg_bytes())]}
        )
        assert other.status_code == 404  # a resident of another town is not visible to this clerk


def test_errors_have_the_api_shape():
    w = make_world()
    with at(MARCH_10):
        client = logged_in(w.resident.user)
        bad_json = client.post(
            "/api/claims", {"kind": "claim", "item_code": "common.education", "value": "bachelor"}
        )
        assert bad_json.status_code == 422 and bad_json.json()["error"]["field"] == "value"
        no_file = client.post(
            "/api/claims", {"kind": "claim", "item_code": "common.education", "value": '"bachelor"'}
        )
        assert no_file.status_code == 422 and "证明材料" in no_file.json()["error"]["message"]
        html = client.post(
            "/api/claims",
            {
                "kind": "claim",
                "item_code": "common.education",
                "value": '"bachelor"',
                "evidence": [upload("a.jpg", b"<html></html>")],
            },
        )
        assert html.status_code == 422 and html.json()["error"]["code"] == "upload_refused"
    with at(dt.date(2025, 6, 16)):
        client = logged_in(w.resident.user)
        outside = client.post(
            "/api/claims",
            {
                "kind": "dispute",
                "item_code": "common.social_insurance",
                "value": "60",
                "statement": "漏记",
                "evidence": [upload("a.jpg", jpeg_bytes())],
            },
        )
        assert outside.status_code == 409
        assert outside.json()["error"]["message"] == "当前不在集中审核期，下一审核期为 2025年7月1日至9月30日"
        period = Client().get("/api/claims/review-period").json()
        assert period["open"] is False and period["next_start"] == "2025-07-01"


def test_items_list_the_reviewing_department_of_each_item():
    w = make_world()
    items = {i["code"]: i for i in logged_in(w.resident.user).get("/api/claims/items").json()}
    assert items["local.patent"]["department"] == "market"
    assert items["common.age"]["may_claim"] is False and items["ded.detention"]["may_dispute"] is True
