"""The whole story on a frozen clock: a claim is approved, a sample draws it, the auditor finds fraud, a second
person approves the sanction; the qualifications go, the points are 0, every gate refuses with the end date,
and the day after the ban ends the gates open again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from xinshimin.audit.models import AuditEvent
from xinshimin.audit.services import audit_verify
from xinshimin.claims.models import Claim
from xinshimin.claims.selectors import claim_timeline
from xinshimin.claims.services import claim_file
from xinshimin.claims.tests.factories import file_claim, make_world
from xinshimin.claims.tests.helpers import photo
from xinshimin.core.errors import PermissionDenied
from xinshimin.integrity import services
from xinshimin.integrity.gates import Banned, active_ban, ban_gate
from xinshimin.integrity.models import AuditSample, Ban, Sanction, VoidedCertificate
from xinshimin.integrity.selectors import draw_reproduces
from xinshimin.notifications.models import Notice, SmsMessage
from xinshimin.residents.tests.factories import AuditorFactory, ProviderUserFactory
from xinshimin.scenes import services as scenes
from xinshimin.scenes.models import Application, ApplicationCheck, Scene
from xinshimin.scenes.tests.helpers import child_of, school_scene
from xinshimin.scoring.models import Fact, ScoreSnapshot
from xinshimin.scoring.services import snapshot_resident
from xinshimin.welfare.errors import CertificateVoid, NotEligible
from xinshimin.welfare.services import certificate_use, offer_redeem
from xinshimin.welfare.tests.helpers import make_offer
from xinshimin.workdays.services import calendar_load_year

from .helpers import approved_volunteer_claim, at, claims_plan, find_fraud, moment, propose

pytestmark = pytest.mark.django_db

JAN_15, JAN_20 = dt.date(2026, 1, 15), dt.date(2026, 1, 20)
SANCTION_DAY = dt.date(2026, 3, 1)
LAST_BANNED_DAY = dt.date(2029, 2, 28)
FREE_DAY = dt.date(2029, 3, 1)
NOTE = "因提供虚假材料，积分于 2026年3月1日清零（至 2029年2月28日不得申请积分制服务）"
BANNED = "您因提供虚假材料被限制申请积分制服务，限制期至 2029年2月28日。"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scene_2026() -> Scene:
    return school_scene(
        code="school-2026",
        name="2026年积分入学",
        year=2026,
        opens_at=moment(dt.date(2026, 2, 1), 0),
        closes_at=moment(dt.date(2026, 5, 1), 0),
        review_starts_on=dt.date(2026, 2, 1),
        review_ends_on=dt.date(2026, 5, 10),
        as_of=dt.date(2026, 4, 30),
    )


def tourism_scene_2029() -> Scene:
    return school_scene(
        code="tourism-2029",
        name="2029年积分旅游",
        kind=Scene.Kind.TOURISM,
        year=2029,
        opens_at=moment(dt.date(2029, 2, 1), 0),
        closes_at=moment(dt.date(2029, 4, 1), 0),
        review_starts_on=dt.date(2029, 2, 1),
        review_ends_on=dt.date(2029, 4, 30),
        as_of=dt.date(2029, 1, 31),
        departments=[],
    )


def test_fraud_found_by_sampling_is_sanctioned_and_banned_for_three_years(django_capture_on_commit_callbacks):
    w = make_world()
    resident = w.resident
    auditor, centre = AuditorFactory(), w.centre

    # January 2026: a volunteer-hours claim is filed and approved; the score rises by 2.
    with at(JAN_15):
        before_claim = snapshot_resident(resident=resident, as_of=JAN_15)
    claim = approved_volunteer_claim(resident, w.volunteer, filed=JAN_15, approved=JAN_20)
    approved_snapshot = ScoreSnapshot.objects.get(resident=resident, as_of=JAN_20)
    assert approved_snapshot.total == before_claim.total + 2
    assert approved_snapshot.items["local.volunteer"]["points"] == "2.00"

    # February: the resident applies for a school place and redeems a welfare item.
    scene = scene_2026()
    child = child_of(resident, dt.date(2020, 3, 1))
    with at(dt.date(2026, 2, 10)):
        application = scenes.application_submit(
            actor=resident.user, scene=scene, resident=resident, child=child, stage="grade1"
        )
    offer = make_offer(opens_at=moment(dt.date(2026, 2, 20), 9), closes_at=moment(dt.date(2026, 3, 20), 9))
    granted = offer_redeem(
        actor=resident.user, offer=offer, idempotency_key="story-key-0001", at=moment(dt.date(2026, 2, 20))
    )
    certificate = granted.certificate
    open_claim = None
    with at(dt.date(2026, 2, 24)):
        open_claim = file_claim(resident, item_code="common.education", value="bachelor")
    assert open_claim.status == Claim.Status.SUBMITTED

    # 25 February: the auditor samples every volunteer claim approved this year: the claim is drawn.
    with at(dt.date(2026, 2, 25)):
        plan = claims_plan(
            auditor, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 28), item="local.volunteer"
        )
        draw = services.audit_draw_create(actor=auditor, plan=plan)
    assert draw.population_ids == [claim.pk] and draw.sample_size == 1
    sample = draw.samples.get()
    assert sample.claim_id == claim.pk and sample.resident_id == resident.pk
    assert draw_reproduces(draw)
    seed_event = AuditEvent.objects.get(action="integrity.draw_seed")
    draw_event = AuditEvent.objects.get(action="integrity.draw")
    assert seed_event.seq < draw_event.seq and seed_event.summary["after"]["seed"] == draw.seed

    with at(dt.date(2026, 2, 26)):
        sample = find_fraud(auditor, sample)
        sanction = propose(auditor, sample)
    assert sanction.status == Sanction.Status.PROPOSED

    # The proposer may not approve their own proposal: the service refuses, and so does the database.
    with at(dt.date(2026, 2, 27)), pytest.raises(PermissionDenied) as refused:
        services.sanction_approve(actor=auditor, sanction=sanction)
    assert refused.value.code == "self_approval"
    with transaction.atomic(), pytest.raises(IntegrityError):
        Sanction.objects.filter(pk=sanction.pk).update(decided_by=auditor, decided_at=moment(SANCTION_DAY))
    assert Sanction.objects.get(pk=sanction.pk).status == Sanction.Status.PROPOSED

    # 1 March 2026: a centre administrator approves.
    with at(SANCTION_DAY), django_capture_on_commit_callbacks(execute=True):
        sanction = services.sanction_approve(actor=centre, sanction=sanction, note="证据确凿")
    sanction.refresh_from_db()
    assert sanction.status == Sanction.Status.APPROVED
    assert sanction.reference == f"WG-2026-{sanction.pk:06d}"
    assert sanction.effective_on == SANCTION_DAY and sanction.notified_at is not None

    # The ban: 1 March 2026 to 28 February 2029 inclusive.
    ban = Ban.objects.get(sanction=sanction)
    assert (ban.starts_on, ban.ends_on) == (SANCTION_DAY, LAST_BANNED_DAY)

    # Points: the snapshot of the sanction day is 0 everywhere, with the reason; the old one is untouched.
    cleared = ScoreSnapshot.objects.get(resident=resident, as_of=SANCTION_DAY)
    assert cleared.total == cleared.common == cleared.local == Decimal("0")
    assert cleared.items["local.volunteer"]["points"] == "0.00"
    assert all(item["points"] == "0.00" for item in cleared.items.values())
    assert "本项积分已清零" in cleared.items["local.volunteer"]["zh"]
    assert cleared.notes["zh"] == [NOTE]
    approved_snapshot.refresh_from_db()
    assert approved_snapshot.total == before_claim.total + 2  # old snapshots stay as they were
    # Recomputing twice writes nothing new; a later snapshot inside the ban is 0 too.
    with at(dt.date(2026, 6, 1)):
        assert snapshot_resident(resident=resident, as_of=SANCTION_DAY).computed_at == cleared.computed_at
        assert snapshot_resident(resident=resident, as_of=dt.date(2026, 6, 1)).total == 0

    # The fraudulent claim: its fact is reverted and its timeline says so; the open claim is cancelled.
    assert not Fact.objects.filter(resident=resident, kind="volunteer").exists()
    titles = [step.title for step in claim_timeline(claim, today=SANCTION_DAY)]
    assert "认定积分已撤销" in titles
    open_claim.refresh_from_db()
    assert open_claim.status == Claim.Status.WITHDRAWN
    assert "因违规处理取消" in [s.title for s in claim_timeline(open_claim, today=SANCTION_DAY)]

    # The school application is cancelled: rejected by a failed "integrity" check that gives the reason.
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    check = application.checks.get(code="integrity")
    assert check.result == ApplicationCheck.Result.FAIL and sanction.reference in check.reason

    # The welfare certificate is void: the provider is refused.
    assert VoidedCertificate.objects.filter(certificate=certificate, sanction=sanction).exists()
    provider_staff = ProviderUserFactory(provider=offer.provider)
    with pytest.raises(CertificateVoid) as void:
        certificate_use(actor=provider_staff, code=certificate.code, at=moment(dt.date(2026, 3, 2)))
    assert "作废" in void.value.message

    # The written notice: an in-app notice and a text message pointing to the letter.
    notice = Notice.objects.get(resident=resident, title="违规处理决定书")
    assert notice.link == reverse("web:integrity_letter", args=[sanction.pk])
    assert "2029年2月28日" in notice.body
    assert SmsMessage.objects.filter(notice=notice, status=SmsMessage.Status.SENT).exists()
    page = login(resident.user).get(notice.link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "违规处理决定书" in text and "2029年2月28日" in text and sanction.reference in text
    assert "积分入学" in text and open_claim.reference in text
    pdf = login(resident.user).get(reverse("web:integrity_letter_pdf", args=[sanction.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert login(w.other.user).get(notice.link).status_code == 404

    # On the last banned day every gate refuses, with the end date.
    tourism = tourism_scene_2029()
    calendar_load_year(
        actor=None, year=2029, days=[(dt.date(2029, 1, 1), "holiday", "元旦")], source="测试用"
    )
    late_offer = make_offer(opens_at=moment(dt.date(2029, 2, 1), 9), closes_at=moment(dt.date(2029, 3, 31)))
    with at(LAST_BANNED_DAY):
        with pytest.raises(Banned) as claim_refused:
            file_claim(resident, value=[{"date": "2028-05-01", "hours": 30}])
        assert claim_refused.value.message == BANNED
        assert claim_refused.value.http_status == 403
        with pytest.raises(Banned) as apply_refused:
            scenes.application_submit(actor=resident.user, scene=tourism, resident=resident)
        assert apply_refused.value.message == BANNED
        with pytest.raises(NotEligible) as redeem_refused:
            offer_redeem(actor=resident.user, offer=late_offer, idempotency_key="story-key-0002")
        assert redeem_refused.value.message == BANNED
        assert active_ban(resident, LAST_BANNED_DAY) == ban

    # The day after, the gates open again; the score is computed afresh without the fraudulent claim.
    with at(FREE_DAY):
        ban_gate(resident=resident, on=FREE_DAY)
        assert active_ban(resident, FREE_DAY) is None
        fresh = snapshot_resident(resident=resident, as_of=FREE_DAY)
        assert fresh.total > 0 and fresh.notes["zh"] != [NOTE]
        assert fresh.items["local.volunteer"]["points"] == "0.00"
        new_claim = claim_file(
            actor=resident.user,
            resident=resident,
            kind="claim",
            item_code="local.volunteer",
            value=[{"date": "2028-05-01", "hours": 30}],
            files=[photo()],
        )
        assert new_claim.status == Claim.Status.SUBMITTED
        assert scenes.application_submit(actor=resident.user, scene=tourism, resident=resident).pk
        assert offer_redeem(
            actor=resident.user, offer=late_offer, idempotency_key="story-key-0003"
        ).certificate

    actions = set(AuditEvent.objects.filter(action__startswith="integrity.").values_list("action", flat=True))
    assert {
        "integrity.plan_create",
        "integrity.draw_seed",
        "integrity.draw",
        "integrity.finding",
        "integrity.sanction_propose",
        "integrity.sanction_approve",
        "integrity.claim_cancel",
        "integrity.claim_revoke",
        "integrity.certificate_void",
    } <= actions
    assert AuditEvent.objects.filter(action="scenes.revoke", object_id=str(application.pk)).exists()
    assert audit_verify().ok


def test_a_rejected_proposal_changes_nothing_and_the_proposer_cannot_reject_it():
    w = make_world()
    auditor, other_auditor = AuditorFactory(), AuditorFactory()
    claim = approved_volunteer_claim(w.resident, w.volunteer, filed=JAN_15, approved=JAN_20)
    with at(dt.date(2026, 2, 25)):
        draw = services.audit_draw_create(
            actor=auditor, plan=claims_plan(auditor, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
        )
        sample = find_fraud(auditor, draw.samples.get(claim=claim))
        sanction = propose(auditor, sample)
        with pytest.raises(PermissionDenied):
            services.sanction_reject(actor=auditor, sanction=sanction, note="再核实")
        sanction = services.sanction_reject(
            actor=other_auditor, sanction=sanction, note="证据不足，需部门书面确认"
        )
    assert sanction.status == Sanction.Status.REJECTED and sanction.decided_by == other_auditor
    assert not Ban.objects.exists()
    assert Fact.objects.filter(resident=w.resident, kind="volunteer").exists()
    assert sample.finding == AuditSample.Finding.FRAUD_SUSPECTED
    # A new proposal may be made on the same sample once the first was rejected.
    with at(dt.date(2026, 2, 26)):
        assert propose(other_auditor, sample).status == Sanction.Status.PROPOSED


def test_the_letter_pdf_says_what_was_decided_and_until_when():
    import io

    from pypdf import PdfReader

    from xinshimin.integrity.documents import sanction_letter_pdf

    w = make_world()
    auditor = AuditorFactory()
    approved_volunteer_claim(w.resident, w.volunteer, filed=JAN_15, approved=JAN_20)
    with at(dt.date(2026, 2, 25)):
        plan = claims_plan(auditor, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
        sample = services.audit_draw_create(actor=auditor, plan=plan).samples.get()
        sanction = propose(auditor, find_fraud(auditor, sample))
    with at(SANCTION_DAY):
        sanction = services.sanction_approve(actor=w.centre, sanction=sanction)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sanction_letter_pdf(sanction))).pages)
    compact = "".join(text.split())
    assert "违规处理决定书" in compact and sanction.reference in compact
    assert "2029年2月28日" in compact and "积分清零" in compact
    assert w.resident.id_number_masked in compact and w.resident.id_number not in compact
