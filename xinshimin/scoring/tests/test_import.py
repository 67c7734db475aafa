"""Department import of facts in the exchange format."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinshimin.accounts.models import Department
from xinshimin.audit.models import AuditEvent
from xinshimin.core.errors import PermissionDenied
from xinshimin.policies.tests.helpers import WORKED_EXAMPLE
from xinshimin.residents.tests.factories import ResidentFactory, ReviewerFactory
from xinshimin.scoring.models import Fact, FactRevision
from xinshimin.scoring.services import facts_import

pytestmark = pytest.mark.django_db
OTHER_ID = "510722198805060012"  # valid, but nobody registered


def _lines() -> list[str]:
    first = copy.deepcopy(WORKED_EXAMPLE)
    second = {"id_number": "52240119920315451X", "facts": {"education": "master"}}  # bad check digit
    third = {"id_number": OTHER_ID, "facts": {"education": "college"}}
    fourth = {"id_number": WORKED_EXAMPLE["id_number"], "facts": {"skill": "level2"}}
    return [json.dumps(x, ensure_ascii=False) + "\n" for x in (first, second, third, fourth)]


def _facts() -> dict[str, object]:
    return dict(Fact.objects.values_list("kind", "value"))


def test_import_upserts_good_lines_reports_bad_ones_and_twice_changes_nothing() -> None:
    ResidentFactory(id_number=WORKED_EXAMPLE["id_number"])
    hrss = Department.objects.get(code="hrss")
    report = facts_import(actor=None, department=hrss, lines=_lines(), source_ref="batch-1")
    assert report.committed and report.lines == 4 and report.imported_lines == 2
    assert [(r.line, r.field) for r in report.rejected] == [(2, "id_number"), (3, "id_number")]
    assert "未找到该身份证号码对应的新市民" in report.rejected[1].error
    facts = _facts()
    assert facts["skill"] == "level2"  # the later line wins
    assert facts["volunteer"] == [{"date": "2024-05-01", "hours": 12.5}]
    assert len(facts) == 22
    state = (list(Fact.objects.values()), FactRevision.objects.count())
    again = facts_import(actor=None, department=hrss, lines=_lines(), source_ref="batch-2")
    assert (again.facts_created, again.facts_updated, again.facts_unchanged) == (0, 0, 22)
    assert (list(Fact.objects.values()), FactRevision.objects.count()) == state
    assert AuditEvent.objects.filter(action="scoring.facts_import").count() == 2


def test_all_or_nothing_imports_nothing_when_a_line_is_bad() -> None:
    ResidentFactory(id_number=WORKED_EXAMPLE["id_number"])
    report = facts_import(
        actor=None, department=Department.objects.get(code="hrss"), lines=_lines(), all_or_nothing=True
    )
    assert not report.committed and len(report.rejected) == 2
    assert not Fact.objects.exists() and not FactRevision.objects.exists()


def test_a_reviewer_imports_only_for_their_department() -> None:
    reviewer = ReviewerFactory(department=Department.objects.get(code="tax"))
    with pytest.raises(PermissionDenied):
        facts_import(actor=reviewer, department=Department.objects.get(code="hrss"), lines=[])


def test_import_command(tmp_path: Path) -> None:
    ResidentFactory(id_number=WORKED_EXAMPLE["id_number"])
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(_lines()), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_facts", str(path), "--department", "hrss", stdout=out, stderr=err)
    assert caught.value.returncode == 1
    summary = json.loads(out.getvalue())
    assert summary["imported_lines"] == 2 and summary["rejected"] == 2
    assert [json.loads(x)["line"] for x in err.getvalue().splitlines()] == [2, 3]
    assert Fact.objects.filter(department__code="hrss", source_ref=str(path)).count() == 22
