"""The audit trail: a hash chain that names the first event that was edited, deleted, inserted or moved."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from xinshimin.accounts.models import Department
from xinshimin.audit.chain import GENESIS_HASH, event_hash, verify_events
from xinshimin.audit.models import AuditEvent
from xinshimin.audit.services import audit_record, audit_verify
from xinshimin.core.context import request_id_var

pytestmark = pytest.mark.django_db


@contextmanager
def tampering() -> Iterator[None]:
    """Let the test play the attacker with direct SQL: on PostgreSQL, lift the append-only trigger."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def record(n: int, start: int = 1) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action="test.step", object_type="test", object_id=str(i), after={"step": i})
        for i in range(start, start + n)
    ]


def fields_of(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }


class TestChain:
    def test_events_form_a_chain_from_genesis(self) -> None:
        events = record(5)
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert events[0].prev_hash == GENESIS_HASH
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
        for event in events:
            assert event.hash == event_hash(**fields_of(event))
        assert len({e.hash for e in events}) == 5

    def test_an_intact_chain_verifies(self) -> None:
        record(7)
        report = audit_verify(batch_size=3)  # several batches
        assert report.ok
        assert report.checked == 7
        assert str(report) == "audit chain intact: 7 events verified"

    def test_an_empty_chain_verifies(self) -> None:
        assert verify_events([]).ok

    def test_records_actor_object_and_masked_summary(self, django_user_model: Any) -> None:
        user = django_user_model.objects.create_user(username="c1", password="x" * 12, role="centre_admin")
        department = Department.objects.first()
        assert department is not None
        event = audit_record(
            actor=user,
            action="accounts.rename",
            obj=department,
            before={"name": "张*", "on": date(2025, 10, 1)},
            after={"points": Decimal("12.25")},
            note="typo",
        )
        event.refresh_from_db()
        assert (event.actor_id, event.actor_label, event.actor_role) == (user.pk, "c1", "centre_admin")
        assert (event.object_type, event.object_id) == ("accounts.department", str(department.pk))
        assert event.summary == {
            "before": {"name": "张*", "on": "2025-10-01"},
            "after": {"points": "12.25"},
            "note": "typo",
        }
        assert audit_verify().ok  # dates and decimals hash the same after the database round trip

    def test_the_request_id_is_recorded(self) -> None:
        token = request_id_var.set("req-0123456789ab")
        try:
            event = audit_record(actor=None, action="test.step")
        finally:
            request_id_var.reset(token)
        event.refresh_from_db()
        assert event.request_id == "req-0123456789ab"
        assert audit_record(actor=None, action="test.step").request_id == ""

    def test_a_rolled_back_change_leaves_no_event(self) -> None:
        record(2)

        class Boom(Exception):
            pass

        with pytest.raises(Boom), transaction.atomic():
            Department.objects.create(code="ghost", name="幽灵部门", name_en="Ghost")
            audit_record(actor=None, action="accounts.create_department", object_type="department")
            raise Boom

        assert not Department.objects.filter(code="ghost").exists()
        assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2]
        assert audit_record(actor=None, action="test.step").seq == 3  # no gap either
        assert audit_verify().ok


