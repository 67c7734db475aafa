"""Scenes (场景): what residents apply for with their points, from application to final list.

A ``Scene`` is defined by the centre (school places, housing subsidy, tourism, fitness, points loans …).
Residents file ``Application``s; departments record ``ApplicationCheck``s; a ``RankingRun`` freezes the
score snapshots at the scene's as-of date and orders the eligible applications by the tie-break chain
(``ranking.py``) into ``RankingRow``s; the run is published as a public ``Notice`` (公示) for 5 working
days, during which ``Objection``s may be filed; an upheld objection corrects a fact and produces a new
run version that supersedes the old one; after the notice the current run becomes the final list and
``Outcome``s (school placed, subsidy paid) are recorded against it.

Writes go through ``services``; reads with visibility through ``selectors``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinshimin.accounts.models import Department
from xinshimin.residents.models import HouseholdMember, Resident
from xinshimin.scoring.models import PolicyRecord, ScoreSnapshot

from .ranking import DEFAULT_CHAIN


def default_chain() -> list[str]:
    return list(DEFAULT_CHAIN)


class Scene(models.Model):
    """A service residents apply for with their points: its window, rules, quota and ranking settings."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("积分入学")
        HOUSING = "housing", _("积分住房租赁补贴")
        TOURISM = "tourism", _("积分旅游")
        FITNESS = "fitness", _("积分健身")
        LOAN = "loan", _("积分贷")
        OTHER = "other", _("其他场景")

    class Mode(models.TextChoices):
        RANKED = "ranked", _("按积分排名")
        THRESHOLD = "threshold", _("达到分数线")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        ARCHIVED = "archived", _("已归档")

    code = models.SlugField(_("场景代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    mode = models.CharField(_("方式"), max_length=16, choices=Mode.choices, default=Mode.RANKED)
    year = models.PositiveSmallIntegerField(_("年度"))
    description = models.TextField(_("说明"), blank=True)
    opens_at = models.DateTimeField(_("申请开始时间"))
    closes_at = models.DateTimeField(_("申请截止时间"))
    review_starts_on = models.DateField(_("审核开始日期"))
    review_ends_on = models.DateField(_("审核截止日期"))
    as_of = models.DateField(_("积分计算日期"), help_text=_("排名采用该日的积分快照。"))
    quota = models.PositiveIntegerField(_("名额"), null=True, blank=True, help_text=_("空表示不限名额。"))
    top_n = models.PositiveIntegerField(
        _("优先名次"), default=0, help_text=_("前 N 名享受优先（积分入学默认 30）。")
    )
    threshold = models.DecimalField(
        _("分数线"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("达标类场景的分数线。"),
    )
    tie_break = models.JSONField(_("同分排序规则"), default=default_chain)
    required_data = models.JSONField(
        _("申请须填信息"), default=list, blank=True, help_text=_("申请人必须提供的信息代码列表。")
    )
    departments = models.ManyToManyField(
        Department, related_name="scenes", verbose_name=_("责任部门"), blank=True
    )
    policy = models.ForeignKey(
        PolicyRecord, on_delete=models.PROTECT, related_name="scenes", verbose_name=_("积分政策版本")
    )
    lottery_seed_commitment = models.CharField(
        _("摇号种子承诺值"), max_length=64, blank=True, help_text=_("种子的 SHA-256，排名前公布。")
    )
    lottery_seed = models.CharField(_("摇号种子"), max_length=64, blank=True, editable=False)
    seed_committed_at = models.DateTimeField(null=True, blank=True)
    seed_revealed_at = models.DateTimeField(null=True, blank=True)
    application_count = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "kind", "code"]
        verbose_name = _("积分应用场景")
        verbose_name_plural = _("积分应用场景")
        constraints = [
            models.CheckConstraint(
                name="scene_window_order", condition=Q(closes_at__gt=models.F("opens_at"))
            ),
            models.CheckConstraint(
                name="scene_review_order", condition=Q(review_ends_on__gte=models.F("review_starts_on"))
            ),
            models.CheckConstraint(
                name="scene_threshold_mode_has_threshold",
                condition=~Q(mode="threshold") | Q(threshold__isnull=False),
            ),
            models.CheckConstraint(
                name="scene_kind_valid",
                condition=Q(kind__in=["school", "housing", "tourism", "fitness", "loan", "other"]),
            ),
            models.CheckConstraint(name="scene_mode_valid", condition=Q(mode__in=["ranked", "threshold"])),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def is_open(self, at: dt.datetime) -> bool:
        """Applications are accepted at ``at``: published, and ``opens_at ≤ at < closes_at``."""
        return self.status == self.Status.PUBLISHED and self.opens_at <= at < self.closes_at

    @property
    def is_seed_revealed(self) -> bool:
        return self.seed_revealed_at is not None


class Application(models.Model):
    """One resident's application to one scene (for the school scene: for one child)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        UNDER_REVIEW = "under_review", _("审核中")
        ELIGIBLE = "eligible", _("审核通过")
        REJECTED = "rejected", _("审核未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Stage(models.TextChoices):
        GRADE1 = "grade1", _("小学一年级")
        GRADE7 = "grade7", _("初中一年级")

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上申请")
        WINDOW = "window", _("窗口代办")

    scene = models.ForeignKey(Scene, on_delete=models.PROTECT, related_name="applications")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="scene_applications")
    number = models.CharField(_("申请编号"), max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Scene.Kind.choices, editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    child = models.ForeignKey(
        HouseholdMember,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scene_applications",
        verbose_name=_("子女"),
    )
    child_id_index = models.CharField(max_length=64, blank=True, editable=False)
    child_name_masked = models.CharField(_("子女姓名（脱敏）"), max_length=40, blank=True)
    child_id_number_masked = models.CharField(_("子女身份证号（脱敏）"), max_length=18, blank=True)
    stage = models.CharField(_("入学阶段"), max_length=8, choices=Stage.choices, blank=True)
    declarations = models.JSONField(_("申请人声明"), default=dict, blank=True)
    gate_results = models.JSONField(_("资格条件核验结果"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_started_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("场景申请")
        verbose_name_plural = _("场景申请")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "child_id_index"],
                condition=Q(kind="school") & ~Q(status="withdrawn"),
                name="application_one_per_child_per_year",
            ),
            models.UniqueConstraint(
                fields=["scene", "resident"],
                condition=~Q(kind="school") & ~Q(status="withdrawn"),
                name="application_one_per_resident_per_scene",
            ),
            models.CheckConstraint(
                name="application_school_has_child_and_stage",
                condition=~Q(kind="school") | (~Q(child_id_index="") & Q(stage__in=["grade1", "grade7"])),
            ),
            models.CheckConstraint(
                name="application_status_valid",
                condition=Q(status__in=["submitted", "under_review", "eligible", "rejected", "withdrawn"]),
            ),
        ]
        indexes = [models.Index(fields=["scene", "status"], name="application_scene_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.WITHDRAWN


class ApplicationCheck(models.Model):
    """One department's check of one application (有无住房, 有无其他住房补贴, 五年内有无拘留或刑事处罚 …)."""

    class Result(models.TextChoices):
        PENDING = "pending", _("待审核")
        PASS = "pass", _("通过")
        FAIL = "fail", _("不通过")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="checks")
    code = models.CharField(_("核查项目"), max_length=32)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="scene_checks", verbose_name=_("核查部门")
    )
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices, default=Result.PENDING)
    reason = models.TextField(_("理由"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application_id", "id"]
        verbose_name = _("资格核查")
        verbose_name_plural = _("资格核查")
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="check_once_per_application"),
            models.CheckConstraint(
                name="check_result_valid", condition=Q(result__in=["pending", "pass", "fail"])
            ),
            models.CheckConstraint(
                name="check_decided_has_reviewer_time",
                condition=Q(result="pending") | Q(decided_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["department", "result"], name="check_department_result")]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.code}={self.result}"

    @property
    def label(self) -> str:
        from .gates import check_label

        return check_label(self.code)


