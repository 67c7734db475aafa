"""New citizens (新市民), their residence permits (居住证) and household members (家庭成员).

ID numbers and phones are stored encrypted (see ``personal_data``); the plaintext is never in a column,
a log line or ``__str__``. Writes go through ``services``; reads with visibility through ``selectors``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinshimin.accounts.access import is_role
from xinshimin.accounts.models import Role, Town
from xinshimin.core import crypto
from xinshimin.core.masking import mask_name


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class ResidentQuerySet(models.QuerySet["Resident"]):
    def visible_to(self, user: Any) -> ResidentQuerySet:
        """Rows ``user`` may see, decided in the query (a hidden row is never fetched).

        A resident sees their own row; a clerk the residents of their town; the centre, auditors and
        reviewers (who review claims city-wide, with masked data) everyone; anyone else no one.
        """
        if is_role(user, Role.CENTRE_ADMIN, Role.AUDITOR, Role.REVIEWER):
            return self.all()
        if is_role(user, Role.CLERK):
            return self.filter(town_id=user.town_id) if user.town_id else self.none()
        if is_role(user, Role.RESIDENT):
            return self.filter(user_id=user.pk)
        return self.none()

    def holding_scoring_permit(self, on: date) -> ResidentQuerySet:
        """Residents with a permit that counts for points on ``on`` (see ``ResidencePermit.is_scoring``)."""
        return self.filter(
            models.Exists(ResidencePermit.objects.scoring(on).filter(resident_id=models.OuterRef("pk")))
        )


class Resident(models.Model):
    """A new citizen: a person living or working in the city who holds (or held) a residence permit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
        help_text=_("登录账号（新市民本人），可为空。"),
    )
    name = models.CharField(_("姓名"), max_length=32)
    id_number_cipher = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=18, editable=False)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    phone_cipher = models.TextField(editable=False)
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    phone_masked = models.CharField(_("手机号（脱敏）"), max_length=11, editable=False)
    employer = models.CharField(_("工作单位"), max_length=128, blank=True)
    employer_is_ruian = models.BooleanField(
        _("在瑞安就业或经营"),
        default=False,
        help_text=_("与瑞安用人单位签订劳动合同，或持有瑞安营业执照。"),
    )
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="residents", verbose_name=_("乡镇街道")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("新市民")
        verbose_name_plural = _("新市民")
        constraints = [models.CheckConstraint(name="resident_sex_valid", condition=Q(sex__in=["M", "F"]))]

    def __str__(self) -> str:
        return f"{self.masked_name} {self.id_number_masked}"

    @property
    def id_number(self) -> str:
        """The full ID number (decrypted). Show it only through ``resident_reveal_personal_data``."""
        return crypto.decrypt(self.id_number_cipher)

    @property
    def phone(self) -> str:
        """The full mobile number (decrypted)."""
        return crypto.decrypt(self.phone_cipher)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def age_on(self, as_of: date) -> int:
        """Full years at ``as_of``."""
        birth = self.birth_date
        return as_of.year - birth.year - (1 if (as_of.month, as_of.day) < (birth.month, birth.day) else 0)

    def current_permit(self, on: date) -> ResidencePermit | None:
        """The latest permit issued on or before ``on`` (whatever its status), or None.

        A later permit supersedes an earlier one; ask ``.is_scoring(on)`` whether it counts.
        """
        return self.permits.filter(issued_on__lte=on).order_by("-issued_on", "-id").first()


class PermitQuerySet(models.QuerySet["ResidencePermit"]):
    def scoring(self, on: date) -> PermitQuerySet:
        """Permits that count for points on ``on`` — the query form of ``ResidencePermit.is_scoring``."""
        return self.filter(
            status__in=ResidencePermit.SCORING_STATUSES, issued_on__lte=on, valid_until__gte=on
        )


class ResidencePermit(models.Model):
    """A Zhejiang residence permit (《浙江省居住证》) issued in the city."""

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        AWAITING_ENDORSEMENT = "awaiting_endorsement", _("待签注")
        EXPIRED = "expired", _("已过期")
        CANCELLED = "cancelled", _("已注销")

    SCORING_STATUSES = (Status.VALID, Status.AWAITING_ENDORSEMENT)

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="permits")
    number = models.CharField(_("居住证编号"), max_length=32, unique=True)
    issuing_town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="issued_permits", verbose_name=_("签发乡镇街道")
    )
    issued_on = models.DateField(_("签发日期"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices, default=Status.VALID)
    zj_residence_registered_on = models.DateField(
        _("浙江省居住登记日期"), help_text=_("在浙江省首次申报居住登记之日（共性指标“居住时间”由此起算）。")
    )
    ruian_residence_registered_on = models.DateField(
        _("瑞安市居住登记日期"),
        null=True,
        blank=True,
        help_text=_("在瑞安市申报居住登记之日（个性指标“在瑞居住”由此起算）。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PermitQuerySet.as_manager()

    class Meta:
        ordering = ["resident_id", "-issued_on", "-id"]
        verbose_name = _("居住证")
        verbose_name_plural = _("居住证")
        indexes = [models.Index(fields=["resident", "issued_on"], name="permit_resident_issued")]
        constraints = [
            models.CheckConstraint(
                name="permit_valid_after_issue", condition=Q(valid_until__gt=models.F("issued_on"))
            ),
            models.CheckConstraint(
                name="permit_status_valid",
                condition=Q(status__in=["valid", "awaiting_endorsement", "expired", "cancelled"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    def is_scoring(self, on: date) -> bool:
        """Counts for points on ``on``: valid or awaiting endorsement, issued by then and not past its end."""
        return self.status in self.SCORING_STATUSES and self.issued_on <= on <= self.valid_until


class HouseholdMember(models.Model):
    """A child or spouse of a resident (for schooling and family-related services)."""

    class Relation(models.TextChoices):
        CHILD = "child", _("子女")
        SPOUSE = "spouse", _("配偶")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="household")
    relation = models.CharField(_("关系"), max_length=16, choices=Relation.choices)
    name = models.CharField(_("姓名"), max_length=32)
    id_number_cipher = models.TextField(editable=False)
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False)
    id_number_masked = models.CharField(_("身份证号（脱敏）"), max_length=18, editable=False)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resident_id", "relation", "birth_date"]
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        constraints = [
            models.UniqueConstraint(fields=["resident", "id_number_index"], name="household_member_once"),
            models.UniqueConstraint(
                fields=["resident"], condition=Q(relation="spouse"), name="household_one_spouse"
            ),
            models.CheckConstraint(
                name="household_relation_valid", condition=Q(relation__in=["child", "spouse"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {mask_name(self.name)} {self.id_number_masked}"

    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_cipher)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def age_on(self, as_of: date) -> int:
        birth = self.birth_date
        return as_of.year - birth.year - (1 if (as_of.month, as_of.day) < (birth.month, birth.day) else 0)
