import datetime as dt

import pytest
import time_machine

from xinshimin.scenes import services
from xinshimin.scenes.selectors import run_verify

from .helpers import approve_all, at, child_of, parent, school_scene

pytestmark = pytest.mark.django_db


def test_smoke():
    with time_machine.travel(at(2025, 2, 20), tick=False):
        scene = school_scene()
    p = parent()
    kid = child_of(p, dt.date(2019, 5, 1))
    with time_machine.travel(at(2025, 3, 10), tick=False):
        app = services.application_submit(actor=p.user, scene=scene, resident=p, child=kid, stage="grade1")
        approve_all(app)
    with time_machine.travel(at(2025, 5, 8), tick=False):
        run = services.ranking_run_create(actor=None, scene=scene)
    assert run.row_count == 1
    assert run_verify(run)
    row = run.rows.get()
    print(row.total, row.social_insurance, row.residence_registered_on, row.receipt)
    with time_machine.travel(at(2025, 5, 12), tick=False):
        notice = services.notice_publish(actor=None, scene=scene)
    assert notice.ends_on == dt.date(2025, 5, 16)
