"""Encryption at rest for personal data, with a keyed blind index for lookups.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``); a list of keys
allows rotation (the first encrypts, all decrypt). Encryption is randomised, so equality lookups and
uniqueness use ``blind_index``: HMAC-SHA256 of the normalised value under a separate key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value: never return garbage
        raise ValueError("encrypted value cannot be decrypted with the configured keys") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic keyed digest of ``value``; ``purpose`` separates ID numbers from phones."""
    key = hashlib.sha256(f"{settings.BLIND_INDEX_KEY}:{purpose}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
