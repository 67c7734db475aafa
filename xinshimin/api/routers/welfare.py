"""API endpoints of the welfare area, mounted at /api/welfare/.

- ``GET  /offers`` and ``GET /offers/{id}`` — published offers (public).
- ``POST /offers/{id}/redeem`` with header ``Idempotency-Key`` — 201 with the certificate, 200 with the
  same certificate when the key is replayed; refusals are errors with a stable ``code``: ``not_open``
  (409, ``details.opens_at``), ``closed`` (409), ``sold_out`` (409), ``already_redeemed`` (409),
  ``not_eligible`` (403, ``details.reason``), ``validation_failed`` (422, missing/bad key),
  ``rate_limited`` (429, the "redemption" limit per user).
- ``GET  /certificates`` — the caller's certificates (residents).
- ``POST /certificates/{code}/use`` — provider staff mark a certificate used (409 ``already_used`` with
  ``details.used_at`` and ``details.used_by`` on a second use); ``POST /certificates/verify`` checks a
  scanned token.
- ``GET  /ping`` — a bare JSON answer without database or login, the benchmark's baseline.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Router, Schema
from ninja.responses import Status

from xinshimin.security.ratelimit import rate_limit
from xinshimin.welfare.models import Certificate, Offer
from xinshimin.welfare.selectors import (
    certificate_list_for,
    certificate_token_for,
    offer_get_public,
    offer_list_public,
)
from xinshimin.welfare.services import certificate_check, certificate_use, offer_redeem_by_id

router = Router(tags=["welfare"])


class PingOut(Schema):
    ok: bool


class OfferOut(Schema):
    id: int
    title: str
    category: str
    provider: str
    description: str
    instructions: str
    stock: int
    remaining: int
    per_person_limit: int
    opens_at: datetime
    closes_at: datetime
    status: str
    is_open: bool


class CertificateOut(Schema):
    code: str
    display_code: str
    offer_id: int
    offer_title: str
    provider: str
    issued_at: datetime
    used_at: datetime | None
    used_by: str
    token: str


class RedeemOut(Schema):
    replayed: bool
    certificate: CertificateOut


class CheckOut(Schema):
    code: str
    display_code: str
    offer_id: int
    offer_title: str
    holder: str
    holder_id_number: str
    issued_at: datetime
    used_at: datetime | None
    used_by: str
    void: bool


class VerifyIn(Schema):
    token: str


def _offer_out(offer: Offer, now: datetime) -> OfferOut:
    return OfferOut(
        id=offer.pk,
        title=offer.title,
        category=offer.category,
        provider=offer.provider.name,
        description=offer.description,
        instructions=offer.instructions,
        stock=offer.stock,
        remaining=offer.remaining,
        per_person_limit=offer.per_person_limit,
        opens_at=offer.opens_at,
        closes_at=offer.closes_at,
        status=offer.status,
        is_open=offer.is_open(now),
    )


def _certificate_out(certificate: Certificate) -> CertificateOut:
    offer = certificate.redemption.offer
    return CertificateOut(
        code=certificate.code,
        display_code=certificate.display_code,
        offer_id=offer.pk,
        offer_title=offer.title,
        provider=offer.provider.name,
        issued_at=certificate.issued_at,
        used_at=certificate.used_at,
        used_by=certificate.used_by_label,
        token=certificate_token_for(certificate),
    )


def _check_out(certificate: Certificate) -> CheckOut:
    offer, resident = certificate.redemption.offer, certificate.redemption.resident
    return CheckOut(
        code=certificate.code,
        display_code=certificate.display_code,
        offer_id=offer.pk,
        offer_title=offer.title,
        holder=resident.masked_name,
        holder_id_number=resident.id_number_masked,
        issued_at=certificate.issued_at,
        used_at=certificate.used_at,
        used_by=certificate.used_by_label,
        void=offer.status == Offer.Status.CANCELLED,
    )


@router.get("/ping", auth=None, response=PingOut)
def ping(request: HttpRequest) -> PingOut:
    """No database, no login: the baseline the redemption endpoint is measured against."""
    return PingOut(ok=True)


@router.get("/offers", auth=None, response=list[OfferOut])
def offers(request: HttpRequest) -> list[OfferOut]:
    """Published offers: upcoming, open, and closed ones whose winners list is still public."""
    now = timezone.now()
    return [_offer_out(offer, now) for offer in offer_list_public(at=now)]


@router.get("/offers/{offer_id}", auth=None, response=OfferOut)
def offer(request: HttpRequest, offer_id: int) -> OfferOut:
    return _offer_out(offer_get_public(pk=offer_id, user=request.user), timezone.now())


@router.post("/offers/{offer_id}/redeem", response={200: RedeemOut, 201: RedeemOut})
@rate_limit("redemption", key="user")
def redeem(
    request: HttpRequest,
    offer_id: int,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # type: ignore[type-arg]
) -> Status[RedeemOut]:
    """Redeem one unit, first come first served. Send a new random ``Idempotency-Key`` per redemption
    and the same one on a retry: a retry of a success returns the same certificate (200)."""
    result = offer_redeem_by_id(actor=request.user, offer_id=offer_id, idempotency_key=idempotency_key)
    certificate = result.certificate
    certificate.redemption = result.redemption
    body = RedeemOut(replayed=result.replayed, certificate=_certificate_out(certificate))
    return Status(200 if result.replayed else 201, body)


@router.get("/certificates", response=list[CertificateOut])
def my_certificates(request: HttpRequest) -> list[CertificateOut]:
    rows = certificate_list_for(user=request.user).select_related("redemption__resident")
    return [_certificate_out(certificate) for certificate in rows]


@router.post("/certificates/verify", response=CheckOut)
def verify(request: HttpRequest, body: VerifyIn) -> CheckOut:
    """Provider staff: check a scanned token (signature and current state) without using it."""
    return _check_out(certificate_check(actor=request.user, token=body.token))


@router.post("/certificates/{code}/use", response=CheckOut)
def use(request: HttpRequest, code: str) -> CheckOut:
    """Provider staff: mark the certificate used. A second use answers 409 ``already_used``."""
    return _check_out(certificate_use(actor=request.user, code=code))
