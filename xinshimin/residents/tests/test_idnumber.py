from __future__ import annotations

import random
from datetime import date

import pytest
import stdnum.cn.ric
from hypothesis import given
from hypothesis import strategies as st

from xinshimin.core.errors import ValidationFailed
from xinshimin.residents.idnumber import (
    COUNTY_CODES,
    MIGRANT_HOME_PROVINCES,
    PROVINCE_CODES,
    IdNumber,
    InvalidIdNumber,
    id_number_checksum,
    is_valid_id_number,
    normalise_id_number,
    parse_id_number,
    random_valid_id_number,
)

TODAY = date(2025, 6, 1)

# Published examples: GB 11643-1999 annex (the first two) and a Guizhou number from the same spec text.
VALID_VECTORS = [
    ("11010519491231002X", date(1949, 12, 31), "F", "11"),
    ("440524188001010014", date(1880, 1, 1), "M", "44"),
    ("522401199203154513", date(1992, 3, 15), "M", "52"),
]


def _message(raw: str, *, today: date = TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        parse_id_number(raw, today=today)
    assert info.value.field == "id_number"
    return str(info.value.message)


@pytest.mark.parametrize(("value", "birth", "sex", "province"), VALID_VECTORS)
def test_parse_id_number_accepts_published_vectors(value: str, birth: date, sex: str, province: str) -> None:
    parsed = parse_id_number(value, today=TODAY)
    assert parsed == IdNumber(value=value, birth_date=birth, sex=sex, province_code=province)  # type: ignore[arg-type]


def test_id_number_checksum_matches_the_standard_and_python_stdnum() -> None:
    assert id_number_checksum("11010519491231002") == "X"
    assert id_number_checksum("44052418800101001") == "4"
    rng = random.Random(7)
    for _ in range(500):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        # stdnum's calc_check_digit takes the number including a (ignored) check character.
        assert id_number_checksum(first17) == stdnum.cn.ric.calc_check_digit(first17 + "0")


def test_id_number_checksum_refuses_wrong_input() -> None:
    with pytest.raises(ValueError):
        id_number_checksum("1234")
    with pytest.raises(ValueError):
        id_number_checksum("1101051949123100X")


def test_invalid_id_number_is_a_validation_failure() -> None:
    assert issubclass(InvalidIdNumber, ValidationFailed)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002", "身份证号码应为18位，您输入了17位"),
        ("11010519491231002X1", "身份证号码应为18位，您输入了19位"),
        ("110105491231002", "身份证号码应为18位，您输入了15位"),
        ("", "请输入18位身份证号码"),
        ("   ", "请输入18位身份证号码"),
        ("11010519491231002Y", "第18位应为数字或 X"),
        ("1101051949123100AX", "第17位应为数字"),
        ("X10105194912310023", "第1位应为数字"),
        ("11010519491231002 3", "第18位校验码应为 X，您输入的是 3"),
        ("11010519491231002０", "第18位校验码应为 X，您输入的是 0"),
        ("991005194912310020", "前两位 99 不是有效的省级行政区划代码"),
        ("001005194912310020", "前两位 00 不是有效的省级行政区划代码"),
        ("110105199002300020", "出生日期 19900230 不存在"),
        ("110105199013010020", "出生日期 19901301 不存在"),
        ("110105199000010020", "出生日期 19900001 不存在"),
        ("110105170001010020", "出生日期 17000101 不合理"),
    ],
)
def test_parse_id_number_names_the_problem(raw: str, expected: str) -> None:
    assert expected in _message(raw)


def test_parse_id_number_accepts_29_february_of_a_leap_year_only() -> None:
    first17 = "52240120000229451"
    assert parse_id_number(first17 + id_number_checksum(first17), today=TODAY).birth_date == date(2000, 2, 29)
    first17 = "52240119000229451"  # 1900 is not a leap year
    assert "出生日期 19000229 不存在" in _message(first17 + id_number_checksum(first17))


def test_parse_id_number_refuses_a_birth_date_after_today() -> None:
    first17 = "52240120250602451"
    value = first17 + id_number_checksum(first17)
    assert _message(value, today=date(2025, 6, 1)) == "出生日期不能晚于今天"
    assert parse_id_number(value, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)


def test_parse_id_number_does_not_refuse_an_unknown_county() -> None:
    first17 = "52999919900101451"  # 5299xx does not exist, but the province does
    assert parse_id_number(first17 + id_number_checksum(first17), today=TODAY).province_code == "52"


