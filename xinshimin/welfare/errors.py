"""The answers of a redemption or a certificate check that are not a success, as ``DomainError`` subclasses.

Each has a stable ``code`` for clients and a message that says what happened and what to do next.
"""

from __future__ import annotations

from xinshimin.core.errors import Conflict, PermissionDenied


class OfferNotOpen(Conflict):
    code = "not_open"


class OfferClosed(Conflict):
    code = "closed"


class OfferCancelled(Conflict):
    code = "cancelled"


class SoldOut(Conflict):
    code = "sold_out"


class NotEligible(PermissionDenied):
    code = "not_eligible"


class AlreadyRedeemed(Conflict):
    code = "already_redeemed"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class CertificateAlreadyUsed(Conflict):
    code = "already_used"


class CertificateExpired(Conflict):
    code = "expired"


class CertificateVoid(Conflict):
    code = "void"
