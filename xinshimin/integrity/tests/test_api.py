"""The API: an auditor draws and records a finding, a second person approves, the resident asks about the ban."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from xinshimin.claims.tests.factories import make_world
from xinshimin.claims.tests.helpers import photo
from xinshimin.residents.tests.factories import AuditorFactory, ClerkFactory

from .helpers import approved_volunteer_claim, at

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_draw_finding_proposal_and_approval_through_the_api():
    w = make_world()
    auditor, second = AuditorFactory(), AuditorFactory()
    claim = approved_volunteer_claim(
        w.resident, w.volunteer, filed=dt.date(2026, 1, 5), approved=dt.date(2026, 1, 12)
    )
    a, b, r = client_for(auditor), client_for(second), client_for(w.resident.user)

    with at(dt.date(2026, 2, 2)):
        assert r.get("/api/integrity/me/ban").json() == {
            "banned": False,
            "starts_on": None,
            "ends_on": None,
            "message": "",
        }
        bad = a.post(
            "/api/integrity/plans",
            {
                "name": "抽查",
                "target": "claims",
                "rate": "150",
                "period_from": "2026-01-01",
                "period_to": "2026-01-31",
            },
            content_type="application/json",
        )
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "rate"
        plan = a.post(
            "/api/integrity/plans",
            {
                "name": "抽查",
                "target": "claims",
                "rate": "10",
                "period_from": "2026-01-01",
                "period_to": "2026-01-31",
            },
            content_type="application/json",
        )
        assert plan.status_code == 201
        draw = a.post(f"/api/integrity/plans/{plan.json()['id']}/draws")
        assert draw.status_code == 201
        body = draw.json()
        assert body["population_ids"] == [claim.pk] and body["reproduces"] is True and len(body["seed"]) == 64
        sample = body["samples"][0]
        assert sample["object_type"] == "claims.claim" and sample["object_id"] == claim.pk
        assert sample["resident_name_masked"] == w.resident.masked_name

        finding = a.post(
            f"/api/integrity/samples/{sample['id']}/finding",
            {"finding": "fraud_suspected", "note": "伪造", "evidence": [photo()]},
        )
        assert finding.status_code == 200 and finding.json()["finding"] == "fraud_suspected"
        proposed = a.post(
            f"/api/integrity/samples/{sample['id']}/sanctions",
            {"reason": "伪造志愿证明"},
            content_type="application/json",
        )
        assert proposed.status_code == 201
        sanction_id = proposed.json()["id"]

        own = a.post(f"/api/integrity/sanctions/{sanction_id}/approve", {}, content_type="application/json")
        assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"
        assert b.get("/api/integrity/sanctions?to_decide=true").json()["count"] == 1
        assert a.get("/api/integrity/sanctions?to_decide=true").json()["count"] == 0
        approved = b.post(
            f"/api/integrity/sanctions/{sanction_id}/approve",
            {"note": "同意"},
            content_type="application/json",
        )
        assert approved.status_code == 200
        assert approved.json()["status"] == "approved" and approved.json()["ban_ends_on"] == "2029-02-01"

        me = r.get("/api/integrity/me/ban").json()
        assert me["banned"] is True and me["ends_on"] == "2029-02-01"
        assert me["message"] == "您因提供虚假材料被限制申请积分制服务，限制期至 2029年2月1日。"
        # The resident sees their own approved sanction, nothing of the audit.
        assert r.get(f"/api/integrity/sanctions/{sanction_id}").status_code == 200
        assert r.get("/api/integrity/plans").json()["count"] == 0
        assert r.get(f"/api/integrity/draws/{body['id']}").status_code == 404
        # Filing a claim through the claims API is refused with the ban (403, code "banned").
        refused = r.post(
            "/api/claims",
            {"kind": "claim", "item_code": "common.education", "value": '"bachelor"', "evidence": [photo()]},
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "banned"
        assert "2029年2月1日" in refused.json()["error"]["message"]

    clerk = client_for(ClerkFactory())
    assert clerk.get("/api/integrity/bans").json()["count"] == 0
    assert (
        clerk.post(
            f"/api/integrity/sanctions/{sanction_id}/approve", {}, content_type="application/json"
        ).status_code
        == 404
    )
