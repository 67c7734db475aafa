"""Department import files: CSV/XLSX tables of the common fields, JSON Lines, through the service and the API."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import Workbook

from xinshimin.accounts.models import ApiToken, Department
from xinshimin.audit.models import AuditEvent
from xinshimin.policies.tests.helpers import WORKED_EXAMPLE
from xinshimin.residents.tests.factories import (
    CentreAdminFactory,
    ResidentFactory,
    ReviewerFactory,
)
from xinshimin.scoring import services
from xinshimin.scoring.imports import ImportFormatError, detect_format, facts_import_file
from xinshimin.scoring.models import Fact, FactRevision

pytestmark = pytest.mark.django_db

ID_A = WORKED_EXAMPLE["id_number"]  # 522401199203154513
ID_B = "510722198805060012"
UNKNOWN = "110101199003071938"  # valid, nobody registered


def _hrss() -> Department:
    return Department.objects.get(code="hrss")


def _state() -> tuple[list[dict[str, Any]], int, int]:
    return (
        list(Fact.objects.order_by("pk").values("resident_id", "kind", "value", "source_ref")),
        FactRevision.objects.count(),
        AuditEvent.objects.filter(action="scoring.facts_import").count(),
    )


CSV = (
    "身份证号,姓名,education,skill,zj_social_insurance_months,zj_residence_registered_on,"
    "employed_in_ruian,tax_paid_last_year_yuan,housing\n"
    f"{ID_A},张三,bachelor,level3; title_junior,48,2018-06-10,是,20000.50,\n"
    f"{ID_B},李四,Master,,12,,否,,registered_lease\n"
    "\n"
    f"{UNKNOWN},王五,college,,1,,,,\n"
    f"{ID_B[:-1]}3,赵六,college,,1,,,,\n"
    f"{ID_A},张三,phd,,,,,,\n"
    f"{ID_B},李四,,,abc,2019-02-30,maybe,,\n"
)


def test_csv_import_converts_cells_reports_file_rows_and_twice_changes_nothing() -> None:
    a = ResidentFactory(id_number=ID_A)
    b = ResidentFactory(id_number=ID_B)
    report = facts_import_file(
        actor=None, department=_hrss(), data=CSV.encode("utf-8-sig"), format="csv", source_ref="t"
    )
    assert report.committed
    assert report.lines == 6  # data rows (the empty row is skipped)
    assert report.imported_lines == 2
    rejected = [(r.line, r.field) for r in report.rejected]
    # Row numbers are the file's: header = 1, the blank row 4 is skipped but counted in the numbering.
    assert rejected == [
        (5, "id_number"),
        (6, "id_number"),
        (7, "education"),
        (8, "zj_social_insurance_months"),
    ]
    assert "未找到该身份证号码对应的新市民" in report.rejected[0].error
    assert "未知取值" in report.rejected[2].error and "phd" in report.rejected[2].error
    facts_a = dict(Fact.objects.filter(resident=a).values_list("kind", "value"))
    assert facts_a == {
        "education": "bachelor",
        "skill": ["level3", "title_junior"],
        "zj_social_insurance_months": 48,
        "zj_residence_registered_on": "2018-06-10",
        "employed_in_ruian": True,
        "tax_paid_last_year_yuan": 20000.5,
    }
    facts_b = dict(Fact.objects.filter(resident=b).values_list("kind", "value"))
    assert facts_b == {
        "education": "master",  # case-insensitive enumeration values
        "zj_social_insurance_months": 12,
        "employed_in_ruian": False,
        "housing": "registered_lease",
    }
    before = _state()
    again = facts_import_file(
        actor=None, department=_hrss(), data=CSV.encode("utf-8-sig"), format="csv", source_ref="t2"
    )
    assert (again.facts_created, again.facts_updated, again.facts_unchanged) == (0, 0, 10)
    after = _state()
    assert after[:2] == before[:2]  # no fact, no revision touched (only the import's own audit event)


def test_a_table_row_with_a_problem_cancels_everything_with_all_or_nothing() -> None:
    ResidentFactory(id_number=ID_A)
    ResidentFactory(id_number=ID_B)
    text = f"id_number,education,tax_paid_last_year_yuan\n{ID_A},bachelor,1\n{ID_B},college,1.123456789012345678\n"
    report = facts_import_file(
        actor=None, department=_hrss(), data=text.encode(), format="csv", all_or_nothing=True
    )
    assert not report.committed
    assert [(r.line, r.field) for r in report.rejected] == [(3, "tax_paid_last_year_yuan")]
    assert "位数过多" in report.rejected[0].error
    assert report.imported_lines == report.facts_created == 0
    assert not Fact.objects.exists() and not FactRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="scoring.facts_import").exists()


def test_an_error_half_way_leaves_nothing_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two batches are written, then the audit step fails: the whole import is rolled back."""
    ResidentFactory(id_number=ID_A)
    ResidentFactory(id_number=ID_B)
    monkeypatch.setattr(services, "IMPORT_BATCH", 1)

    def broken_audit(**kwargs: Any) -> None:
        assert Fact.objects.count() == 2  # both batches are in the transaction by now
        raise RuntimeError("audit chain unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    text = f"id_number,education\n{ID_A},bachelor\n{ID_B},college\n"
    with pytest.raises(RuntimeError):
        facts_import_file(actor=None, department=_hrss(), data=text.encode(), format="csv")
    assert not Fact.objects.exists() and not FactRevision.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id_number,favourite_colour\n", "无法识别"),
        ("name,education\n张三,bachelor\n", "id_number"),
        ("id_number,education,education\n", "两次"),
        ("", "空的"),
    ],
)
def test_a_table_that_cannot_be_read_is_refused_whole(text: str, message: str) -> None:
    ResidentFactory(id_number=ID_A)
    with pytest.raises(ImportFormatError) as caught:
        facts_import_file(actor=None, department=_hrss(), data=text.encode(), format="csv")
    assert message in str(caught.value.message)
    assert not Fact.objects.exists()


