"""The batch command ``xinshimin score``: output per line in order, errors per bad line, exit status."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from xinshimin.policies import seed_policy
from xinshimin.policies.tests.helpers import WORKED_EXAMPLE
from xinshimin.residents.idnumber import InvalidIdNumber, parse_id_number, random_valid_id_number
from xinshimin.scoring.batch import PolicyChooser, quick_id_parser, score_lines

pytestmark = pytest.mark.django_db


def _line(data: Any) -> str:
    return (data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)) + "\n"


def _run(tmp_path: Path, lines: list[Any], *args: str) -> tuple[list[dict[str, Any]], CommandError | None]:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(_line(x) for x in lines), encoding="utf-8")
    out = io.StringIO()
    error = None
    try:
        call_command("score", str(path), *args, stdout=out)
    except CommandError as caught:
        error = caught
    return [json.loads(x) for x in out.getvalue().splitlines()], error


def _bad_date() -> dict[str, Any]:
    data = copy.deepcopy(WORKED_EXAMPLE)
    data["facts"]["zj_residence_registered_on"] = "2023-02-30"
    return data


def test_worked_example_line_gives_208(tmp_path: Path) -> None:
    out, error = _run(tmp_path, [WORKED_EXAMPLE])
    assert error is None
    assert out[0]["id_number"] == "522401199203154513"
    assert (out[0]["total"], out[0]["common"], out[0]["local"], out[0]["deductions"]) == (
        "208.00",
        "82.25",
        "145.75",
        "20.00",
    )
    assert out[0]["items"]["ded.detention"] == "-20.00"
    assert out[0]["items"]["common.residence"] == "20.25"
    assert len(out[0]["items"]) == 28
    assert out[0]["policy"] == "ruian-2025.1" and out[0]["as_of"] == "2025-04-01"


def test_bad_lines_are_reported_in_order_and_the_rest_scored(tmp_path: Path) -> None:
    other = copy.deepcopy(WORKED_EXAMPLE)
    other["facts"] = {"education": "master"}
    lines = [
        WORKED_EXAMPLE,
        _bad_date(),
        "this is not json",
        {**WORKED_EXAMPLE, "id_number": "522401199203154512"},
        {**WORKED_EXAMPLE, "colour": "red"},
        {**other, "facts": {"education": "phd"}},
        other,
    ]
    out, error = _run(tmp_path, lines)
    assert error is not None and error.returncode == 1
    assert "7 行中有 5 行有误" in str(error)
    assert len(out) == 7
    assert out[0]["total"] == "208.00"
    assert out[1] == {
        "line": 2,
        "field": "zj_residence_registered_on",
        "error": "zj_residence_registered_on: 2023-02-30 不是有效日期",
    }
    assert out[2]["line"] == 3 and "不是有效的 JSON" in out[2]["error"]
    assert out[3]["line"] == 4 and out[3]["field"] == "id_number" and "校验码" in out[3]["error"]
    assert out[4]["line"] == 5 and out[4]["error"].startswith("colour: 未知字段")
    assert out[5]["line"] == 6 and "可选：doctorate" in out[5]["error"]
    assert out[6]["total"] == "30.00"  # age 20 + master 10


def test_as_of_option_overrides_the_line_and_today_is_the_default(tmp_path: Path) -> None:
    out, _ = _run(tmp_path, [WORKED_EXAMPLE], "--as-of", "2026-04-01")
    assert out[0]["as_of"] == "2026-04-01"
    assert out[0]["items"]["common.residence"] == "23.25"  # 93 months × 0.25
    no_date = {k: v for k, v in WORKED_EXAMPLE.items() if k != "as_of"}
    # 02:00 in Shanghai on 1 June is still 31 May in UTC: the date is China's.
    with time_machine.travel(dt.datetime(2025, 6, 1, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        out, _ = _run(tmp_path, [no_date])
    assert out[0]["as_of"] == "2025-06-01"


def test_a_date_before_any_version_is_a_bad_line(tmp_path: Path) -> None:
    out, error = _run(tmp_path, [{**WORKED_EXAMPLE, "as_of": "2024-06-01"}])
    assert error is not None
    assert out[0]["field"] == "as_of" and "没有已生效的积分政策" in out[0]["error"]


def test_unknown_policy_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"ruian-2031\.1"):
        _run_raising(tmp_path, "--policy", "ruian-2031.1")


def _run_raising(tmp_path: Path, *args: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(_line(WORKED_EXAMPLE), encoding="utf-8")
    call_command("score", str(path), *args, stdout=io.StringIO())


def test_explicit_policy_version(tmp_path: Path) -> None:
    out, error = _run(tmp_path, [{**WORKED_EXAMPLE, "as_of": "2024-06-01"}], "--policy", "ruian-2025.1")
    assert error is None and out[0]["policy"] == "ruian-2025.1"


def _population(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        data = copy.deepcopy(WORKED_EXAMPLE)
        data["id_number"] = random_valid_id_number(
            rng, birth_from=dt.date(1960, 1, 1), birth_to=dt.date(2000, 1, 1)
        )
        data["facts"]["zj_social_insurance_months"] = rng.randint(0, 90)
        if i % 7 == 3:
            data["facts"]["talent_tier"] = 9  # a bad line now and then
        lines.append(_line(data))
    return lines


def test_worker_processes_give_the_same_output_in_the_same_order() -> None:
    lines = _population(50)
    policy = seed_policy()
    today = dt.date(2025, 4, 1)
    outputs = []
    for jobs in (1, 2):
        out = io.StringIO()
        report = score_lines(
            lines,
            out.write,
            chooser=PolicyChooser([policy]),
            parse_id=quick_id_parser(today),
            today=today,
            jobs=jobs,
            chunk_lines=4,
        )
        outputs.append(out.getvalue())
        assert report.lines == 50 and report.bad == 7
    assert outputs[0] == outputs[1]
    errors = [json.loads(x) for x in outputs[0].splitlines() if '"error"' in x]
    assert [e["line"] for e in errors] == [i + 1 for i in range(50) if i % 7 == 3]


ids = st.builds(
    lambda seed: random_valid_id_number(
        random.Random(seed), birth_from=dt.date(1900, 1, 1), birth_to=dt.date(2025, 1, 1)
    ),
    st.integers(0, 10**9),
)


@settings(max_examples=300, deadline=None)
@given(
    base=ids,
    position=st.integers(0, 17),
    char=st.sampled_from([*list("0123456789Xx ０"), "", "99"]),
)
def test_quick_id_parser_accepts_exactly_what_parse_id_number_accepts(
    base: str, position: int, char: str
) -> None:
    today = dt.date(2025, 4, 1)
    quick = quick_id_parser(today)
    for raw in (base, base[:position] + char + base[position + 1 :]):
        try:
            expected = parse_id_number(raw, today=today)
        except InvalidIdNumber as error:
            with pytest.raises(InvalidIdNumber) as caught:
                quick(raw)
            assert caught.value.message == error.message
        else:
            got = quick(raw)
            assert (got.value, got.birth_date) == (expected.value, expected.birth_date)
