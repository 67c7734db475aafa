"""A policy version: the numbers of the rules for one jurisdiction from one effective date.

A version is data (a JSON document: ``data/ruian-2025.json`` is the seed), validated into frozen
dataclasses by ``policy_from_document`` and written back by ``policy_to_document`` (a round trip gives
the same document). Every problem of a document is reported at once, one line each, with where it is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import PolicyDocumentError
from .facts import Facts
from .points import short_points
from .rules import (
    RULE_KINDS,
    Context,
    InvalidParams,
    Measure,
    Params,
    PointsFn,
    Rule,
    Text,
    parse_quarters,
    parse_text,
    points_function,
)

DOCUMENT_FORMAT = "xinshimin.policy/1"
DATA_DIR = Path(__file__).resolve().parent / "data"
SEED_FILES = {"ruian": DATA_DIR / "ruian-2025.json"}

Group = Literal["common", "local", "deduction"]
GROUPS: tuple[Group, ...] = ("common", "local", "deduction")
_CODE_PREFIX: dict[Group, str] = {"common": "common.", "local": "local.", "deduction": "ded."}
_CODE_RE = re.compile(r"^(common|local|ded)\.[a-z][a-z0-9_]{0,47}$")
_VERSION_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}-[0-9]{4}\.[0-9]{1,4}$")
_SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

# Placeholders every item template may use, besides those of its rule kind.
ITEM_VARIABLES = frozenset({"label", "points", "raw", "cap", "department"})
# Placeholders of the policy-wide texts.
TEXT_VARIABLES: dict[str, frozenset[str]] = {
    "missing": frozenset({"label", "department", "points", "cap"}),
    "capped": frozenset({"cap", "raw"}),
    "group_capped": frozenset({"group", "raw", "cap"}),
    "floored": frozenset({"raw", "floor"}),
}


@dataclass(frozen=True, slots=True)
class Department:
    """The department that supplies or reviews an item's facts (``code`` matches accounts.Department)."""

    code: str
    name: Text


@dataclass(frozen=True, slots=True)
class GroupSpec:
    key: Group
    cap_q: int | None
    label: Text
    missing: Text | None = None  # the "no data" text of this group's items, if not the policy's
    source: str = ""


@dataclass(frozen=True, slots=True)
class Texts:
    """Policy-wide explanation texts."""

    missing: Text
    capped: Text
    group_capped: Text
    floored: Text


@dataclass(frozen=True, slots=True)
class Item:
    """One indicator: its rule, cap, group, department, labels, explanation templates and source tag."""

    code: str
    group: Group
    rule: Rule
    cap_q: int | None
    department: Department
    label: Text
    explain: Text
    explain_zero: Text | None = None
    explain_missing: Text | None = None
    source: str = ""
    note: str = ""
    # The "no data" and "capped" texts in force for this item (item, else group, else policy); set by
    # ``policy_from_document``, not part of the item's own document.
    missing_text: Text = field(default=Text("", ""), compare=False, repr=False)
    capped_text: Text = field(default=Text("", ""), compare=False, repr=False)


MeasureFn = Callable[[Facts, Context], Measure | None]
# (item index, points function, cap (a huge number for none), group index, points when the field is absent)
QuickStep = tuple[int, PointsFn, int, int, int]
_NO_CAP = 1 << 62


