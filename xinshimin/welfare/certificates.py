"""Certificate codes, signed tokens and QR codes.

- The **code** is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as
  ``ABCDE-FGHJK``; 30^10 ≈ 5.9·10^14 codes, drawn with ``secrets``. Typing is forgiving: case, spaces
  and dashes do not matter.
- The **token** is ``django.core.signing`` over the code, the offer and the masked holder, keyed with
  ``settings.CERTIFICATE_SIGNING_KEY``: whoever holds the key can check a certificate offline. It is
  signed, not encrypted, so it carries no unmasked personal data.
- The **QR code** (segno, inline SVG) holds the check URL with the token, so the provider's staff can
  scan it with any phone camera.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from xinshimin.core.errors import ValidationFailed

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
TOKEN_SALT = "xinshimin.welfare.certificate"  # noqa: S105 - a namespace for signatures, not a secret


def certificate_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_code_normalise(raw: str) -> str:
    """``abcde-fghjk`` → ``ABCDEFGHJK``; raises ``ValidationFailed`` when it cannot be a code."""
    value = "".join(ch for ch in (raw or "").upper() if ch not in " -\t\u3000－")
    if len(value) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in value):
        raise ValidationFailed(
            _("兑换码应为 10 位字母和数字（如 ABCDE-FGHJK，不含 0、O、1、I、L、U），请核对后重新输入。"),
            field="code",
        )
    return value


@dataclass(frozen=True)
class TokenPayload:
    code: str
    offer_id: int
    holder: str
    holder_id: str


def certificate_token(*, code: str, offer_id: int, holder: str, holder_id: str) -> str:
    """A signed token over the certificate (``holder``/``holder_id`` must already be masked)."""
    payload: dict[str, Any] = {"c": code, "o": offer_id, "h": holder, "i": holder_id}
    return signing.dumps(payload, key=settings.CERTIFICATE_SIGNING_KEY, salt=TOKEN_SALT, compress=True)


def certificate_token_verify(token: str) -> TokenPayload:
    """The payload of a genuine token; ``ValidationFailed`` for a forged, altered or garbled one."""
    try:
        data = signing.loads(token.strip(), key=settings.CERTIFICATE_SIGNING_KEY, salt=TOKEN_SALT)
        return TokenPayload(
            code=str(data["c"]), offer_id=int(data["o"]), holder=data["h"], holder_id=data["i"]
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed(
            _("二维码校验失败：这不是本平台签发的兑换成功证明，或内容已被改动。请改为手工输入兑换码核对。"),
            field="token",
        ) from None


def qr_svg(data: str, *, scale: int = 4) -> str:
    """An inline ``<svg>`` QR code (error correction M), safe to put in a page with ``|safe``."""
    return str(segno.make(data, error="m").svg_inline(scale=scale, title=_("兑换成功证明二维码")))
