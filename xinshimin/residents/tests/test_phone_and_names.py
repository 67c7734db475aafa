from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinshimin.core.errors import ValidationFailed
from xinshimin.residents.names import InvalidName, parse_name
from xinshimin.residents.phone import InvalidPhone, is_valid_phone, normalise_phone, parse_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "008613812345678",
        "86 13812345678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
        "＋８６　１３８１２３４５６７８",
    ],
)
def test_parse_phone_normalises_what_people_type(raw: str) -> None:
    assert parse_phone(raw) == "13812345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "请输入手机号码"),
        ("   ", "请输入手机号码"),
        ("1381234567", "手机号码应为11位，您输入了10位"),
        ("138123456789", "手机号码应为11位，您输入了12位"),
        ("0577-65812345", "手机号码应为11位，您输入了12位"),
        ("12812345678", "以 12 开头"),
        ("23812345678", "以 23 开头"),
        ("1381234567a", "请删除其中的“a”"),
    ],
)
def test_parse_phone_names_the_problem(raw: str, expected: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        parse_phone(raw)
    assert expected in str(info.value.message)
    assert info.value.field == "phone"
    assert isinstance(info.value, ValidationFailed)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mainland_mobile_number_is_accepted_with_any_prefix(number: str) -> None:
    assert parse_phone(number) == number
    assert parse_phone("+86 " + number[:3] + " " + number[3:]) == number
    assert normalise_phone("0086" + number) == number


@given(st.from_regex(r"1[0-2][0-9]{9}", fullmatch=True))
def test_numbers_starting_10_to_12_are_refused(number: str) -> None:
    assert not is_valid_phone(number)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张三", "张三"),
        ("欧阳娜娜", "欧阳娜娜"),
        (" 李 小 龙 ", "李小龙"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("王〇", "王〇"),
        ("𠈌𠈌", "𠈌𠈌"),  # Extension B
        ("陈𬌗", "陈𬌗"),  # Extension E
        ("张" * 20, "张" * 20),
    ],
)
def test_parse_name_accepts_chinese_names(raw: str, expected: str) -> None:
    assert parse_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "请输入姓名"),
        ("张", "姓名至少2个字，您输入了1个字"),
        ("张" * 21, "姓名最多20个字，您输入了21个字"),
        ("Zhang San", "姓名中的“Z”不是汉字"),
        ("张3", "姓名中的“3”不是汉字"),
        ("张-三", "姓名中的“-”不是汉字"),
        ("·张三", "间隔号“·”只能写在两个字之间"),
        ("张三·", "间隔号“·”只能写在两个字之间"),
        ("张··三", "间隔号“·”只能写在两个字之间"),
    ],
)
def test_parse_name_names_the_problem(raw: str, expected: str) -> None:
    with pytest.raises(InvalidName) as info:
        parse_name(raw)
    assert expected in str(info.value.message)
    assert info.value.field == "name"