class TestTamperingIsDetected:
    def test_an_edited_event_is_named(self) -> None:
        record(5)
        with tampering():
            AuditEvent.objects.filter(seq=3).update(summary={"after": {"step": 999}})
        report = audit_verify()
        assert not report.ok
        assert report.broken_seq == 3
        assert report.broken_id == AuditEvent.objects.get(seq=3).pk
        assert report.checked == 2
        assert "altered" in report.reason

    def test_an_edited_timestamp_is_named(self) -> None:
        record(3)
        with tampering():
            event = AuditEvent.objects.get(seq=2)
            AuditEvent.objects.filter(pk=event.pk).update(occurred_at=event.occurred_at - timedelta(days=1))
        assert audit_verify().broken_seq == 2

    def test_a_deleted_event_is_named(self) -> None:
        record(5)
        with tampering():
            AuditEvent.objects.filter(seq=3).delete()
        report = audit_verify()
        assert not report.ok
        assert report.broken_seq == 4
        assert "#3..#3 are missing" in report.reason

    def test_a_deleted_last_event_is_not_detectable_by_the_chain_alone(self) -> None:
        # A known limit of any hash chain without an external anchor: truncating the tail leaves a
        # valid shorter chain. (The PostgreSQL trigger is what stops it.)
        record(3)
        with tampering():
            AuditEvent.objects.filter(seq=3).delete()
        assert audit_verify().ok

    def test_an_inserted_event_is_named(self) -> None:
        """The forger squeezes a plausible event in after #2: shifts the later seqs, links it to #2 and
        gives it a correct hash. The forged row itself looks fine; the event after it no longer links."""
        events = record(5)
        with tampering():
            for seq in (5, 4, 3):  # descending: seq is unique
                AuditEvent.objects.filter(seq=seq).update(seq=seq + 1)
            forged = fields_of(events[1]) | {
                "seq": 3,
                "occurred_at": events[1].occurred_at + timedelta(seconds=1),
                "object_id": "forged",
                "summary": {"after": {"points": "300"}},
                "prev_hash": events[1].hash,
            }
            AuditEvent.objects.create(hash=event_hash(**forged), **forged)
        report = audit_verify()
        assert not report.ok
        assert report.broken_seq == 4
        assert report.broken_id == events[2].pk
        assert "link to the previous event" in report.reason

    def test_rehashing_an_edited_event_moves_the_break_to_the_next(self) -> None:
        # Giving the edited row a fresh hash is not enough: the event after it no longer links.
        events = record(4)
        with tampering():
            AuditEvent.objects.filter(seq=2).update(summary={"after": {"step": 42}})
            edited = AuditEvent.objects.get(seq=2)
            new_hash = event_hash(**fields_of(edited))
            AuditEvent.objects.filter(seq=2).update(hash=new_hash)
        report = audit_verify()
        assert report.broken_seq == 3
        assert report.broken_id == events[2].pk

    def test_two_swapped_events_are_named(self) -> None:
        events = record(5)
        with tampering():
            AuditEvent.objects.filter(seq=2).update(seq=-2)
            AuditEvent.objects.filter(seq=3).update(seq=2)
            AuditEvent.objects.filter(seq=-2).update(seq=3)
        report = audit_verify()
        assert not report.ok
        assert report.broken_seq == 2
        assert report.broken_id == events[2].pk  # the event now sitting at #2
        assert "link to the previous event" in report.reason


class TestVerifyCommand:
    def test_succeeds_on_an_intact_chain(self) -> None:
        record(4)
        out = StringIO()
        call_command("audit_verify", stdout=out)
        assert "audit chain intact: 4 events verified" in out.getvalue()

    def test_fails_naming_the_broken_event(self) -> None:
        record(4)
        with tampering():
            AuditEvent.objects.filter(seq=3).update(action="test.innocent")
        with pytest.raises(CommandError, match=r"broken at event #3 \(id \d+\)"):
            call_command("audit_verify", stdout=StringIO())


@pytest.mark.postgres
class TestDatabaseRefusesChanges:
    def test_update_is_refused(self) -> None:
        record(2)
        with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
            AuditEvent.objects.filter(seq=1).update(summary={})
        assert AuditEvent.objects.get(seq=1).summary == {"after": {"step": 1}}

    def test_save_of_a_loaded_event_is_refused(self) -> None:
        event = record(1)[0]
        event.action = "test.other"
        with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
            event.save()

    def test_delete_is_refused(self) -> None:
        record(2)
        with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
            AuditEvent.objects.filter(seq=2).delete()
        with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
            AuditEvent.objects.get(seq=1).delete()
        assert AuditEvent.objects.count() == 2
        assert audit_verify().ok

    def test_trigger_is_back_after_tampering(self) -> None:
        record(1)
        with tampering():
            AuditEvent.objects.filter(seq=1).update(action="test.other")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(seq=1).update(action="test.again")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_gapless_chain() -> None:
    """8 threads, each with its own database connection, append 25 events each at the same time.

    ``serialized_rollback`` restores the migrations' reference data for later transactional tests (and
    keeps the flush from re-creating content types that a later serialized test would load again)."""
    threads_n, per_thread = 8, 25
    existing = AuditEvent.objects.count()
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                audit_record(
                    actor=None, action="test.concurrent", object_type="thread", object_id=f"{index}:{i}"
                )
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, existing + threads_n * per_thread + 1))
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 200
    assert (
        len(set(AuditEvent.objects.filter(action="test.concurrent").values_list("object_id", flat=True)))
        == 200
    )
    report = audit_verify()
    assert report.ok, str(report)
    assert report.checked == existing + 200
