"""Real commits: the written notice goes out after the approval commits; two approvers at once give one
sanction (PostgreSQL: the rows are locked, the second sees the first's decision)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from xinshimin.claims.tests.factories import make_world
from xinshimin.core.errors import Conflict
from xinshimin.integrity import services
from xinshimin.integrity.models import Ban, Sanction
from xinshimin.notifications.models import Notice
from xinshimin.residents.tests.factories import AuditorFactory, CentreAdminFactory

from .helpers import approved_volunteer_claim, at, claims_plan, find_fraud, propose

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _proposal():
    w = make_world()
    auditor = AuditorFactory()
    approved_volunteer_claim(
        w.resident, w.volunteer, filed=dt.date(2026, 1, 5), approved=dt.date(2026, 1, 12)
    )
    with at(dt.date(2026, 2, 2)):
        draw = services.audit_draw_create(
            actor=auditor, plan=claims_plan(auditor, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
        )
        sanction = propose(auditor, find_fraud(auditor, draw.samples.get()))
    return w, sanction


@transactional
def test_the_written_notice_is_sent_once_the_approval_has_committed():
    w, sanction = _proposal()
    with at(dt.date(2026, 2, 3)):
        services.sanction_approve(actor=w.centre, sanction=sanction)
    sanction.refresh_from_db()
    assert sanction.notified_at is not None
    notice = Notice.objects.get(resident=w.resident, title="违规处理决定书")
    assert sanction.reference in notice.body and "2029年2月2日" in notice.body


@transactional
@pytest.mark.postgres
def test_two_approvers_at_once_make_one_sanction():
    _world, sanction = _proposal()
    approvers = [CentreAdminFactory(), CentreAdminFactory()]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def approve(user) -> None:
        try:
            barrier.wait()
            with at(dt.date(2026, 2, 3)):
                services.sanction_approve(actor=user, sanction=sanction)
            results.append("approved")
        except Conflict:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["approved", "conflict"]
    assert Ban.objects.count() == 1
    assert Sanction.objects.get(pk=sanction.pk).status == Sanction.Status.APPROVED
