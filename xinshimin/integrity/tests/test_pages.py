"""Pages: the auditor's plans, draws, samples and findings; the centre's approval queue (never its own
proposals), bans and recoveries; the resident's ban card and letter; everyone else gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from xinshimin.claims.tests.factories import make_world
from xinshimin.claims.tests.helpers import photo
from xinshimin.integrity.models import AuditPlan, AuditSample, Ban, Sanction
from xinshimin.residents.tests.factories import AuditorFactory, ClerkFactory, ReviewerFactory

from .helpers import approved_volunteer_claim, at

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_whole_flow_through_the_pages(django_assert_max_num_queries):
    w = make_world()
    auditor, centre = AuditorFactory(), w.centre
    claim = approved_volunteer_claim(
        w.resident, w.volunteer, filed=dt.date(2026, 1, 5), approved=dt.date(2026, 1, 12)
    )
    a, c = client_for(auditor), client_for(centre)

    with at(dt.date(2026, 2, 2)):
        assert a.get(reverse("web:integrity_home")).status_code == 200
        response = a.post(
            reverse("web:integrity_plan_create"),
            {
                "name": "一月志愿服务抽查",
                "target": "claims",
                "rate": "5",
                "item_code": "local.volunteer",
                "period_from": "2026-01-01",
                "period_to": "2026-01-31",
            },
        )
        plan = AuditPlan.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse(
            "web:integrity_plan_detail", args=[plan.pk]
        )
        assert "当前可抽总体" in a.get(response["Location"]).content.decode()

        response = a.post(reverse("web:integrity_plan_draw", args=[plan.pk]))
        draw = plan.draws.get()
        page = a.get(response["Location"]).content.decode()
        assert draw.seed in page and "结果一致" in page and claim.reference in page
        sample = draw.samples.get()

        page = a.get(reverse("web:integrity_sample_detail", args=[sample.pk])).content.decode()
        assert claim.reference in page and w.resident.masked_name in page
        assert w.resident.name not in page  # masked: the auditor sees the surname only
        evidence = claim.evidence.get()
        download = a.get(reverse("web:integrity_sample_claim_evidence", args=[sample.pk, evidence.pk]))
        assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")

        response = a.post(
            reverse("web:integrity_sample_finding", args=[sample.pk]),
            {"finding": "fraud_suspected", "note": "志愿汇无此记录", "evidence": [photo("回函.jpg")]},
        )
        sample.refresh_from_db()
        assert sample.finding == AuditSample.Finding.FRAUD_SUSPECTED
        finding_file = sample.evidence.get()
        assert a.get(reverse("web:integrity_finding_evidence", args=[finding_file.pk])).status_code == 200

        response = a.post(reverse("web:integrity_sample_propose", args=[sample.pk]), {"reason": "证明系伪造"})
        sanction = Sanction.objects.get()
        assert response["Location"] == reverse("web:integrity_sanction_detail", args=[sanction.pk])

        # The proposer does not see it in their queue and cannot approve it.
        own = a.get(reverse("web:integrity_sanction_list")).context["to_decide"]
        assert list(own) == []
        a.post(reverse("web:integrity_sanction_approve", args=[sanction.pk]))
        sanction.refresh_from_db()
        assert sanction.status == Sanction.Status.PROPOSED
        # The centre does, and approves.
        with django_assert_max_num_queries(25):
            queue = c.get(reverse("web:integrity_sanction_list"))
        assert [s.pk for s in queue.context["to_decide"]] == [sanction.pk]
        assert (
            "批准生效" in c.get(reverse("web:integrity_sanction_detail", args=[sanction.pk])).content.decode()
        )
        c.post(reverse("web:integrity_sanction_approve", args=[sanction.pk]), {"note": "同意"})
        sanction.refresh_from_db()
        assert sanction.status == Sanction.Status.APPROVED and sanction.decided_by == centre

        bans = c.get(reverse("web:integrity_ban_list")).content.decode()
        assert w.resident.masked_name in bans and "2029-02-01" in bans
        assert "限制期内 1 人" in c.get(reverse("web:workbench")).content.decode()
        assert "抽查审核" in a.get(reverse("web:workbench")).content.decode()

        # The resident: the card on the workbench, with the end date and the letter.
        r = client_for(w.resident.user)
        workbench = r.get(reverse("web:workbench")).content.decode()
        assert "您因提供虚假材料被限制申请积分制服务，限制期至 2029年2月1日。" in workbench
        assert reverse("web:integrity_letter", args=[sanction.pk]) in workbench
        assert r.get(reverse("web:integrity_letter", args=[sanction.pk])).status_code == 200
        assert r.get(reverse("web:integrity_sanction_detail", args=[sanction.pk])).status_code == 404
        assert Ban.objects.get().ends_on == dt.date(2029, 2, 1)


def test_other_roles_get_404_everywhere():
    w = make_world()
    outsiders = [ClerkFactory(), ReviewerFactory(), w.other.user]
    for user in outsiders:
        client = client_for(user)
        for name in (
            "web:integrity_home",
            "web:integrity_sanction_list",
            "web:integrity_ban_list",
            "web:integrity_recovery_list",
        ):
            assert client.get(reverse(name)).status_code == 404, (user.role, name)
        for name in (
            "web:integrity_plan_detail",
            "web:integrity_draw_detail",
            "web:integrity_sample_detail",
            "web:integrity_letter",
            "web:integrity_recovery_detail",
        ):
            assert client.get(reverse(name, args=[1])).status_code == 404, (user.role, name)
        assert client.post(reverse("web:integrity_plan_create"), {"name": "x"}).status_code == 404
    assert Client().get(reverse("web:integrity_home")).status_code == 302  # to the login page


def test_a_resident_without_a_ban_sees_no_integrity_card():
    w = make_world()
    page = client_for(w.resident.user).get(reverse("web:workbench")).content.decode()
    assert "限制申请积分制服务" not in page


def test_the_centre_records_payments_and_a_write_off_on_the_recovery_pages():
    from xinshimin.integrity import services
    from xinshimin.integrity.models import Recovery

    from .helpers import claims_plan, find_fraud, propose

    w = make_world()
    auditor = AuditorFactory()
    approved_volunteer_claim(
        w.resident, w.volunteer, filed=dt.date(2026, 1, 5), approved=dt.date(2026, 1, 12)
    )
    with at(dt.date(2026, 2, 2)):
        sample = services.audit_draw_create(
            actor=auditor, plan=claims_plan(auditor, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
        ).samples.get()
        sanction = services.sanction_approve(
            actor=w.centre, sanction=propose(auditor, find_fraud(auditor, sample))
        )
        c = client_for(w.centre)
        c.post(
            reverse("web:integrity_recovery_create", args=[sanction.pk]),
            {"amount_due": "900", "basis": "平台外发放"},
        )
        recovery = Recovery.objects.get()
        assert "尚欠" in c.get(reverse("web:integrity_recovery_list")).content.decode()
        c.post(
            reverse("web:integrity_recovery_payment", args=[recovery.pk]),
            {"amount": "400", "received_on": "2026-02-01", "reference": "SJ-9"},
        )
        page = c.get(reverse("web:integrity_recovery_detail", args=[recovery.pk])).content.decode()
        assert "SJ-9" in page and "¥500.00" in page
        # An auditor may look but not record money.
        response = client_for(auditor).post(
            reverse("web:integrity_recovery_payment", args=[recovery.pk]),
            {"amount": "1", "received_on": "2026-02-01"},
        )
        assert response.status_code == 302
        recovery.refresh_from_db()
        assert recovery.amount_received == 400
        c.post(reverse("web:integrity_recovery_write_off", args=[recovery.pk]), {"reason": "当事人已死亡"})
        recovery.refresh_from_db()
        assert recovery.status == Recovery.Status.WRITTEN_OFF
