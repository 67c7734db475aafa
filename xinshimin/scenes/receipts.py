"""Receipt codes (回执码) of ranking rows: anyone holding one can verify the row on a public page.

A receipt is the first 60 bits of ``HMAC-SHA256(key, "<run id>:<rank>:<application number>:<total>")`` in
base32 (12 characters, shown as ``ABCD-EFGH-JKLM``). The key is derived from the certificate signing key,
so a code cannot be forged or guessed from the public list; the verify page looks the code up and shows
the row it belongs to (masked), the list version and whether that version has been superseded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from decimal import Decimal
from functools import cache

from django.conf import settings

RECEIPT_LENGTH = 12


@cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(f"xinshimin.scenes.receipt:{secret}".encode()).digest()


def receipt_code(*, run_id: int, rank: int, number: str, total: Decimal | str) -> str:
    return receipt_signer()(run_id=run_id, rank=rank, number=number, total=total)


def receipt_signer() -> Callable[..., str]:
    """``receipt_code`` for many rows: the keyed HMAC state is prepared once and copied per row."""
    base = hmac.new(_key(settings.CERTIFICATE_SIGNING_KEY), digestmod=hashlib.sha256)
    encode = base64.b32encode

    def sign(*, run_id: int, rank: int, number: str, total: Decimal | str) -> str:
        mac = base.copy()
        mac.update(f"{run_id}:{rank}:{number}:{total}".encode())
        # 10 bytes are 16 base32 characters without padding; the first 12 are the code
        return encode(mac.digest()[:10]).decode()[:RECEIPT_LENGTH]

    return sign


def receipt_display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_normalise(text: str) -> str:
    """What a person typed → the stored form (spaces and dashes removed, upper case)."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:32]
