"""The charity hardship fund (爱心基金): hardship cases, their verification, donations and the fund ledger.

What the database itself guarantees (see ``migrations/0002_database_guards`` for the PostgreSQL part):

* A decided case has a ``CaseDecision`` row that points at two *different* ``Verification`` rows
  (NOT NULL foreign keys + a CHECK that they differ, on every backend). A ``Verification`` row exists
  only once a verifier has recorded what they checked and found, and each verifier has at most one per
  case (unique ``(case, verifier)``); so two different rows of one case are two different people.
  On PostgreSQL, composite foreign keys ``(verification_x, case) → verification (id, case)`` make
  both verifications belong to the decided case, and a trigger refuses to set a case to approved,
  refused or disbursed without its decision row.
* The ledger is append-only on PostgreSQL (a trigger refuses UPDATE and DELETE of entries and lines);
  each line is a debit or a credit, never both (CHECK); a deferred constraint trigger refuses to commit
  an entry whose debits and credits differ or that has fewer than two lines.
* An account that may never be negative (the fund's bank account) carries its running balance with a
  CHECK ``balance >= 0``; the services update it under a row lock together with the lines.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinshimin.residents.models import Resident

ZERO = Decimal("0.00")


class Counter(models.Model):
    """A named, gap-free sequence (case numbers, receipt numbers, journal numbers), used under a row lock."""

    key = models.CharField(max_length=32, unique=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ConflictDeclaration(models.Model):
    """A staff member's declared conflict of interest with a resident: they may not verify that person's cases."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charity_conflicts"
    )
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="charity_conflicts")
    reason = models.CharField(_("原因"), max_length=200)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("利益冲突申报")
        constraints = [models.UniqueConstraint(fields=["user", "resident"], name="charity_conflict_once")]

    def __str__(self) -> str:
        return f"conflict user={self.user_id} resident={self.resident_id}"


