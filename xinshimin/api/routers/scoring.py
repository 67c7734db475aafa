"""API endpoints of the scoring area, mounted at /api/scoring/.

- ``POST /estimate`` (public, no login; rate limit "estimate" per address) — the score the exchange
  format's ``facts`` object would give on ``as_of`` (default today) under the policy in force then, from
  the same engine as the official scores; ``birth_date`` or ``age`` for the age item. Nothing is stored.
  Always marked as an estimate (``estimate: true`` and ``notice``).
- ``POST /import`` (bearer token of a department system, or a reviewer's session) — multipart ``file``:
  the exchange format (JSON Lines), or a CSV/XLSX table of the common fields (``docs/import-formats.md``);
  ``format`` overrides the detection by file name; ``all_or_nothing=true`` imports nothing if any line is
  rejected. The facts are recorded for the caller's own department. Answer: the import report (lines,
  imported lines, facts created/updated/unchanged, rejected lines with line number, field and message).
  Importing the same file twice changes nothing.
"""

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from xinshimin.accounts.access import is_role, require
from xinshimin.accounts.models import Role
from xinshimin.core.errors import PermissionDenied, ValidationFailed
from xinshimin.policies import Score, format_points
from xinshimin.scoring.imports import FORMATS, Format, detect_format, facts_import_file
from xinshimin.scoring.whatif import ESTIMATE_NOTICE, estimate
from xinshimin.security.ratelimit import rate_limit

router = Router(tags=["scoring"])

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None
    details: Any = None


class ErrorOut(Schema):
    error: ErrorBody


class EstimateIn(Schema):
    facts: dict[str, Any] = Field(
        default_factory=dict, description="The exchange format's facts object (spec §4)."
    )
    birth_date: dt.date | None = Field(default=None, description="For the age item (or give age).")
    age: int | None = Field(default=None, description="Full years on as_of, instead of birth_date.")
    as_of: dt.date | None = Field(default=None, description="Default: today (Asia/Shanghai).")


class ScoreItemOut(Schema):
    code: str
    group: str
    label_zh: str
    label_en: str
    points: str
    has_data: bool
    zh: str
    en: str


class EstimateOut(Schema):
    estimate: bool
    notice: str
    policy: str
    as_of: dt.date
    total: str
    raw_total: str
    common: str
    local: str
    local_raw: str
    deductions: str
    items: list[ScoreItemOut]
    notes_zh: list[str]
    notes_en: list[str]


def estimate_out(score: Score) -> dict[str, Any]:
    return {
        "estimate": True,
        "notice": _(ESTIMATE_NOTICE),
        "policy": score.policy.version_id,
        "as_of": score.as_of,
        "total": format_points(score.total_q),
        "raw_total": format_points(score.raw_total_q),
        "common": format_points(score.common_q),
        "local": format_points(score.local_q),
        "local_raw": format_points(score.local_raw_q),
        "deductions": format_points(score.deductions_q),
        "items": [
            {
                "code": result.code,
                "group": result.group,
                "label_zh": result.item.label.zh,
                "label_en": result.item.label.en,
                "points": format_points(result.quarters),
                "has_data": result.has_data,
                "zh": zh,
                "en": en,
            }
            for result in score.items
            for zh, en in [result.explain_both()]
        ],
        "notes_zh": score.notes("zh"),
        "notes_en": score.notes("en"),
    }


@router.post("/estimate", auth=None, response={200: EstimateOut, 422: ErrorOut})
@rate_limit("estimate", key="ip")
def estimate_score(request: HttpRequest, payload: EstimateIn) -> dict[str, Any]:
    """Estimate a score from one's own circumstances (nothing is stored). 估算结果，仅供参考。"""
    as_of = payload.as_of or timezone.localdate()
    today = timezone.localdate()
    if not dt.date(2000, 1, 1) <= as_of <= today.replace(year=today.year + 5):
        raise ValidationFailed(_("评分日期应在 2000 年至今后 5 年之内。"), field="as_of")
    score = estimate(facts=payload.facts, as_of=as_of, birth_date=payload.birth_date, age=payload.age)
    return estimate_out(score)


class RejectedOut(Schema):
    line: int
    field: str
    error: str


class ImportReportOut(Schema):
    format: str
    department: str
    lines: int
    imported_lines: int
    facts_created: int
    facts_updated: int
    facts_unchanged: int
    committed: bool
    rejected: list[RejectedOut]


@router.post("/import", response={200: ImportReportOut, 403: ErrorOut, 422: ErrorOut})
def import_facts(
    request: HttpRequest,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
    format: Form[str] = "",
    all_or_nothing: Form[bool] = False,
    source_ref: Form[str] = "",
) -> dict[str, Any]:
    """Import facts for the caller's department: JSON Lines (exchange format) or CSV/XLSX (common fields)."""
    user = request.user
    require(
        is_role(user, Role.REVIEWER) and getattr(user, "department_id", None) is not None,
        _("只有部门审核员或部门系统（接口令牌）可以导入本部门的数据。"),
    )
    department = getattr(user, "department", None)
    if department is None:  # pragma: no cover - require() above refuses a reviewer without one
        raise PermissionDenied(_("您的账户没有所属部门。"))
    if file is None:
        raise ValidationFailed(_("请上传文件（multipart 字段 file）。"), field="file")
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        raise ValidationFailed(
            _("文件超过 %(mb)s MB，请拆分后分批上传。") % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)},
            field="file",
        )
    data = file.read()
    fmt = format.strip().lower()
    if fmt and fmt not in FORMATS:
        raise ValidationFailed(
            _("未知的文件格式 %(format)s，可选：%(allowed)s。")
            % {"format": fmt, "allowed": ", ".join(FORMATS)},
            field="format",
        )
    chosen = (
        cast(Format, fmt)
        if fmt
        else detect_format(filename=file.name or "", content_type=file.content_type or "", data=data[:64])
    )
    report = facts_import_file(
        actor=user,
        department=department,
        data=data,
        format=chosen,
        source_ref=(source_ref or f"api:{file.name or 'upload'}")[:128],
        all_or_nothing=all_or_nothing,
    )
    return {"format": chosen, "department": department.code, **report.to_json()}
