"""Which indicators can be claimed or disputed, which fact field each writes, and who reviews it.

Everything comes from the policy version in force (``scoring.selectors.policy_for``; the seed file in the
repository when the database holds no published version): the item's label, its group, the department
that answers for it, the fact field its rule reads, and the labels of enumeration values. Nothing here is
a hard-coded table of departments.

What may be filed [decision, see ``services`` module docstring]:
- the age item reads the birth date in the ID number: neither claimed nor disputed here (the ID record is
  corrected by public security);
- deduction items (``ded.*``) are never claimed by the person, only disputed; a dispute covers only the
  entries of that item's kind (``detention`` …) within the shared ``deductions`` field;
- every other item may be claimed (missing data) and disputed (wrong data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xinshimin.core.errors import NotFound, ValidationFailed
from xinshimin.policies import PolicyVersion, seed_policy
from xinshimin.policies.facts import FIELD_SPECS, FieldType

LIST_TYPES = frozenset({FieldType.DATES, FieldType.AMOUNT_EVENTS, FieldType.KIND_EVENTS, FieldType.AWARDS})


@dataclass(frozen=True)
class ClaimableItem:
    code: str
    group: str
    label_zh: str
    label_en: str
    department_code: str
    department_name_zh: str
    field: str | None
    match_kind: str | None
    # Labels of enumeration values (levels, tiers, patent kinds, award levels), value → label.
    choices: tuple[tuple[str, str], ...]
    may_claim: bool
    may_dispute: bool
    why_not: str = ""

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "zh-hans").startswith("en") else self.label_zh

    @property
    def field_type(self) -> FieldType | None:
        return FIELD_SPECS[self.field].type if self.field else None

    @property
    def is_list(self) -> bool:
        return self.field_type in LIST_TYPES

    def choice_label(self, value: Any) -> str:
        return dict(self.choices).get(str(value), str(value))


def policy_in_force(on: dt.date) -> PolicyVersion:
    """The published policy version in force on ``on``; the repository's seed when none is published."""
    from xinshimin.scoring.selectors import policy_for, policy_version

    try:
        return policy_version(policy_for(on))
    except NotFound:
        return seed_policy()


def _choices(rule: Any, field: str | None) -> tuple[tuple[str, str], ...]:
    labelled = getattr(rule, "levels", None) or getattr(rule, "by_kind", None)
    if labelled:
        return tuple((str(key), value.label.zh) for key, value in labelled.items())
    if field and FIELD_SPECS[field].choices:
        return tuple((str(c), str(c)) for c in FIELD_SPECS[field].choices)
    return ()


def _claimable(item: Any) -> ClaimableItem:
    rule = item.rule
    field = rule.field
    match_kind = getattr(rule, "match_kind", None)
    may_claim = may_dispute = True
    why_not = ""
    if field is None:
        may_claim = may_dispute = False
        why_not = _("该项目由身份证号码中的出生日期计算，如出生日期有误，请到公安部门更正身份证信息。")
    elif item.group == "deduction":
        may_claim = False
        why_not = _("扣减项目不能申报，如认为扣减有误，可在集中审核期提出异议。")
    return ClaimableItem(
        code=item.code,
        group=item.group,
        label_zh=item.label.zh,
        label_en=item.label.en,
        department_code=item.department.code,
        department_name_zh=item.department.name.zh,
        field=field,
        match_kind=match_kind,
        choices=_choices(rule, field),
        may_claim=may_claim,
        may_dispute=may_dispute,
        why_not=why_not,
    )


def claimable_items(on: dt.date) -> list[ClaimableItem]:
    """Every item of the policy in force on ``on``, in the policy's order, with what may be filed."""
    return [_claimable(item) for item in policy_in_force(on).item_list]


def claimable_item(code: str, on: dt.date) -> ClaimableItem:
    """One item by code, or ``ValidationFailed`` naming the problem."""
    for item in claimable_items(on):
        if item.code == code:
            return item
    raise ValidationFailed(
        _("积分项目“%(code)s”不存在，请从列表中选择。") % {"code": code}, field="item_code"
    )