class QuickPlan:
    """How ``evaluate_quarters`` walks a version: start from the result of a person without any facts,
    then measure only the items whose field is present (and the age, which has no field)."""

    __slots__ = ("_steps", "absent_items", "absent_sums", "always", "by_field", "group_caps")

    def __init__(self, items: tuple[Item, ...], groups: Mapping[Group, GroupSpec]) -> None:
        caps = [groups[g].cap_q for g in GROUPS]
        self.group_caps: tuple[int, int, int] = (
            _NO_CAP if caps[0] is None else caps[0],
            _NO_CAP if caps[1] is None else caps[1],
            _NO_CAP if caps[2] is None else caps[2],
        )
        nothing = Facts()
        ctx = Context(dt.date(2000, 1, 1), None)
        absent_items: list[int] = []
        absent_sums = [0, 0, 0]
        by_field: dict[str, list[QuickStep]] = {}
        always: list[QuickStep] = []
        for index, item in enumerate(items):
            group = GROUPS.index(item.group)
            cap = _NO_CAP if item.cap_q is None else item.cap_q
            measure = item.rule.measure(nothing, ctx)
            absent = 0 if measure is None else min(measure[0], cap)
            absent_items.append(-absent if group == 2 else absent)
            absent_sums[group] += absent
            step: QuickStep = (index, points_function(item.rule), cap, group, absent)
            if item.rule.field is None:
                always.append(step)
            else:
                by_field.setdefault(item.rule.field, []).append(step)
        self.absent_items = tuple(absent_items)
        self.absent_sums = tuple(absent_sums)
        self.always = tuple(always)
        self.by_field = {name: tuple(steps) for name, steps in by_field.items()}
        self._steps: dict[tuple[str, ...], list[QuickStep]] = {}

    def steps(self, present: tuple[str, ...]) -> list[QuickStep]:
        """The steps for a person with these fields present (remembered: a batch repeats few sets)."""
        steps = self._steps.get(present)
        if steps is None:
            by_field = self.by_field
            steps = [step for name in present for step in by_field.get(name, ())]
            steps.extend(self.always)
            if len(self._steps) < 10_000:
                self._steps[present] = steps
        return steps


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    jurisdiction: str
    version_id: str
    effective_on: dt.date
    source_document: str
    title: Text
    groups: Mapping[Group, GroupSpec]
    floor_q: int
    total_source: str
    texts: Texts
    items: Mapping[str, Item]  # in document order
    # Derived in __post_init__: the items in order, and what evaluation needs per item
    # (the rule's measure, the cap, the group: 0 common, 1 local, 2 deduction).
    item_list: tuple[Item, ...] = field(default=(), init=False, compare=False, repr=False)
    plan: tuple[tuple[Item, MeasureFn, int | None, int], ...] = field(
        default=(), init=False, compare=False, repr=False
    )
    quick_plan: QuickPlan = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        items = tuple(self.items.values())
        object.__setattr__(self, "item_list", items)
        object.__setattr__(
            self,
            "plan",
            tuple((item, item.rule.measure, item.cap_q, GROUPS.index(item.group)) for item in items),
        )
        object.__setattr__(self, "quick_plan", QuickPlan(items, self.groups))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.items)


# --------------------------------------------------------------------------------------- templates


def check_template(text: Text, allowed: frozenset[str], where: str) -> list[str]:
    """Problems with a template: unknown placeholders, format specs, unbalanced braces."""
    problems: list[str] = []
    for lang in ("zh", "en"):
        template = text.zh if lang == "zh" else text.en
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as error:
            problems.append(f"{where}.{lang}: 模板格式错误（{error}）；花括号请写成 {{{{ 和 }}}}")
            continue
        for _literal, name, spec, conversion in parsed:
            if name is None:
                continue
            if name not in allowed:
                usable = ", ".join("{" + a + "}" for a in sorted(allowed))
                problems.append(f"{where}.{lang}: 未知占位符 {{{name}}}，可用：{usable}")
            elif spec or conversion:
                problems.append(f"{where}.{lang}: 占位符 {{{name}}} 不能带格式说明")
    return problems


def render(text: Text, lang: Literal["zh", "en"], variables: Mapping[str, str]) -> str:
    return (text.zh if lang == "zh" else text.en).format_map(variables)


# ------------------------------------------------------------------------------------- from / to JSON


