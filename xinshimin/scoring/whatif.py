"""What-if: scores that are not (yet) anyone's official score.

Two uses of the same engine (``xinshimin.policies.evaluate``), neither of which writes a snapshot:

- **The estimator** (``estimate``): anyone enters their own circumstances (the exchange format's ``facts``
  object) and gets the score they would have under the policy in force on a date. Nothing is stored.
- **The preview of a draft policy version** (``whatif_preview``): the whole population with a scoring
  permit on a date, scored under the draft and under the published version in force, side by side —
  how many scores change and by how much, the distribution before and after, the biggest movers (masked
  names), and how the applicants of each open ranked scene would be re-ordered by the scene's tie-break
  chain (``xinshimin.scenes.ranking``). Facts are read once per batch and evaluated under both versions
  (``evaluate_quarters``: numbers only); fraud sanctions clear a score to 0 under both, as in snapshots.

A large population is previewed in a background job (``whatif_job_start``; the task is
``scoring.tasks.whatif_preview_task``): its progress and its result live in the cache under a random key
(Redis in production, shared by the web and the worker; the result is also the task's return value).
"""

from __future__ import annotations

import datetime as dt
import heapq
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from xinshimin.accounts.access import is_role, require
from xinshimin.accounts.models import Role
from xinshimin.core.errors import NotFound, ValidationFailed
from xinshimin.core.masking import mask_name
from xinshimin.policies import (
    PolicyVersion,
    QuarterScore,
    Score,
    evaluate,
    evaluate_quarters,
    format_points,
    parse_facts,
    years_before,
)
from xinshimin.residents.models import Resident

from .models import PolicyRecord
from .selectors import batch_input_values, facts_from_values, policy_for, policy_version

ESTIMATE_NOTICE = "估算结果，仅供参考，以部门数据和审核结果为准"
BUCKET_POINTS = 20  # width of a histogram bucket, in points
BUCKET_LAST = 15  # the last bucket holds everything from 15 × 20 = 300 points up
BAND_LIMITS = (5, 20)  # bands of change: up to 5 points, more than 5 up to 20, more than 20 (each way)
SYNC_LIMIT_DEFAULT = 20_000  # residents previewed in the request; more go to a background job
JOB_TIMEOUT = 24 * 3600  # seconds a job's state and result stay in the cache
_JOB_KEY = "scoring:whatif:{key}"
MAX_SCENES = 10
SCENE_ROWS = 50


# --- the estimator -----------------------------------------------------------------------------------


def estimate(
    *,
    facts: Mapping[str, Any],
    as_of: dt.date,
    birth_date: dt.date | None = None,
    age: int | None = None,
) -> Score:
    """The score ``facts`` (the exchange format's ``facts`` object) would give on ``as_of`` under the
    published version in force then. The age item uses ``birth_date``, or ``age`` (full years on
    ``as_of``), or has no data. Raises ``ValidationFailed``/``ExchangeError`` naming the field."""
    if birth_date is not None and age is not None:
        raise ValidationFailed(_("出生日期和年龄只需填写一项。"), field="age")
    if birth_date is not None:
        if birth_date > as_of:
            raise ValidationFailed(_("出生日期不能晚于评分日期。"), field="birth_date")
        if birth_date.year < 1900:
            raise ValidationFailed(_("出生日期有误，请检查年份。"), field="birth_date")
    if age is not None:
        if not 0 <= age <= 120:
            raise ValidationFailed(_("年龄应在 0 到 120 岁之间。"), field="age")
        birth_date = years_before(as_of, age)
    if not isinstance(facts, Mapping):
        raise ValidationFailed(_("facts 应为 JSON 对象。"), field="facts")
    parsed = parse_facts(dict(facts))
    try:
        record = policy_for(as_of)
    except NotFound as error:
        raise ValidationFailed(str(error.message), field="as_of") from None
    return evaluate(parsed, policy_version(record), as_of=as_of, birth_date=birth_date)


# --- the preview of a draft --------------------------------------------------------------------------


def _require_centre(actor: Any) -> None:
    require(
        is_role(actor, Role.CENTRE_ADMIN) or bool(getattr(actor, "is_superuser", False)),
        _("只有服务中心管理员可以预览政策调整的影响。"),
    )


@dataclass
class Mover:
    resident_id: int
    name_masked: str
    id_number_masked: str
    before_q: int
    after_q: int

    @property
    def delta_q(self) -> int:
        return self.after_q - self.before_q

    @property
    def before(self) -> str:
        return format_points(self.before_q)

    @property
    def after(self) -> str:
        return format_points(self.after_q)

    @property
    def delta(self) -> str:
        return ("+" if self.delta_q > 0 else "") + format_points(self.delta_q)


