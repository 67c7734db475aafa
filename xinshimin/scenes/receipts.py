"""Receipt codes (回执码) of ranking rows: anyone holding one can verify the row on a public page.

A receipt names its row and proves it: ``<run id>-<rank>-<tag>``, e.g. ``12-345-K7QX2M4PZA``, where the tag
is the first 50 bits of ``HMAC-SHA256(key, "<run id>:<rank>:<application number>:<total>")`` in base32
(10 characters). The key is derived from the certificate signing key, so a tag cannot be forged or guessed
from the public list. The verify page reads the row at (run, rank), recomputes the tag and compares; it
then shows the row (masked), the list version and whether that version has been superseded.

Nothing is stored: a receipt is computed when it is shown, so publishing a list of 100,000 rows costs
no HMAC at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from decimal import Decimal
from functools import cache

from django.conf import settings

TAG_LENGTH = 10
_PATTERN = re.compile(rf"^(\d{{1,12}})-(\d{{1,9}})-([A-Z2-7]{{{TAG_LENGTH}}})$")


@cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(f"xinshimin.scenes.receipt:{secret}".encode()).digest()


def receipt_tag(*, run_id: int, rank: int, number: str, total: Decimal | str) -> str:
    message = f"{run_id}:{rank}:{number}:{total}".encode()
    digest = hmac.new(_key(settings.CERTIFICATE_SIGNING_KEY), message, hashlib.sha256).digest()
    # 10 bytes are exactly 16 base32 characters (no padding); the first TAG_LENGTH are the tag
    return base64.b32encode(digest[:10]).decode()[:TAG_LENGTH]


def receipt_code(*, run_id: int, rank: int, number: str, total: Decimal | str) -> str:
    return f"{run_id}-{rank}-{receipt_tag(run_id=run_id, rank=rank, number=number, total=total)}"


def receipt_parse(text: str) -> tuple[int, int, str] | None:
    """What a person typed → (run id, rank, tag), or None if it cannot be a receipt."""
    value = "".join((text or "").upper().split()).replace("—", "-").replace("－", "-")
    match = _PATTERN.match(value)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3)


def receipt_matches(tag: str, *, run_id: int, rank: int, number: str, total: Decimal | str) -> bool:
    expected = receipt_tag(run_id=run_id, rank=rank, number=number, total=total)
    return hmac.compare_digest(expected, tag)
