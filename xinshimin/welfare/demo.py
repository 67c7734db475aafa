"""Demo welfare offers for the demo provider 瑞安市文化旅游演艺中心 (created by the residents demo).

Three offers, relative to now: one open, one opening tomorrow at 10:00, and one closed yesterday whose
winners list is public. Units of the closed offer go to demo residents with a valid permit (written
directly: the demo stands for redemptions that happened in the past). Idempotent: offers that already
exist (same provider and title) are left alone. Never run in production.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from xinshimin.accounts.models import Provider
from xinshimin.audit.services import audit_record
from xinshimin.residents.demo import DEMO_PROVIDER_NAME, refuse_in_production
from xinshimin.residents.models import Resident

from .certificates import certificate_code_new
from .models import Certificate, Offer, Redemption

OPEN_TITLE = "《玉海春潮》越剧专场演出门票"
UPCOMING_TITLE = "新市民夜校 · 瑞安鼓词传习课（8 课时）"
CLOSED_TITLE = "周末公益电影放映（演艺中心小剧场）"
CLOSED_STOCK = 30
CLOSED_GRANTED = 24


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    local = timezone.localtime(day)
    return timezone.make_aware(datetime.combine(local.date(), time(hour, minute)))


def build_demo_welfare(*, seed: int) -> str:
    """Create the demo offers; returns one line for the demo command's summary."""
    refuse_in_production()
    provider = Provider.objects.filter(name=DEMO_PROVIDER_NAME).first()
    if provider is None:
        return f"welfare: skipped (provider {DEMO_PROVIDER_NAME} not found: load the residents demo first)"
    now = timezone.now()
    existing = set(Offer.objects.filter(provider=provider).values_list("title", flat=True))
    created, winners = 0, 0
    with transaction.atomic():
        if OPEN_TITLE not in existing:
            opens = now - timedelta(hours=1)
            Offer.objects.create(
                title=OPEN_TITLE,
                category=Offer.Category.SHOW,
                provider=provider,
                description=(
                    "瑞安市越剧团演出经典折子戏与新编小戏，约 120 分钟。演出地点：瑞安市文化旅游演艺中心大剧场。"
                ),
                stock=200,
                remaining=200,
                opens_at=opens,
                closes_at=now + timedelta(days=7),
                instructions=(
                    "凭兑换成功证明和本人身份证，于演出当天 18:30–19:15 到演艺中心一楼售票处换取纸质门票，"
                    "一人一票，对号入座。1.2 米以下儿童谢绝入场。"
                ),
                use_until=now + timedelta(days=14),
                status=Offer.Status.PUBLISHED,
                published_at=opens - timedelta(days=3),
            )
            created += 1
        if UPCOMING_TITLE not in existing:
            opens = _at(now + timedelta(days=1), 10)
            Offer.objects.create(
                title=UPCOMING_TITLE,
                category=Offer.Category.COURSE,
                provider=provider,
                description="由非遗传承人授课，每周二、周四晚 19:00–20:30，共 8 课时，结业颁发夜校结业证书。",
                stock=50,
                remaining=50,
                opens_at=opens,
                closes_at=opens + timedelta(days=5),
                instructions="首次上课时出示兑换成功证明和本人身份证签到。缺课 3 次以上视为自动放弃。",
                status=Offer.Status.PUBLISHED,
                published_at=now - timedelta(days=1),
            )
            created += 1
        if CLOSED_TITLE not in existing:
            closes = _at(now - timedelta(days=1), 20)
            opens = closes - timedelta(days=3)
            offer = Offer.objects.create(
                title=CLOSED_TITLE,
                category=Offer.Category.CINEMA,
                provider=provider,
                description="周六下午放映国产动画电影，适合亲子观看。",
                stock=CLOSED_STOCK,
                remaining=CLOSED_STOCK,
                opens_at=opens,
                closes_at=closes,
                instructions="凭兑换成功证明入场，每份证明限 1 人。",
                winners_visible_until=closes + timedelta(days=7),
                status=Offer.Status.PUBLISHED,
                published_at=opens - timedelta(days=2),
            )
            created += 1
            winners = _grant_demo_units(offer, seed=seed, opens=opens)
        if created:
            audit_record(
                actor=None,
                action="welfare.demo_load",
                object_type="demo",
                after={"offers": created, "winners": winners, "seed": seed},
            )
    return f"welfare offers created:    {created} (winners in the closed one: {winners})"


def _grant_demo_units(offer: Offer, *, seed: int, opens: datetime) -> int:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    on = timezone.localdate(opens)
    candidates = list(
        Resident.objects.holding_scoring_permit(on).order_by("pk").values_list("pk", flat=True)[:500]
    )
    chosen = sorted(rng.sample(candidates, min(CLOSED_GRANTED, len(candidates))))
    moment = opens
    for n, resident_id in enumerate(chosen):
        moment += timedelta(seconds=rng.randint(1, 9))
        redemption = Redemption.objects.create(
            offer=offer,
            resident_id=resident_id,
            n=1,
            idempotency_key=f"demo-{seed}-{n:04d}",
            granted_at=moment,
        )
        Certificate.objects.create(redemption=redemption, code=certificate_code_new(), issued_at=moment)
    Offer.objects.filter(pk=offer.pk).update(remaining=offer.stock - len(chosen))
    return len(chosen)
