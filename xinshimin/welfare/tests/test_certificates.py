"""Certificates: codes, signed tokens, and marking them used exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import NotFound, PermissionDenied, ValidationFailed
from xinshimin.residents.tests.factories import CentreAdminFactory, ProviderFactory, ProviderUserFactory
from xinshimin.welfare.certificates import (
    CODE_ALPHABET,
    certificate_code_new,
    certificate_code_normalise,
    certificate_token,
    certificate_token_verify,
    qr_svg,
)
from xinshimin.welfare.errors import CertificateAlreadyUsed, CertificateExpired, CertificateVoid
from xinshimin.welfare.models import Certificate, Offer
from xinshimin.welfare.selectors import certificate_token_for
from xinshimin.welfare.services import certificate_check, certificate_use, offer_redeem

from .helpers import T0, eligible_resident, make_offer


def test_codes_avoid_look_alike_characters():
    for ambiguous in "01OILU":
        assert ambiguous not in CODE_ALPHABET
    codes = {certificate_code_new() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 10 and set(code) <= set(CODE_ALPHABET) for code in codes)


@given(st.text(alphabet=CODE_ALPHABET, min_size=10, max_size=10))
def test_typed_codes_are_forgiving_about_case_spaces_and_dashes(code):
    typed = f" {code[:5].lower()} - {code[5:]} "
    assert certificate_code_normalise(typed) == code


@pytest.mark.parametrize("typed", ["", "ABCDE-FGHJ", "ABCDE-FGHJ0", "ABCDE-FGHJKL", "ABCDE-FGHJI"])
def test_impossible_codes_are_refused_with_the_format(typed):
    with pytest.raises(ValidationFailed) as exc:
        certificate_code_normalise(typed)
    assert "10 位" in exc.value.message


def test_token_round_trip_and_tampering_is_detected():
    token = certificate_token(code="ABCDEFGHJK", offer_id=7, holder="张*", holder_id="330381********1234")
    payload = certificate_token_verify(token)
    assert (payload.code, payload.offer_id, payload.holder) == ("ABCDEFGHJK", 7, "张*")
    with pytest.raises(ValidationFailed):
        certificate_token_verify(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(ValidationFailed):
        certificate_token_verify("not-a-token")


def test_token_signed_with_another_key_is_refused(settings):
    token = certificate_token(code="ABCDEFGHJK", offer_id=7, holder="张*", holder_id="x")
    settings.CERTIFICATE_SIGNING_KEY = "another-key"
    with pytest.raises(ValidationFailed):
        certificate_token_verify(token)


def test_qr_is_inline_svg():
    svg = qr_svg("https://example.org/welfare/check/?t=abc")
    assert svg.startswith("<svg") and "</svg>" in svg


# --- marking used ------------------------------------------------------------------------------------


@pytest.fixture
def issued(db):
    provider = ProviderFactory(name="瑞安市文化旅游演艺中心")
    offer = make_offer(provider=provider)
    resident = eligible_resident(name="欧阳娜娜")
    result = offer_redeem(actor=resident.user, offer=offer, idempotency_key="key-issued-1", at=T0)
    staff = ProviderUserFactory(provider=provider, username="checker1", first_name="核验员小李")
    return {"offer": offer, "certificate": result.certificate, "staff": staff, "resident": resident}


def test_provider_staff_mark_a_certificate_used_and_it_is_audited(issued):
    used = certificate_use(actor=issued["staff"], code=issued["certificate"].display_code.lower(), at=T0)
    assert used.used_at == T0
    stored = Certificate.objects.get(pk=issued["certificate"].pk)
    assert stored.used_by == issued["staff"]
    assert "checker1" in stored.used_by_label and "瑞安市文化旅游演艺中心" in stored.used_by_label
    assert AuditEvent.objects.filter(action="welfare.certificate_use", object_id=str(stored.pk)).count() == 1


def test_second_use_is_refused_with_when_and_where(issued):
    certificate_use(actor=issued["staff"], code=issued["certificate"].code, at=T0 + timedelta(hours=2))
    other_staff = ProviderUserFactory(provider=issued["offer"].provider, username="checker2")
    with pytest.raises(CertificateAlreadyUsed) as exc:
        certificate_use(actor=other_staff, code=issued["certificate"].code, at=T0 + timedelta(hours=3))
    message = exc.value.message
    assert "2025-06-01 12:00:00" in message and "checker1" in message and "瑞安市文化旅游演艺中心" in message
    assert exc.value.details["used_at"] == (T0 + timedelta(hours=2)).isoformat()
    assert AuditEvent.objects.filter(action="welfare.certificate_use").count() == 1


def test_use_by_scanned_token(issued):
    certificate = Certificate.objects.select_related("redemption__resident").get(pk=issued["certificate"].pk)
    token = certificate_token_for(certificate)
    assert certificate_use(actor=issued["staff"], token=token, at=T0).code == certificate.code


def test_staff_of_another_provider_cannot_see_or_use_it(issued):
    stranger = ProviderUserFactory()  # another provider
    with pytest.raises(NotFound) as exc:
        certificate_use(actor=stranger, code=issued["certificate"].code, at=T0)
    assert "不是本单位" in exc.value.message
    assert Certificate.objects.get(pk=issued["certificate"].pk).used_at is None


@pytest.mark.parametrize("actor", ["centre", "resident"])
def test_only_provider_staff_check_certificates(issued, actor):
    user = CentreAdminFactory() if actor == "centre" else issued["resident"].user
    with pytest.raises(PermissionDenied):
        certificate_check(actor=user, code=issued["certificate"].code)


def test_certificate_of_a_cancelled_offer_is_void(issued):
    Offer.objects.filter(pk=issued["offer"].pk).update(status=Offer.Status.CANCELLED)
    with pytest.raises(CertificateVoid):
        certificate_use(actor=issued["staff"], code=issued["certificate"].code, at=T0)


def test_certificate_past_its_use_until_is_refused(issued):
    Offer.objects.filter(pk=issued["offer"].pk).update(use_until=T0 + timedelta(days=3))
    with pytest.raises(CertificateExpired) as exc:
        certificate_use(
            actor=issued["staff"], code=issued["certificate"].code, at=T0 + timedelta(days=3, seconds=1)
        )
    assert "有效期" in exc.value.message
    assert certificate_use(actor=issued["staff"], code=issued["certificate"].code, at=T0 + timedelta(days=3))


def test_unknown_code_is_not_found(issued):
    with pytest.raises(NotFound):
        certificate_use(actor=issued["staff"], code="ZZZZZ-ZZZZZ", at=T0)
