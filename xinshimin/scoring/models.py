"""Scoring: policy versions as data, facts (not points), explained score snapshots, recompute runs.

Points are never stored as input: a ``ScoreSnapshot`` is derived from (facts, policy version, as-of date)
by ``xinshimin.policies.evaluate`` and records which version it used, so it keeps explaining itself after
the policy changes. Writes go through ``services``; reads through ``selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinshimin.accounts.models import Department
from xinshimin.policies import FACT_FIELDS
from xinshimin.residents.models import Resident


class PolicyRecord(models.Model):
    """One version of the points policy of a jurisdiction, as a validated JSON document.

    A draft is edited by the centre and published with an effective date; a published version is frozen
    (the services refuse edits, and on PostgreSQL a trigger refuses any change to its content).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    jurisdiction = models.SlugField(_("辖区"), max_length=32)
    version_id = models.CharField(_("版本号"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=128)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    source_document = models.TextField(_("依据文件"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    document = models.JSONField(_("政策参数"), help_text=_("完整的政策文件（xinshimin.policy/1 格式）。"))
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived",
        verbose_name=_("基于"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["jurisdiction", "-effective_on", "version_id"]
        verbose_name = _("积分政策版本")
        verbose_name_plural = _("积分政策版本")
        constraints = [
            models.CheckConstraint(
                name="policy_status_valid", condition=Q(status__in=["draft", "published", "retired"])
            ),
            models.CheckConstraint(
                name="policy_published_has_effective_date",
                condition=Q(status="draft") | Q(effective_on__isnull=False, published_at__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["jurisdiction", "effective_on"],
                condition=Q(status="published"),
                name="policy_one_published_per_effective_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} ({self.get_status_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class Fact(models.Model):
    """The current value of one fact about a resident (an exchange-format field and its value)."""

    class Source(models.TextChoices):
        DEPARTMENT_FEED = "department_feed", _("部门数据")
        APPROVED_CLAIM = "approved_claim", _("申报审核通过")
        WINDOW_ENTRY = "window_entry", _("窗口录入")
        DEMO = "demo", _("演示数据")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="facts")
    kind = models.CharField(_("事实类型"), max_length=40, choices=[(name, name) for name in FACT_FIELDS])
    value = models.JSONField(_("值"), help_text=_("数据交换格式中该字段的值。"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=128, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("部门")
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["resident_id", "kind"]
        verbose_name = _("积分事实")
        verbose_name_plural = _("积分事实")
        constraints = [
            models.UniqueConstraint(fields=["resident", "kind"], name="fact_one_per_resident_kind")
        ]
        indexes = [models.Index(fields=["recorded_at"], name="fact_recorded_at")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_source_display()})"


class FactRevision(models.Model):
    """Append-only history of a fact: every change, with its old and new value, source, time and actor.

    On PostgreSQL a trigger refuses UPDATE and DELETE on this table.
    """

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="fact_revisions")
    kind = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True, help_text=_("空表示该事实被移除。"))
    source = models.CharField(max_length=20, choices=Fact.Source.choices)
    source_ref = models.CharField(max_length=128, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["resident_id", "recorded_at", "id"]
        verbose_name = _("积分事实变更记录")
        verbose_name_plural = _("积分事实变更记录")
        indexes = [models.Index(fields=["resident", "kind"], name="fact_revision_resident_kind")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.recorded_at:%Y-%m-%d %H:%M}"


class ScoreSnapshot(models.Model):
    """A resident's explained score under one policy version on one as-of date."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="score_snapshots")
    policy = models.ForeignKey(PolicyRecord, on_delete=models.PROTECT, related_name="snapshots")
    as_of = models.DateField(_("评分日期"))
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=2)
    raw_total = models.DecimalField(_("未取整的总分"), max_digits=8, decimal_places=2)
    common = models.DecimalField(_("共性指标"), max_digits=8, decimal_places=2)
    local = models.DecimalField(_("个性指标"), max_digits=8, decimal_places=2)
    deductions = models.DecimalField(_("扣减"), max_digits=8, decimal_places=2)
    items = models.JSONField(help_text=_("指标代码 → {points, zh, en}"))
    notes = models.JSONField(
        default=dict, blank=True, help_text=_("{zh: [...], en: [...]}：封顶、取零等说明")
    )
    facts_digest = models.CharField(max_length=64, help_text=_("评分输入（事实与出生日期）的 SHA-256"))
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["resident_id", "-as_of"]
        verbose_name = _("积分快照")
        verbose_name_plural = _("积分快照")
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "policy", "as_of"], name="snapshot_one_per_policy_date"
            )
        ]
        indexes = [models.Index(fields=["policy", "as_of", "-total"], name="snapshot_ranking")]

    def __str__(self) -> str:
        return f"{self.total} @ {self.as_of}"


class RecomputeRun(models.Model):
    """One recompute of score snapshots (all residents, or those changed since a moment), with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    policy = models.ForeignKey(PolicyRecord, on_delete=models.PROTECT, related_name="recompute_runs")
    as_of = models.DateField(_("评分日期"))
    changed_since = models.DateTimeField(_("仅重算此后有变化的"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("总人数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    written = models.PositiveIntegerField(_("已更新快照"), default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("积分重算")
        verbose_name_plural = _("积分重算")

    def __str__(self) -> str:
        return f"{self.policy_id} @ {self.as_of}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        """Progress for a progress bar, 0–100."""
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
