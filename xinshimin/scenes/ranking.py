"""Ranking: the tie-break chain, the seeded lottery and the digests. Pure Python, no database.

This module is the definition. On PostgreSQL the same ranking is also computed by one SQL statement
(``sql_ranking``) for speed; tests check that both give the same rows and digests, and every stored run
can be re-checked against this module (``selectors.run_verify``).

A ranking orders the eligible applications of a scene by a **tie-break chain**: a list of known keys,
applied in order until two applications differ. The default chain (spec §5, issue 5):

1. ``total_desc`` — total points at the scene's as-of date, higher first;
2. ``social_insurance_desc`` — the points of ``common.social_insurance`` in the same snapshot, higher first;
3. ``residence_registered_asc`` — earlier residence registration in Rui'an first (unknown dates last);
4. ``submitted_asc`` — earlier submission of the application first;
5. ``lottery`` — ``SHA-256("<seed>:<application number>")`` as hex, smaller first. The seed is committed
   (its SHA-256 published on the scene page) before the applications close and revealed by the first
   ranking run, so anyone can recompute every lottery key from the published list.

Application numbers are unique, so after the chain the application number (ascending) decides; with the
lottery in the chain that never happens in practice, but it makes the order total whatever the chain.

Digests (SHA-256, hex) make a run checkable:

* ``inputs_digest`` — over a header line (canonical JSON of scene code, as-of date, policy version, chain
  and seed) and one line per application, in the order of the application numbers (by code point):
  ``number|total|social insurance|residence date|submitted`` (points with two decimals, the date ISO or
  empty, the submission time in UTC as ``2025-03-10T02:00:00.000000+00:00``);
* ``output_digest`` — over the published list, one line per row in rank order:
  ``rank|number|masked name|masked ID|total|top-N (1/0)|selected (1/0)``. Everything in it is on the public
  page and in the exports, so anyone can recompute it from the published list.

The same inputs give the same order and the same digests, on any machine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

TOTAL_DESC = "total_desc"
SOCIAL_INSURANCE_DESC = "social_insurance_desc"
RESIDENCE_REGISTERED_ASC = "residence_registered_asc"
SUBMITTED_ASC = "submitted_asc"
LOTTERY = "lottery"

CHAIN_KEYS: dict[str, tuple[str, str]] = {
    TOTAL_DESC: ("总积分高者在前", "higher total points first"),
    SOCIAL_INSURANCE_DESC: ("社保积分高者在前", "higher social-insurance points first"),
    RESIDENCE_REGISTERED_ASC: ("在瑞居住登记早者在前", "earlier residence registration in Rui'an first"),
    SUBMITTED_ASC: ("申请提交早者在前", "earlier submission first"),
    LOTTERY: ("按公开种子摇号", "lottery from the published seed"),
}
DEFAULT_CHAIN: tuple[str, ...] = (
    TOTAL_DESC,
    SOCIAL_INSURANCE_DESC,
    RESIDENCE_REGISTERED_ASC,
    SUBMITTED_ASC,
    LOTTERY,
)

_FAR_FUTURE = dt.date.max.toordinal() + 1  # unknown registration dates sort after every known one
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ChainError(ValueError):
    """A tie-break chain that is not a list of known keys, each once, with the lottery last."""


def validate_chain(chain: Any) -> tuple[str, ...]:
    """The chain as a tuple; ``ChainError`` (with a Chinese message) if it is not a valid chain."""
    if not isinstance(chain, list | tuple) or not chain:
        raise ChainError("排序规则必须是非空的列表，例如 " + "、".join(DEFAULT_CHAIN) + "。")
    keys: list[str] = []
    for key in chain:
        if key not in CHAIN_KEYS:
            raise ChainError(f"未知的排序规则 “{key}”，可用的有：" + "、".join(CHAIN_KEYS) + "。")
        if key in keys:
            raise ChainError(f"排序规则 “{key}” 重复出现。")
        keys.append(key)
    if LOTTERY in keys and keys[-1] != LOTTERY:
        raise ChainError("摇号（lottery）只能放在排序规则的最后一位。")
    return tuple(keys)


def describe_chain(chain: Sequence[str], lang: str = "zh") -> list[str]:
    index = 0 if lang == "zh" else 1
    return [CHAIN_KEYS[key][index] for key in chain]


def seed_commitment(seed: str) -> str:
    """What is published before the run: SHA-256 of the seed (hex)."""
    return hashlib.sha256(seed.encode()).hexdigest()


def lottery_key(seed: str, number: str) -> str:
    """The lottery draw of one application: SHA-256 of ``"<seed>:<application number>"`` (hex)."""
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


class Entry(NamedTuple):
    """One application as the ranking sees it. Points are integer quarter points."""

    number: str
    total_q: int
    social_insurance_q: int
    residence_registered_on: dt.date | None
    submitted_at: dt.datetime
    lottery_key: str
    payload: Any = None  # whatever the caller needs back (ids, masked name …); not part of the ranking


def _micros(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_VECTOR_INDEX = {
    TOTAL_DESC: 0,
    SOCIAL_INSURANCE_DESC: 1,
    RESIDENCE_REGISTERED_ASC: 2,
    SUBMITTED_ASC: 3,
    LOTTERY: 4,
}


def _vector(entry: Entry) -> tuple[Any, ...]:
    """Every chain key of an entry, each oriented so that smaller sorts first, then the number."""
    registered = entry.residence_registered_on
    return (
        -entry.total_q,
        -entry.social_insurance_q,
        registered.toordinal() if registered is not None else _FAR_FUTURE,
        _micros(entry.submitted_at),
        entry.lottery_key,
        entry.number,
    )


def sort_key(chain: Sequence[str]) -> Callable[[Entry], tuple[Any, ...]]:
    """A key function for ``sorted``: the chain's keys in order, then the application number."""
    try:
        pick = itemgetter(*[_VECTOR_INDEX[key] for key in chain], 5)
    except KeyError as exc:  # validate_chain refuses unknown keys first
        raise ChainError(str(exc)) from None

    def key(entry: Entry) -> tuple[Any, ...]:
        return pick(_vector(entry))  # type: ignore[no-any-return]

    return key