def test_parse_id_number_normalises_full_width_spaces_and_lower_x() -> None:
    expected = "11010519491231002X"
    for raw in [
        "11010519491231002x",
        " 110105 19491231 002x ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５　１９４９１２３１　００２ｘ",
        "110105\t19491231\n002X",
    ]:
        assert parse_id_number(raw, today=TODAY).value == expected


def test_id_number_repr_does_not_show_the_full_number() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert "11010519491231002X" not in repr(parsed)
    assert parsed.masked == "110105********002X"


def test_id_number_age_on_uses_full_years() -> None:
    parsed = parse_id_number("522401199203154513", today=TODAY)
    assert parsed.age_on(date(2025, 3, 14)) == 32
    assert parsed.age_on(date(2025, 3, 15)) == 33


def test_province_codes_are_the_34_provincial_divisions() -> None:
    assert len(PROVINCE_CODES) == 34
    assert set(MIGRANT_HOME_PROVINCES) <= set(PROVINCE_CODES)
    for province, counties in COUNTY_CODES.items():
        assert all(c.startswith(province) and len(c) == 6 for c in counties)


# --- properties -------------------------------------------------------------------------------------

valid_id_numbers = st.builds(
    lambda seed, sex: random_valid_id_number(
        random.Random(seed),
        province_codes=sorted(PROVINCE_CODES),
        birth_from=date(1900, 1, 1),
        birth_to=TODAY,
        sex=sex,
    ),
    st.integers(min_value=0, max_value=2**32),
    st.sampled_from(["M", "F", None]),
)


@given(valid_id_numbers)
def test_random_valid_id_numbers_parse(value: str) -> None:
    parsed = parse_id_number(value, today=TODAY)
    assert parsed.value == value
    assert date(1900, 1, 1) <= parsed.birth_date <= TODAY


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(["M", "F"]))
def test_random_valid_id_number_respects_sex_and_home_provinces(seed: int, sex: str) -> None:
    value = random_valid_id_number(
        random.Random(seed),
        birth_from=date(1965, 1, 1),
        birth_to=date(2004, 12, 31),
        sex=sex,  # type: ignore[arg-type]
    )
    parsed = parse_id_number(value, today=TODAY)
    assert parsed.sex == sex
    assert parsed.province_code in MIGRANT_HOME_PROVINCES
    assert date(1965, 1, 1) <= parsed.birth_date <= date(2004, 12, 31)


@given(valid_id_numbers, st.sampled_from(list("0123456789X")))
def test_every_wrong_check_character_is_refused(value: str, check: str) -> None:
    candidate = value[:17] + check
    if check == value[17]:
        assert is_valid_id_number(candidate, today=TODAY)
    else:
        assert "第18位校验码应为 " + value[17] in _message(candidate)


@given(valid_id_numbers, st.integers(min_value=0, max_value=15))
def test_every_adjacent_swap_in_the_first_17_is_refused(value: str, index: int) -> None:
    a, b = value[index], value[index + 1]
    swapped = value[:index] + b + a + value[index + 2 :]
    if a == b:
        assert is_valid_id_number(swapped, today=TODAY)
    else:
        # Usually the check character catches it; a swap that breaks the date or province is refused
        # earlier, with another message. Either way it must be refused.
        assert not is_valid_id_number(swapped, today=TODAY)


@given(valid_id_numbers, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_every_single_digit_substitution_is_refused(value: str, index: int, delta: int) -> None:
    changed = value[:index] + str((int(value[index]) + delta) % 10) + value[index + 1 :]
    assert not is_valid_id_number(changed, today=TODAY)


@given(valid_id_numbers, st.booleans())
def test_full_width_and_lower_case_input_normalises_to_the_same_number(value: str, lower: bool) -> None:
    full_width = "".join(chr(ord(c) - ord("0") + 0xFF10) if c.isdigit() else "Ｘ" for c in value)
    if lower:
        full_width = full_width.replace("Ｘ", "ｘ")
    assert normalise_id_number(full_width) == value
    assert parse_id_number(full_width, today=TODAY).value == value
    assert parse_id_number(value.lower(), today=TODAY).value == value


@given(valid_id_numbers)
def test_a_birth_date_after_today_is_refused(value: str) -> None:
    parsed = parse_id_number(value, today=TODAY)
    day_before = date.fromordinal(parsed.birth_date.toordinal() - 1)
    assert _message(value, today=day_before) == "出生日期不能晚于今天"
