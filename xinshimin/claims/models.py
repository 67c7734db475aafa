"""Claims (积分申报) and disputes (积分异议), their evidence, their timeline, and the review periods.

A resident (or a window clerk on their behalf) files a claim for an indicator with no data, or a dispute
against an indicator's value, with the fact value they ask for (exchange format, spec §4) and evidence.
The claim goes to the department that answers for the indicator in the policy in force; a reviewer of
that department approves it (the fact is written and the score recomputed), rejects it with a standard
reason, or asks for more evidence by a deadline after which the claim lapses (视为放弃). A decision can be
rechecked (复核) once, by another reviewer of the same department.

Business rules are in ``services``; reads with visibility in ``selectors``. Missing-item claims are
accepted all year; disputes only inside a ``ReviewPeriod`` (see ``services.claim_file``).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xinshimin.accounts.models import Department
from xinshimin.residents.models import Resident


class ReviewPeriod(models.Model):
    """A centralised review period (集中审核期) in which disputes are accepted [GUIDE 九(三)].

    Seeded with March–April and July–September for 2025–2027; the centre adjusts them in the admin when
    the year's enrolment and housing-subsidy announcements fix the exact dates.
    """

    year = models.PositiveSmallIntegerField(_("年度"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    label = models.CharField(_("名称"), max_length=64)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("集中审核期")
        verbose_name_plural = _("集中审核期")
        constraints = [
            models.CheckConstraint(name="review_period_ordered", condition=Q(ends_on__gte=F("starts_on"))),
            models.UniqueConstraint(fields=["starts_on"], name="review_period_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.starts_on:%Y-%m-%d} 至 {self.ends_on:%Y-%m-%d}）"

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class ClaimQuerySet(models.QuerySet["Claim"]):
    def open(self) -> ClaimQuerySet:
        return self.filter(status__in=Claim.OPEN_STATUSES)

    def waiting_for_department(self) -> ClaimQuerySet:
        """Claims whose next step is the department's (the review clock runs)."""
        return self.filter(status__in=Claim.DEPARTMENT_STATUSES)

    def overdue(self, today: date) -> ClaimQuerySet:
        return self.waiting_for_department().filter(due_on__lt=today)


