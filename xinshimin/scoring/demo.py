"""Demo facts and snapshots for the demo population (never in production).

``build_demo_facts(seed=…)`` gives every demo resident without facts a realistic set of facts (as a
department feed would: most people have the common facts and a few local ones, some have lists of events,
a few have deductions), then computes their snapshots for today. ``random_facts`` is shared with
``bench/score_bench.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from xinshimin.residents.demo import refuse_in_production
from xinshimin.residents.models import Resident

from .models import Fact, FactRevision, RecomputeRun
from .selectors import policy_for
from .services import canonical_fact_value, recompute_execute

BATCH = 1000


def _day(rng: random.Random, start: dt.date, end: dt.date) -> str:
    return (start + dt.timedelta(days=rng.randint(0, max((end - start).days, 0)))).isoformat()


def _pick(rng: random.Random, pairs: list[tuple[Any, float]]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def random_facts(rng: random.Random, today: dt.date, *, with_registration: bool = True) -> dict[str, Any]:
    """One person's facts in the exchange format, with realistic frequencies."""
    facts: dict[str, Any] = {}
    recent = (today - dt.timedelta(days=3 * 365), today)
    if rng.random() < 0.95:
        facts["education"] = _pick(
            rng,
            [
                ("below_high_school", 30),
                ("high_school", 35),
                ("college", 20),
                ("bachelor", 12),
                ("master", 2.5),
                ("doctorate", 0.5),
            ],
        )
    if rng.random() < 0.8:
        facts["skill"] = _pick(
            rng,
            [
                ("none", 40),
                ("level5", 15),
                ("level4", 15),
                ("level3", 12),
                ("title_junior", 8),
                ("special_ordinary", 5),
                ("title_intermediate", 5),
            ],
        )
    if rng.random() < 0.9:
        facts["zj_social_insurance_months"] = rng.randint(0, 150)
    if with_registration and rng.random() < 0.95:
        facts["zj_residence_registered_on"] = _day(rng, dt.date(2005, 1, 1), today)
    if with_registration and rng.random() < 0.9:
        facts["ruian_residence_registered_on"] = _day(rng, dt.date(2008, 1, 1), today)
    if rng.random() < 0.7:
        facts["housing"] = _pick(rng, [("registered_lease", 60), ("none", 30), ("owned", 10)])
    if rng.random() < 0.85:
        facts["employed_in_ruian"] = rng.random() < 0.85
    if rng.random() < 0.8:
        facts["ruian_social_insurance_months"] = rng.randint(0, 120)
    if rng.random() < 0.4:
        facts["provident_fund_months"] = rng.randint(0, 90)
    if rng.random() < 0.3:
        facts["tax_paid_last_year_yuan"] = rng.choice(
            [rng.randint(0, 60000), rng.randint(0, 30_000_000) / 100]
        )
    if rng.random() < 0.25:
        facts["volunteer"] = [
            {"date": _day(rng, *recent), "hours": rng.choice([2, 4, 8, 12.5])}
            for _ in range(rng.randint(1, 4))
        ]
    if rng.random() < 0.1:
        facts["blood_donations"] = sorted(
            {_day(rng, today - dt.timedelta(days=6 * 365), today) for _ in range(rng.randint(1, 4))}
        )
    if rng.random() < 0.1:
        facts["charity_donations"] = [
            {"date": _day(rng, *recent), "yuan": rng.choice([200, 500, 1000, 3000])}
        ]
    if rng.random() < 0.01:
        facts["bravery"] = [_day(rng, dt.date(2015, 1, 1), today)]
    if rng.random() < 0.05:
        facts["awards"] = [
            {
                "award": rng.choice(["优秀新市民", "瑞安市劳动模范", "浙江省优秀外来务工人员"]),
                "level": rng.choice(["ruian", "wenzhou", "provincial"]),
                "date": _day(rng, dt.date(2018, 1, 1), today),
            }
        ]
    if rng.random() < 0.03:
        facts["patents"] = [
            {
                "kind": rng.choice(["invention", "utility_model", "design"]),
                "granted_on": _day(rng, dt.date(2015, 1, 1), today),
            }
        ]
    if rng.random() < 0.03:
        facts["talent_tier"] = rng.randint(1, 5)
    for flag, p_true in (("veteran", 0.04), ("party_member", 0.08), ("deputy", 0.005)):
        if rng.random() < 0.5:
            facts[flag] = rng.random() < p_true
    if rng.random() < 0.3:
        years = rng.sample(range(today.year - 4, today.year + 1), rng.randint(1, 3))
        facts["spring_festival_stays"] = sorted(
            f"{y}-02-01" for y in years if f"{y}-02-01" <= today.isoformat()
        )
    if rng.random() < 0.05:
        kind = rng.choice(
            ["rental_hazard", "public_order_penalty", "detention", "credit_default", "dishonest_debtor"]
        )
        if kind == "dishonest_debtor":
            facts["deductions"] = [{"kind": kind, "listed_on": _day(rng, dt.date(2020, 1, 1), today)}]
        else:
            facts["deductions"] = [{"kind": kind, "date": _day(rng, dt.date(2019, 1, 1), today)}]
    return facts


def build_demo_facts(*, seed: int = 2025, today: dt.date | None = None) -> dict[str, int]:
    """Facts for every demo resident who has none yet, then snapshots for ``today`` (default: today in
    China). Returns counts for the demo summary: ``{"facts": …, "snapshots": …}``."""
    refuse_in_production()
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - invented demo data, not security
    now = timezone.now()
    created = 0
    residents = Resident.objects.filter(facts__isnull=True).order_by("pk")
    rows = list(residents.values_list("pk", "employer_is_ruian"))
    for start in range(0, len(rows), BATCH):
        facts: list[Fact] = []
        revisions: list[FactRevision] = []
        for pk, employer_is_ruian in rows[start : start + BATCH]:
            values = random_facts(rng, today, with_registration=False)  # the permit carries the dates
            values["employed_in_ruian"] = employer_is_ruian
            for kind, value in values.items():
                canonical = canonical_fact_value(kind, value)
                common = {"resident_id": pk, "kind": kind, "source": Fact.Source.DEMO, "recorded_at": now}
                facts.append(Fact(value=canonical, source_ref="demo", **common))
                revisions.append(
                    FactRevision(old_value=None, new_value=canonical, source_ref="demo", **common)
                )
        with transaction.atomic():
            Fact.objects.bulk_create(facts, batch_size=BATCH)
            FactRevision.objects.bulk_create(revisions, batch_size=BATCH)
        created += len(facts)
    run = RecomputeRun.objects.create(policy=policy_for(today), as_of=today)
    run = recompute_execute(run_id=run.pk)
    return {"facts": created, "snapshots": run.written}
