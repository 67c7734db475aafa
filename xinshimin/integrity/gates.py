"""The ban gate: the one function every points service asks before it accepts a request.

Spec §5 "Audits and fraud" (guide 十): after a fraud sanction the person "may not apply for any points
service for 3 years". Claims filing (``claims.services.claim_file``), scene applications
(``scenes.services.application_submit``) and welfare redemption (``welfare.eligibility.offer_eligibility``)
call ``ban_gate`` (or ``active_ban``) with the date of the request. A ban covers ``starts_on`` to
``ends_on`` inclusive (see ``periods``): from the day after ``ends_on`` the gate lets the person through.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from xinshimin.core.errors import PermissionDenied

from .models import Ban, VoidedCertificate
from .periods import chinese_date


class Banned(PermissionDenied):
    """The person is under a fraud ban on the day of the request; the message gives the last day."""

    code = "banned"


def active_ban(resident: Any, on: date) -> Ban | None:
    """The ban in force for ``resident`` (a ``Resident`` or its id) on ``on``, the longest if several."""
    resident_id = getattr(resident, "pk", resident)
    return Ban.objects.filter(resident_id=resident_id).active_on(on).order_by("-ends_on", "-id").first()


def ban_message(ban: Ban) -> str:
    return _("您因提供虚假材料被限制申请积分制服务，限制期至 %(date)s。") % {
        "date": chinese_date(ban.ends_on)
    }


def ban_gate(*, resident: Any, on: date) -> None:
    """Raise ``Banned`` (HTTP 403, code ``banned``) if ``resident`` is banned on ``on``; else return."""
    ban = active_ban(resident, on)
    if ban is not None:
        raise Banned(ban_message(ban), ends_on=ban.ends_on.isoformat())


def certificate_void_reason(certificate: Any) -> str | None:
    """Why a welfare certificate may not be used (voided by a fraud sanction), or None."""
    if VoidedCertificate.objects.filter(certificate_id=getattr(certificate, "pk", certificate)).exists():
        return _("该兑换成功证明已因持有人提供虚假材料被作废，不能核销。")
    return None
