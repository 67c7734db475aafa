"""The scoring admin shows records and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from xinshimin.residents.tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["policyrecord", "fact", "factrevision", "scoresnapshot", "recomputerun"])
def test_admin_lists_are_read_only(client: Client, model: str) -> None:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(f"/admin/scoring/{model}/")
    assert page.status_code == 200
    assert client.get(f"/admin/scoring/{model}/add/").status_code == 403
