"""The ``calendar_load`` command and the admin (upload of a year file, package reload)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from xinshimin.audit.models import AuditEvent
from xinshimin.cli import translate
from xinshimin.workdays.models import CalendarYear

from .yearfiles import year_file_2027

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar_load", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def year_file(tmp_path: Path) -> Path:
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(year_file_2027(), ensure_ascii=False), encoding="utf-8")
    return path


class TestCalendarLoadCommand:
    def test_cli_name_maps_to_the_command(self) -> None:
        assert translate(["calendar", "load", "--year", "2027"]) == ["calendar_load", "--year", "2027"]

    def test_loads_a_file(self, year_file: Path) -> None:
        output = run("--year", "2027", "--file", str(year_file))
        assert "loaded 2027: 19 holidays, 4 adjusted working days" in output
        assert CalendarYear.objects.get(year=2027).loaded_by is None
        assert AuditEvent.objects.filter(action="workdays.load_year", actor_label="system").count() == 1

    def test_records_the_named_user(self, year_file: Path, centre_admin: Any) -> None:
        run("--file", str(year_file), "--user", centre_admin.username)
        assert CalendarYear.objects.get(year=2027).loaded_by == centre_admin

    def test_refuses_a_user_who_may_not_load(self, year_file: Path, clerk: Any) -> None:
        with pytest.raises(CommandError, match="只有服务中心管理员"):
            run("--file", str(year_file), "--user", clerk.username)
        with pytest.raises(CommandError, match="no user named 'nobody'"):
            run("--file", str(year_file), "--user", "nobody")

    def test_refuses_a_file_for_another_year(self, year_file: Path) -> None:
        with pytest.raises(CommandError, match=r"2027\.json is for 2027, not for --year 2028"):
            run("--year", "2028", "--file", str(year_file))
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_reports_a_bad_file_in_chinese(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(year_file_2027(holidays=[])), encoding="utf-8")
        with pytest.raises(CommandError, match="2027 年没有任何法定节假日"):
            run("--file", str(path))

    def test_loads_from_the_package(self) -> None:
        assert "loaded 2026: 33 holidays, 6 adjusted working days (source: chinese-calendar 1.11.0)" in run(
            "--from-package", "--year", "2026"
        )
        with pytest.raises(CommandError, match="不包含 2027 年"):
            run("--from-package", "--year", "2027")
        with pytest.raises(CommandError, match="--from-package needs --year"):
            run("--from-package")

    def test_needs_exactly_one_source(self, year_file: Path) -> None:
        with pytest.raises(CommandError):
            run("--year", "2027")
        with pytest.raises(CommandError):
            run("--from-package", "--file", str(year_file), "--year", "2027")


@pytest.fixture
def staff_client(django_user_model):  # type: ignore[no-untyped-def]
    """A logged-in client for a new staff user with the given role."""

    def login(**fields: Any) -> tuple[Client, Any]:
        user = django_user_model.objects.create_user(password="not-used-here-1", is_staff=True, **fields)
        client = Client()
        client.force_login(user)
        return client, user

    return login


class TestAdmin:
    upload_url = "admin:workdays_calendaryear_upload"

    def test_list_shows_years_with_counts_and_an_upload_link(self, admin_client) -> None:  # type: ignore[no-untyped-def]
        response = admin_client.get(reverse("admin:workdays_calendaryear_changelist"))
        assert response.status_code == 200
        content = response.content.decode()
        assert reverse(self.upload_url) in content
        assert "chinese-calendar 1.11.0" in content

    def test_year_page_lists_its_days_read_only(self, admin_client) -> None:  # type: ignore[no-untyped-def]
        year = CalendarYear.objects.get(year=2025)
        response = admin_client.get(reverse("admin:workdays_calendaryear_change", args=[year.pk]))
        assert response.status_code == 200
        content = response.content.decode()
        assert "国庆节调休" in content
        assert "星期日" in content

    def test_upload_loads_the_year(self, staff_client) -> None:  # type: ignore[no-untyped-def]
        client, admin = staff_client(username="centre", role="centre_admin")
        assert client.get(reverse(self.upload_url)).status_code == 200
        upload = SimpleUploadedFile(
            "2027.json", json.dumps(year_file_2027(), ensure_ascii=False).encode(), "application/json"
        )
        response = client.post(reverse(self.upload_url), {"file": upload})
        year = CalendarYear.objects.get(year=2027)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:workdays_calendaryear_change", args=[year.pk])
        assert year.loaded_by == admin
        assert AuditEvent.objects.get(action="workdays.load_year").actor_id == admin.pk

    def test_upload_of_a_bad_file_shows_each_problem(self, admin_client) -> None:  # type: ignore[no-untyped-def]
        data = year_file_2027(adjusted_workdays=[{"date": "2027-02-17", "name": "春节调休"}], year=2027)
        data["holidays"].append({"date": "2026-12-31", "name": "元旦"})
        upload = SimpleUploadedFile("2027.json", json.dumps(data, ensure_ascii=False).encode())
        response = admin_client.post(reverse(self.upload_url), {"file": upload})
        assert response.status_code == 200
        content = response.content.decode()
        assert "是星期三，调休上班日必须是星期六或星期日" in content
        assert "2026-12-31 不在 2027 年内" in content
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_staff_without_the_right_cannot_upload(self, staff_client) -> None:  # type: ignore[no-untyped-def]
        client, _auditor = staff_client(username="auditor", role="auditor")
        assert client.get(reverse(self.upload_url)).status_code == 403

    def test_reload_action_reloads_selected_years(self, admin_client) -> None:  # type: ignore[no-untyped-def]
        year = CalendarYear.objects.get(year=2026)
        response = admin_client.post(
            reverse("admin:workdays_calendaryear_changelist"),
            {"action": "reload_from_package", "_selected_action": [year.pk]},
        )
        assert response.status_code == 302
        assert AuditEvent.objects.filter(action="workdays.load_year", object_id=str(year.pk)).count() == 1
