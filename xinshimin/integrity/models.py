"""Integrity (诚信): audits by sampling, findings, fraud sanctions, bans and the recovery of subsidies.

Spec §5 "Audits and fraud" and guide 十: the centre and the departments audit by random sampling; forged or
false material cancels the current year's qualifications (and any school place or subsidy obtained), clears
the points to zero and bars the person from every points service for 3 years. Guide 六(五): a housing
subsidy obtained by fraud is revoked and what was paid is recovered.

- ``AuditPlan``: what is sampled (approved claims of an item and/or department decided in a period, or
  the applications of a scene) and at which rate (percent).
- ``AuditDraw``: one draw of a plan, with its seed (random, recorded before the draw) and the frozen
  population, so that anyone can repeat it (``sampling.draw``).
- ``AuditSample``: one drawn claim or application, and the auditor's finding with notes and evidence.
- ``Sanction``: a fraud finding turned into a decision: proposed by one person, approved by another
  (a database CHECK refuses proposer = approver). Its approval cancels the qualifications, clears the
  points, starts the ``Ban`` and opens ``Recovery`` records (``services.sanction_approve``).
- ``Ban``: the 3-year bar, ``[starts_on, ends_on]`` with ``ends_on`` the last banned day (see ``periods``).
- ``VoidedCertificate``: a welfare certificate voided by a sanction.
- ``Recovery`` and ``RecoveryPayment``: money due back, payments received, balance and status.

Writes go through ``services``; reads with visibility through ``selectors``; the gate is ``gates.ban_gate``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xinshimin.accounts.models import Department
from xinshimin.claims.models import Claim
from xinshimin.residents.models import Resident
from xinshimin.scenes.models import Application, Scene
from xinshimin.welfare.models import Certificate

ZERO = Decimal("0.00")


class AuditPlan(models.Model):
    """What is sampled and at which rate: claims (by item and/or department, decided in a period) or the
    applications of one scene."""

    class Target(models.TextChoices):
        CLAIMS = "claims", _("积分申报（审核通过的）")
        APPLICATIONS = "applications", _("场景申请")

    name = models.CharField(_("名称"), max_length=100)
    target = models.CharField(_("抽查对象"), max_length=16, choices=Target.choices)
    item_code = models.CharField(
        _("指标代码"), max_length=64, blank=True, help_text=_("只抽查该指标的申报；留空为全部指标。")
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核部门"),
        help_text=_("只抽查该部门审核的申报；留空为全部部门。"),
    )
    period_from = models.DateField(_("审核通过日期自"), null=True, blank=True)
    period_to = models.DateField(_("审核通过日期至"), null=True, blank=True)
    scene = models.ForeignKey(
        Scene, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("场景")
    )
    rate = models.DecimalField(
        _("抽查比例（%）"), max_digits=5, decimal_places=2, help_text=_("大于 0、不超过 100，例如 5.00。")
    )
    note = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("抽查计划")
        verbose_name_plural = _("抽查计划")
        constraints = [
            models.CheckConstraint(
                name="audit_plan_target_valid", condition=Q(target__in=["claims", "applications"])
            ),
            models.CheckConstraint(name="audit_plan_rate_range", condition=Q(rate__gt=0, rate__lte=100)),
            models.CheckConstraint(
                name="audit_plan_claims_have_period",
                condition=~Q(target="claims")
                | Q(
                    scene__isnull=True,
                    period_from__isnull=False,
                    period_to__isnull=False,
                    period_to__gte=F("period_from"),
                ),
            ),
            models.CheckConstraint(
                name="audit_plan_applications_have_scene",
                condition=~Q(target="applications") | Q(scene__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.rate}%）"

    @property
    def object_type(self) -> str:
        return "claims.claim" if self.target == self.Target.CLAIMS else "scenes.application"


class AuditDraw(models.Model):
    """One draw of a plan. The seed is generated and stored first; the population (ids) is frozen with it."""

    plan = models.ForeignKey(AuditPlan, on_delete=models.PROTECT, related_name="draws")
    seed = models.CharField(_("随机种子"), max_length=64)
    object_type = models.CharField(max_length=32)
    rate = models.DecimalField(_("抽查比例（%）"), max_digits=5, decimal_places=2)
    population_ids = models.JSONField(_("抽样总体"), default=list, help_text=_("编号列表（升序）。"))
    population_count = models.PositiveIntegerField(_("总体数量"), default=0)
    population_digest = models.CharField(_("总体摘要 SHA-256"), max_length=64)
    sample_size = models.PositiveIntegerField(_("样本数量"), default=0)
    created_at = models.DateTimeField(_("抽取时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("抽取人")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("抽样")
        verbose_name_plural = _("抽样")
        constraints = [
            models.CheckConstraint(
                name="audit_draw_sample_within_population",
                condition=Q(sample_size__lte=F("population_count")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.pk} ({self.sample_size}/{self.population_count})"


class AuditSample(models.Model):
    """One object drawn for audit, and the finding recorded on it."""

    class Finding(models.TextChoices):
        PENDING = "pending", _("待核查")
        NO_ISSUE = "no_issue", _("未发现问题")
        DISCREPANCY = "discrepancy", _("发现不一致")
        FRAUD_SUSPECTED = "fraud_suspected", _("涉嫌提供虚假材料")

    draw = models.ForeignKey(AuditDraw, on_delete=models.PROTECT, related_name="samples")
    position = models.PositiveIntegerField(_("抽取顺序"))
    key = models.CharField(_("抽样键"), max_length=64)
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_samples"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_samples"
    )
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="audit_samples")
    finding = models.CharField(_("核查结论"), max_length=16, choices=Finding.choices, default=Finding.PENDING)
    finding_note = models.TextField(_("核查情况"), blank=True)
    found_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["draw_id", "position"]
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="audit_sample_position_once"),
            models.CheckConstraint(
                name="audit_sample_one_object",
                condition=Q(claim__isnull=False, application__isnull=True)
                | Q(claim__isnull=True, application__isnull=False),
            ),
            models.CheckConstraint(
                name="audit_sample_finding_valid",
                condition=Q(finding__in=["pending", "no_issue", "discrepancy", "fraud_suspected"]),
            ),
            models.CheckConstraint(
                name="audit_sample_finding_has_auditor",
                condition=Q(finding="pending") | Q(found_at__isnull=False, found_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["finding"], name="audit_sample_finding")]

    def __str__(self) -> str:
        return f"{self.draw_id}/{self.position}"

    @property
    def subject_label(self) -> str:
        if self.claim_id is not None:
            claim = self.claim
            assert claim is not None
            return f"{claim.reference} · {claim.item_label}"
        application = self.application
        assert application is not None
        return f"{application.number} · {application.get_kind_display()}"

    @property
    def is_pending(self) -> bool:
        return self.finding == self.Finding.PENDING


class FindingEvidence(models.Model):
    """A file an auditor attached to a finding (stored like claim evidence, see ``core.uploads``)."""

    sample = models.ForeignKey(AuditSample, on_delete=models.PROTECT, related_name="evidence")
    file_path = models.CharField(max_length=200, unique=True, editable=False)
    original_name = models.CharField(_("文件名"), max_length=100)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["sample_id", "uploaded_at", "id"]
        verbose_name = _("核查证据")
        verbose_name_plural = _("核查证据")

    def __str__(self) -> str:
        return self.original_name


class Sanction(models.Model):
    """A fraud sanction (违规处理): proposed from a fraud finding, approved by a second person."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待审批")
        APPROVED = "approved", _("已生效")
        REJECTED = "rejected", _("未批准")

    reference = models.CharField(_("决定书编号"), max_length=20, unique=True, null=True, blank=True)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="sanctions")
    sample = models.ForeignKey(AuditSample, on_delete=models.PROTECT, related_name="sanctions")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    reason = models.TextField(_("认定的事实"), help_text=_("提供了哪些虚假材料，如何查实。"))
    proposed_at = models.DateTimeField(_("提出时间"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decision_note = models.TextField(_("审批意见"), blank=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    effects = models.JSONField(_("处理结果"), default=dict, blank=True)
    notified_at = models.DateTimeField(_("书面告知时间"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("违规处理")
        verbose_name_plural = _("违规处理")
        constraints = [
            models.CheckConstraint(
                name="sanction_status_valid", condition=Q(status__in=["proposed", "approved", "rejected"])
            ),
            # Four eyes: whoever proposed a sanction may not decide it.
            models.CheckConstraint(
                name="sanction_decided_by_another_person",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
            ),
            models.CheckConstraint(
                name="sanction_decision_recorded",
                condition=Q(status="proposed") | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="sanction_approved_has_date",
                condition=~Q(status="approved") | Q(effective_on__isnull=False, reference__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["sample"],
                condition=Q(status__in=["proposed", "approved"]),
                name="sanction_one_per_sample",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"


class BanQuerySet(models.QuerySet["Ban"]):
    def active_on(self, day: date) -> BanQuerySet:
        """Bans in force on ``day``: ``starts_on ≤ day ≤ ends_on`` (the last day is included)."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Ban(models.Model):
    """No application for any points service (claims, scene applications, redemptions) for 3 years.

    ``ends_on`` is the last banned day (included): the day before the 3rd anniversary of ``starts_on``.
    """

    sanction = models.OneToOneField(Sanction, on_delete=models.PROTECT, related_name="ban")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="bans")
    starts_on = models.DateField(_("限制开始日期"))
    ends_on = models.DateField(_("限制截止日期（含当日）"))
    created_at = models.DateTimeField()

    objects = BanQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("限制申请")
        verbose_name_plural = _("限制申请")
        constraints = [
            models.CheckConstraint(name="ban_ends_after_start", condition=Q(ends_on__gte=F("starts_on")))
        ]
        indexes = [models.Index(fields=["resident", "ends_on"], name="ban_resident_ends")]

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.starts_on} – {self.ends_on}"

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class VoidedCertificate(models.Model):
    """A welfare certificate (兑换成功证明) voided by a sanction: providers must refuse it."""

    certificate = models.OneToOneField(Certificate, on_delete=models.PROTECT, related_name="integrity_void")
    sanction = models.ForeignKey(Sanction, on_delete=models.PROTECT, related_name="voided_certificates")
    voided_at = models.DateTimeField(_("作废时间"))

    class Meta:
        ordering = ["-voided_at", "-id"]
        verbose_name = _("作废的兑换成功证明")
        verbose_name_plural = _("作废的兑换成功证明")

    def __str__(self) -> str:
        return f"{self.certificate_id} ({self.sanction_id})"


class Recovery(models.Model):
    """Money to be paid back (追回): a housing subsidy obtained by fraud. ``amount_received`` is the sum of
    the payments; the balance is ``amount_due − amount_received`` and never below 0 (CHECK)."""

    class Status(models.TextChoices):
        OPEN = "open", _("追缴中")
        SETTLED = "settled", _("已追回")
        WRITTEN_OFF = "written_off", _("已核销")

    sanction = models.ForeignKey(Sanction, on_delete=models.PROTECT, related_name="recoveries")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="recoveries")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="recoveries"
    )
    amount_due = models.DecimalField(_("应追回金额（元）"), max_digits=12, decimal_places=2)
    amount_received = models.DecimalField(
        _("已追回金额（元）"), max_digits=12, decimal_places=2, default=ZERO
    )
    basis = models.TextField(_("计算依据"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    settled_on = models.DateField(_("追回完毕日期"), null=True, blank=True)
    written_off_at = models.DateTimeField(_("核销时间"), null=True, blank=True)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    write_off_reason = models.TextField(_("核销原因"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("补贴追回")
        verbose_name_plural = _("补贴追回")
        constraints = [
            models.CheckConstraint(name="recovery_amount_positive", condition=Q(amount_due__gt=0)),
            models.CheckConstraint(
                name="recovery_received_within_due",
                condition=Q(amount_received__gte=0, amount_received__lte=F("amount_due")),
            ),
            models.CheckConstraint(
                name="recovery_status_valid", condition=Q(status__in=["open", "settled", "written_off"])
            ),
            models.CheckConstraint(
                name="recovery_settled_is_paid",
                condition=~Q(status="settled") | Q(amount_received=F("amount_due"), settled_on__isnull=False),
            ),
            models.CheckConstraint(
                name="recovery_write_off_has_reason",
                condition=~Q(status="written_off")
                | (Q(written_off_at__isnull=False, written_off_by__isnull=False) & ~Q(write_off_reason="")),
            ),
            models.UniqueConstraint(
                fields=["sanction", "application"],
                condition=Q(application__isnull=False),
                name="recovery_once_per_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.amount_due} ({self.status})"

    @property
    def balance(self) -> Decimal:
        return self.amount_due - self.amount_received


class RecoveryPayment(models.Model):
    """One payment received towards a recovery."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    received_on = models.DateField(_("到账日期"))
    reference = models.CharField(_("收据号或流水号"), max_length=64, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["recovery_id", "received_on", "id"]
        verbose_name = _("追回到账")
        verbose_name_plural = _("追回到账")
        constraints = [
            models.CheckConstraint(name="recovery_payment_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id}: {self.amount} @ {self.received_on}"
