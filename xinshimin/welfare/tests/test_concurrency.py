"""Reliability against a real PostgreSQL with real concurrent connections (each thread has its own).

- The opening rush: 64 clients, 2,000 eligible residents, 10,000 attempts (some retried with the same
  key, some double taps racing each other) for 100 units → exactly 100 granted, nobody above the limit,
  certificates equal grants, stock never negative, every retry of a grant gets the same certificate.
- Double scans: 200 concurrent scans of 100 certificates (each scanned twice, by two staff) → exactly
  100 marked used, 100 refused with when and by whom.

PostgreSQL allows 100 connections here (shared with other test runs), so 64 client threads is the most a
test can hold; the 200 scans go through those 64 clients.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from xinshimin.audit.models import AuditEvent
from xinshimin.audit.services import audit_verify
from xinshimin.residents.tests.factories import ProviderFactory, ProviderUserFactory
from xinshimin.welfare.certificates import certificate_code_new
from xinshimin.welfare.errors import AlreadyRedeemed, CertificateAlreadyUsed, SoldOut
from xinshimin.welfare.models import Certificate, Offer, Redemption
from xinshimin.welfare.services import certificate_use, offer_redeem

from .helpers import T0, bulk_eligible_residents, make_offer

CLIENTS = 64
RESIDENTS = 2_000
ATTEMPTS = 10_000
STOCK = 100


def run_clients(work: list[Any], handle, *, clients: int = CLIENTS, timeout: float = 120) -> list[Any]:
    """``clients`` threads (one DB connection each) take items from ``work`` in order; returns outcomes."""
    lock = threading.Lock()
    position = iter(range(len(work)))
    outcomes: list[Any] = []
    start = threading.Barrier(clients)

    def client() -> None:
        try:
            start.wait()
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                try:
                    result = handle(work[index])
                except Exception as exc:  # every outcome is recorded and checked by the test
                    result = ("unexpected", work[index], repr(exc))
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0.1))
    assert not any(thread.is_alive() for thread in threads), "clients did not finish in time"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_opening_rush_grants_exactly_the_stock_and_never_oversells():
    residents = bulk_eligible_residents(RESIDENTS)
    offer = make_offer(stock=STOCK, opens_at=T0, closes_at=T0 + timedelta(hours=1))
    at = T0 + timedelta(seconds=1)

    rng = random.Random(2025)
    keys: dict[int, list[str]] = defaultdict(list)
    attempts: list[tuple[Any, str]] = []
    while len(attempts) < ATTEMPTS:
        resident = rng.choice(residents)
        if keys[resident.pk] and rng.random() < 0.3:
            key = rng.choice(keys[resident.pk])  # a retry of an earlier request
        else:
            key = f"rush-{len(attempts):05d}-{resident.pk}"
            keys[resident.pk].append(key)
            if rng.random() < 0.1:
                attempts.append((resident, key))  # a double tap: the same request twice, racing
        attempts.append((resident, key))
    attempts = attempts[:ATTEMPTS]

    lowest = [STOCK]
    sampling = threading.Event()

    def sample_stock() -> None:
        try:
            while not sampling.is_set():
                lowest[0] = min(lowest[0], Offer.objects.values_list("remaining", flat=True).get(pk=offer.pk))
                time.sleep(0.005)
        finally:
            connection.close()

    def attempt(item: tuple[Any, str]) -> tuple[str, int, str, str]:
        resident, key = item
        current = Offer.objects.select_related("provider").get(pk=offer.pk)  # as a request would load it
        try:
            result = offer_redeem(actor=resident.user, offer=current, idempotency_key=key, at=at)
        except SoldOut:
            return ("sold_out", resident.pk, key, "")
        except AlreadyRedeemed:
            return ("already_redeemed", resident.pk, key, "")
        return ("replayed" if result.replayed else "granted", resident.pk, key, result.certificate.code)

    sampler = threading.Thread(target=sample_stock, daemon=True)
    sampler.start()
    started = time.monotonic()
    outcomes = run_clients(attempts, attempt, clients=CLIENTS - 1)  # the sampler holds the 64th connection
    elapsed = time.monotonic() - started
    sampling.set()
    sampler.join(timeout=10)

    kinds = Counter(outcome[0] for outcome in outcomes)
    assert kinds["unexpected"] == 0, [o for o in outcomes if o[0] == "unexpected"][:5]
    assert len(outcomes) == ATTEMPTS
    assert kinds["granted"] == STOCK, kinds
    assert kinds["replayed"] > 0 and kinds["sold_out"] > 0  # the mix really happened

    offer.refresh_from_db()
    assert offer.remaining == 0 and lowest[0] >= 0
    assert Redemption.objects.filter(offer=offer).count() == STOCK
    assert Certificate.objects.filter(redemption__offer=offer).count() == STOCK
    per_resident = Redemption.objects.values("resident").annotate(n=Count("id")).order_by("-n")
    assert per_resident[0]["n"] == 1 and len(per_resident) == STOCK

    # Every success names the certificate of the request (resident, key) that was granted, and only it.
    granted = {
        (r.resident_id, r.idempotency_key): r.certificate.code
        for r in Redemption.objects.select_related("certificate")
    }
    for kind, resident_id, key, code in outcomes:
        if kind in ("granted", "replayed"):
            assert granted[(resident_id, key)] == code
    assert AuditEvent.objects.filter(action="welfare.redeem").count() == STOCK
    assert audit_verify().ok
    print(f"\nrush: {ATTEMPTS} attempts by {CLIENTS - 1} clients in {elapsed:.1f}s: {dict(kinds)}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_double_scans_mark_each_certificate_exactly_once():
    provider = ProviderFactory(name="瑞安市文化旅游演艺中心")
    staff = [ProviderUserFactory(provider=provider, username=f"gate{i}") for i in range(4)]
    residents = bulk_eligible_residents(100)
    offer = make_offer(provider=provider, stock=100, remaining=0, opens_at=T0)
    redemptions = Redemption.objects.bulk_create(
        [
            Redemption(offer=offer, resident=resident, n=1, idempotency_key=f"scan-{i:04d}", granted_at=T0)
            for i, resident in enumerate(residents)
        ]
    )
    certificates = Certificate.objects.bulk_create(
        [Certificate(redemption=r, code=certificate_code_new(), issued_at=T0) for r in redemptions]
    )
    # Each certificate twice in a row, by two different staff: the two scans race each other.
    scans = [(c.code, staff[(i + k) % 4]) for i, c in enumerate(certificates) for k in (0, 1)]
    at = T0 + timedelta(days=1)

    def scan(item: tuple[str, Any]) -> tuple[str, str, str]:
        code, user = item
        try:
            certificate_use(actor=user, code=code, at=at)
        except CertificateAlreadyUsed as exc:
            return ("already_used", code, exc.message)
        return ("used", code, user.username)

    outcomes = run_clients(scans, scan)
    kinds = Counter(outcome[0] for outcome in outcomes)
    assert kinds == {"used": 100, "already_used": 100}, [o for o in outcomes if o[0] == "unexpected"][:5]
    assert Certificate.objects.filter(used_at__isnull=False).count() == 100
    assert sorted(code for kind, code, _ in outcomes if kind == "used") == sorted(
        c.code for c in certificates
    )
    winners = {code: who for kind, code, who in outcomes if kind == "used"}
    for kind, code, message in outcomes:
        if kind == "already_used":
            assert winners[code] in message and provider.name in message
    stored = {c.code: c.used_by.username for c in Certificate.objects.select_related("used_by")}
    assert stored == winners
    assert AuditEvent.objects.filter(action="welfare.certificate_use").count() == 100
