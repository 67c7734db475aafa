"""Mainland resident identity card numbers (公民身份号码), GB 11643-1999.

An 18-character number: 6 digits of the administrative division where it was first issued (the first
two are the province), 8 digits of birth date (YYYYMMDD), 3 digits of sequence (odd for men, even for
women) and a check character computed with ISO 7064 MOD 11-2 (``0``-``9`` or ``X`` for ten).

``parse_id_number`` normalises what people actually type (spaces, full-width digits, lower-case x)
and refuses a wrong number with a message that names the exact problem. The county code is not
checked against a list: divisions are renamed and merged every year and old cards stay valid.

Pure Python apart from Django's gettext, so that any layer may import it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from xinshimin.core.errors import ValidationFailed

ID_NUMBER_LENGTH = 18

# ISO 7064 MOD 11-2: weight of position i (0-based, left to right) is 2**(17 - i) mod 11.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)

# The 34 provincial-level divisions (GB/T 2260), incl. Taiwan, Hong Kong and Macao.
PROVINCE_CODES: dict[str, str] = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
}

# Where most of Rui'an's new citizens come from, most frequent first.
MIGRANT_HOME_PROVINCES: tuple[str, ...] = ("52", "51", "36", "34", "41", "43", "42", "53", "50", "45")

# A few real county-level division codes per home province, for demo and test data:
# one line per province, in this order:
#   Guizhou: 南明, 云岩, 花溪, 钟山, 红花岗, 西秀, 七星关, 毕节(旧), 黔西(旧), 凯里, 都匀
#   Sichuan: 锦江, 青羊, 武侯, 三台, 射洪, 南部, 营山, 邻水, 通川, 巴州
#   Jiangxi: 东湖, 南昌县, 安源, 修水, 章贡, 于都, 兴国, 信州, 余干
#   Anhui: 瑶海, 蜀山, 长丰, 怀远, 怀宁, 临泉, 太和, 阜南, 砀山, 舒城, 谯城
#   Henan: 中原, 金水, 杞县, 孟津, 源汇, 南召, 民权, 罗山, 商水, 上蔡
#   Hunan: 芙蓉, 岳麓, 长沙县, 湘潭县, 衡阳县, 邵东, 岳阳县, 安乡, 桂阳, 祁阳
#   Hubei: 江岸, 武昌, 阳新, 郧县(旧), 枣阳, 孝昌, 公安, 团风, 蕲春, 嘉鱼
#   Yunnan: 五华, 盘龙, 马龙, 江川, 施甸, 昭阳, 鲁甸, 楚雄, 个旧
#   Chongqing: 万州, 涪陵, 渝中, 沙坪坝, 渝北, 梁平, 城口, 垫江, 忠县, 云阳, 奉节
#   Guangxi: 兴宁, 青秀, 柳江, 阳朔, 苍梧, 合浦, 平南, 容县, 田阳, 昭平
_COUNTY_TABLE = """
520102 520103 520111 520201 520302 520402 520502 522401 522423 522601 522701
510104 510105 510107 510722 510922 511321 511322 511623 511702 511902
360102 360121 360302 360424 360702 360731 360732 361102 361127
340102 340104 340121 340321 340822 341221 341222 341225 341321 341523 341602
410102 410105 410221 410322 411102 411321 411421 411521 411623 411722
430102 430104 430121 430321 430421 430521 430621 430721 431021 431121
420102 420106 420222 420321 420683 420921 421022 421121 421126 421221
530102 530103 530321 530421 530521 530602 530621 532301 532501
500101 500102 500103 500106 500112 500228 500229 500231 500233 500235 500236
450102 450103 450221 450321 450421 450521 450821 450921 451021 451121
"""
COUNTY_CODES: dict[str, tuple[str, ...]] = {
    line[:2]: tuple(line.split()) for line in _COUNTY_TABLE.strip().splitlines()
}

# Full-width digits and X/x → ASCII; every kind of space is dropped.
_NORMALISE = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "Ｘ": "X", "ｘ": "X", "x": "X"})
_SPACES = frozenset(" \t\r\n\u00a0\u3000\u2002\u2003\u2009\u200b")

_EARLIEST_BIRTH_YEAR = 1800
_CHINA_TZ = ZoneInfo("Asia/Shanghai")

Sex = Literal["M", "F"]


class InvalidIdNumber(ValidationFailed):
    """The text is not a valid 18-character mainland ID number."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, field="id_number", **details)


