"""The mainland plate grammar: what is a plate, its normal form, and confusables fixed by slot."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.plates.formats import (
    COLOURS,
    FORMATS,
    PROVINCES,
    PlateColour,
    PlateFormat,
    lookalikes,
    normalize,
    parse,
    province,
    random_plate,
)

EVERY_FORMAT = [
    ("京A12345", PlateFormat.ORDINARY),
    ("粤BD12345", PlateFormat.NEW_ENERGY_SMALL),
    ("粤BFA1234", PlateFormat.NEW_ENERGY_SMALL),
    ("粤B12345D", PlateFormat.NEW_ENERGY_LARGE),
    ("鲁B1234学", PlateFormat.COACH),
    ("冀A1234挂", PlateFormat.TRAILER),
    ("沪A0001警", PlateFormat.POLICE),
    ("沪A1234领", PlateFormat.CONSULATE),
    ("粤Z1234港", PlateFormat.HONG_KONG),
    ("粤ZA123澳", PlateFormat.MACAU),
    ("使014578", PlateFormat.EMBASSY),
]


@pytest.mark.parametrize(("text", "kind"), EVERY_FORMAT)
def test_every_format_is_read_as_itself(text: str, kind: PlateFormat) -> None:
    plate = parse(text)
    assert plate is not None
    assert (plate.text, plate.format) == (text, kind)


def test_every_format_is_in_the_table() -> None:
    assert {kind for _, kind in EVERY_FORMAT} == set(PlateFormat) == set(FORMATS) == set(COLOURS)


@pytest.mark.parametrize(
    ("read", "plate"),
    [
        ("京A·12345", "京A12345"),  # the dot and spaces OCR keeps
        ("京a 12345", "京A12345"),
        ("京Ａ１２３４５", "京A12345"),  # full-width
        ("京A1234O", "京A12340"),  # O is never in a serial: it is 0
        ("京AI2345", "京A12345"),  # nor I: it is 1
        ("京8I2345", "京B12345"),  # the issuing authority is a letter: 8 is B
        ("京0I2345", "京D12345"),
        ("粤BD1234O", "粤BD12340"),  # new-energy: the last four are digits
        ("粤B0AS234", "粤BDA5234"),  # new-energy type letter: 0 is D; a digit slot's S is 5
        ("粤BDA34SB", "粤BDA3458"),
        ("粤B1234SD", "粤B12345D"),
        ("沪A1234领", "沪A1234领"),
        ("沪A1234额", "沪A1234领"),  # the recogniser's 额 for the last character only
        ("吉J5613锁", "吉J5613领"),
        ("青RCM2A桂", "青RCM2A挂"),  # a province's character, but no plate ends in one
        ("使O14578", "使014578"),
    ],
)
def test_confusables_are_fixed_by_position(read: str, plate: str) -> None:
    assert normalize(read) == plate


@pytest.mark.parametrize(
    "text",
    [
        "",
        "北京欢迎你",
        "小区出入口 减速慢行",
        "A12345",  # no province
        "京12345",  # no issuing authority
        "京A1234",  # too short
        "京A123456",  # too long for an ordinary plate, wrong for new-energy
        "京I12345",  # I is never an authority letter
        "港A12345",  # 港 is not a province
        "京A1234港",  # 港 only after 粤Z
        "粤BD1234D",  # small new-energy (last D as 0) or large (first D as 0): refused
        "粤BDZ34SB",  # small (粤BDZ3458) or large (粤B02345B) after fixes: refused
        "京A123456",  # an extra digit is not a new-energy type letter
        "额A12345",  # look-alikes count in the last slot only
        "京桂12345",  # nor as an issuing authority
        "京A12345" * 5,  # a long text is a sign, not a plate
    ],
)
def test_text_that_is_not_exactly_one_plate_is_refused(text: str) -> None:
    assert parse(text) is None


def test_an_exact_reading_wins_over_one_that_needs_fixes() -> None:
    # 粤BD12340 is a small new-energy plate as read; read as a large one (粤B01234D) it would
    # need two fixes.
    plate = parse("粤BD12340")
    assert plate is not None and plate.format is PlateFormat.NEW_ENERGY_SMALL


def test_province_names() -> None:
    assert len(PROVINCES) == 31
    assert province("京A12345") == "北京"
    assert province("蒙A12345") == "内蒙古"
    assert province("使014578") is None


def test_colours_of_each_format() -> None:
    assert parse("京A12345").colours == (PlateColour.BLUE, PlateColour.YELLOW)  # type: ignore[union-attr]
    assert COLOURS[PlateFormat.POLICE] == (PlateColour.WHITE,)
    assert COLOURS[PlateFormat.NEW_ENERGY_LARGE] == (PlateColour.YELLOW_GREEN,)


@given(st.sampled_from(list(PlateFormat)), st.integers(0, 2**32))
def test_every_generated_plate_is_its_own_normal_form(kind: PlateFormat, seed: int) -> None:
    text = random_plate(kind, random.Random(seed))
    plate = parse(text)
    assert plate is not None and (plate.text, plate.format) == (text, kind)


@given(st.sampled_from(list(PlateFormat)), st.integers(0, 2**32), st.sampled_from(" ·-.•"))
def test_separators_and_case_do_not_change_the_plate(
    kind: PlateFormat, seed: int, sep: str
) -> None:
    text = random_plate(kind, random.Random(seed))
    spaced = text[:2] + sep + text[2:].lower()
    assert normalize(spaced) == text


@given(st.text(max_size=12))
def test_normal_forms_are_stable_and_never_hold_i_or_o(text: str) -> None:
    plate = normalize(text)
    if plate is not None:
        assert normalize(plate) == plate
        assert "I" not in plate and "O" not in plate


@given(st.text(alphabet="京粤沪使ABDOIQSZ0125689学警港领 ·", max_size=10))
def test_a_normal_form_matches_its_format_slot_by_slot(text: str) -> None:
    plate = parse(text)
    if plate is not None:
        slots = FORMATS[plate.format]
        assert len(plate.text) == len(slots)
        assert parse(plate.text) == plate


@pytest.mark.parametrize(
    ("plate", "expected"),
    [
        # 8/B, 5/S ... where the slot takes both; never an invalid plate (京412348), never itself
        ("京A12348", {"京A1234B", "京A123A8", "京A1Z348", "京AL2348"}),
        ("京AD12345", {"京ADL2345"}),  # D in the energy slot has no look-alike there
        ("使123456", set()),  # digits only: no letter to mistake
    ],
)
def test_lookalikes_are_valid_plates_one_lookalike_character_away(
    plate: str, expected: set[str]
) -> None:
    assert lookalikes(plate) == expected


@given(st.sampled_from(sorted(FORMATS)), st.integers(0, 10_000))
def test_lookalikes_are_plates_in_normal_form(kind: PlateFormat, seed: int) -> None:
    plate = random_plate(kind, random.Random(seed))
    for other in lookalikes(plate):
        assert normalize(other) == other != plate
        assert sum(a != b for a, b in zip(plate, other, strict=True)) == 1
