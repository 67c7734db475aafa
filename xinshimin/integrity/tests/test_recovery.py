"""A housing subsidy obtained by fraud: revoked on the final list, and what was paid is recovered (guide
六(五)), on a frozen clock: payments received, the balance, settlement, and a write-off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import Conflict, PermissionDenied, ValidationFailed
from xinshimin.integrity import services
from xinshimin.integrity.documents import sanction_letter
from xinshimin.integrity.gates import Banned
from xinshimin.integrity.models import AuditPlan, Recovery, RecoveryPayment
from xinshimin.residents.tests.factories import AuditorFactory, CentreAdminFactory
from xinshimin.scenes import services as scenes
from xinshimin.scenes.models import Outcome
from xinshimin.scenes.tests.helpers import HOUSING_OK, approve_all, housing_scene, parent

from .helpers import at, find_fraud

pytestmark = pytest.mark.django_db


def subsidised_tenant():
    """A tenant on the 2025 housing final list, paid twice (¥3,600 for each half of 2026)."""
    scene = housing_scene(quota=1)
    tenant = parent()
    with at(dt.date(2025, 7, 10)):
        application = scenes.application_submit(
            actor=tenant.user, scene=scene, resident=tenant, declarations=HOUSING_OK
        )
    with at(dt.date(2025, 10, 20)):
        approve_all(application)
    with at(dt.date(2025, 12, 1)):
        scenes.ranking_run_create(actor=None, scene=scene)
    with at(dt.date(2025, 12, 8)):
        scenes.notice_publish(actor=None, scene=scene)
    with at(dt.date(2025, 12, 15)):
        scenes.ranking_finalise(actor=None, scene=scene)
    for paid_on, period in (
        (dt.date(2026, 1, 10), dt.date(2026, 1, 1)),
        (dt.date(2026, 7, 10), dt.date(2026, 7, 1)),
    ):
        with at(paid_on):
            scenes.outcome_record(
                actor=None,
                application=application,
                kind=Outcome.Kind.SUBSIDY_PAID,
                amount_yuan="3600.00",
                months=6,
                period_from=period,
                paid_on=paid_on,
            )
    return scene, tenant, application


def test_a_fraudulent_housing_subsidy_is_revoked_and_recovered_until_the_balance_is_zero():
    scene, tenant, application = subsidised_tenant()
    auditor, centre = AuditorFactory(), CentreAdminFactory()

    with at(dt.date(2026, 8, 3)):
        plan = services.audit_plan_create(
            actor=auditor,
            name="2025年住房补贴抽查",
            target=AuditPlan.Target.APPLICATIONS,
            rate="10",
            scene=scene,
        )
        draw = services.audit_draw_create(actor=auditor, plan=plan)
        sample = draw.samples.get()
        assert sample.application_id == application.pk
        find_fraud(auditor, sample, note="不动产登记显示申请人在瑞安有住房一套，“无房”声明不实。")
        sanction = services.sanction_propose(
            actor=auditor, sample=sample, reason="隐瞒在瑞安有住房的事实，虚假声明无房。"
        )
    with at(dt.date(2026, 8, 10)):
        sanction = services.sanction_approve(actor=centre, sanction=sanction)

    # The subsidy is revoked on the final list; a recovery of everything paid is opened.
    assert application.outcomes.filter(kind=Outcome.Kind.REVOKED).count() == 1
    recovery = Recovery.objects.get(sanction=sanction)
    assert recovery.application_id == application.pk
    assert recovery.amount_due == Decimal("7200.00") and recovery.balance == Decimal("7200.00")
    assert recovery.status == Recovery.Status.OPEN
    assert "合计 ¥7,200.00" in recovery.basis and "2026-07" in recovery.basis
    assert sanction.effects["recoveries"] == [
        {"recovery": recovery.pk, "application": application.number, "amount_due": "7200.00"}
    ]
    letter = sanction_letter(sanction)
    assert letter.sections[-1].heading == "四、追回已领取的住房租赁补贴"
    assert letter.sections[-1].table is not None and letter.sections[-1].table.rows[0][1] == "¥7,200.00"

    # Nor may the person apply for the next housing subsidy.
    with at(dt.date(2027, 7, 5)):
        later = housing_scene(
            code="housing-2027",
            name="2027年积分住房租赁补贴",
            year=2027,
            opens_at=_moment(2027, 7, 1),
            closes_at=_moment(2027, 10, 1),
            review_starts_on=dt.date(2027, 7, 1),
            review_ends_on=dt.date(2027, 12, 5),
            as_of=dt.date(2027, 9, 30),
        )
        with pytest.raises(Banned) as banned:
            scenes.application_submit(
                actor=tenant.user, scene=later, resident=tenant, declarations=HOUSING_OK
            )
    assert "2029年8月9日" in banned.value.message

    # Payments: only the centre records them; each is audited; never more than the balance.
    with at(dt.date(2026, 9, 1)):
        with pytest.raises(PermissionDenied):
            services.recovery_payment_record(
                actor=auditor, recovery=recovery, amount="100", received_on=dt.date(2026, 8, 31)
            )
        services.recovery_payment_record(
            actor=centre,
            recovery=recovery,
            amount="3000.00",
            received_on=dt.date(2026, 8, 31),
            reference="SJ-001",
        )
        recovery.refresh_from_db()
        assert (recovery.amount_received, recovery.balance, recovery.status) == (
            Decimal("3000.00"),
            Decimal("4200.00"),
            Recovery.Status.OPEN,
        )
        with pytest.raises(ValidationFailed) as too_much:
            services.recovery_payment_record(
                actor=centre, recovery=recovery, amount="4200.01", received_on=dt.date(2026, 9, 1)
            )
        assert "超过尚欠金额 ¥4,200.00" in too_much.value.message
        with pytest.raises(ValidationFailed):
            services.recovery_payment_record(
                actor=centre, recovery=recovery, amount="10", received_on=dt.date(2026, 9, 2)
            )
        with pytest.raises(ValidationFailed):
            services.recovery_payment_record(
                actor=centre, recovery=recovery, amount="0.001", received_on=dt.date(2026, 9, 1)
            )

    with at(dt.date(2026, 10, 9)):
        services.recovery_payment_record(
            actor=centre,
            recovery=recovery,
            amount="4200",
            received_on=dt.date(2026, 10, 8),
            reference="SJ-002",
        )
        recovery.refresh_from_db()
        assert recovery.status == Recovery.Status.SETTLED
        assert recovery.balance == 0 and recovery.settled_on == dt.date(2026, 10, 8)
        with pytest.raises(Conflict):
            services.recovery_payment_record(
                actor=centre, recovery=recovery, amount="1", received_on=dt.date(2026, 10, 9)
            )
        with pytest.raises(Conflict):
            services.recovery_write_off(actor=centre, recovery=recovery, reason="已追回")

    payments = list(RecoveryPayment.objects.filter(recovery=recovery).values_list("amount", flat=True))
    assert sum(payments) == recovery.amount_received == recovery.amount_due
    events = AuditEvent.objects.filter(action="integrity.recovery_payment", object_id=str(recovery.pk))
    assert [e.summary["after"]["balance"] for e in events.order_by("seq")] == ["4200.00", "0.00"]

    # The database keeps the invariant whatever the code does.
    with transaction.atomic(), pytest.raises(IntegrityError):
        Recovery.objects.filter(pk=recovery.pk).update(amount_received=Decimal("7200.01"))


def _moment(y: int, m: int, d: int) -> dt.datetime:
    from .helpers import moment

    return moment(dt.date(y, m, d), 0)


def test_an_amount_paid_outside_the_platform_can_be_recorded_and_written_off_with_a_reason():
    scene, _tenant, _application = subsidised_tenant()
    auditor, other, centre = AuditorFactory(), AuditorFactory(), CentreAdminFactory()
    with at(dt.date(2026, 8, 3)):
        plan = services.audit_plan_create(
            actor=auditor, name="住房补贴抽查", target=AuditPlan.Target.APPLICATIONS, rate="100", scene=scene
        )
        sample = services.audit_draw_create(actor=auditor, plan=plan).samples.get()
        find_fraud(auditor, sample)
        sanction = services.sanction_propose(actor=auditor, sample=sample, reason="虚假无房声明")
        sanction = services.sanction_approve(actor=other, sanction=sanction)  # a second auditor approves
    assert sanction.decided_by == other
    # An auditor's approval is carried out as the system in scenes; the sanction's audit names the auditor.
    approve = AuditEvent.objects.get(action="integrity.sanction_approve")
    assert approve.actor_id == other.pk and approve.summary["after"]["proposed_by"] == auditor.pk

    with at(dt.date(2026, 8, 20)):
        with pytest.raises(ValidationFailed):
            services.recovery_create(actor=centre, sanction=sanction, amount_due="-5", basis="x")
        manual = services.recovery_create(
            actor=centre, sanction=sanction, amount_due="1,200.50", basis="2024年平台外发放的租赁补贴"
        )
        assert manual.amount_due == Decimal("1200.50")
        services.recovery_payment_record(
            actor=centre, recovery=manual, amount="200.50", received_on=dt.date(2026, 8, 19)
        )
        with pytest.raises(ValidationFailed):
            services.recovery_write_off(actor=centre, recovery=manual, reason=" ")
        manual = services.recovery_write_off(
            actor=centre, recovery=manual, reason="当事人已离开瑞安，下落不明"
        )
    assert manual.status == Recovery.Status.WRITTEN_OFF and manual.balance == Decimal("1000.00")
    assert manual.written_off_by == centre
    with transaction.atomic(), pytest.raises(IntegrityError):
        Recovery.objects.filter(pk=manual.pk).update(write_off_reason="")
