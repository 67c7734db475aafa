from __future__ import annotations

import threading

import pytest
from django.db import connection

from xinshimin.accounts.tests.factories import CentreAdminFactory, TownFactory
from xinshimin.core.errors import Conflict
from xinshimin.residents.models import Resident
from xinshimin.residents.services import resident_register


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_of_one_id_number_leave_one_resident() -> None:
    centre = CentreAdminFactory()
    town = TownFactory(code="anyang")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def register(n: int) -> None:
        try:
            barrier.wait()
            resident_register(
                actor=centre, id_number="522401199203154513", name="王小明", phone=f"1381234567{n}", town=town
            )
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert Resident.objects.count() == 1
