"""Policy documents: the seed file, the round trip, and clear errors for bad documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from xinshimin.policies import PolicyDocumentError, evaluate, policy_from_document, policy_to_document
from xinshimin.policies.version import SEED_FILES

from .helpers import facts, policy, score

SPEC_CODES = [
    "common.age",
    "common.education",
    "common.skill",
    "common.social_insurance",
    "common.residence",
    "local.ruian_residence",
    "local.housing",
    "local.employment",
    "local.ruian_social_insurance",
    "local.provident_fund",
    "local.tax",
    "local.volunteer",
    "local.blood_donation",
    "local.charity_donation",
    "local.bravery",
    "local.award",
    "local.patent",
    "local.talent",
    "local.veteran",
    "local.party_member",
    "local.deputy",
    "local.spring_festival_stay",
    "ded.rental_hazard",
    "ded.public_order_penalty",
    "ded.detention",
    "ded.criminal",
    "ded.dishonest_debtor",
    "ded.credit_default",
]

SPEC_CAPS = {
    "common.age": "20",
    "common.education": "10",
    "common.skill": "10",
    "common.social_insurance": "30",
    "common.residence": "30",
    "local.ruian_residence": "30",
    "local.housing": "20",
    "local.employment": "10",
    "local.ruian_social_insurance": "30",
    "local.provident_fund": "15",
    "local.tax": "30",
    "local.volunteer": "10",
    "local.blood_donation": "10",
    "local.charity_donation": "10",
    "local.bravery": "40",
    "local.award": "40",
    "local.patent": "20",
    "local.talent": "50",
    "local.veteran": "5",
    "local.party_member": "5",
    "local.deputy": "10",
    "local.spring_festival_stay": "6",
    "ded.rental_hazard": "20",
    "ded.public_order_penalty": "20",
    "ded.detention": "60",
    "ded.criminal": None,
    "ded.dishonest_debtor": "30",
    "ded.credit_default": "30",
}


def seed_document() -> dict[str, Any]:
    return dict(json.loads(SEED_FILES["ruian"].read_text(encoding="utf-8")))


def test_seed_has_every_item_of_the_spec_in_order_with_its_cap_and_a_source_tag() -> None:
    document = seed_document()
    assert [item["code"] for item in document["items"]] == SPEC_CODES
    assert {item["code"]: item["cap"] for item in document["items"]} == SPEC_CAPS
    assert all("[" in item["source"] for item in document["items"])
    assert document["groups"]["common"]["cap"] == "100"
    assert document["groups"]["local"]["cap"] == "200"
    assert document["version_id"] == "ruian-2025.1"


def test_round_trip_gives_the_same_document() -> None:
    assert policy_to_document(policy()) == seed_document()
    assert policy_from_document(policy_to_document(policy())) == policy()


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit at a dotted path (``items.3.params.rate``); ``...`` as value deletes the key."""

    def apply(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is ...:
            del node[int(last) if isinstance(node, list) else last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


# items[3] is common.social_insurance (per_unit), items[10] local.tax (tiers), items[0] common.age
BAD_DOCUMENTS = [
    ("unknown rule kind", _edit("items.3.kind", "per_month"), "未知的规则类型 'per_month'"),
    ("missing parameter", _edit("items.3.params.rate", ...), "缺少参数 “rate”"),
    ("unknown parameter", _edit("items.3.params.bonus", "1"), "未知参数：bonus"),
    ("rate not a multiple of 0.25", _edit("items.3.params.rate", "0.3"), "不是 0.25 的整数倍"),
    ("cap not a multiple of 0.25", _edit("items.3.cap", "30.1"), "“cap” = '30.1' 不是 0.25 的整数倍"),
    ("float instead of exact text", _edit("items.3.params.rate", 0.5), "浮点数"),
    ("negative points", _edit("items.3.params.rate", "-1"), "不能为负数"),
    ("unknown field", _edit("items.3.field", "months_in_zj"), "未知的事实字段 “months_in_zj”"),
    ("field of the wrong type", _edit("items.3.field", "housing"), "不能读取字段 “housing”"),
    ("unknown placeholder", _edit("items.3.explain.zh", "{months} 个月"), "未知占位符 {months}"),
    ("format spec", _edit("items.3.explain.en", "{units:>5}"), "不能带格式说明"),
    ("missing English", _edit("items.3.label", {"zh": "社保"}), "两种语言都不能为空"),
    ("code outside its group", _edit("items.3.code", "local.social_insurance"), "应以 “common.” 开头"),
    ("duplicate code", _edit("items.4.code", "common.social_insurance"), "重复"),
    ("no source tag", _edit("items.3.source", "annex"), "出处标签"),
    ("tiers out of order", _edit("items.10.params.tiers.1.min", "5000"), "从小到大"),
    ("level without points", _edit("items.1.params.levels.master", ...), "缺少以下取值的分值：master"),
    (
        "unknown level",
        _edit("items.1.params.levels.phd", {"points": "10", "label": {"zh": "博", "en": "phd"}}),
        "phd",
    ),
    ("age bands with a gap", _edit("items.0.params.bands.1.min_age", 42), "应从 41 岁开始"),
    ("no group cap", _edit("groups.local.cap", ...), "缺少 “cap”"),
    ("bad version id", _edit("version_id", "ruian2025"), "格式应为"),
    ("bad effective date", _edit("effective_on", "2025-02-30"), "有效日期"),
    ("unknown top-level field", _edit("colour", "red"), "colour: 未知字段"),
    ("dishonest debtor as an event", _edit("items.26.kind", "per_event"), "listed_flag"),
]


@pytest.mark.parametrize(("case", "edit", "message"), BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS])
def test_bad_documents_are_refused_with_a_clear_message(
    case: str, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    document = seed_document()
    edit(document)
    with pytest.raises(PolicyDocumentError) as caught:
        policy_from_document(document)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once_with_where_it_is() -> None:
    document = seed_document()
    _edit("items.3.params.rate", "0.3")(document)
    _edit("items.10.kind", "steps")(document)
    with pytest.raises(PolicyDocumentError) as caught:
        policy_from_document(document)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("items[3] common.social_insurance:")
    assert caught.value.problems[1].startswith("items[10] local.tax:")


def test_a_changed_value_changes_the_score_without_code() -> None:
    document = copy.deepcopy(seed_document())
    document["version_id"] = "ruian-2026.1"
    _edit("items.3.params.rate", "0.75")(document)
    changed = policy_from_document(document)
    f = facts(zj_social_insurance_months=20)
    assert score(f).item("common.social_insurance").quarters == 40
    result = evaluate(f, changed, as_of=score(f).as_of, birth_date=None)
    assert result.item("common.social_insurance").quarters == 60
    assert result.item("common.social_insurance").zh == "浙江省内缴纳社保 20 个月 × 0.75 = 15 分"
