"""Demo claims: a handful of claims and disputes in every state, for the demo departments.

``build_demo_claims(seed=…)`` runs after the demo population (it needs the ``resident1``… logins, the
window clerks and the reviewers ``reviewer_hrss``, ``reviewer_ps``, ``reviewer_education``,
``reviewer_housing``). Everything goes through the services, so the audit trail, the timeline, the notices
and the deadlines are the real ones. Filing dates lie in the recent past (disputes inside the last review
period), so the queues show claims due soon, overdue, waiting for evidence, decided and lapsed.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from xinshimin.accounts.models import Role, User
from xinshimin.core.errors import DomainError
from xinshimin.residents.models import Resident
from xinshimin.workdays.calendar import NoCalendarData

from .models import Claim, ReviewPeriod
from .services import (
    claim_approve,
    claim_file,
    claim_reject,
    claim_request_evidence,
    claim_request_recheck,
    claim_start_review,
    claims_lapse_overdue,
)

REVIEWERS = {
    "hrss": "reviewer_hrss",
    "public_security": "reviewer_ps",
    "education": "reviewer_education",
    "housing": "reviewer_housing",
}


def _scan(seed: int, title: str) -> SimpleUploadedFile:
    """A small invented 'scan' (a grey page with lines), as a JPEG."""
    rng = random.Random(seed)  # noqa: S311 - demo pictures
    image = Image.new("RGB", (620, 860), (246, 246, 242))
    draw = ImageDraw.Draw(image)
    for row in range(12):
        y = 90 + row * 55
        draw.line((60, y, 60 + rng.randint(300, 500), y), fill=(90, 90, 90), width=3)
    draw.rectangle((420, 700, 560, 800), outline=(200, 30, 30), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile(f"{title}.jpg", out.getvalue(), content_type="image/jpeg")


def _last_period_day(today: date) -> date | None:
    """A day inside the latest review period that began at least 10 days before ``today`` (demo disputes)."""
    latest = today - timedelta(days=10)
    period = ReviewPeriod.objects.filter(starts_on__lte=latest).order_by("-starts_on").first()
    return None if period is None else min(period.ends_on, latest)


def build_demo_claims(*, seed: int, today: date | None = None) -> str:
    """Create the demo claims; returns a one-line summary for the demo command's output."""
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data
    logins = list(
        Resident.objects.filter(user__username__startswith="resident", user__role=Role.RESIDENT)
        .select_related("user", "town")
        .order_by("user__username")
    )
    reviewers = {code: User.objects.filter(username=name).first() for code, name in REVIEWERS.items()}
    clerks = {u.town_id: u for u in User.objects.filter(role=Role.CLERK, username__startswith="clerk_")}
    if not logins or any(r is None for r in reviewers.values()):
        return "claims: skipped (run the demo population first: it creates the logins and reviewers)"

    made: list[Claim] = []
    serial = [0]

    def file(
        *,
        kind: str,
        item: str,
        values: list[Any],
        days_ago: int,
        on: date | None = None,
        window: bool = False,
    ) -> Claim | None:
        """File on ``on`` (or ``days_ago`` before today) for the first resident that may file it."""
        day = on or (today - timedelta(days=days_ago))
        candidates = logins[:]
        rng.shuffle(candidates)
        if window:
            candidates = list(Resident.objects.filter(town_id__in=clerks).order_by("pk")[:50])
            rng.shuffle(candidates)
        for resident in candidates:
            serial[0] += 1
            actor = clerks[resident.town_id] if window else resident.user
            try:
                claim = claim_file(
                    actor=actor,
                    resident=resident,
                    kind=kind,
                    item_code=item,
                    value=rng.choice(values),
                    statement="所在单位漏报，附证明材料。" if kind == Claim.Kind.DISPUTE else "",
                    files=[_scan(seed + serial[0], "证明材料")],
                    consent=window,
                    today=day,
                )
            except NoCalendarData:
                return None
            except DomainError:
                continue
            made.append(claim)
            return claim
        return None

    def then(claim: Claim | None, step: Callable[[Claim], Any]) -> None:
        if claim is not None:
            with contextlib.suppress(DomainError):
                step(claim)

    hrss, ps, edu, housing = (reviewers[c] for c in ("hrss", "public_security", "education", "housing"))
    # Waiting for the department: just filed, under review, overdue, and one filed at the window.
    file(kind="claim", item="local.ruian_social_insurance", values=[18, 24, 36], days_ago=2)
    then(
        file(kind="claim", item="common.education", values=["bachelor", "college"], days_ago=6),
        lambda c: claim_start_review(actor=edu, claim=c),
    )
    file(kind="claim", item="local.housing", values=["registered_lease", "owned"], days_ago=24)
    file(kind="claim", item="local.employment", values=[True], days_ago=1, window=True)
    # Waiting for the resident's evidence.
    then(
        file(kind="claim", item="local.housing", values=["registered_lease"], days_ago=5),
        lambda c: claim_request_evidence(
            actor=housing,
            claim=c,
            note="请补充经备案的租赁合同首页和备案回执。",
            working_days=5,
            today=today - timedelta(days=3),
        ),
    )
    # Decided: approved, and rejected with a recheck asked for.
    then(
        file(kind="claim", item="local.bravery", values=[["2024-08-08"]], days_ago=9),
        lambda c: claim_approve(
            actor=ps, claim=c, note="见义勇为确认书核实无误。", today=today - timedelta(days=4)
        ),
    )

    def reject_and_recheck(claim: Claim) -> None:
        claim = claim_reject(
            actor=hrss,
            claim=claim,
            reason=Claim.RejectReason.INSUFFICIENT_EVIDENCE,
            note="证书编号无法查验。",
        )
        claim_request_recheck(
            actor=claim.filed_by, claim=claim, reason="已补充人社部门网站查验截图。", today=today
        )

    then(
        file(kind="claim", item="common.skill", values=["level3", "title_junior"], days_ago=8),
        reject_and_recheck,
    )
    # A dispute filed inside the last review period, approved with a corrected value.
    period_day = _last_period_day(today)
    if period_day is not None:
        then(
            file(kind="dispute", item="common.social_insurance", values=[60, 72], days_ago=0, on=period_day),
            lambda c: claim_approve(
                actor=hrss,
                claim=c,
                value=int(c.proposed_value) - 6,
                note="按社保系统核定。",
                today=period_day,
            ),
        )
    # Lapsed: evidence asked for and never supplied.
    then(
        file(kind="claim", item="local.bravery", values=[["2023-05-20"]], days_ago=30),
        lambda c: claim_request_evidence(
            actor=ps,
            claim=c,
            note="请补充派出所出具的见义勇为证明。",
            working_days=1,
            today=today - timedelta(days=25),
        ),
    )
    claims_lapse_overdue(today=today)

    counts = Counter(Claim.objects.filter(pk__in=[c.pk for c in made]).values_list("status", flat=True))
    detail = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    return f"claims: {len(made)} demo claims ({detail})"