def test_gb18030_csv_as_chinese_excel_saves_it() -> None:
    resident = ResidentFactory(id_number=ID_A)
    text = f"身份证号码,姓名,文化程度\r\n{ID_A},张三,college\r\n"
    report = facts_import_file(actor=None, department=_hrss(), data=text.encode("gb18030"), format="csv")
    assert report.imported_lines == 1
    assert Fact.objects.get(resident=resident, kind="education").value == "college"


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_import_reads_excel_numbers_dates_and_refuses_numeric_id_numbers() -> None:
    resident = ResidentFactory(id_number=ID_A)
    data = _xlsx(
        [
            [
                "id_number",
                "name",
                "zj_social_insurance_months",
                "zj_residence_registered_on",
                "veteran",
                "talent_tier",
            ],
            [ID_A, "张三", 48.0, dt.datetime(2018, 6, 10), True, 4],
            [510722198805060012, "李四", 12, None, None, None],
            [None, None, None, None, None, None],
            [ID_A, "张三", 12.5, None, None, None],
        ]
    )
    assert detect_format(filename="feed.XLSX") == "xlsx" and detect_format(data=data) == "xlsx"
    report = facts_import_file(actor=None, department=_hrss(), data=data, format="xlsx")
    assert [(r.line, r.field) for r in report.rejected] == [
        (3, "id_number"),
        (5, "zj_social_insurance_months"),
    ]
    assert "文本" in report.rejected[0].error
    assert dict(Fact.objects.filter(resident=resident).values_list("kind", "value")) == {
        "zj_social_insurance_months": 48,
        "zj_residence_registered_on": "2018-06-10",
        "veteran": True,
        "talent_tier": 4,
    }


def test_a_broken_xlsx_is_refused() -> None:
    with pytest.raises(ImportFormatError):
        facts_import_file(actor=None, department=_hrss(), data=b"PK\x03\x04broken", format="xlsx")


