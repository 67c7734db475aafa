from __future__ import annotations

import pytest

from xinshimin.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马相如", "司马**"),
        ("欧阳修", "欧阳*"),
        ("欧阳", "欧*"),  # a two-character name is surname + given name, even if it spells 欧阳
        ("李", "李*"),  # never shown whole
        ("  王五 ", "王*"),
        ("阿依古丽·买买提", "阿*******"),
        ("", ""),
    ],
)
def test_mask_name_keeps_only_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("330381199001011234", "330381********1234"),
        ("33038119900101123X", "330381********123X"),
        ("330381900101123", "330381*****1123"),  # old 15-digit number
        ("123456789", "*********"),  # too short to show anything
    ],
)
def test_mask_id_number_keeps_at_most_first_six_and_last_four(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked
    assert len(mask_id_number(id_number)) == len(id_number)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("0577-65812345", "057******2345"), ("123456", "******")],
)
def test_mask_phone_keeps_first_three_and_last_four(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
