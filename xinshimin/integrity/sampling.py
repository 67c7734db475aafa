"""The reproducible sampling draw (抽查抽样): pure Python, no Django.

Given a seed, the population (the ids of the objects that may be drawn) and a rate in percent:

1. every id gets a key: ``HMAC-SHA256(key=seed, message="<object type>:<id>")`` as hex;
2. the ids are ordered by that key (the id breaks a tie, which never happens in practice);
3. the first ``ceil(rate × n / 100)`` ids are the sample (none when the population is empty).

The seed is random (``new_seed``) and recorded before the draw; anyone with the seed and the list of ids
can repeat the draw and get the same sample, and no one can steer it without changing the seed, which
the audit trail shows. The order of the population given does not matter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal

SEED_BYTES = 32
ALGORITHM = "HMAC-SHA256(seed, '<type>:<id>') ascending; take ceil(rate% × n)"


def new_seed() -> str:
    """A fresh random seed: 64 hex characters."""
    return secrets.token_hex(SEED_BYTES)


def draw_key(seed: str, object_type: str, object_id: int) -> str:
    """The sort key of one object in a draw with ``seed`` (64 hex characters)."""
    message = f"{object_type}:{object_id}".encode()
    return hmac.new(seed.encode(), message, hashlib.sha256).hexdigest()


def sample_size(population: int, rate_percent: Decimal) -> int:
    """``ceil(rate × n / 100)``, exactly (Decimal), never more than ``n``."""
    if population <= 0 or rate_percent <= 0:
        return 0
    size = (Decimal(population) * rate_percent / Decimal(100)).to_integral_value(rounding=ROUND_CEILING)
    return min(int(size), population)


def draw(seed: str, object_type: str, ids: Iterable[int], rate_percent: Decimal) -> list[tuple[int, str]]:
    """The sample, in draw order: ``[(id, key), …]``."""
    keyed = sorted(((draw_key(seed, object_type, i), i) for i in set(ids)), key=lambda pair: pair)
    return [(i, key) for key, i in keyed[: sample_size(len(keyed), rate_percent)]]


def population_digest(object_type: str, ids: Iterable[int]) -> str:
    """SHA-256 of the sorted population, to show which population a draw used."""
    text = object_type + ":" + ",".join(str(i) for i in sorted(set(ids)))
    return hashlib.sha256(text.encode()).hexdigest()
