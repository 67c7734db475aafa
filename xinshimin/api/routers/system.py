from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

from xinshimin.accounts.access import can_verify_audit, require
from xinshimin.audit.services import audit_verify

router = Router(tags=["system"])


class HealthOut(Schema):
    status: str
    database: str


class ChainOut(Schema):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str
    message: str


@router.get("/health", auth=None, response=HealthOut)
def health(request: HttpRequest) -> HealthOut:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HealthOut(status="ok", database=connection.vendor)


@router.get("/audit/verify", response=ChainOut)
def audit_chain_verify(request: HttpRequest) -> ChainOut:
    require(can_verify_audit(request.user))
    report = audit_verify()
    return ChainOut(
        ok=report.ok,
        checked=report.checked,
        broken_seq=report.broken_seq,
        reason=report.reason,
        message=str(report),
    )
