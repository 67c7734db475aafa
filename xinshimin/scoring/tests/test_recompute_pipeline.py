"""A recompute writes each batch from a second thread while the next one is computed (``pipeline``).

The database tests here run outside a transaction (as the task runner does), so the writer thread really
has its own PostgreSQL connection; the stored rows must equal what the in-line path and the engine give.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from xinshimin.residents.models import ResidencePermit
from xinshimin.residents.tests.factories import PermitFactory, ResidentFactory
from xinshimin.scoring.models import PolicyRecord, RecomputeRun, ScoreSnapshot
from xinshimin.scoring.pipeline import BatchWriter, writer_thread_possible
from xinshimin.scoring.selectors import batch_input_values, resident_input
from xinshimin.scoring.services import facts_upsert, recompute_execute, recompute_residents, score_resident

AS_OF = dt.date(2025, 4, 1)


def live_db(test):  # outside a transaction, on PostgreSQL: where the writer thread is used
    return pytest.mark.postgres(pytest.mark.django_db(transaction=True, serialized_rollback=True)(test))


# --- the writer on its own ---------------------------------------------------------------------------


def test_items_are_written_in_order_by_one_other_thread() -> None:
    seen: list[tuple[int, str]] = []
    with BatchWriter(lambda n: seen.append((n, threading.current_thread().name)), threaded=True) as writer:
        for n in range(50):
            writer.submit(n)
    assert [n for n, _name in seen] == list(range(50))
    assert {name for _n, name in seen} == {"recompute-writer"}


def test_in_line_writer_writes_in_the_callers_thread() -> None:
    seen: list[str] = []
    with BatchWriter(lambda _n: seen.append(threading.current_thread().name), threaded=False) as writer:
        writer.submit(1)
        assert seen == [threading.current_thread().name]  # already written when submit returns


def test_a_write_error_reaches_the_caller_and_later_items_are_dropped() -> None:
    written: list[int] = []

    def write(n: int) -> None:
        if n == 3:
            raise ValueError("batch 3 refused")
        written.append(n)

    with pytest.raises(ValueError, match="batch 3 refused"), BatchWriter(write, threaded=True) as writer:
        for n in range(10):
            writer.submit(n)
    assert written == [0, 1, 2]


def test_an_error_of_the_caller_wins_and_the_thread_still_ends() -> None:
    with pytest.raises(KeyError), BatchWriter(lambda _n: None, threaded=True) as writer:
        writer.submit(1)
        raise KeyError("caller")
    assert not [t for t in threading.enumerate() if t.name == "recompute-writer"]


# --- a recompute with the thread, against PostgreSQL ---------------------------------------------------


def _residents(n: int) -> list[int]:
    ids = []
    for k in range(n):
        resident = ResidentFactory()
        facts_upsert(actor=None, resident=resident, kind="zj_social_insurance_months", value=k, source="demo")
        ids.append(resident.pk)
    return ids


@live_db
def test_threaded_recompute_stores_what_the_engine_gives_and_counts_committed_batches() -> None:
    assert writer_thread_possible(), "outside a transaction on PostgreSQL the writer thread is used"
    seed = PolicyRecord.objects.get(version_id="ruian-2025.1")
    ids = _residents(7)
    ResidentFactory(permit__status=ResidencePermit.Status.CANCELLED)  # not covered
    run = recompute_execute(run_id=RecomputeRun.objects.create(policy=seed, as_of=AS_OF).pk, batch_size=2)
    assert (run.status, run.total, run.done, run.written) == ("done", 7, 7, 7)
    stored = {s.resident_id: s for s in ScoreSnapshot.objects.select_related("resident")}
    assert sorted(stored) == ids
    for snapshot in stored.values():
        score = score_resident(resident=snapshot.resident, as_of=AS_OF, policy=seed)
        assert (snapshot.total, snapshot.items) == (score.total, score.items_json())

    again = recompute_execute(run_id=RecomputeRun.objects.create(policy=seed, as_of=AS_OF).pk, batch_size=3)
    assert (again.status, again.done, again.written) == ("done", 7, 0)


@live_db
def test_a_database_error_in_the_writer_fails_the_run_and_keeps_the_committed_batches() -> None:
    seed = PolicyRecord.objects.get(version_id="ruian-2025.1")
    ids = _residents(6)
    refused = ids[4]  # in the third batch of two
    with connection.cursor() as cursor:  # a real refusal by the database, in the writer's connection
        cursor.execute(
            "CREATE FUNCTION test_refuse_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.resident_id = {refused} THEN RAISE EXCEPTION 'snapshot refused for the test'; END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_snapshot BEFORE INSERT ON scoring_scoresnapshot "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_snapshot()"
        )
    try:
        run = RecomputeRun.objects.create(policy=seed, as_of=AS_OF)
        with pytest.raises(Exception, match="snapshot refused for the test"):
            recompute_execute(run_id=run.pk, batch_size=2)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_snapshot ON scoring_scoresnapshot")
            cursor.execute("DROP FUNCTION test_refuse_snapshot()")
    run.refresh_from_db()
    assert run.status == "failed" and "snapshot refused for the test" in run.error
    assert run.done == 4 and run.written == 4  # the two batches before it, committed
    assert sorted(ScoreSnapshot.objects.values_list("resident_id", flat=True)) == ids[:4]
    # Run again once the cause is gone: the failed run resumes and writes only what is missing.
    run = recompute_execute(run_id=run.pk, batch_size=2)
    assert (run.status, run.written) == ("done", 2)


@pytest.mark.django_db
def test_recompute_residents_after_a_resident_is_the_rest_of_the_run(seed_record: PolicyRecord) -> None:
    ids = [ResidentFactory().pk for _ in range(5)]
    ResidentFactory(permit__status=ResidencePermit.Status.EXPIRED)
    run = RecomputeRun(policy=seed_record, as_of=AS_OF)
    assert list(recompute_residents(run).values_list("pk", flat=True)) == ids
    assert list(recompute_residents(run, after=ids[1]).values_list("pk", flat=True)) == ids[2:]


@pytest.mark.django_db
def test_batch_inputs_equal_each_residents_own_input_for_dense_and_sparse_batches() -> None:
    residents = [ResidentFactory() for _ in range(6)]
    for k, resident in enumerate(residents):
        facts_upsert(actor=None, resident=resident, kind="zj_social_insurance_months", value=k, source="demo")
    renewed, future = residents[1], residents[2]
    PermitFactory(  # a later permit with other registration dates: the latest on or before AS_OF counts
        resident=renewed, issued_on=dt.date(2024, 3, 1), zj_residence_registered_on=dt.date(2019, 5, 6)
    )
    PermitFactory(  # issued after AS_OF: not read
        resident=future, issued_on=dt.date(2025, 9, 1), zj_residence_registered_on=dt.date(2018, 1, 2)
    )
    ids = [r.pk for r in residents]
    for batch in (ids, [ids[0], ids[2], ids[5]], [ids[5]]):  # dense; with gaps (range or list); one
        inputs = batch_input_values(batch, AS_OF)
        assert list(inputs) == batch
        for resident in residents:
            if resident.pk in batch:
                assert inputs[resident.pk] == resident_input(resident, as_of=AS_OF)
    assert batch_input_values(ids, AS_OF)[renewed.pk]["zj_residence_registered_on"] == "2019-05-06"
    assert batch_input_values(ids, AS_OF)[future.pk]["zj_residence_registered_on"] == "2020-09-01"
    assert batch_input_values([], AS_OF) == {}