def test_jsonl_keeps_its_line_numbers() -> None:
    ResidentFactory(id_number=ID_A)
    lines = [json.dumps(WORKED_EXAMPLE, ensure_ascii=False), '{"id_number": "1"}']
    report = facts_import_file(actor=None, department=_hrss(), data="\n".join(lines).encode(), format="jsonl")
    assert report.imported_lines == 1 and [r.line for r in report.rejected] == [2]


def test_import_command_reads_csv(tmp_path: Path) -> None:
    ResidentFactory(id_number=ID_A)
    path = tmp_path / "hrss.csv"
    path.write_text(f"id_number,skill\n{ID_A},level2\n{UNKNOWN},level3\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_facts", str(path), "--department", "hrss", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert json.loads(out.getvalue())["imported_lines"] == 1
    assert json.loads(err.getvalue().splitlines()[0])["line"] == 3
    assert Fact.objects.get(kind="skill").value == "level2"


# --- the API -------------------------------------------------------------------------------------------


def _token_for(user: Any) -> str:
    raw = ApiToken.new_secret()
    ApiToken.objects.create(user=user, name="人社局数据交换", prefix=raw[:8], digest=ApiToken.digest_of(raw))
    return raw


def test_api_import_with_a_department_token_records_facts_for_that_department() -> None:
    resident = ResidentFactory(id_number=ID_A)
    system = ReviewerFactory(department=_hrss())
    token = _token_for(system)
    client = Client()
    upload = SimpleUploadedFile("hrss.csv", f"id_number,skill\n{ID_A},level2\n{UNKNOWN},level1\n".encode())
    response = client.post(
        "/api/scoring/import", {"file": upload}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["format"] == "csv" and body["department"] == "hrss"
    assert body["imported_lines"] == 1 and body["facts_created"] == 1 and body["committed"]
    assert body["rejected"] == [{"line": 3, "field": "id_number", "error": body["rejected"][0]["error"]}]
    fact = Fact.objects.get(resident=resident, kind="skill")
    assert fact.department == _hrss() and fact.recorded_by == system
    again = client.post(
        "/api/scoring/import",
        {"file": SimpleUploadedFile("hrss.csv", f"id_number,skill\n{ID_A},level2\n".encode())},
        headers={"authorization": f"Bearer {token}"},
    )
    assert again.json()["facts_unchanged"] == 1 and again.json()["facts_created"] == 0
    assert FactRevision.objects.count() == 1


def test_api_import_jsonl_with_all_or_nothing_by_a_reviewers_session() -> None:
    ResidentFactory(id_number=ID_A)
    client = Client()
    client.force_login(ReviewerFactory(department=_hrss()))
    lines = json.dumps(WORKED_EXAMPLE, ensure_ascii=False) + "\n" + '{"id_number": "x", "facts": {}}\n'
    response = client.post(
        "/api/scoring/import",
        {"file": SimpleUploadedFile("feed.jsonl", lines.encode()), "all_or_nothing": "true"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["committed"] is False and not Fact.objects.exists()


def test_api_import_is_refused_to_those_without_a_department_and_explains_bad_files() -> None:
    client = Client()
    client.force_login(CentreAdminFactory())
    upload = SimpleUploadedFile("a.csv", b"id_number\n")
    assert client.post("/api/scoring/import", {"file": upload}).status_code == 403
    assert Client().post("/api/scoring/import", {"file": upload}).status_code == 401
    reviewer = Client()
    reviewer.force_login(ReviewerFactory(department=_hrss()))
    missing = reviewer.post("/api/scoring/import", {})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "file"
    bad = reviewer.post("/api/scoring/import", {"file": SimpleUploadedFile("a.csv", b"colour\nred\n")})
    assert bad.status_code == 422 and "id_number" in bad.json()["error"]["message"]
    wrong = reviewer.post(
        "/api/scoring/import", {"file": SimpleUploadedFile("a.csv", b"id_number\n"), "format": "pdf"}
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "format"