@dataclass
class Bucket:
    label: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass
class RankMove:
    number: str
    name_masked: str
    before_rank: int
    after_rank: int
    before_q: int
    after_q: int
    selected_before: bool
    selected_after: bool

    @property
    def rank_change(self) -> int:
        """Places gained (positive: moves up the list)."""
        return self.before_rank - self.after_rank

    @property
    def before(self) -> str:
        return format_points(self.before_q)

    @property
    def after(self) -> str:
        return format_points(self.after_q)


@dataclass
class SceneMoves:
    scene_id: int
    code: str
    name: str
    as_of: str
    policy: str
    applicants: int
    quota: int | None
    changed: int
    entered: int  # inside the quota under the draft, outside before
    left: int  # the other way
    lottery: bool  # False while the seed is still secret: the preview's chain stops before the lottery
    rows: list[RankMove] = field(default_factory=list)


@dataclass
class WhatIfResult:
    draft: str
    baseline: str
    as_of: str
    population: int
    changed: int
    raised: int
    lowered: int
    sum_delta_q: int
    median_delta_q: int
    max_raise_q: int
    max_drop_q: int
    sum_before_q: int
    sum_after_q: int
    buckets: list[Bucket]
    bands: list[Bucket]  # how many people per band of change (``before`` = count, ``after`` unused)
    movers: list[Mover]
    scenes: list[SceneMoves]
    seconds: float
    computed_at: str

    @property
    def unchanged(self) -> int:
        return self.population - self.changed

    def _mean(self, quarters: int) -> str:
        if not self.population:
            return "0.00"
        mean = Decimal(quarters) / Decimal(4 * self.population)
        return f"{mean.quantize(Decimal('0.01'))}"

    @property
    def mean_delta(self) -> str:
        return self._mean(self.sum_delta_q)

    @property
    def mean_before(self) -> str:
        return self._mean(self.sum_before_q)

    @property
    def mean_after(self) -> str:
        return self._mean(self.sum_after_q)

    @property
    def median_delta(self) -> str:
        return format_points(self.median_delta_q)

    @property
    def max_raise(self) -> str:
        return format_points(self.max_raise_q)

    @property
    def max_drop(self) -> str:
        return format_points(self.max_drop_q)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WhatIfResult:
        values = dict(data)
        values["buckets"] = [Bucket(**b) for b in values["buckets"]]
        values["bands"] = [Bucket(**b) for b in values["bands"]]
        values["movers"] = [Mover(**m) for m in values["movers"]]
        values["scenes"] = [
            SceneMoves(**{**s, "rows": [RankMove(**r) for r in s["rows"]]}) for s in values["scenes"]
        ]
        return cls(**values)


def bucket_labels() -> list[str]:
    labels = [f"{i * BUCKET_POINTS}–{(i + 1) * BUCKET_POINTS}" for i in range(BUCKET_LAST)]
    return [*labels, f"≥{BUCKET_LAST * BUCKET_POINTS}"]