class Claim(models.Model):
    class Kind(models.TextChoices):
        CLAIM = "claim", _("补充申报")
        DISPUTE = "dispute", _("积分异议")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交，待审核")
        UNDER_REVIEW = "under_review", _("审核中")
        EVIDENCE_REQUESTED = "evidence_requested", _("待补充材料")
        APPROVED = "approved", _("审核通过")
        REJECTED = "rejected", _("审核未通过")
        LAPSED = "lapsed", _("逾期未补充材料，视为放弃")
        WITHDRAWN = "withdrawn", _("已撤回")
        RECHECK_REQUESTED = "recheck_requested", _("复核中")
        RECHECK_APPROVED = "recheck_approved", _("复核通过")
        RECHECK_REJECTED = "recheck_rejected", _("复核维持原决定")

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上申报")
        WINDOW = "window", _("窗口代办")

    class RejectReason(models.TextChoices):
        INSUFFICIENT_EVIDENCE = "insufficient_evidence", _("证明材料不足或无法核实")
        RECORD_CORRECT = "record_correct", _("经核实，原记录无误")
        NOT_ELIGIBLE = "not_eligible", _("不符合该项目的赋分条件")
        INVALID_EVIDENCE = "invalid_evidence", _("证明材料不真实或与本人不符")
        DUPLICATE = "duplicate", _("重复申报，该记录已计分")
        OTHER = "other", _("其他原因（见说明）")

    OPEN_STATUSES = (
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.EVIDENCE_REQUESTED,
        Status.RECHECK_REQUESTED,
    )
    DEPARTMENT_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RECHECK_REQUESTED)
    REVIEWABLE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)
    DECIDED_STATUSES = (Status.APPROVED, Status.REJECTED)

    reference = models.CharField(_("受理编号"), max_length=20, unique=True, null=True, blank=True)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    item_code = models.CharField(_("指标代码"), max_length=64)
    item_label = models.CharField(_("指标"), max_length=64)
    fact_kind = models.CharField(_("事实字段"), max_length=40)
    proposed_value = models.JSONField(_("申报内容"), help_text=_("数据交换格式中该字段的值。"))
    current_value = models.JSONField(_("申报时的记录"), null=True, blank=True)
    approved_value = models.JSONField(_("认定内容"), null=True, blank=True)
    statement = models.TextField(_("申请说明"), blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="claims", verbose_name=_("审核部门")
    )
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.SUBMITTED)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    consent_recorded = models.BooleanField(_("已取得本人同意"), default=False)
    filed_at = models.DateTimeField(_("提交时间"))
    submitted_on = models.DateField(_("受理日期"))
    due_on = models.DateField(_("部门办理期限"), help_text=_("当前阶段（审核或复核）部门应办结的日期。"))
    evidence_requested_on = models.DateField(_("要求补充材料日期"), null=True, blank=True)
    evidence_due_on = models.DateField(_("补充材料截止日期"), null=True, blank=True)
    evidence_request_note = models.TextField(_("补充材料要求"), blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.CharField(_("不通过原因"), max_length=32, choices=RejectReason.choices, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)
    recheck_requested_on = models.DateField(_("申请复核日期"), null=True, blank=True)
    recheck_reason = models.TextField(_("复核理由"), blank=True)
    recheck_decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    recheck_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recheck_reject_reason = models.CharField(max_length=32, choices=RejectReason.choices, blank=True)
    recheck_note = models.TextField(_("复核意见"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("积分申报")
        verbose_name_plural = _("积分申报")
        constraints = [
            models.CheckConstraint(
                name="claim_status_valid",
                condition=Q(
                    status__in=[
                        "submitted",
                        "under_review",
                        "evidence_requested",
                        "approved",
                        "rejected",
                        "lapsed",
                        "withdrawn",
                        "recheck_requested",
                        "recheck_approved",
                        "recheck_rejected",
                    ]
                ),
            ),
            models.CheckConstraint(name="claim_kind_valid", condition=Q(kind__in=["claim", "dispute"])),
            models.CheckConstraint(
                name="claim_window_needs_consent", condition=~Q(channel="window") | Q(consent_recorded=True)
            ),
            models.CheckConstraint(
                name="claim_recheck_by_another_reviewer",
                condition=Q(recheck_decided_by__isnull=True) | ~Q(recheck_decided_by=F("decided_by")),
            ),
            models.UniqueConstraint(
                fields=["resident", "item_code"],
                condition=Q(
                    status__in=["submitted", "under_review", "evidence_requested", "recheck_requested"]
                ),
                name="claim_one_open_per_item",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_on"], name="claim_queue"),
            models.Index(fields=["status", "evidence_due_on"], name="claim_evidence_due"),
        ]

    def __str__(self) -> str:
        return f"{self.reference or '—'} {self.item_label} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def waits_for_department(self) -> bool:
        return self.status in self.DEPARTMENT_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.waits_for_department and self.due_on < today

    @property
    def is_recheck(self) -> bool:
        return self.recheck_requested_on is not None


class Evidence(models.Model):
    """One uploaded file, stored under PRIVATE_MEDIA_ROOT with a random name (see ``core.uploads``)."""

    class Stage(models.TextChoices):
        FILING = "filing", _("申报材料")
        SUPPLEMENT = "supplement", _("补充材料")
        RECHECK = "recheck", _("复核材料")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="evidence")
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.FILING)
    file_path = models.CharField(max_length=200, unique=True, editable=False)
    original_name = models.CharField(_("文件名"), max_length=100)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["claim_id", "uploaded_at", "id"]
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")

    def __str__(self) -> str:
        return self.original_name


class ClaimEvent(models.Model):
    """One step of a claim's timeline, as shown to the resident (the audit chain keeps the full record)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=32)
    status = models.CharField(max_length=24, choices=Claim.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=64)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["claim_id", "at", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"
