"""A guard on the public status lookup: reference codes are sequential and the check is only the last 4
characters of the ID number, so failed attempts are counted per client address and refused beyond a
limit (10 failures in 15 minutes)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

LOOKUP_FAILURES = 10
LOOKUP_WINDOW_SECONDS = 15 * 60


def _key(client: str) -> str:
    return "claims:lookup:" + hashlib.sha256(client.encode()).hexdigest()[:32]


def lookup_blocked(client: str) -> bool:
    return int(cache.get(_key(client), 0)) >= LOOKUP_FAILURES


def lookup_failed(client: str) -> None:
    key = _key(client)
    if cache.add(key, 1, LOOKUP_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LOOKUP_WINDOW_SECONDS)
