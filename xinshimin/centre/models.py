"""The service centre's own records: announcements (通知公告) and background-job progress.

An ``Announcement`` is written by the centre as a draft, then published (at once or at a set time) and
possibly withdrawn; while published and not expired it is shown on the public pages (audience "public")
or to everyone logged in (audience "residents", which is also delivered to every resident's inbox by a
background job). A ``JobRun`` records the progress of such a job so that its page survives a reload.

Writes go through ``services``; reads through ``selectors``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AnnouncementQuerySet(models.QuerySet["Announcement"]):
    def live(self, at: dt.datetime) -> AnnouncementQuerySet:
        """Published, past its publication time and not expired at ``at``."""
        return self.filter(status=Announcement.Status.PUBLISHED, published_at__lte=at).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class Announcement(models.Model):
    class Kind(models.TextChoices):
        SCENE_OPENING = "scene_opening", _("场景申请开放")
        REVIEW_PERIOD = "review_period", _("集中审核期")
        NOTICE_LIST = "notice_list", _("名单公示")
        REDEMPTION_OPENING = "redemption_opening", _("福利兑换开放")
        GENERAL = "general", _("综合通知")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("公开：所有人可见")
        RESIDENTS = "residents", _("新市民：登录后可见，并送达每位新市民的站内消息")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("正文"))
    kind = models.CharField(_("类别"), max_length=24, choices=Kind.choices, default=Kind.GENERAL)
    audience = models.CharField(_("对象"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    link = models.CharField(
        _("相关链接"),
        max_length=300,
        blank=True,
        help_text=_("本站页面路径（如 /scenes/）或 https:// 开头的网址。"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("下线时间"), null=True, blank=True, help_text=_("留空表示长期有效。"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdraw_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        constraints = [
            models.CheckConstraint(
                name="announcement_status_valid", condition=Q(status__in=["draft", "published", "withdrawn"])
            ),
            models.CheckConstraint(
                name="announcement_kind_valid",
                condition=Q(
                    kind__in=[
                        "scene_opening",
                        "review_period",
                        "notice_list",
                        "redemption_opening",
                        "general",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="announcement_audience_valid", condition=Q(audience__in=["public", "residents"])
            ),
            models.CheckConstraint(
                name="announcement_published_has_time",
                condition=~Q(status="published") | Q(published_at__isnull=False),
            ),
            models.CheckConstraint(
                name="announcement_expires_after_publication",
                condition=Q(expires_at__isnull=True)
                | Q(published_at__isnull=True)
                | Q(expires_at__gt=F("published_at")),
            ),
        ]
        indexes = [models.Index(fields=["status", "published_at"], name="announcement_live")]

    def __str__(self) -> str:
        return self.title

    def is_live(self, at: dt.datetime) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= at
            and (self.expires_at is None or self.expires_at > at)
        )

    def is_scheduled(self, at: dt.datetime) -> bool:
        return (
            self.status == self.Status.PUBLISHED and self.published_at is not None and self.published_at > at
        )

    def has_expired(self, at: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= at


class JobRun(models.Model):
    """The progress of one background job of the centre (e.g. delivering an announcement to inboxes).

    ``cursor`` is the last primary key handled, so a job that failed half-way resumes where it stopped
    instead of doing (or sending) anything twice.
    """

    class Kind(models.TextChoices):
        ANNOUNCEMENT_DELIVERY = "announcement_delivery", _("通知公告送达站内消息")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已停止")

    kind = models.CharField(_("任务类型"), max_length=32, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    announcement = models.ForeignKey(
        Announcement, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    cursor = models.BigIntegerField(default=0, editable=False)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(blank=True)
    not_before = models.DateTimeField(_("计划开始时间"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        constraints = [
            models.CheckConstraint(
                name="jobrun_status_valid",
                condition=Q(status__in=["queued", "running", "done", "failed", "cancelled"]),
            ),
            models.CheckConstraint(name="jobrun_kind_valid", condition=Q(kind__in=["announcement_delivery"])),
            models.CheckConstraint(name="jobrun_done_within_total", condition=Q(done__lte=F("total"))),
            models.UniqueConstraint(
                fields=["announcement"],
                condition=Q(kind="announcement_delivery"),
                name="jobrun_one_delivery_per_announcement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status, "done": self.done, "total": self.total}
