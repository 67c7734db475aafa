"""Demo scenes: the 2025 school scene with its published notice, and a housing scene open for applications.

The school scene stands for a year that has already happened: its applications and department checks
are written directly (as an import of past records would), then the real services rank the eligible
applications (computing the score snapshots) and publish the notice, recorded as published on
2025-05-12. The housing scene is open now (its window is placed around today) and receives a few
applications through the normal service, left for the departments to review. Idempotent: a scene whose
code exists is left alone. Never run in production.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xinshimin.accounts.models import Department
from xinshimin.core.errors import DomainError
from xinshimin.residents.demo import refuse_in_production
from xinshimin.residents.models import HouseholdMember, Resident
from xinshimin.scoring.models import PolicyRecord

from . import gates, services
from .models import Application, ApplicationCheck, Scene

SCHOOL_CODE = "school-2025"
SCHOOL_APPLICANTS = 150
SCHOOL_PUBLISHED_ON = dt.date(2025, 5, 12)
HOUSING_APPLICANTS = 12
REVIEW_REASON = "演示数据：与部门数据核对一致"
FAIL_REASONS = {
    "employment": "演示数据：人社系统中无瑞安劳动合同备案",
    "permit": "演示数据：居住证已过期",
    "child": "演示数据：子女户籍信息与出生证明不一致",
}


def _local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=timezone.get_current_timezone())


def _policy() -> PolicyRecord | None:
    return (
        PolicyRecord.objects.filter(
            status=PolicyRecord.Status.PUBLISHED, effective_on__lte=dt.date(2025, 4, 30)
        )
        .order_by("-effective_on")
        .first()
    )


def _stage_for(child: HouseholdMember, year: int) -> str | None:
    for stage in ("grade1", "grade7"):
        if gates.stage_age_gate(birth_date=child.birth_date, stage=stage, year=year).passed:
            return stage
    return None


def _school_scene(rng: random.Random, policy: PolicyRecord) -> str:
    scene = services.scene_create(
        actor=None,
        code=SCHOOL_CODE,
        name="2025年新市民积分入学",
        kind=Scene.Kind.SCHOOL,
        year=2025,
        opens_at=_local(2025, 3, 1),
        closes_at=_local(2025, 5, 1),
        review_starts_on=dt.date(2025, 3, 1),
        review_ends_on=dt.date(2025, 5, 10),
        as_of=dt.date(2025, 4, 30),
        policy=policy,
        quota=100,
        departments=["education", "public_security", "hrss"],
        description="积分排名前三十名的申请人子女有机会享受义务教育政策优待无障碍优先录取，具体以市教育局公告为准。",
    )
    scene = services.scene_publish(actor=None, scene=scene)
    Scene.objects.filter(pk=scene.pk).update(
        seed_committed_at=_local(2025, 2, 20, 9), published_at=_local(2025, 2, 20, 9)
    )
    children = (
        HouseholdMember.objects.filter(relation=HouseholdMember.Relation.CHILD)
        .filter(
            Q(birth_date__range=(dt.date(2017, 9, 1), dt.date(2019, 8, 31)))
            | Q(birth_date__range=(dt.date(2011, 9, 1), dt.date(2013, 8, 31)))
        )
        .select_related("resident")
        .order_by("resident_id", "birth_date", "id")
    )
    with_login = [c for c in children if c.resident.user_id is not None]
    others = [c for c in children if c.resident.user_id is None]
    picked = with_login + rng.sample(others, min(len(others), max(SCHOOL_APPLICANTS - len(with_login), 0)))
    seen: set[str] = set()
    departments = {
        d.code: d for d in Department.objects.filter(code__in=["education", "public_security", "hrss"])
    }
    applications: list[tuple[Application, str | None]] = []
    for child in picked:
        stage = _stage_for(child, 2025)
        if stage is None or child.id_number_index in seen:
            continue
        seen.add(child.id_number_index)
        resident = child.resident
        failing = None
        if not resident.employer_is_ruian:
            failing = "employment"
        elif rng.random() < 0.04:
            failing = "child"
        submitted = _local(2025, 3, 1, 8) + dt.timedelta(seconds=rng.randint(0, 60 * 86_400))
        number = len(applications) + 1
        applications.append(
            (
                Application(
                    scene=scene,
                    resident=resident,
                    number=f"{scene.code}-{number:06d}",
                    kind=scene.kind,
                    year=scene.year,
                    child=child,
                    child_id_index=child.id_number_index,
                    child_name_masked=child.masked_name,
                    child_id_number_masked=child.id_number_masked,
                    stage=stage,
                    status=Application.Status.REJECTED if failing else Application.Status.ELIGIBLE,
                    channel=Application.Channel.ONLINE if rng.random() < 0.8 else Application.Channel.WINDOW,
                    submitted_at=submitted,
                    review_started_at=_local(2025, 4, 7, 9),
                    reviewed_at=_local(2025, 4, 18, 16),
                    gate_results=[
                        {"code": "demo", "passed": True, "message": "演示数据：提交时资格核验通过。"}
                    ],
                ),
                failing,
            )
        )
    Application.objects.bulk_create([a for a, _failing in applications])
    checks = []
    for application, failing in applications:
        for code, department in gates.CHECKS[Scene.Kind.SCHOOL]:
            failed = code == failing
            checks.append(
                ApplicationCheck(
                    application=application,
                    code=code,
                    department=departments[department],
                    result=ApplicationCheck.Result.FAIL if failed else ApplicationCheck.Result.PASS,
                    reason=FAIL_REASONS[code] if failed else REVIEW_REASON,
                    decided_at=_local(2025, 4, 18, 16),
                )
            )
    ApplicationCheck.objects.bulk_create(checks)
    Scene.objects.filter(pk=scene.pk).update(application_count=len(applications))
    scene.refresh_from_db()
    run = services.ranking_run_create(actor=None, scene=scene, reason="首次排名（演示数据）")
    services.notice_publish(actor=None, scene=scene, published_on=SCHOOL_PUBLISHED_ON)
    return f"{len(applications)} school applications, list v{run.version} of {run.row_count} published"


def _housing_scene(rng: random.Random, policy: PolicyRecord) -> str:
    now = timezone.now()
    today = timezone.localdate(now)
    year = today.year
    code = f"housing-{year}"
    if Scene.objects.filter(code=code).exists():
        return f"housing: {code} exists"
    opens = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=30), dt.time(0, 0)))
    closes = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=60), dt.time(0, 0)))
    as_of = closes.date() - dt.timedelta(days=1)
    scene = services.scene_create(
        actor=None,
        code=code,
        name=f"{year}年新市民积分住房租赁补贴",
        kind=Scene.Kind.HOUSING,
        year=year,
        opens_at=opens,
        closes_at=closes,
        review_starts_on=opens.date(),
        review_ends_on=as_of + dt.timedelta(days=60),
        as_of=as_of,
        policy=policy,
        quota=300,
        departments=["housing", "public_security"],
        description="在瑞安无自有住房、未享受其他政策性住房补贴、五年内无行政拘留或刑事处罚记录的新市民可申请，累计最多享受 3 年。",
    )
    services.scene_publish(actor=None, scene=scene)
    without_login = list(
        Resident.objects.filter(user__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    sample = sorted(rng.sample(without_login, min(len(without_login), 60)))
    candidates = list(Resident.objects.filter(user__isnull=False).order_by("pk")[:3]) + list(
        Resident.objects.filter(pk__in=sample).order_by("pk")
    )
    filed = 0
    for resident in candidates:
        if filed >= HOUSING_APPLICANTS:
            break
        try:
            services.application_submit(
                actor=None,
                scene=scene,
                resident=resident,
                declarations={
                    "no_home": True,
                    "no_other_subsidy": True,
                    "no_penalty": True,
                    "prior_subsidy_years": rng.choice((0, 0, 1)),
                },
            )
        except DomainError:
            continue
        filed += 1
    return f"housing: {code} open until {closes:%Y-%m-%d}, {filed} applications awaiting review"


def build_demo_scenes(*, seed: int) -> str:
    """Create the demo scenes; returns one line for the demo command's summary."""
    refuse_in_production()
    policy = _policy()
    if policy is None:
        return "scenes: skipped (no published policy in force on 2025-04-30)"
    rng = random.Random(seed)  # noqa: S311 - invented demo data, not a secret
    parts: list[Any] = []
    with transaction.atomic():
        if Scene.objects.filter(code=SCHOOL_CODE).exists():
            parts.append(f"{SCHOOL_CODE} exists")
        else:
            parts.append(_school_scene(rng, policy))
        parts.append(_housing_scene(rng, policy))
    return "scenes: " + "; ".join(str(p) for p in parts)