class Notice(models.Model):
    """The public notice (公示) of a scene's ranking: 5 working days on the official calendar."""

    scene = models.OneToOneField(Scene, on_delete=models.PROTECT, related_name="notice")
    published_on = models.DateField(_("公示发布日期"))
    starts_on = models.DateField(_("公示开始日期"), help_text=_("发布日当天或其后的第一个工作日。"))
    ends_on = models.DateField(_("公示截止日期"), help_text=_("公示期的第 5 个工作日（含当天）。"))
    working_days = models.PositiveSmallIntegerField(default=5)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-published_on"]
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        constraints = [
            models.CheckConstraint(name="notice_dates_order", condition=Q(ends_on__gte=models.F("starts_on")))
        ]

    def __str__(self) -> str:
        return f"{self.scene} {self.starts_on}–{self.ends_on}"

    def is_open_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def has_ended(self, day: dt.date) -> bool:
        return day > self.ends_on


class RankingRun(models.Model):
    """One version of a scene's ranking list. A correction creates a new version that supersedes this one."""

    class Status(models.TextChoices):
        COMPUTED = "computed", _("已生成（未公示）")
        PUBLISHED = "published", _("公示中")
        SUPERSEDED = "superseded", _("已被更正版本取代")
        FINAL = "final", _("最终名单")

    scene = models.ForeignKey(Scene, on_delete=models.PROTECT, related_name="runs")
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.COMPUTED)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("取代的版本"),
    )
    reason = models.TextField(_("生成原因"), blank=True)
    as_of = models.DateField(_("积分计算日期"))
    policy = models.ForeignKey(PolicyRecord, on_delete=models.PROTECT, related_name="+")
    chain = models.JSONField(_("同分排序规则"))
    seed = models.CharField(_("摇号种子"), max_length=64)
    mode = models.CharField(max_length=16, choices=Scene.Mode.choices)
    top_n = models.PositiveIntegerField(default=0)
    quota = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    inputs_digest = models.CharField(_("输入摘要 SHA-256"), max_length=64)
    output_digest = models.CharField(_("名单摘要 SHA-256"), max_length=64)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scene_id", "-version"]
        verbose_name = _("排名版本")
        verbose_name_plural = _("排名版本")
        constraints = [
            models.UniqueConstraint(fields=["scene", "version"], name="run_version_once"),
            models.UniqueConstraint(
                fields=["scene"], condition=~Q(status="superseded"), name="run_one_current_per_scene"
            ),
            models.CheckConstraint(
                name="run_status_valid",
                condition=Q(status__in=["computed", "published", "superseded", "final"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scene.code} v{self.version}"

    @property
    def is_superseded(self) -> bool:
        return self.status == self.Status.SUPERSEDED

    @property
    def is_public(self) -> bool:
        """Shown on the public notice pages: published once (a superseded version stays viewable)."""
        return self.published_at is not None


class RankingRow(models.Model):
    """One row of a ranking version. Values are frozen copies; names and IDs are stored masked only."""

    # No separate index on ``run``: the unique (run, rank) constraint's index serves every run lookup,
    # and each index costs time on every row of a 100,000-row list.
    run = models.ForeignKey(RankingRun, on_delete=models.CASCADE, related_name="rows", db_index=False)
    # Indexed by the unique (application, run) constraint, which serves "the rows of an application".
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="ranking_rows", db_index=False
    )
    rank = models.PositiveIntegerField(_("名次"))
    number = models.CharField(_("申请编号"), max_length=64)
    name_masked = models.CharField(_("姓名"), max_length=40)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    total = models.DecimalField(_("总积分"), max_digits=8, decimal_places=2)
    social_insurance = models.DecimalField(_("社保积分"), max_digits=8, decimal_places=2)
    residence_registered_on = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    is_top_n = models.BooleanField(_("优先"), default=False)
    is_selected = models.BooleanField(_("入围"), default=False)
    # Which snapshot the values were frozen from: a reference for reading, not an invariant (the row keeps
    # its own copy of the values), so no database constraint — checking one per row would cost more than
    # writing the row. A recomputed snapshot keeps its id; a deleted one leaves a dangling, unused id.
    snapshot = models.ForeignKey(
        ScoreSnapshot,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["run_id", "rank"]
        verbose_name = _("排名行")
        verbose_name_plural = _("排名行")
        constraints = [
            models.UniqueConstraint(fields=["run", "rank"], name="row_rank_once"),
            models.UniqueConstraint(fields=["application", "run"], name="row_application_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.rank}"

    @property
    def receipt(self) -> str:
        """The row's receipt code (computed, not stored; see ``receipts``)."""
        from .receipts import receipt_code

        return receipt_code(run_id=self.run_id, rank=self.rank, number=self.number, total=self.total)


class Objection(models.Model):
    """An objection (异议/更正申请) to one row of a published list, about one score item."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        UPHELD = "upheld", _("异议成立，已更正")
        REJECTED = "rejected", _("异议不成立")

    row = models.ForeignKey(RankingRow, on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    item_code = models.CharField(_("异议指标"), max_length=40)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="scene_objections", verbose_name=_("责任部门")
    )
    statement = models.TextField(_("异议内容"))
    channel = models.CharField(
        _("渠道"), max_length=8, choices=Application.Channel.choices, default=Application.Channel.ONLINE
    )
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decision_reason = models.TextField(_("审核意见"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_fact_kind = models.CharField(max_length=40, blank=True)
    corrected_fact_value = models.JSONField(null=True, blank=True)
    result_run = models.ForeignKey(
        RankingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="from_objections"
    )

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "item_code"],
                condition=Q(status="pending"),
                name="objection_one_pending_per_item",
            ),
            models.CheckConstraint(
                name="objection_status_valid", condition=Q(status__in=["pending", "upheld", "rejected"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.item_code} ({self.status})"


class Outcome(models.Model):
    """What came of a final-list application: a school place, a subsidy payment, a revocation."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("已安排入学")
        NOT_PLACED = "not_placed", _("未能安排入学")
        SUBSIDY_PAID = "subsidy_paid", _("补贴已发放")
        REVOKED = "revoked", _("资格已取消")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="outcomes")
    kind = models.CharField(_("结果"), max_length=16, choices=Kind.choices)
    school = models.CharField(_("学校"), max_length=128, blank=True)
    amount_yuan = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("补贴月数"), null=True, blank=True)
    period_from = models.DateField(_("补贴起始月"), null=True, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["application_id", "recorded_at", "id"]
        verbose_name = _("场景结果")
        verbose_name_plural = _("场景结果")
        constraints = [
            models.CheckConstraint(
                name="outcome_kind_valid",
                condition=Q(kind__in=["placed", "not_placed", "subsidy_paid", "revoked"]),
            ),
            models.CheckConstraint(
                name="outcome_payment_has_amount_and_months",
                condition=~Q(kind="subsidy_paid")
                | Q(amount_yuan__gt=0, months__gte=1, months__lte=12, period_from__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.kind}"

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "school": self.school,
            "amount_yuan": str(self.amount_yuan) if self.amount_yuan is not None else None,
            "months": self.months,
            "period_from": self.period_from.isoformat() if self.period_from else None,
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
        }
