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
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from django.conf import settings

RECEIPT_LENGTH = 12


@cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(f"xinshimin.scenes.receipt:{secret}".encode()).digest()


def receipt_code(*, run_id: int, rank: int, number: str, total: Decimal | str) -> str:
    return receipt_codes(run_id=run_id, rows=[(rank, number, total)])[0]


def receipt_codes(*, run_id: int, rows: Iterable[tuple[int, str, Decimal | str]]) -> list[str]:
    """The receipt codes of many rows ``(rank, application number, total)`` of one run, in order.

    The keyed HMAC state is prepared once and copied per row; the first 10 bytes of every MAC are
    base32-encoded in one call (10 bytes are exactly 16 characters, so each row's code is the first 12
    characters of its own 16-character block)."""
    base = hmac.new(_key(settings.CERTIFICATE_SIGNING_KEY), digestmod=hashlib.sha256)
    copy = base.copy
    macs = []
    for rank, number, total in rows:
        mac = copy()
        mac.update(f"{run_id}:{rank}:{number}:{total}".encode())
        macs.append(mac.digest()[:10])
    text = base64.b32encode(b"".join(macs)).decode()
    return [text[i : i + RECEIPT_LENGTH] for i in range(0, len(text), 16)]


def receipt_display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_normalise(text: str) -> str:
    """What a person typed → the stored form (spaces and dashes removed, upper case)."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:32]
