"""Writing a recompute's batches while the next one is computed (bench/README-recompute.md).

A recompute alternates between Python (read a batch's facts, evaluate every score, explain it) and the
database (ingest ≈ 6 kB of JSON a snapshot, check its keys, update its indexes). In line, the two wait
for each other. ``BatchWriter`` hands each batch to one writer thread with its own database connection, so
PostgreSQL ingests batch n on one core while batch n + 1 is computed on the other. Each batch is still
written in its own transaction, in order; at most one batch waits in the hand-over, so memory stays bounded
by two batches.

The thread is used only on PostgreSQL and outside a transaction: inside one (a caller's ``atomic``, the
test suite's per-test transaction) a second connection would not see the caller's uncommitted rows, so
the batches are written in line in the caller's connection, exactly as before.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from django.db import connection

Item = TypeVar("Item")

_DONE = object()


def writer_thread_possible() -> bool:
    """True where a second connection sees everything the caller has written (see the module's note)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class BatchWriter(Generic[Item]):
    """``with BatchWriter(write) as writer: writer.submit(item)`` calls ``write(item)`` for every item, in
    order, in a writer thread (or in line, see ``writer_thread_possible``).

    The first error of ``write`` is raised in the caller: by the next ``submit`` or on leaving the
    ``with`` block. After an error the remaining items are dropped, not written. Leaving the block waits
    until every submitted item is written."""

    def __init__(self, write: Callable[[Item], None], *, threaded: bool | None = None) -> None:
        self._write = write
        self._threaded = writer_thread_possible() if threaded is None else threaded
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> BatchWriter[Item]:
        if self._threaded:
            self._thread = threading.Thread(target=self._run, name="recompute-writer", daemon=True)
            self._thread.start()
        return self

    def submit(self, item: Item) -> None:
        self._raise_error()
        if self._thread is None:
            self._write(item)
        else:
            self._queue.put(item)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._thread is not None:
            self._queue.put(_DONE)
            self._thread.join()
            self._thread = None
        if kind is None:
            self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        from django.db import connections

        failed = False
        try:
            while (item := self._queue.get()) is not _DONE:
                if not failed:
                    try:
                        self._write(item)  # type: ignore[arg-type]
                    except BaseException as error:  # handed to the caller; later items are dropped
                        failed, self._error = True, error
        finally:
            connections.close_all()  # this thread's own connections
