"""A licence plate typed by a resident or clerk: its normal form, or which character is wrong.

The normal form is what the kiosk's plate reader produces and the vehicle lane looks up
(kiosk/vehicles/model.py): no spaces or dots, letters upper case ("京A12345", "粤BD12345").
Until the plate grammar (kiosk.plates.formats) is on main this is a minimal check of the
mainland layout: a province, the issuing letter, then five letters or digits (six on a
new-energy plate) without I or O, of which the last may be a suffix such as 学 or 警.
"""

from __future__ import annotations

import unicodedata

from server.exc import Refused

PROVINCES = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
SUFFIXES = frozenset("学警挂领港澳试超使")
LETTERS = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ")  # I and O are never used: they read as 1 and 0
DIGITS = frozenset("0123456789")
SEPARATORS = str.maketrans("", "", " ·•・.-")
LENGTHS = (7, 8)  # blue, yellow and suffix plates; green new-energy plates


class PlateRefused(Refused):
    """A plate that is not a mainland plate, naming the character that is wrong."""


def normal_plate(text: str) -> str:
    """``text`` as a plate in normal form, or PlateRefused naming the slot that is wrong."""
    plate = unicodedata.normalize("NFKC", text).translate(SEPARATORS).upper()
    if not plate:
        raise PlateRefused("plate.err.empty", "the plate is empty")
    if plate[0] not in PROVINCES:
        raise PlateRefused(
            "plate.err.province",
            "character 1 must be a province's short name (京, 粤, 沪 …), not {char}",
            char=plate[0],
        )
    if len(plate) not in LENGTHS:
        raise PlateRefused(
            "plate.err.length",
            "a plate has 7 characters (8 for a green new-energy plate), not {n}",
            n=len(plate),
        )
    if plate[1] not in LETTERS:
        raise PlateRefused(
            "plate.err.authority", "character 2 must be a letter (A-Z), not {char}", char=plate[1]
        )
    for slot, char in enumerate(plate[2:], start=3):
        _check_serial(slot, char, last=slot == len(plate))
    return plate


def _check_serial(slot: int, char: str, *, last: bool) -> None:
    if char in LETTERS or char in DIGITS or (last and char in SUFFIXES):
        return
    if char in "OI":
        digit = "0" if char == "O" else "1"
        raise PlateRefused(
            f"plate.err.letter_{char.lower()}",
            "character {slot} cannot be the letter {char} (write the digit {digit})",
            slot=slot,
            char=char,
            digit=digit,
        )
    raise PlateRefused(
        "plate.err.char",
        "character {slot} must be a letter or digit, not {char}",
        slot=slot,
        char=char,
    )
