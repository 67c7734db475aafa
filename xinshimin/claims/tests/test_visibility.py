"""Who sees what: reviewers their department's claims only (404 otherwise, for the claim and its evidence),
residents their own claims, clerks their town's; evidence only for the reviewing department."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from xinshimin.claims.selectors import claim_get, claim_list, evidence_get
from xinshimin.core.errors import NotFound
from xinshimin.residents.tests.factories import AuditorFactory

from .conftest import at
from .factories import file_claim, make_world
from .helpers import jpeg_bytes

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def filed():
    w = make_world()
    with at(dt.date(2025, 3, 10)):
        mine = file_claim(w.resident)
        theirs = file_claim(w.other)
    return w, mine, theirs


def test_reviewer_of_another_department_gets_404_for_the_claim_and_its_evidence(filed):
    w, claim, _ = filed
    evidence = claim.evidence.get()
    outsider = logged_in(w.hrss)
    assert outsider.get(reverse("web:review_detail", args=[claim.pk])).status_code == 404
    assert outsider.get(reverse("web:claims_detail", args=[claim.pk])).status_code == 404
    assert outsider.get(reverse("web:review_evidence", args=[claim.pk, evidence.pk])).status_code == 404
    assert outsider.get(f"/api/claims/{claim.pk}").status_code == 404
    assert outsider.get(f"/api/claims/{claim.pk}/evidence/{evidence.pk}").status_code == 404
    assert (
        outsider.post(f"/api/claims/{claim.pk}/approve", {}, content_type="application/json").status_code
        == 404
    )
    with pytest.raises(NotFound):
        claim_get(visible_to=w.hrss, pk=claim.pk)
    assert claim not in claim_list(visible_to=w.hrss)


def test_reviewer_of_the_department_opens_the_evidence_as_a_sanitised_attachment(filed):
    w, claim, _ = filed
    evidence = claim.evidence.get()
    response = logged_in(w.volunteer).get(reverse("web:review_evidence", args=[claim.pk, evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xff\xd8\xff")
    api = logged_in(w.volunteer).get(f"/api/claims/{claim.pk}/evidence/{evidence.pk}")
    assert api.status_code == 200 and api["X-Content-Type-Options"] == "nosniff"


def test_evidence_of_another_claim_cannot_be_reached_through_a_visible_claim(filed):
    w, mine, theirs = filed
    their_evidence = theirs.evidence.get()
    # Same department, but the evidence id belongs to another claim than the one in the URL.
    response = logged_in(w.volunteer).get(reverse("web:review_evidence", args=[mine.pk, their_evidence.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["resident", "clerk", "centre", "auditor"])
def test_only_reviewers_of_the_department_open_evidence(filed, who):
    w, claim, _ = filed
    user = {"resident": w.resident.user, "clerk": w.clerk, "centre": w.centre, "auditor": AuditorFactory()}[
        who
    ]
    evidence = claim.evidence.get()
    assert (
        logged_in(user).get(reverse("web:review_evidence", args=[claim.pk, evidence.pk])).status_code == 404
    )
    with pytest.raises(NotFound):
        evidence_get(visible_to=user, claim_pk=claim.pk, pk=evidence.pk)


def test_a_resident_cannot_see_another_residents_claim(filed):
    w, mine, theirs = filed
    client = logged_in(w.resident.user)
    assert client.get(reverse("web:claims_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("web:claims_detail", args=[theirs.pk])).status_code == 404
    assert client.get(f"/api/claims/{theirs.pk}").status_code == 404
    listed = client.get("/api/claims").json()["items"]
    assert [row["id"] for row in listed] == [mine.pk]
    page = client.get(reverse("web:claims_my_list")).content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert client.post(reverse("web:claims_withdraw", args=[theirs.pk])).status_code == 404


def test_a_clerk_sees_the_claims_of_their_town_only(filed):
    w, mine, theirs = filed
    assert set(claim_list(visible_to=w.clerk)) == {mine}
    assert set(claim_list(visible_to=w.clerk_elsewhere)) == {theirs}
    assert logged_in(w.clerk).get(reverse("web:claims_detail", args=[theirs.pk])).status_code == 404


def test_anonymous_and_provider_see_nothing(filed):
    _w, mine, _ = filed
    response = Client().get(reverse("web:claims_detail", args=[mine.pk]))
    assert response.status_code == 302
    assert Client().get(f"/api/claims/{mine.pk}").status_code == 401


def test_evidence_is_stored_outside_the_web_root_under_a_random_name(filed, settings):
    _w, claim, _ = filed
    evidence = claim.evidence.get()
    assert evidence.original_name == "evidence.jpg"
    assert "evidence" not in evidence.file_path
    stored = settings.PRIVATE_MEDIA_ROOT / evidence.file_path
    assert stored.is_file()
    assert str(settings.STATIC_ROOT) not in str(stored)
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert stored.read_bytes() != jpeg_bytes()  # re-encoded, not the upload as sent
