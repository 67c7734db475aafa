"""Every public page and export of a 1,000-person list: no full name, ID number, birth date or phone."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from xinshimin.residents.tests.factories import ResidentFactory, make_id_number
from xinshimin.scenes import services
from xinshimin.scenes.models import Application, RankingRun

from .helpers import at, school_scene

pytestmark = pytest.mark.django_db

PEOPLE = 1000
SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "璟彧骞珩曦翊琰昕玥瑾湛晔"  # rare characters: a full name cannot occur in the page text by chance


def distinctive_names() -> list[str]:
    names = ["欧阳璟彧", "司马琰曦", "张璟", "王彧"]  # compound surnames and two-character names too
    for surname, (first, second) in itertools.product(SURNAMES, itertools.permutations(GIVEN, 2)):
        names.append(surname + first + second)
    return names[:PEOPLE]


def birth_date_forms(day: dt.date) -> list[str]:
    return [
        day.isoformat(),
        day.strftime("%Y%m%d"),
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y/%m/%d"),
    ]


@pytest.fixture
def published_list():
    with time_machine.travel(at(2025, 2, 20), tick=False):
        scene = school_scene(quota=800)
    people = []
    for k, name in enumerate(distinctive_names()):
        id_number = make_id_number(k, born_from=dt.date(1975, 1, 1), span_days=9000)
        phone = f"13{k:09d}"
        resident = ResidentFactory(name=name, id_number=id_number, phone=phone, with_user=(k == 7))
        people.append((resident, id_number, phone))
    submitted = at(2025, 3, 10)
    Application.objects.bulk_create(
        [
            Application(
                scene=scene,
                resident=resident,
                number=f"school-2025-{k + 1:06d}",
                kind="school",
                year=2025,
                child_id_index=f"child-{k}",
                child_name_masked="某*",
                child_id_number_masked="522401********0000",
                stage="grade1",
                status=Application.Status.ELIGIBLE,
                submitted_at=submitted + dt.timedelta(seconds=k % 97),
            )
            for k, (resident, _id, _phone) in enumerate(people)
        ]
    )
    with time_machine.travel(at(2025, 5, 8), tick=False):
        run = services.ranking_run_create(actor=None, scene=scene)  # computes the 1,000 snapshots in bulk
    with time_machine.travel(at(2025, 5, 12), tick=False):
        services.notice_publish(actor=None, scene=scene)
    return scene, run, people


def forbidden(people) -> list[str]:
    values = []
    for resident, id_number, phone in people:
        values += [resident.name, id_number, phone, *birth_date_forms(resident.birth_date)]
    return values


def leaks(text: str, people) -> list[str]:
    return [value for value in forbidden(people) if value in text]


def xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell
    )


def api_text(response) -> str:
    assert response.status_code == 200
    return json.dumps(response.json(), ensure_ascii=False)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.slow
def test_no_public_page_or_export_of_a_1000_person_list_discloses_personal_data(published_list):
    scene, run, people = published_list
    assert run.row_count == PEOPLE
    anonymous = Client()
    mine = Client()
    owner = people[7][0]
    mine.force_login(owner.user)
    own_row = run.rows.get(application__resident=owner)
    texts: dict[str, str] = {}
    with time_machine.travel(at(2025, 5, 13), tick=False):
        texts["notice list"] = anonymous.get(reverse("web:notice_list")).content.decode()
        pages = (PEOPLE + 99) // 100
        for number in range(1, pages + 1):
            for label, client in (("anonymous", anonymous), ("resident", mine)):
                response = client.get(reverse("web:notice_detail", args=[scene.pk]), {"page": number})
                assert response.status_code == 200
                texts[f"page {number} {label}"] = response.content.decode()
            texts[f"version page {number}"] = anonymous.get(
                reverse("web:notice_version", args=[scene.pk, run.version]), {"page": number}
            ).content.decode()
        texts["verify"] = anonymous.get(
            reverse("web:notice_verify"), {"code": own_row.receipt}
        ).content.decode()
        texts["xlsx"] = xlsx_text(
            anonymous.get(reverse("web:notice_xlsx", args=[scene.pk, run.version])).content
        )
        texts["pdf"] = pdf_text(
            anonymous.get(reverse("web:notice_pdf", args=[scene.pk, run.version])).content
        )
        texts["api notice"] = api_text(anonymous.get(f"/api/scenes/notices/{scene.pk}"))
        texts["api rows"] = api_text(anonymous.get(f"/api/scenes/notices/{scene.pk}/rows", {"limit": PEOPLE}))
        texts["api verify"] = api_text(anonymous.get("/api/scenes/notices/verify", {"code": own_row.receipt}))

    # Positive controls: the texts really contain the list (masked), so the search below means something.
    every_row = "".join(texts[f"page {n} anonymous"] for n in range(1, 11))
    for resident, id_number, _phone in people:
        assert resident.masked_name in every_row
        assert f"{id_number[:6]}********{id_number[-4:]}" in texts["xlsx"]
    assert "欧阳**" in texts["pdf"] and "张*" in texts["pdf"]
    assert "522401" in texts["pdf"] and run.output_digest in texts["xlsx"]
    assert "核验通过" in texts["verify"] and own_row.receipt in texts["page 1 resident"]
    assert 'class="mine"' in texts[f"page {(own_row.rank - 1) // 100 + 1} resident"]
    assert texts["api rows"].count('"rank"') == PEOPLE

    for label, text in texts.items():
        assert leaks(text, people) == [], label


def test_a_superseded_list_stays_viewable_and_marked(published_list):
    scene, run, _people = published_list
    RankingRun.objects.filter(pk=run.pk).update(status=RankingRun.Status.SUPERSEDED)
    with time_machine.travel(at(2025, 5, 14), tick=False):
        replacement = RankingRun.objects.create(
            scene=scene,
            version=2,
            status=RankingRun.Status.PUBLISHED,
            supersedes=run,
            as_of=run.as_of,
            policy=run.policy,
            chain=run.chain,
            seed=run.seed,
            mode=run.mode,
            inputs_digest="0" * 64,
            output_digest="1" * 64,
            created_at=at(2025, 5, 14),
            published_at=at(2025, 5, 14),
        )
        old = Client().get(reverse("web:notice_version", args=[scene.pk, 1]))
        current = Client().get(reverse("web:notice_detail", args=[scene.pk]))
        xlsx = xlsx_text(Client().get(reverse("web:notice_xlsx", args=[scene.pk, 1])).content)
    assert old.status_code == 200
    body = old.content.decode()
    assert "本版本已被取代" in body and "查看现行第 2 版" in body and run.output_digest in body
    assert (
        "本版本已被取代" not in current.content.decode()
        and replacement.output_digest in current.content.decode()
    )
    assert "已被第 2 版更正名单取代" in xlsx