def _bucket(total_q: int) -> int:
    return min(max(total_q, 0) // (BUCKET_POINTS * 4), BUCKET_LAST)


def band_labels() -> list[str]:
    """Seven bands of change: −20 and more, −5 to −20, up to −5, none, up to +5, +5 to +20, +20 and more."""
    small, large = BAND_LIMITS
    return [
        _("减少 >%(n)s") % {"n": large},
        _("减少 %(a)s–%(b)s") % {"a": small, "b": large},
        _("减少 ≤%(n)s") % {"n": small},
        _("不变"),
        _("增加 ≤%(n)s") % {"n": small},
        _("增加 %(a)s–%(b)s") % {"a": small, "b": large},
        _("增加 >%(n)s") % {"n": large},
    ]


def _band(delta_q: int) -> int:
    """Index into ``band_labels`` for a change in quarter points."""
    if delta_q == 0:
        return 3
    small, large = BAND_LIMITS[0] * 4, BAND_LIMITS[1] * 4
    size = abs(delta_q)
    step = 0 if size <= small else (1 if size <= large else 2)
    return 4 + step if delta_q > 0 else 2 - step


def _median(counts: Counter[int], n: int) -> int:
    """The lower median of ``n`` values given as value → count (exact, in quarters)."""
    if not n:
        return 0
    target = (n - 1) // 2
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen > target:
            return value
    return 0  # pragma: no cover


Progress = Callable[[int, int], None]


def _cleared(ids: list[int], as_of: dt.date) -> set[int]:
    """Residents whose points are cleared to 0 by a fraud sanction on ``as_of`` (integrity app; imported
    late, as in ``services._clearances``, because integrity is a workflow app above scoring)."""
    from xinshimin.integrity.clearance import clearances

    return set(clearances(ids, as_of))


def _pair_scores(
    batch: list[tuple[int, dt.date]], as_of: dt.date, new: PolicyVersion, old: PolicyVersion
) -> Iterable[tuple[int, dict[str, Any], QuarterScore, QuarterScore]]:
    """(id, input values, score under ``new``, under ``old``) for a batch of (id, birth date)."""
    ids = [pk for pk, _birth in batch]
    inputs = batch_input_values(ids, as_of)
    cleared = _cleared(ids, as_of)
    zero = QuarterScore(0, 0, 0, 0, 0, [])
    for pk, birth_date in batch:
        values = inputs[pk]
        if pk in cleared:
            yield pk, values, zero, zero
            continue
        facts = facts_from_values(values)
        yield (
            pk,
            values,
            evaluate_quarters(facts, new, as_of=as_of, birth_date=birth_date),
            evaluate_quarters(facts, old, as_of=as_of, birth_date=birth_date),
        )


def preview_population(*, as_of: dt.date) -> int:
    """How many residents a preview on ``as_of`` covers (those with a scoring permit then)."""
    return Resident.objects.holding_scoring_permit(as_of).count()


def whatif_preview(
    *,
    actor: Any,
    draft: PolicyRecord,
    as_of: dt.date,
    baseline: PolicyRecord | None = None,
    progress: Progress | None = None,
    movers: int = 20,
    batch_size: int = 2000,
) -> WhatIfResult:
    """Score everyone with a scoring permit on ``as_of`` under ``draft`` and under ``baseline`` (default:
    the published version in force on ``as_of``) and compare. Writes nothing. ``progress(done, total)``
    is called after every batch."""
    _require_centre(actor)
    started = time.perf_counter()
    if baseline is None:
        try:
            baseline = policy_for(as_of, draft.jurisdiction)
        except NotFound as error:
            raise ValidationFailed(str(error.message), field="as_of") from None
    new, old = policy_version(draft), policy_version(baseline)
    residents = Resident.objects.holding_scoring_permit(as_of).order_by("pk")
    scenes = _open_ranked_scenes()
    applicants = sum(count for _scene, count in scenes)
    total = residents.count() + applicants
    done = 0
    population = changed = raised = lowered = 0
    sum_delta = sum_before = sum_after = max_raise = max_drop = 0
    deltas: Counter[int] = Counter()
    before_buckets = [0] * (BUCKET_LAST + 1)
    after_buckets = [0] * (BUCKET_LAST + 1)
    bands = [0] * 7
    heap: list[tuple[int, int, int, int, int]] = []  # (|Δ|, -id, id, before, after): the biggest movers
    last_pk = 0
    while True:
        batch = list(residents.filter(pk__gt=last_pk).values_list("pk", "birth_date")[:batch_size])
        if not batch:
            break
        last_pk = batch[-1][0]
        for pk, _values, after, before in _pair_scores(batch, as_of, new, old):
            population += 1
            delta = after.total_q - before.total_q
            sum_before += before.total_q
            sum_after += after.total_q
            before_buckets[_bucket(before.total_q)] += 1
            after_buckets[_bucket(after.total_q)] += 1
            bands[_band(delta)] += 1
            deltas[delta] += 1
            if delta:
                changed += 1
                sum_delta += delta
                if delta > 0:
                    raised += 1
                    max_raise = max(max_raise, delta)
                else:
                    lowered += 1
                    max_drop = min(max_drop, delta)
                entry = (abs(delta), -pk, pk, before.total_q, after.total_q)
                if len(heap) < movers:
                    heapq.heappush(heap, entry)
                elif entry > heap[0]:
                    heapq.heapreplace(heap, entry)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    top = sorted(heap, reverse=True)
    people = {
        pk: (name, masked)
        for pk, name, masked in Resident.objects.filter(pk__in=[e[2] for e in top]).values_list(
            "pk", "name", "id_number_masked"
        )
    }
    labels = bucket_labels()
    scene_moves = []
    for scene, count in scenes:
        scene_moves.append(_scene_moves(scene, new))
        done += count
        if progress is not None:
            progress(done, total)
    return WhatIfResult(
        draft=draft.version_id,
        baseline=baseline.version_id,
        as_of=as_of.isoformat(),
        population=population,
        changed=changed,
        raised=raised,
        lowered=lowered,
        sum_delta_q=sum_delta,
        median_delta_q=_median(deltas, population),
        max_raise_q=max_raise,
        max_drop_q=max_drop,
        sum_before_q=sum_before,
        sum_after_q=sum_after,
        buckets=[Bucket(labels[i], before_buckets[i], after_buckets[i]) for i in range(len(labels))],
        bands=[Bucket(label, count, 0) for label, count in zip(band_labels(), bands, strict=True)],
        movers=[
            Mover(pk, mask_name(people.get(pk, ("", ""))[0]), people.get(pk, ("", ""))[1], b, a)
            for _abs, _neg, pk, b, a in top
        ],
        scenes=scene_moves,
        seconds=round(time.perf_counter() - started, 2),
        computed_at=timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
    )


# --- open ranked scenes ------------------------------------------------------------------------------
# Scenes are a workflow app above scoring: imported late, only by the preview.


def _active() -> tuple[str, ...]:
    """The applications a preview ranks: not withdrawn, not rejected (eligible or still in review)."""
    from xinshimin.scenes.models import Application

    status = Application.Status
    return (status.SUBMITTED, status.UNDER_REVIEW, status.ELIGIBLE)


def _open_ranked_scenes() -> list[tuple[Any, int]]:
    """(scene, applications counted) of the published ranked scenes whose list is not final yet."""
    from django.db.models import Count, Q

    from xinshimin.scenes.models import RankingRun, Scene

    rows = (
        Scene.objects.filter(status=Scene.Status.PUBLISHED, mode=Scene.Mode.RANKED)
        .exclude(runs__status=RankingRun.Status.FINAL)
        .select_related("policy")
        .annotate(active=Count("applications", filter=Q(applications__status__in=_active())))
        .filter(active__gt=0)
        .order_by("-year", "code")[:MAX_SCENES]
    )
    return [(scene, scene.active) for scene in rows]


def _scene_moves(scene: Any, new: PolicyVersion) -> SceneMoves:
    """The scene's active applications ranked by its chain under its own policy version and under the
    draft (both at the scene's as-of date), and who moves."""
    from xinshimin.scenes import ranking
    from xinshimin.scenes.models import Application

    old = policy_version(scene.policy)
    chain = [key for key in ranking.validate_chain(scene.tie_break)]
    lottery = scene.seed_revealed_at is not None and bool(scene.lottery_seed)
    if not lottery and ranking.LOTTERY in chain:
        chain.remove(ranking.LOTTERY)
    applications = list(
        Application.objects.filter(scene=scene, status__in=_active())
        .order_by("pk")
        .values_list("number", "submitted_at", "resident_id", "resident__birth_date", "resident__name")
    )
    births = {resident: birth for _n, _s, resident, birth, _name in applications}
    names = {resident: name for _n, _s, resident, _birth, name in applications}
    befores: dict[int, QuarterScore] = {}
    afters: dict[int, QuarterScore] = {}
    inputs: dict[int, dict[str, Any]] = {}
    residents = sorted(births)
    for start in range(0, len(residents), 2000):
        batch = [(pk, births[pk]) for pk in residents[start : start + 2000]]
        for pk, values, after, before in _pair_scores(batch, scene.as_of, new, old):
            befores[pk], afters[pk], inputs[pk] = before, after, values
    si_new = new.codes.index("common.social_insurance") if "common.social_insurance" in new.codes else None
    si_old = old.codes.index("common.social_insurance") if "common.social_insurance" in old.codes else None

    def entries(scores: dict[int, QuarterScore], si_index: int | None) -> list[Any]:
        out = []
        for number, submitted_at, resident, _birth, _name in applications:
            score = scores[resident]
            registered = inputs[resident].get("ruian_residence_registered_on")
            out.append(
                ranking.Entry(
                    number,
                    score.total_q,
                    score.items[si_index] if si_index is not None and score.items else 0,
                    dt.date.fromisoformat(registered) if registered else None,
                    submitted_at,
                    ranking.lottery_key(scene.lottery_seed, number) if lottery else "",
                    resident,
                )
            )
        return out

    before_order = ranking.order(entries(befores, si_old), chain)
    after_order = ranking.order(entries(afters, si_new), chain)
    before_rank = {entry.number: rank for rank, entry in enumerate(before_order, start=1)}
    after_rank = {entry.number: rank for rank, entry in enumerate(after_order, start=1)}
    quota = scene.quota
    moves = []
    entered = left = 0
    for entry in after_order:
        b, a = before_rank[entry.number], after_rank[entry.number]
        in_before = quota is None or b <= quota
        in_after = quota is None or a <= quota
        entered += int(in_after and not in_before)
        left += int(in_before and not in_after)
        if a != b or in_before != in_after:
            resident = entry.payload
            moves.append(
                RankMove(
                    number=entry.number,
                    name_masked=mask_name(names[resident]),
                    before_rank=b,
                    after_rank=a,
                    before_q=befores[resident].total_q,
                    after_q=afters[resident].total_q,
                    selected_before=in_before,
                    selected_after=in_after,
                )
            )
    changed = sum(1 for move in moves if move.before_rank != move.after_rank)
    moves.sort(key=lambda m: (-abs(m.rank_change), m.before_rank))
    return SceneMoves(
        scene_id=scene.pk,
        code=scene.code,
        name=scene.name,
        as_of=scene.as_of.isoformat(),
        policy=scene.policy.version_id,
        applicants=len(applications),
        quota=quota,
        changed=changed,
        entered=entered,
        left=left,
        lottery=lottery,
        rows=moves[:SCENE_ROWS],
    )


# --- the preview as a background job ----------------------------------------------------------------


def sync_limit() -> int:
    """Previews of at most this many residents run in the request (setting XINSHIMIN_WHATIF_SYNC_LIMIT)."""
    return int(getattr(settings, "XINSHIMIN_WHATIF_SYNC_LIMIT", SYNC_LIMIT_DEFAULT))


def _key(key: str) -> str:
    return _JOB_KEY.format(key=key)


def whatif_job_state(key: str) -> dict[str, Any] | None:
    """``{"status", "done", "total", "draft_id", "as_of", "result"?, "error"?}`` of a job, or None."""
    if not key or len(key) != 32 or not key.isalnum():
        return None
    state: dict[str, Any] | None = cache.get(_key(key))
    return state


def _job_update(key: str, **values: Any) -> None:
    state = cache.get(_key(key)) or {}
    state.update(values)
    cache.set(_key(key), state, JOB_TIMEOUT)


def whatif_job_start(*, actor: Any, draft: PolicyRecord, as_of: dt.date) -> str:
    """Queue a preview (task ``whatif_preview_task``); returns the key its progress and result are kept
    under. The caller kicks the worker (``xinshimin.centre.jobs.kick_worker`` in development)."""
    _require_centre(actor)
    try:
        baseline = policy_for(as_of, draft.jurisdiction)
    except NotFound as error:
        raise ValidationFailed(str(error.message), field="as_of") from None
    key = uuid.uuid4().hex
    cache.set(
        _key(key),
        {
            "status": "queued",
            "done": 0,
            "total": preview_population(as_of=as_of),
            "draft_id": draft.pk,
            "baseline_id": baseline.pk,
            "as_of": as_of.isoformat(),
            "requested_by": actor.pk,
        },
        JOB_TIMEOUT,
    )
    from .tasks import whatif_preview_task

    whatif_preview_task.enqueue(key)
    return key


def whatif_job_run(key: str) -> dict[str, Any]:
    """The work of the task: compute the preview with progress in the cache; returns the result JSON."""
    from django.contrib.auth import get_user_model

    state = cache.get(_key(key))
    if state is None:
        raise NotFound(_("该测算任务已过期，请重新发起。"))
    actor = get_user_model().objects.get(pk=state["requested_by"])
    draft = PolicyRecord.objects.get(pk=state["draft_id"])
    baseline = PolicyRecord.objects.get(pk=state["baseline_id"])
    _job_update(key, status="running", started_at=timezone.now().isoformat())
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:
            last[0] = now
            _job_update(key, done=done, total=total)

    try:
        result = whatif_preview(
            actor=actor,
            draft=draft,
            baseline=baseline,
            as_of=dt.date.fromisoformat(state["as_of"]),
            progress=progress,
        ).to_json()
    except Exception as error:
        _job_update(key, status="failed", error=f"{type(error).__name__}: {error}")
        raise
    _job_update(key, status="done", result=result, finished_at=timezone.now().isoformat())
    return result


__all__ = [
    "ESTIMATE_NOTICE",
    "Bucket",
    "Mover",
    "RankMove",
    "SceneMoves",
    "WhatIfResult",
    "estimate",
    "preview_population",
    "sync_limit",
    "whatif_job_run",
    "whatif_job_start",
    "whatif_job_state",
    "whatif_preview",
]
