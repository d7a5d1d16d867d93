"""Mainland licence plate grammar (GA 36-2018): which strings are plates, and their normal form.

``parse(text)`` takes what an OCR engine read ("粤B·D1234O", "京a 12345") and returns the
plate in its normal form (no separators, upper case) with its format, or None when the text
is not exactly one plate. Confusable characters are fixed by position only: a slot that takes
a digit turns O, D, Q into 0, I and L into 1, Z into 2, S into 5, G into 6, B into 8; a slot that
takes a letter turns them back; the five-character serial of an ordinary plate never holds I or
O, so those become 1 and 0 there. When the text fits two formats (say, a small and a large
new-energy plate after different fixes) it is refused: a plate the kiosk is not sure of is no
plate. Text that fits a format as read wins over text that fits only after fixes.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FORMATS",
    "LOOKALIKE_GROUPS",
    "PROVINCES",
    "Plate",
    "PlateColour",
    "PlateFormat",
    "lookalikes",
    "next_lookalike",
    "normalize",
    "parse",
    "province",
    "random_plate",
]

# Abbreviation -> name of the province-level division that issues the plate.
PROVINCES: dict[str, str] = {
    "京": "北京", "津": "天津", "沪": "上海", "渝": "重庆", "冀": "河北", "豫": "河南",
    "云": "云南", "辽": "辽宁", "黑": "黑龙江", "湘": "湖南", "皖": "安徽", "鲁": "山东",
    "新": "新疆", "苏": "江苏", "浙": "浙江", "赣": "江西", "鄂": "湖北", "桂": "广西",
    "甘": "甘肃", "晋": "山西", "蒙": "内蒙古", "陕": "陕西", "吉": "吉林", "闽": "福建",
    "贵": "贵州", "粤": "广东", "青": "青海", "藏": "西藏", "川": "四川", "宁": "宁夏",
    "琼": "海南",
}  # fmt: skip


class PlateFormat(StrEnum):
    """The kinds of mainland plate the kiosk reads; the value is what logs and the office store."""

    ORDINARY = "ordinary"  # 7 characters, blue (small cars) or yellow (large vehicles)
    NEW_ENERGY_SMALL = "new_energy_small"  # 8, green gradient: D/F... after the authority letter
    NEW_ENERGY_LARGE = "new_energy_large"  # 8, yellow and green: five digits then D/F...
    COACH = "coach"  # yellow, ends in 学 (driving-school car)
    TRAILER = "trailer"  # yellow, ends in 挂
    POLICE = "police"  # white, ends in a red 警
    CONSULATE = "consulate"  # black, ends in 领
    HONG_KONG = "hong_kong"  # black, 粤Z ... 港
    MACAU = "macau"  # black, 粤Z ... 澳
    EMBASSY = "embassy"  # black, starts with a red 使


class PlateColour(StrEnum):
    """Background colour of a plate (the text alone cannot tell blue from yellow ordinary ones)."""

    BLUE = "blue"
    YELLOW = "yellow"
    GREEN = "green"  # small new-energy: a white-to-green gradient
    YELLOW_GREEN = "yellow_green"  # large new-energy
    WHITE = "white"
    BLACK = "black"


@dataclass(frozen=True, slots=True)
class Plate:
    """A plate string in normal form and the format it fits."""

    text: str
    format: PlateFormat

    @property
    def colours(self) -> tuple[PlateColour, ...]:
        """The background colours a plate of this format may have, the commonest first."""
        return COLOURS[self.format]


_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # the 24 letters plates use: never I or O
_ENERGY = "DABCEFGHJK"  # new-energy type letter: D A B C E pure electric, F G H J K others

# Slot classes: each one is (the characters it takes, the fixes applied to a character it does not).
_TO_DIGIT = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6",
             "B": "8"}  # fmt: skip
_TO_LETTER = {"0": "D", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"}
_SLOTS: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "P": (frozenset(PROVINCES), {}),
    "L": (frozenset(_LETTERS), _TO_LETTER),
    "A": (frozenset(_LETTERS + _DIGITS), {"O": "0", "I": "1"}),
    "N": (frozenset(_DIGITS), _TO_DIGIT),
    "E": (frozenset(_ENERGY), {"0": "D"}),  # only D, the commonest: 8 or 6 may be a digit too many
    "Z": (frozenset("Z"), {"2": "Z"}),
}

# Characters a reader takes for one another even where each fits its slot (an 8 for a B in a
# serial that takes both): one plate read consistently wrong may be another, real plate.
LOOKALIKE_GROUPS = ("0DQ", "8B", "5S", "2Z", "6G", "1L", "4A")

# What the recogniser makes of a plate's last character at times; fixed in that slot only
# (桂 is a province, but no format ends in one; 锁 for 领 and 桂 for 挂 at 8 m with mud).
_LOOKALIKES = {
    "额": "领", "颌": "领", "令": "领", "锁": "领",
    "拄": "挂", "佳": "挂", "桂": "挂",
    "敬": "警", "荸": "学",
}  # fmt: skip

# Each format as one slot class or literal character per position.
FORMATS: dict[PlateFormat, tuple[str, ...]] = {
    PlateFormat.ORDINARY: ("P", "L", "A", "A", "A", "A", "A"),
    PlateFormat.NEW_ENERGY_SMALL: ("P", "L", "E", "A", "N", "N", "N", "N"),
    PlateFormat.NEW_ENERGY_LARGE: ("P", "L", "N", "N", "N", "N", "N", "E"),
    PlateFormat.COACH: ("P", "L", "A", "A", "A", "A", "学"),
    PlateFormat.TRAILER: ("P", "L", "A", "A", "A", "A", "挂"),
    PlateFormat.POLICE: ("P", "L", "A", "A", "A", "A", "警"),
    PlateFormat.CONSULATE: ("P", "L", "N", "N", "N", "N", "领"),
    PlateFormat.HONG_KONG: ("粤", "Z", "A", "A", "A", "A", "港"),
    PlateFormat.MACAU: ("粤", "Z", "A", "A", "A", "A", "澳"),
    PlateFormat.EMBASSY: ("使", "N", "N", "N", "N", "N", "N"),
}

COLOURS: dict[PlateFormat, tuple[PlateColour, ...]] = {
    PlateFormat.ORDINARY: (PlateColour.BLUE, PlateColour.YELLOW),
    PlateFormat.NEW_ENERGY_SMALL: (PlateColour.GREEN,),
    PlateFormat.NEW_ENERGY_LARGE: (PlateColour.YELLOW_GREEN,),
    PlateFormat.COACH: (PlateColour.YELLOW,),
    PlateFormat.TRAILER: (PlateColour.YELLOW,),
    PlateFormat.POLICE: (PlateColour.WHITE,),
    PlateFormat.CONSULATE: (PlateColour.BLACK,),
    PlateFormat.HONG_KONG: (PlateColour.BLACK,),
    PlateFormat.MACAU: (PlateColour.BLACK,),
    PlateFormat.EMBASSY: (PlateColour.BLACK,),
}

# What OCR puts between a plate's characters, or around it; dropped before matching.
_SEPARATORS = frozenset(" \t\n·•・.-_:|'\"")
_MAX_INPUT = 32  # longer text is a sign or a slogan, not a plate


def parse(text: str) -> Plate | None:
    """The one plate ``text`` reads as, in normal form, or None (no format, or more than one)."""
    chars = _clean(text)
    if chars is None:
        return None
    exact: list[Plate] = []
    fixed: list[Plate] = []
    for kind, slots in FORMATS.items():
        match = _match(chars, slots)
        if match is not None:
            (exact if match == chars else fixed).append(Plate(match, kind))
    found = exact or fixed
    return found[0] if len(found) == 1 else None


def normalize(text: str) -> str | None:
    """The plate ``text`` reads as, in normal form ("京A12345"), or None."""
    plate = parse(text)
    return plate.text if plate is not None else None


def lookalikes(plate: str) -> frozenset[str]:
    """The plates (normal form) that differ from ``plate`` in one look-alike character: what a
    car the reader took for ``plate`` may really carry. ``plate`` itself is not among them."""
    found = set()
    for at, char in enumerate(plate):
        for group in LOOKALIKE_GROUPS:
            if char not in group:
                continue
            for other in group.replace(char, ""):
                candidate = plate[:at] + other + plate[at + 1 :]
                if _exact(candidate):
                    found.add(candidate)
    return frozenset(found)


def next_lookalike(plate: str, at: int) -> str:
    """``plate`` with its character at ``at`` turned into the next of its look-alikes (8 → B →
    8, 0 → D → Q → 0) that still makes a plate: how the guard corrects a misread one."""
    char = plate[at]
    group = next((g for g in LOOKALIKE_GROUPS if char in g), char)
    start = group.index(char)
    for step in range(1, len(group)):
        candidate = plate[:at] + group[(start + step) % len(group)] + plate[at + 1 :]
        if _exact(candidate):
            return candidate
    return plate


def _exact(text: str) -> bool:
    return any(_match(text, slots) == text for slots in FORMATS.values())


def province(plate: str) -> str | None:
    """The name of the province that issued ``plate`` (normal form), or None (embassy plates)."""
    return PROVINCES.get(plate[:1])


def random_plate(kind: PlateFormat, rng: random.Random) -> str:
    """A plate of format ``kind`` drawn from its slots (tests, the simulator and the bench)."""
    chars = []
    for slot in FORMATS[kind]:
        allowed = _SLOTS[slot][0] if slot in _SLOTS else frozenset(slot)
        chars.append(rng.choice(sorted(allowed)))
    return "".join(chars)


def _clean(text: str) -> str | None:
    if len(text) > _MAX_INPUT:
        return None
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in folded if c not in _SEPARATORS)


def _match(chars: str, slots: tuple[str, ...]) -> str | None:
    if len(chars) != len(slots):
        return None
    out = []
    for char, slot in zip(chars, slots, strict=True):
        fixed = _fit(char, slot)
        if fixed is None:
            return None
        out.append(fixed)
    return "".join(out)


def _fit(char: str, slot: str) -> str | None:
    if slot not in _SLOTS:  # a literal: 学, 警, 粤 ...
        return slot if slot in (char, _LOOKALIKES.get(char)) else None
    allowed, fixes = _SLOTS[slot]
    if char in allowed:
        return char
    fixed = fixes.get(char)
    return fixed if fixed in allowed else None