def order(entries: Iterable[Entry], chain: Sequence[str]) -> list[Entry]:
    """The entries in rank order (rank = index + 1)."""
    return sorted(entries, key=sort_key(validate_chain(chain)))


def decided_by(a: Entry, b: Entry, chain: Sequence[str]) -> str:
    """Which key of the chain separates two entries (``"number"`` if none does): shown to explain a tie."""
    for key in chain:
        single = sort_key([key])
        if single(a)[0] != single(b)[0]:
            return key
    return "number"


# --- digests -------------------------------------------------------------------------------------------


def _points(quarters: int) -> str:
    sign = "-" if quarters < 0 else ""
    whole, part = divmod(abs(quarters), 4)
    return f"{sign}{whole}.{('00', '25', '50', '75')[part]}"


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def inputs_head(
    *, scene_code: str, as_of: dt.date, policy_version: str, chain: Sequence[str], seed: str
) -> str:
    """The first line of the inputs digest (with its newline)."""
    head = json.dumps(
        {
            "scene": scene_code,
            "as_of": as_of.isoformat(),
            "policy": policy_version,
            "chain": list(chain),
            "seed": seed,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return head + "\n"


def inputs_digest(
    *,
    scene_code: str,
    as_of: dt.date,
    policy_version: str,
    chain: Sequence[str],
    seed: str,
    entries: Iterable[Entry],
) -> str:
    head = inputs_head(
        scene_code=scene_code, as_of=as_of, policy_version=policy_version, chain=chain, seed=seed
    )
    digest = hashlib.sha256(head.encode())
    lines = [
        f"{e.number}|{_points(e.total_q)}|{_points(e.social_insurance_q)}|"
        f"{e.residence_registered_on.isoformat() if e.residence_registered_on else ''}|{_utc(e.submitted_at)}\n"
        for e in sorted(entries, key=_number)
    ]
    digest.update("".join(lines).encode())
    return digest.hexdigest()


def _number(entry: Entry) -> str:
    return entry.number


class PublishedRow(NamedTuple):
    """A row of the public list: exactly what the output digest covers."""

    rank: int
    number: str
    name_masked: str
    id_number_masked: str
    total_q: int
    is_top_n: bool
    is_selected: bool

    def line(self) -> str:
        return (
            f"{self.rank}|{self.number}|{self.name_masked}|{self.id_number_masked}|{_points(self.total_q)}|"
            f"{int(self.is_top_n)}|{int(self.is_selected)}\n"
        )


def output_digest(rows: Iterable[PublishedRow]) -> str:
    """SHA-256 of the published list in rank order (see the module docstring for the line format)."""
    return hashlib.sha256("".join(row.line() for row in rows).encode()).hexdigest()


def selection_flags(
    rank: int, total_q: int, *, mode: str, top_n: int, quota: int | None, threshold_q: int | None
) -> tuple[bool, bool]:
    """(top-N priority, selected) of the row at ``rank``.

    Ranked scenes select the first ``quota`` rows (all when there is no quota); threshold scenes select
    every row whose total reaches the threshold (and, with a quota, only the first ``quota`` of those).
    """
    is_top_n = rank <= top_n
    if mode == "threshold":
        selected = threshold_q is not None and total_q >= threshold_q
        if selected and quota is not None:
            selected = rank <= quota
        return is_top_n, selected
    return is_top_n, quota is None or rank <= quota
