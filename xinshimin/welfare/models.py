"""Welfare redemption (积分福利兑换): offers, first-come-first-served redemptions, certificates, and the
inclusive services directory (普惠服务).

The invariants live in the database, so that concurrent requests cannot break them whatever Python does:
``remaining`` never goes below 0 or above ``stock`` (CHECK), a resident holds a redemption "slot" of an
offer at most once (UNIQUE offer, resident, n) and uses an idempotency key once (UNIQUE resident, key),
one certificate per redemption (UNIQUE), and a certificate is used at most once (a conditional UPDATE in
``services.certificate_use``). Writes go through ``services``; reads with visibility through ``selectors``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import FileExtensionValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xinshimin.accounts.models import Provider
from xinshimin.residents.models import Resident

# The winners list (兑换成功名单) is public for at least this long after an opening closes [GUIDE 七(四)].
WINNERS_MIN_VISIBLE = timedelta(days=3)
PICTURE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")


class PrivateMediaStorage(FileSystemStorage):
    """Files under ``settings.PRIVATE_MEDIA_ROOT``/welfare, outside the web root, read when used (so a
    changed setting applies); served only through checked views."""

    @property
    def base_location(self) -> str:
        return str(Path(settings.PRIVATE_MEDIA_ROOT) / "welfare")

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())


def offer_picture_storage() -> FileSystemStorage:
    """Pictures live under PRIVATE_MEDIA_ROOT (outside the web root) and are served by a checked view."""
    return PrivateMediaStorage()


def offer_picture_path(instance: Any, filename: str) -> str:
    """A random name: the uploaded file name is never used as a path."""
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension not in PICTURE_EXTENSIONS:
        extension = "bin"
    return f"offers/{uuid.uuid4().hex}.{extension}"


def validate_service_link(value: str) -> None:
    """A link is an absolute http(s) URL or a path on this site; nothing else (no javascript:, no //host)."""
    if not value:
        return
    if value.startswith("/") and not value.startswith("//"):
        return
    URLValidator(schemes=["http", "https"])(value)


class OfferQuerySet(models.QuerySet["Offer"]):
    def published(self) -> OfferQuerySet:
        return self.filter(status=Offer.Status.PUBLISHED)

    def open_at(self, at: datetime) -> OfferQuerySet:
        return self.published().filter(opens_at__lte=at, closes_at__gt=at)

    def upcoming_at(self, at: datetime) -> OfferQuerySet:
        return self.published().filter(opens_at__gt=at)


class Offer(models.Model):
    """A time-limited opening of welfare items (tickets, courses, check-ups …) from one provider."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CANCELLED = "cancelled", _("已取消")

    class Category(models.TextChoices):
        SCENIC = "scenic", _("景区门票")
        SHOW = "show", _("文艺演出")
        COURSE = "course", _("夜校课程")
        CULTURAL = "cultural", _("文创产品")
        LECTURE = "lecture", _("讲座")
        HEALTH = "health", _("健康体检")
        CINEMA = "cinema", _("电影票")
        OTHER = "other", _("其他")

    title = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.OTHER)
    description = models.TextField(_("介绍"), blank=True)
    picture = models.ImageField(
        _("图片"),
        upload_to=offer_picture_path,
        storage=offer_picture_storage,
        blank=True,
        validators=[FileExtensionValidator(list(PICTURE_EXTENSIONS))],
        help_text=_("JPG、PNG 或 WebP，不超过 2 MB。"),
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="offers", verbose_name=_("提供方")
    )
    stock = models.PositiveIntegerField(_("总数量"))
    remaining = models.IntegerField(_("剩余数量"), editable=False)
    opens_at = models.DateTimeField(_("开放兑换时间"))
    closes_at = models.DateTimeField(_("截止兑换时间"))
    per_person_limit = models.PositiveSmallIntegerField(_("每人限兑"), default=1)
    instructions = models.TextField(
        _("兑换须知"), blank=True, help_text=_("凭兑换成功证明到哪里、何时、带什么证件兑换。")
    )
    use_until = models.DateTimeField(
        _("证明有效期至"), null=True, blank=True, help_text=_("过了这个时间，提供方不再核销；留空表示不限。")
    )
    winners_visible_until = models.DateTimeField(
        _("名单公示至"),
        null=True,
        blank=True,
        help_text=_("兑换成功名单公示到何时；留空为截止后 3 天，不得早于截止后 3 天。"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("福利兑换活动")
        verbose_name_plural = _("福利兑换活动")
        indexes = [models.Index(fields=["status", "opens_at"], name="offer_status_opens")]
        constraints = [
            models.CheckConstraint(name="offer_remaining_not_negative", condition=Q(remaining__gte=0)),
            models.CheckConstraint(
                name="offer_remaining_within_stock", condition=Q(remaining__lte=F("stock"))
            ),
            models.CheckConstraint(
                name="offer_closes_after_opening", condition=Q(closes_at__gt=F("opens_at"))
            ),
            models.CheckConstraint(name="offer_limit_at_least_one", condition=Q(per_person_limit__gte=1)),
            models.CheckConstraint(
                name="offer_status_valid", condition=Q(status__in=["draft", "published", "cancelled"])
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, at: datetime) -> bool:
        return self.status == self.Status.PUBLISHED and self.opens_at <= at < self.closes_at

    def has_closed(self, at: datetime) -> bool:
        return at >= self.closes_at

    @property
    def winners_until(self) -> datetime:
        """When the public winners list ends: at least 3 days after closing."""
        minimum = self.closes_at + WINNERS_MIN_VISIBLE
        if self.winners_visible_until and self.winners_visible_until > minimum:
            return self.winners_visible_until
        return minimum

    def winners_visible(self, at: datetime) -> bool:
        return self.status == self.Status.PUBLISHED and self.closes_at <= at <= self.winners_until

    @property
    def granted(self) -> int:
        return self.stock - self.remaining


class Redemption(models.Model):
    """One unit of an offer granted to a resident, first come first served. Never touches points.

    ``n`` is the resident's n-th unit of this offer (1 … per-person limit): UNIQUE (offer, resident, n)
    makes "at most ``limit`` per person" a database fact. ``idempotency_key`` comes from the client; a
    retry with the same key returns this redemption instead of granting another.
    """

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="redemptions")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="redemptions")
    n = models.PositiveSmallIntegerField(_("第几份"), default=1)
    idempotency_key = models.CharField(max_length=64)
    granted_at = models.DateTimeField(_("兑换时间"))

    class Meta:
        ordering = ["offer_id", "granted_at", "id"]
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        constraints = [
            models.UniqueConstraint(fields=["offer", "resident", "n"], name="redemption_one_per_slot"),
            models.UniqueConstraint(fields=["resident", "idempotency_key"], name="redemption_key_once"),
            models.CheckConstraint(name="redemption_n_positive", condition=Q(n__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}/{self.resident_id}#{self.n}"


class Certificate(models.Model):
    """The redemption certificate (兑换成功证明): a typable code, a QR code and a signed token.

    ``used_at``/``used_by`` are set once, by a conditional UPDATE; ``used_by_label`` keeps who and where
    (staff login and provider) even if the account changes later.
    """

    redemption = models.OneToOneField(Redemption, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(_("兑换码"), max_length=16, unique=True)
    issued_at = models.DateTimeField(_("签发时间"))
    used_at = models.DateTimeField(_("核销时间"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    used_by_label = models.CharField(_("核销人"), max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("兑换成功证明")
        verbose_name_plural = _("兑换成功证明")
        constraints = [
            models.CheckConstraint(
                name="certificate_used_has_user",
                condition=Q(used_at__isnull=True, used_by__isnull=True)
                | Q(used_at__isnull=False, used_by__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        """ABCDE-FGHJK: easier to read aloud and to type."""
        return f"{self.code[:5]}-{self.code[5:]}" if len(self.code) > 5 else self.code

    @property
    def is_used(self) -> bool:
        return self.used_at is not None


class ServiceCard(models.Model):
    """One card of the inclusive services directory (普惠服务), managed by the centre in the admin."""

    class Category(models.TextChoices):
        SURVEY = "survey", _("问卷调查")
        JOB_MAP = "job_map", _("就业地图")
        SKILLS = "skills", _("技能培训")
        SOCIAL_INSURANCE = "social_insurance", _("社会保险")
        HOSPITAL = "hospital", _("预约挂号")
        LABOUR_RIGHTS = "labour_rights", _("劳动维权")
        LIBRARY = "library", _("图书借阅")
        CHARITY = "charity", _("爱心基金")
        OTHER = "other", _("其他")

    title = models.CharField(_("名称"), max_length=40)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    summary = models.CharField(_("简介"), max_length=300)
    link = models.CharField(
        _("链接"),
        max_length=300,
        blank=True,
        validators=[validate_service_link],
        help_text=_("以 https:// 开头的网址，或本站路径（如 /charity/）。"),
    )
    link_label = models.CharField(_("链接文字"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("显示"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("普惠服务")
        verbose_name_plural = _("普惠服务")

    def __str__(self) -> str:
        return self.title