class CaseQuerySet(models.QuerySet["HardshipCase"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=HardshipCase.OPEN_STATUSES)

    def overdue(self, today: date) -> CaseQuerySet:
        """Open cases past their decision date."""
        return self.open().filter(due_on__lt=today)

    def letters_overdue(self, today: date) -> CaseQuerySet:
        """Refused cases whose written explanation is not yet delivered and is past its date."""
        return self.filter(
            status=HardshipCase.Status.REFUSED, letter_delivered_on__isnull=True, letter_due_on__lt=today
        )

    def queue_order(self) -> CaseQuerySet:
        """Urgent first, then by the decision date, then first come first served."""
        return self.order_by("-is_urgent", "due_on", "submitted_at", "pk")


class HardshipCase(models.Model):
    """A hardship application (困难申报) to the fund."""

    class Category(models.TextChoices):
        ILLNESS = "illness", _("因病")
        ACCIDENT = "accident", _("意外事故")
        DISASTER = "disaster", _("灾害")
        FAMILY_HARDSHIP = "family_hardship", _("家庭困难")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        VERIFYING = "verifying", _("核实中")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("不予救助")
        DISBURSED = "disbursed", _("已发放")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上申请")
        WINDOW = "window", _("窗口代办")

    class LetterMethod(models.TextChoices):
        ONLINE = "online", _("平台送达")
        IN_PERSON = "in_person", _("当面送达")
        POST = "post", _("邮寄送达")

    OPEN_STATUSES = (Status.SUBMITTED, Status.VERIFYING)
    DECIDED_STATUSES = (Status.APPROVED, Status.REFUSED, Status.DISBURSED)

    number = models.CharField(_("案件编号"), max_length=20, unique=True)
    applicant = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="charity_cases")
    category = models.CharField(_("困难类别"), max_length=16, choices=Category.choices)
    amount_requested = models.DecimalField(_("申请金额（元）"), max_digits=14, decimal_places=2)
    description = models.TextField(_("困难情况说明"))
    is_urgent = models.BooleanField(_("急事急办"), default=False)
    priority_employer = models.BooleanField(
        _("捐赠单位员工优先"), default=False, help_text=_("申请时所在单位累计捐赠十万元以上。")
    )
    priority_donor = models.BooleanField(_("捐赠者优先"), default=False, help_text=_("申请人本人曾捐赠。"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    consent_recorded = models.BooleanField(
        _("本人同意代办"), default=False, help_text=_("窗口代办时，申请人本人同意由工作人员代为提交。")
    )
    submitted_at = models.DateTimeField()
    submitted_on = models.DateField(_("提交日期"))
    due_on = models.DateField(_("批复期限"))
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decision_reason = models.TextField(_("决定理由"), blank=True)
    amount_approved = models.DecimalField(
        _("批准金额（元）"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    letter_due_on = models.DateField(_("书面解释送达期限"), null=True, blank=True)
    letter_delivered_on = models.DateField(_("书面解释送达日期"), null=True, blank=True)
    letter_method = models.CharField(_("送达方式"), max_length=16, choices=LetterMethod.choices, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("困难申报")
        verbose_name_plural = _("困难申报")
        indexes = [models.Index(fields=["status", "due_on"], name="charity_case_queue")]
        constraints = [
            # One application in progress per person (a double submission is refused by the database).
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(status__in=["submitted", "verifying"]),
                name="charity_case_one_open",
            ),
            models.CheckConstraint(name="charity_case_amount_positive", condition=Q(amount_requested__gt=0)),
            models.CheckConstraint(
                name="charity_case_status_valid",
                condition=Q(
                    status__in=["submitted", "verifying", "approved", "refused", "disbursed", "withdrawn"]
                ),
            ),
            models.CheckConstraint(
                name="charity_case_category_valid",
                condition=Q(category__in=["illness", "accident", "disaster", "family_hardship", "other"]),
            ),
            models.CheckConstraint(
                name="charity_case_window_needs_consent",
                condition=~Q(channel="window") | Q(consent_recorded=True),
            ),
            models.CheckConstraint(
                name="charity_case_decided_fields",
                condition=~Q(status__in=["approved", "refused", "disbursed"])
                | (Q(decided_on__isnull=False) & Q(decided_by__isnull=False)),
            ),
            models.CheckConstraint(
                name="charity_case_approved_amount",
                condition=~Q(status__in=["approved", "disbursed"])
                | (Q(amount_approved__gt=0) & Q(amount_approved__lte=models.F("amount_requested"))),
            ),
            models.CheckConstraint(
                name="charity_case_refusal_letter_due",
                condition=~Q(status="refused") | Q(letter_due_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_overdue(self, today: date) -> bool:
        return self.status in self.OPEN_STATUSES and self.due_on < today

    def letter_is_overdue(self, today: date) -> bool:
        return (
            self.status == self.Status.REFUSED
            and self.letter_delivered_on is None
            and self.letter_due_on is not None
            and self.letter_due_on < today
        )

    @property
    def has_priority(self) -> bool:
        return self.priority_employer or self.priority_donor


class CaseEvidence(models.Model):
    """An uploaded proof (image or PDF), checked by ``core.uploads`` and stored under ``PRIVATE_MEDIA_ROOT``."""

    case = models.ForeignKey(HardshipCase, on_delete=models.PROTECT, related_name="evidence")
    original_name = models.CharField(max_length=128)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=120, unique=True, help_text="Path under PRIVATE_MEDIA_ROOT.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "pk"]
        constraints = [
            models.CheckConstraint(
                name="charity_evidence_type_valid",
                condition=Q(content_type__in=["image/jpeg", "image/png", "image/webp", "application/pdf"]),
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class VerifierAssignment(models.Model):
    """The fund office asked this person to verify this case."""

    case = models.ForeignKey(HardshipCase, on_delete=models.PROTECT, related_name="assignments")
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charity_assignments"
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "verifier"], name="charity_assignment_once")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.verifier_id}"


class Verification(models.Model):
    """A completed verification: what one verifier checked and what they found. Written once."""

    class Finding(models.TextChoices):
        CONFIRMED = "confirmed", _("情况属实")
        PARTLY = "partly", _("部分属实")
        NOT_CONFIRMED = "not_confirmed", _("情况不属实")

    case = models.ForeignKey(HardshipCase, on_delete=models.PROTECT, related_name="verifications")
    assignment = models.OneToOneField(
        VerifierAssignment, on_delete=models.PROTECT, related_name="verification"
    )
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked = models.TextField(_("核实了什么"))
    found = models.TextField(_("核实结果"))
    finding = models.CharField(_("结论"), max_length=16, choices=Finding.choices)
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "completed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "verifier"], name="charity_verification_once"),
            # The target of the composite foreign keys from CaseDecision (PostgreSQL).
            models.UniqueConstraint(fields=["id", "case"], name="charity_verification_id_case"),
            models.CheckConstraint(
                name="charity_verification_finding_valid",
                condition=Q(finding__in=["confirmed", "partly", "not_confirmed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"verification {self.pk} of case {self.case_id}"


class CaseDecision(models.Model):
    """The decision on a case and the two verifications it rests on (the database's proof of two people)."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("批准救助")
        REFUSED = "refused", _("不予救助")

    case = models.OneToOneField(HardshipCase, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    verification_a = models.ForeignKey(Verification, on_delete=models.PROTECT, related_name="+")
    verification_b = models.ForeignKey(Verification, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField()
    reason = models.TextField()
    amount_approved = models.DecimalField(null=True, blank=True, max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="charity_decision_two_verifications",
                condition=~Q(verification_a=models.F("verification_b")),
            ),
            models.CheckConstraint(
                name="charity_decision_outcome_valid", condition=Q(outcome__in=["approved", "refused"])
            ),
            models.CheckConstraint(
                name="charity_decision_amount",
                condition=(Q(outcome="approved") & Q(amount_approved__gt=0))
                | (Q(outcome="refused") & Q(amount_approved__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"decision on case {self.case_id}: {self.outcome}"


# --- ledger ------------------------------------------------------------------------------------------


class Account(models.Model):
    """An account of the fund's double-entry ledger (seeded by a migration; see ``ledger.ACCOUNTS``).

    ``balance`` is kept on the normal side (debits − credits for debit-normal accounts, credits − debits
    for credit-normal ones); it is updated together with the lines under a lock on the row.
    """

    class Side(models.TextChoices):
        DEBIT = "debit", _("借方")
        CREDIT = "credit", _("贷方")

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=32)
    normal_side = models.CharField(max_length=8, choices=Side.choices)
    never_negative = models.BooleanField(default=False)
    balance = models.DecimalField(default=ZERO, max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="charity_account_not_negative", condition=Q(never_negative=False) | Q(balance__gte=0)
            ),
            models.CheckConstraint(
                name="charity_account_side_valid", condition=Q(normal_side__in=["debit", "credit"])
            ),
        ]

    def __str__(self) -> str:
        return self.name


class JournalEntry(models.Model):
    """One balanced posting. Never edited or deleted: a correction is a reversing entry."""

    class Kind(models.TextChoices):
        DONATION = "donation", _("捐赠收入")
        GRANT = "grant", _("救助发放")
        GRANT_RETURN = "grant_return", _("救助款退回")
        REVERSAL = "reversal", _("冲销")

    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    entry_on = models.DateField(_("记账日期"))
    memo = models.CharField(_("摘要"), max_length=200)
    case = models.ForeignKey(
        HardshipCase, on_delete=models.PROTECT, null=True, blank=True, related_name="journal_entries"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_on", "pk"]
        verbose_name = _("记账凭证")
        constraints = [
            models.CheckConstraint(
                name="charity_entry_kind_valid",
                condition=Q(kind__in=["donation", "grant", "grant_return", "reversal"]),
            ),
            models.CheckConstraint(
                name="charity_entry_reversal_points_back",
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
            ),
            models.CheckConstraint(
                name="charity_entry_grant_has_case",
                condition=~Q(kind__in=["grant", "grant_return"]) | Q(case__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = models.DecimalField(default=ZERO, max_digits=14, decimal_places=2)
    credit = models.DecimalField(default=ZERO, max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["entry_id", "pk"]
        constraints = [
            models.CheckConstraint(
                name="charity_line_one_side",
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.account_id} D{self.debit} C{self.credit}"


class Donation(models.Model):
    """A gift to the fund, with its receipt. Never edited: a mistaken donation is reversed in the ledger."""

    class DonorKind(models.TextChoices):
        RESIDENT = "resident", _("新市民")
        EMPLOYER = "employer", _("用工单位（企业）")
        ORGANISATION = "organisation", _("其他单位")
        INDIVIDUAL = "individual", _("其他个人")

    receipt_number = models.CharField(_("收据编号"), max_length=20, unique=True)
    donor_kind = models.CharField(_("捐赠人类型"), max_length=16, choices=DonorKind.choices)
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="charity_donations"
    )
    donor_name = models.CharField(_("捐赠人名称"), max_length=128)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    donated_on = models.DateField(_("捐赠日期"))
    consent_to_name = models.BooleanField(_("同意在年度报告中具名"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="donation")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-donated_on", "-pk"]
        verbose_name = _("捐赠")
        constraints = [
            models.CheckConstraint(name="charity_donation_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="charity_donation_resident_iff_kind",
                condition=(Q(donor_kind="resident") & Q(resident__isnull=False))
                | (~Q(donor_kind="resident") & Q(resident__isnull=True)),
            ),
            models.CheckConstraint(
                name="charity_donation_kind_valid",
                condition=Q(donor_kind__in=["resident", "employer", "organisation", "individual"]),
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def is_employer(self) -> bool:
        return self.donor_kind == self.DonorKind.EMPLOYER