@dataclass(frozen=True)
class IdNumber:
    """A checked ID number and what it says. ``repr`` never shows the full number."""

    value: str = field(repr=False)
    birth_date: date
    sex: Sex
    province_code: str

    def __str__(self) -> str:
        return self.value

    @property
    def masked(self) -> str:
        return self.value[:6] + "*" * 8 + self.value[-4:]

    @property
    def county_code(self) -> str:
        return self.value[:6]

    def age_on(self, as_of: date) -> int:
        """Full years at ``as_of`` (the rules' definition of age)."""
        birth = self.birth_date
        return as_of.year - birth.year - (1 if (as_of.month, as_of.day) < (birth.month, birth.day) else 0)


def normalise_id_number(raw: str) -> str:
    """Drop spaces, turn full-width characters into ASCII and ``x`` into ``X``. Does not validate."""
    return "".join(ch for ch in (raw or "") if ch not in _SPACES).translate(_NORMALISE)


def id_number_checksum(first17: str) -> str:
    """The check character (``0``-``9`` or ``X``) for the first 17 digits, ISO 7064 MOD 11-2."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("id_number_checksum needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _china_today() -> date:
    return datetime.now(_CHINA_TZ).date()


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Normalise and check an ID number; raise ``InvalidIdNumber`` naming the first problem found.

    Checks, in order: length, digits, province, birth date (exists, not in the future), check character.
    ``today`` is the date against which a birth date in the future is refused (default: today in China).
    """
    value = normalise_id_number(raw)
    if not value:
        raise InvalidIdNumber(_("请输入18位身份证号码。"))
    if len(value) != ID_NUMBER_LENGTH:
        if len(value) == 15 and value.isascii() and value.isdigit():
            raise InvalidIdNumber(
                _("身份证号码应为18位，您输入了15位（这是旧版15位号码，请输入现行的18位号码）")
            )
        raise InvalidIdNumber(
            _("身份证号码应为18位，您输入了%(count)d位") % {"count": len(value)}, length=len(value)
        )
    for position, char in enumerate(value[:17], start=1):
        if not ("0" <= char <= "9"):
            raise InvalidIdNumber(_("第%(position)d位应为数字") % {"position": position}, position=position)
    if not ("0" <= value[17] <= "9" or value[17] == "X"):
        raise InvalidIdNumber(_("第18位应为数字或 X"), position=18)

    province = value[:2]
    if province not in PROVINCE_CODES:
        raise InvalidIdNumber(
            _("前两位 %(code)s 不是有效的省级行政区划代码") % {"code": province}, province_code=province
        )

    birth_text = value[6:14]
    try:
        birth_date = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise InvalidIdNumber(_("出生日期 %(date)s 不存在") % {"date": birth_text}) from None
    if birth_date.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber(_("出生日期 %(date)s 不合理，请核对第7至14位") % {"date": birth_text})
    if birth_date > (today or _china_today()):
        raise InvalidIdNumber(_("出生日期不能晚于今天"))

    expected = id_number_checksum(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(
            _("第18位校验码应为 %(expected)s，您输入的是 %(given)s。请核对各位数字是否输错。")
            % {"expected": expected, "given": value[17]}
        )
    sex: Sex = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth_date, sex=sex, province_code=province)


def is_valid_id_number(raw: str, *, today: date | None = None) -> bool:
    try:
        parse_id_number(raw, today=today)
    except InvalidIdNumber:
        return False
    return True


def random_valid_id_number(
    rng: random.Random,
    *,
    province_codes: tuple[str, ...] | list[str] = MIGRANT_HOME_PROVINCES,
    birth_from: date,
    birth_to: date,
    sex: Sex | None = None,
) -> str:
    """A valid, real-looking ID number for demo and test data (never a real person's on purpose).

    The county is drawn from ``COUNTY_CODES`` (or ``<province>0102`` for a province without a list),
    the birth date uniformly from ``birth_from``..``birth_to`` inclusive, the sequence matches ``sex``.
    """
    if birth_to < birth_from:
        raise ValueError("birth_to must not be before birth_from")
    province = rng.choice(list(province_codes))
    if province not in PROVINCE_CODES:
        raise ValueError(f"unknown province code {province!r}")
    county = rng.choice(COUNTY_CODES.get(province, (f"{province}0102",)))
    birth = birth_from + timedelta(days=rng.randint(0, (birth_to - birth_from).days))
    chosen_sex = sex or rng.choice(("M", "F"))
    sequence = rng.randrange(0, 100) * 10 + rng.choice(
        (1, 3, 5, 7, 9) if chosen_sex == "M" else (0, 2, 4, 6, 8)
    )
    first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_checksum(first17)
