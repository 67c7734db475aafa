"""Demo announcements, published by the demo centre login (``centre``), built from the demo's own data.

Public: the current (or next) review period, each open or upcoming published scene, and the welfare
openings; for residents: a reminder about the review period, delivered to every demo resident's inbox at
once (the demo runs without a task worker). Idempotent: an announcement whose title exists is left
alone. Never run in production.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from xinshimin.accounts.models import Role, User
from xinshimin.residents.demo import refuse_in_production

from .models import Announcement, JobRun
from .services import announcement_create, announcement_deliver, announcement_publish
from .templatetags.centre_tags import cn_date, cn_datetime, cn_range


def _publish(
    centre: User, *, title: str, body: str, kind: str, audience: str = "public", link: str = ""
) -> bool:
    if Announcement.objects.filter(title=title).exists():
        return False
    made = announcement_create(actor=centre, title=title, body=body, kind=kind, audience=audience, link=link)
    made = announcement_publish(actor=centre, announcement=made)
    job = JobRun.objects.filter(announcement=made).first()
    if job is not None:
        announcement_deliver(job_id=job.pk)
    return True


def build_demo_centre(*, seed: int) -> str:
    """Publish the demo announcements; returns one line for the demo command's summary."""
    from xinshimin.claims.models import ReviewPeriod
    from xinshimin.scenes.models import Scene
    from xinshimin.welfare.models import Offer

    refuse_in_production()
    centre = User.objects.filter(username="centre", role=Role.CENTRE_ADMIN).first()
    if centre is None:
        return "no centre login (run the population demo first)"
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    period = ReviewPeriod.objects.filter(ends_on__gte=today).order_by("starts_on").first()
    if period is not None:
        dates = cn_range(period.starts_on, period.ends_on)
        made += _publish(
            centre,
            title=f"{period.label}通知",
            body=(
                f"{dates}为{period.label}。对积分有异议的，请在此期间在线提出或到现居住地乡镇街道新居民服务窗口办理；"
                "缺少数据的项目全年可补充申报。"
            ),
            kind=Announcement.Kind.REVIEW_PERIOD,
            link=reverse("web:claims_new"),
        )
        made += _publish(
            centre,
            title=f"提醒：{period.label}即将{'结束' if period.starts_on <= today else '开始'}",
            body=f"{period.label}：{dates}。请及时核对“我的积分”，如有异议请在截止前提出。",
            kind=Announcement.Kind.REVIEW_PERIOD,
            audience=Announcement.Audience.RESIDENTS,
            link=reverse("web:claims_new"),
        )
    scenes = Scene.objects.filter(status=Scene.Status.PUBLISHED, closes_at__gt=now).order_by("opens_at")[:3]
    for scene in scenes:
        made += _publish(
            centre,
            title=f"{scene.name}申请通知",
            body=(
                f"申请时间：{cn_datetime(scene.opens_at)}至{cn_datetime(scene.closes_at)}。"
                f"积分计算日期为{cn_date(scene.as_of)}。符合条件的新市民可在线申请，也可到乡镇街道新居民服务窗口代办。"
            ),
            kind=Announcement.Kind.SCENE_OPENING,
            link=reverse("web:scene_detail", args=[scene.pk]),
        )
    for offer in Offer.objects.published().filter(closes_at__gt=now).order_by("opens_at")[:2]:
        made += _publish(
            centre,
            title=f"积分福利兑换：{offer.title}",
            body=(
                f"{cn_datetime(offer.opens_at)}开放兑换，共 {offer.stock} 份，先到先得，兑换不扣积分。"
                f"截止时间：{cn_datetime(offer.closes_at)}。"
            ),
            kind=Announcement.Kind.REDEMPTION_OPENING,
            link=reverse("web:welfare_offer_detail", args=[offer.pk]),
        )
    return f"{made} announcements published"
