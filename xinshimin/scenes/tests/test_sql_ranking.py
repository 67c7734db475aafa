"""The PostgreSQL ranking statement gives exactly what ranking.py defines: rows, masks and digests."""

from __future__ import annotations

import datetime as dt
import random
import sys

import pytest
import time_machine
from django.db import connection

from xinshimin.core.masking import mask_name
from xinshimin.residents.tests.factories import make_id_number
from xinshimin.scenes import services, sql_ranking
from xinshimin.scenes.models import Application, Scene
from xinshimin.scenes.selectors import run_verify
from xinshimin.scoring.services import facts_upsert

from .helpers import at, parent, school_scene

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TRICKY_NAMES = [
    "张三",
    "欧阳娜娜",
    "欧阳",  # a compound surname alone keeps one character
    "司马懿",
    "阿依古丽·买买提",
    "\u3000李四\u3000",  # full-width spaces around
    " 王五\t",
    "赵",
    "诸葛孔明",
    "Zhang San",
]


def test_python_whitespace_set_is_what_str_strip_removes():
    expected = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert expected == sql_ranking.PYTHON_WHITESPACE


def test_order_by_follows_the_chain():
    assert sql_ranking.order_by(["total_desc", "submitted_asc"]) == (
        'total DESC, submitted_at ASC, number COLLATE "C" ASC'
    )


@pytest.mark.parametrize("mode", [Scene.Mode.RANKED, Scene.Mode.THRESHOLD])
def test_the_database_ranking_equals_the_python_ranking(mode):
    rng = random.Random(5)
    with time_machine.travel(at(2025, 2, 20), tick=False):
        scene = school_scene(
            quota=25, top_n=7, mode=mode, threshold="60" if mode == Scene.Mode.THRESHOLD else None
        )
    applications = []
    for k in range(60):
        name = TRICKY_NAMES[k % len(TRICKY_NAMES)]
        registered = rng.choice([dt.date(2012, 1, 1), dt.date(2019, 6, 1), dt.date(2023, 3, 15)])
        resident = parent(
            name=name,
            id_number=make_id_number(900 + k, born_from=dt.date(1988, 1, 1), span_days=500),
            permit__zj_residence_registered_on=registered,
            permit__ruian_residence_registered_on=rng.choice([registered, None]),
        )
        facts_upsert(
            actor=None,
            resident=resident,
            kind="zj_social_insurance_months",
            value=rng.choice([0, 20, 30, 80]),
            source="demo",
        )
        facts_upsert(
            actor=None,
            resident=resident,
            kind="education",
            value=rng.choice(["bachelor", "high_school"]),
            source="demo",
        )
        if k % 7 == 0:
            facts_upsert(
                actor=None,
                resident=resident,
                kind="ruian_residence_registered_on",
                value="2016-02-29",
                source="demo",
            )
        applications.append(
            Application(
                scene=scene,
                resident=resident,
                number=f"school-2025-{k + 1:06d}",
                kind="school",
                year=2025,
                child_id_index=f"c{k}",
                stage="grade1",
                status=Application.Status.ELIGIBLE,
                submitted_at=at(2025, 3, 10)
                + dt.timedelta(seconds=rng.choice([0, 0, 1, 3600]), microseconds=rng.choice([0, 7])),
            )
        )
    Application.objects.bulk_create(applications)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        expected = services.ranking_compute(scene, seed=scene.lottery_seed)  # Python
        run = services.ranking_run_create(actor=None, scene=scene)  # SQL on PostgreSQL
    assert connection.vendor == "postgresql"
    assert (run.inputs_digest, run.output_digest) == (expected.inputs_digest, expected.output_digest)
    stored = list(
        run.rows.order_by("rank").values_list("rank", "number", "name_masked", "is_top_n", "is_selected")
    )
    assert stored == [
        (r.rank, r.number, r.name_masked, r.is_top_n, r.is_selected) for r in expected.published
    ]
    names = dict(run.rows.values_list("application__resident__name", "name_masked"))
    assert all(names[name] == mask_name(name) for name in names)
    assert run_verify(run)