class _Reader:
    """Collects every problem of a document instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


def _text_or_none(reader: _Reader, data: Mapping[str, Any], key: str, where: str) -> Text | None:
    if data.get(key) is None:
        return None
    try:
        return parse_text(data[key], key)
    except InvalidParams as error:
        reader.fail(where, str(error))
        return None


def _string(reader: _Reader, data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        reader.fail(where, f"“{key}” 应为非空字符串")
        return ""
    return value


def _date(reader: _Reader, data: Mapping[str, Any], key: str, where: str) -> dt.date:
    value = data.get(key)
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    reader.fail(where, f"“{key}” 应为 YYYY-MM-DD 格式的有效日期，而不是 {value!r}")
    return dt.date.min


def _cap(reader: _Reader, value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_quarters(value, "cap")
    except InvalidParams as error:
        reader.fail(where, str(error))
        return None


def policy_from_document(document: Mapping[str, Any]) -> PolicyVersion:
    """Validate a policy document and build the ``PolicyVersion``; raise ``PolicyDocumentError`` listing
    every problem (unknown rule kind, missing or unknown parameter, a value that is not a multiple of
    0.25, an unknown placeholder in a template …)."""
    reader = _Reader()
    if not isinstance(document, Mapping):
        raise PolicyDocumentError(["文件内容应为 JSON 对象"])
    known = {
        "format",
        "jurisdiction",
        "version_id",
        "effective_on",
        "source_document",
        "title",
        "groups",
        "total",
        "texts",
        "items",
    }
    for key in document:
        if key not in known:
            reader.fail(key, f"未知字段，可用字段：{', '.join(sorted(known))}")
    if document.get("format") != DOCUMENT_FORMAT:
        reader.fail("format", f"应为 “{DOCUMENT_FORMAT}”，而不是 {document.get('format')!r}")
    jurisdiction = _string(reader, document, "jurisdiction", "jurisdiction")
    if jurisdiction and not _SLUG_RE.match(jurisdiction):
        reader.fail("jurisdiction", "只能由小写字母、数字、- 和 _ 组成")
    version_id = _string(reader, document, "version_id", "version_id")
    if version_id and not _VERSION_RE.match(version_id):
        reader.fail("version_id", f"{version_id!r} 格式应为 “辖区-年份.序号”，如 ruian-2025.1")
    elif version_id and jurisdiction and not version_id.startswith(jurisdiction + "-"):
        reader.fail("version_id", f"应以辖区 “{jurisdiction}-” 开头")
    effective_on = _date(reader, document, "effective_on", "effective_on")
    source_document = _string(reader, document, "source_document", "source_document")
    title = _text_or_none(reader, document, "title", "title") or Text("", "")
    if document.get("title") is None:
        reader.fail("title", '缺少标题 {"zh": …, "en": …}')

    groups = _read_groups(reader, document.get("groups"))
    total = document.get("total")
    floor_q = 0
    total_source = ""
    if not isinstance(total, Mapping) or set(total) - {"floor", "source"}:
        reader.fail("total", '应为 {"floor": "0", "source": "…"}')
    else:
        try:
            floor_q = parse_quarters(total.get("floor", "0"), "floor", allow_negative=True)
        except InvalidParams as error:
            reader.fail("total", str(error))
        total_source = _string(reader, total, "source", "total", required=False)
    texts = _read_texts(reader, document.get("texts"))

    items: dict[str, Item] = {}
    raw_items = document.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        reader.fail("items", "应为非空列表")
        raw_items = []
    for index, raw in enumerate(raw_items):
        item = _read_item(reader, raw, index, groups, texts)
        if item is None:
            continue
        if item.code in items:
            reader.fail(f"items[{index}]", f"指标代码 {item.code} 重复")
            continue
        items[item.code] = item
    if reader.problems:
        raise PolicyDocumentError(reader.problems)
    return PolicyVersion(
        jurisdiction=jurisdiction,
        version_id=version_id,
        effective_on=effective_on,
        source_document=source_document,
        title=title,
        groups=groups,
        floor_q=floor_q,
        total_source=total_source,
        texts=texts,
        items=items,
    )


def _read_groups(reader: _Reader, raw: Any) -> dict[Group, GroupSpec]:
    groups: dict[Group, GroupSpec] = {}
    if not isinstance(raw, Mapping) or set(raw) != set(GROUPS):
        reader.fail("groups", f"应恰好包含 {', '.join(GROUPS)} 三组")
        raw = raw if isinstance(raw, Mapping) else {}
    for key in GROUPS:
        data = raw.get(key)
        where = f"groups.{key}"
        if not isinstance(data, Mapping):
            continue
        unknown = set(data) - {"cap", "label", "missing", "source"}
        if unknown:
            reader.fail(where, f"未知字段：{', '.join(sorted(unknown))}")
        if "cap" not in data:
            reader.fail(where, "缺少 “cap”（没有上限请写 null）")
        label = _text_or_none(reader, data, "label", where)
        if label is None:
            reader.fail(where, "缺少 “label”")
        missing = _text_or_none(reader, data, "missing", where)
        if missing is not None:
            reader.problems.extend(check_template(missing, TEXT_VARIABLES["missing"], f"{where}.missing"))
        groups[key] = GroupSpec(
            key=key,
            cap_q=_cap(reader, data.get("cap"), where),
            label=label or Text("", ""),
            missing=missing,
            source=_string(reader, data, "source", where, required=False),
        )
    return groups


def _read_texts(reader: _Reader, raw: Any) -> Texts:
    values: dict[str, Text] = {}
    if not isinstance(raw, Mapping) or set(raw) != set(TEXT_VARIABLES):
        reader.fail("texts", f"应恰好包含 {', '.join(TEXT_VARIABLES)}")
        raw = raw if isinstance(raw, Mapping) else {}
    for key, allowed in TEXT_VARIABLES.items():
        text = _text_or_none(reader, raw, key, f"texts.{key}")
        if text is None:
            text = Text("", "")
        else:
            reader.problems.extend(check_template(text, allowed, f"texts.{key}"))
        values[key] = text
    return Texts(**values)


_ITEM_KEYS = frozenset(
    {
        "code",
        "group",
        "kind",
        "field",
        "params",
        "cap",
        "department",
        "label",
        "explain",
        "explain_zero",
        "explain_missing",
        "source",
        "note",
    }
)


def _read_item(
    reader: _Reader, raw: Any, index: int, groups: Mapping[Group, GroupSpec], texts: Texts
) -> Item | None:
    where = f"items[{index}]"
    if not isinstance(raw, Mapping):
        reader.fail(where, "应为 JSON 对象")
        return None
    code = raw.get("code")
    if isinstance(code, str):
        where = f"items[{index}] {code}"
    before = len(reader.problems)
    for key in raw:
        if key not in _ITEM_KEYS:
            reader.fail(where, f"未知字段 “{key}”，可用字段：{', '.join(sorted(_ITEM_KEYS))}")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        reader.fail(where, "“code” 应形如 common.age、local.tax 或 ded.detention")
        code = ""
    raw_group = raw.get("group")
    group: Group = "local"
    if raw_group not in GROUPS:
        reader.fail(where, f"“group” 应为 {', '.join(GROUPS)} 之一，而不是 {raw_group!r}")
    else:
        group = raw_group
    if raw_group in GROUPS and code and not code.startswith(_CODE_PREFIX[group]):
        reader.fail(where, f"{group} 组的指标代码应以 “{_CODE_PREFIX[group]}” 开头")

    kind = raw.get("kind")
    factory = RULE_KINDS.get(kind) if isinstance(kind, str) else None
    rule: Rule | None = None
    if factory is None:
        reader.fail(where, f"未知的规则类型 {kind!r}，可选：{', '.join(RULE_KINDS)}")
    else:
        field_name = raw.get("field")
        try:
            params = Params(raw.get("params", {}))
            rule = factory(params, field_name if isinstance(field_name, str) else None)
            params.finish()
        except InvalidParams as error:
            reader.fail(where, f"{kind}: {error}")
            rule = None
    if "cap" not in raw:
        reader.fail(where, "缺少 “cap”（没有上限请写 null）")
    cap_q = _cap(reader, raw.get("cap"), where)

    department: Department | None = None
    dep = raw.get("department")
    if isinstance(dep, Mapping) and set(dep) == {"code", "zh", "en"} and isinstance(dep.get("code"), str):
        try:
            name = parse_text({"zh": dep["zh"], "en": dep["en"]}, "department")
            department = Department(code=dep["code"], name=name)
        except InvalidParams as error:
            reader.fail(where, str(error))
    else:
        reader.fail(where, '“department” 应为 {"code": …, "zh": …, "en": …}')

    label = _text_or_none(reader, raw, "label", where)
    explain = _text_or_none(reader, raw, "explain", where)
    if label is None:
        reader.fail(where, "缺少 “label”")
    if explain is None:
        reader.fail(where, "缺少 “explain”")
    explain_zero = _text_or_none(reader, raw, "explain_zero", where)
    explain_missing = _text_or_none(reader, raw, "explain_missing", where)
    if rule is not None:
        allowed = ITEM_VARIABLES | rule.variables_allowed
        for key, text in (("explain", explain), ("explain_zero", explain_zero)):
            if text is not None:
                reader.problems.extend(check_template(text, allowed, f"{where}.{key}"))
    if explain_missing is not None:
        reader.problems.extend(check_template(explain_missing, ITEM_VARIABLES, f"{where}.explain_missing"))
    source = _string(reader, raw, "source", where)
    if source and not re.search(r"\[(GUIDE|RULES|PRACTICE|DEFAULT)", source):
        reader.fail(where, "“source” 应注明出处标签，如 [RULES] 或 [DEFAULT]")
    note = _string(reader, raw, "note", where, required=False)

    if len(reader.problems) > before or rule is None or department is None or not label or not explain:
        return None
    group_spec = groups.get(group)
    return Item(
        code=code,
        group=group,
        rule=rule,
        cap_q=cap_q,
        department=department,
        label=label,
        explain=explain,
        explain_zero=explain_zero,
        explain_missing=explain_missing,
        source=source,
        note=note,
        missing_text=explain_missing or (group_spec.missing if group_spec else None) or texts.missing,
        capped_text=texts.capped,
    )


def _cap_json(cap_q: int | None) -> str | None:
    return None if cap_q is None else short_points(cap_q)


def item_to_document(item: Item) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": item.code,
        "group": item.group,
        "kind": item.rule.kind,
    }
    if item.rule.field is not None:
        data["field"] = item.rule.field
    data["params"] = item.rule.to_params()
    data["cap"] = _cap_json(item.cap_q)
    data["department"] = {"code": item.department.code, **item.department.name.to_json()}
    data["label"] = item.label.to_json()
    data["explain"] = item.explain.to_json()
    if item.explain_zero is not None:
        data["explain_zero"] = item.explain_zero.to_json()
    if item.explain_missing is not None:
        data["explain_missing"] = item.explain_missing.to_json()
    data["source"] = item.source
    if item.note:
        data["note"] = item.note
    return data


def policy_to_document(policy: PolicyVersion) -> dict[str, Any]:
    """The JSON document of a version (``policy_from_document`` of it gives an equal version)."""
    groups: dict[str, Any] = {}
    for key, spec in policy.groups.items():
        group: dict[str, Any] = {"cap": _cap_json(spec.cap_q), "label": spec.label.to_json()}
        if spec.missing is not None:
            group["missing"] = spec.missing.to_json()
        if spec.source:
            group["source"] = spec.source
        groups[key] = group
    total: dict[str, Any] = {"floor": short_points(policy.floor_q)}
    if policy.total_source:
        total["source"] = policy.total_source
    return {
        "format": DOCUMENT_FORMAT,
        "jurisdiction": policy.jurisdiction,
        "version_id": policy.version_id,
        "effective_on": policy.effective_on.isoformat(),
        "source_document": policy.source_document,
        "title": policy.title.to_json(),
        "groups": groups,
        "total": total,
        "texts": {
            "missing": policy.texts.missing.to_json(),
            "capped": policy.texts.capped.to_json(),
            "group_capped": policy.texts.group_capped.to_json(),
            "floored": policy.texts.floored.to_json(),
        },
        "items": [item_to_document(item) for item in policy.item_list],
    }


def policy_from_json(text: str) -> PolicyVersion:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise PolicyDocumentError([f"不是有效的 JSON：{error}"]) from None
    return policy_from_document(document)


def policy_to_json(policy: PolicyVersion) -> str:
    return json.dumps(policy_to_document(policy), ensure_ascii=False, indent=2) + "\n"


def load_policy_file(path: Path | str) -> PolicyVersion:
    return policy_from_json(Path(path).read_text(encoding="utf-8"))


def seed_policy(jurisdiction: str = "ruian") -> PolicyVersion:
    """The version shipped in the repository for a jurisdiction (the seed of the database)."""
    return load_policy_file(SEED_FILES[jurisdiction])
