"""Builders for the centre's tests: announcements through the services, and rows of the other areas
written directly (their services are tested in their own apps) for the dashboards and the timeline."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from xinshimin.accounts.models import Department, User
from xinshimin.accounts.tests.factories import CentreAdminFactory, ProviderFactory
from xinshimin.centre.models import Announcement
from xinshimin.centre.services import announcement_create, announcement_publish
from xinshimin.claims.models import Claim
from xinshimin.residents.models import Resident
from xinshimin.scenes.models import Application, ApplicationCheck, Scene
from xinshimin.scoring.models import PolicyRecord, ScoreSnapshot
from xinshimin.welfare.models import Offer, Redemption

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    """A moment in Rui'an local time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def announcement(
    *, actor: User | None = None, publish: bool = True, title: str = "2026年积分入学申请开始", **fields: Any
) -> Announcement:
    actor = actor or CentreAdminFactory()
    fields.setdefault("body", "3月1日起可在线申请积分入学，也可到乡镇街道新居民服务窗口代办。")
    made = announcement_create(actor=actor, title=title, **fields)
    return announcement_publish(actor=actor, announcement=made) if publish else made


def policy() -> PolicyRecord:
    return PolicyRecord.objects.get(version_id="ruian-2025.1")


def snapshot(
    resident: Resident, total: str | int, *, as_of: dt.date, record: PolicyRecord | None = None
) -> ScoreSnapshot:
    value = Decimal(str(total))
    return ScoreSnapshot.objects.create(
        resident=resident,
        policy=record or policy(),
        as_of=as_of,
        total=value,
        raw_total=value,
        common=value,
        local=Decimal(0),
        deductions=Decimal(0),
        items={},
        facts_digest="0" * 64,
        computed_at=timezone.now(),
    )


def scene(
    *,
    code: str = "housing-2026",
    name: str = "2026年积分住房租赁补贴",
    kind: str = Scene.Kind.HOUSING,
    year: int = 2026,
    status: str = Scene.Status.PUBLISHED,
    **fields: Any,
) -> Scene:
    values: dict[str, Any] = {
        "opens_at": at(year, 7, 1, 0, 0),
        "closes_at": at(year, 10, 1, 0, 0),
        "review_starts_on": dt.date(year, 7, 1),
        "review_ends_on": dt.date(year, 12, 5),
        "as_of": dt.date(year, 9, 30),
        "quota": 200,
    }
    values.update(fields)
    return Scene.objects.create(
        code=code, name=name, kind=kind, year=year, status=status, policy=policy(), **values
    )


def application(
    the_scene: Scene,
    resident: Resident,
    *,
    status: str = Application.Status.SUBMITTED,
    submitted_at: dt.datetime | None = None,
) -> Application:
    return Application.objects.create(
        scene=the_scene,
        resident=resident,
        number=f"T{next(_numbers):08d}",
        kind=the_scene.kind,
        year=the_scene.year,
        status=status,
        submitted_at=submitted_at or the_scene.opens_at + dt.timedelta(days=1),
    )


def check(app: Application, department: Department, *, code: str = "no_home") -> ApplicationCheck:
    return ApplicationCheck.objects.create(application=app, code=code, department=department)


def claim(
    resident: Resident,
    department: Department,
    *,
    status: str = Claim.Status.SUBMITTED,
    due_on: dt.date,
    decided_at: dt.datetime | None = None,
    item_code: str | None = None,
) -> Claim:
    return Claim.objects.create(
        resident=resident,
        kind=Claim.Kind.CLAIM,
        item_code=item_code or f"local.item{next(_numbers)}",
        item_label="志愿服务",
        fact_kind="volunteer_hours",
        proposed_value=[{"date": "2025-05-01", "hours": 25}],
        department=department,
        status=status,
        filed_at=at(due_on.year, 1, 5),
        submitted_on=dt.date(due_on.year, 1, 5),
        due_on=due_on,
        decided_at=decided_at,
    )


def offer(
    *,
    title: str = "寨寮溪景区门票",
    stock: int = 100,
    opens_at: dt.datetime,
    days: int = 3,
    status: str = Offer.Status.PUBLISHED,
    remaining: int | None = None,
) -> Offer:
    return Offer.objects.create(
        title=title,
        provider=ProviderFactory(),
        stock=stock,
        remaining=stock if remaining is None else remaining,
        opens_at=opens_at,
        closes_at=opens_at + dt.timedelta(days=days),
        status=status,
    )


def redemption(the_offer: Offer, resident: Resident, *, granted_at: dt.datetime) -> Redemption:
    return Redemption.objects.create(
        offer=the_offer, resident=resident, idempotency_key=f"k{next(_numbers)}", granted_at=granted_at
    )
