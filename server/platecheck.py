"""A licence plate typed by a resident or clerk, or listed in the city's file: its normal form,
or which character is wrong.

The grammar is the kiosk's own (``kiosk.plates.formats``), so the office stores exactly what the
car gate's reader produces and looks up. The reader fixes confusable characters by position (an
O where a digit belongs is a 0); a person typing is told instead, naming the character
("第5位不能是字母O"), so a typo is corrected by whoever made it rather than guessed at.
"""

from __future__ import annotations

import unicodedata

from kiosk.plates.formats import FORMATS, PROVINCES, parse
from server.exc import Refused

SEPARATORS = str.maketrans("", "", " \t·•・.-_")
LENGTHS = sorted({len(slots) for slots in FORMATS.values()})
EMBASSY = "使"


class PlateRefused(Refused):
    """A plate that is not a mainland plate, naming the character that is wrong."""


def normal_plate(text: str) -> str:
    """``text`` as a plate in normal form, or PlateRefused naming the slot that is wrong."""
    typed = _visible(unicodedata.normalize("NFKC", text)).translate(SEPARATORS).upper()
    plate = parse(typed)
    if plate is None:
        raise _why_not(typed)
    for slot, (char, meant) in enumerate(zip(typed, plate.text, strict=True), start=1):
        if char != meant:
            raise _misread(slot, char, meant)
    return plate.text


def _visible(text: str) -> str:
    """``text`` without what nobody sees: any space or line break, and the zero-width
    characters a plate copied from a web page or another system brings along (a zero-width
    space, a byte-order mark, a left-to-right mark), which a refusal could only name as “”."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")


def _misread(slot: int, char: str, meant: str) -> PlateRefused:
    """A character the grammar would read as another one in its place (O for 0, I for 1)."""
    if char in "OI" and meant.isdigit():
        return PlateRefused(
            f"plate.err.letter_{char.lower()}",
            "character {slot} cannot be the letter {char} (write the digit {digit})",
            slot=slot,
            char=char,
            digit=meant,
        )
    return PlateRefused(
        "plate.err.slot",
        "character {slot} must be {meant}, not {char}",
        slot=slot,
        char=char,
        meant=meant,
    )


def _why_not(typed: str) -> PlateRefused:
    """The first thing wrong with text that is no plate, for the person who typed it."""
    if not typed:
        return PlateRefused("plate.err.empty", "the plate is empty")
    if typed[0] not in PROVINCES and typed[0] != EMBASSY:
        return PlateRefused(
            "plate.err.province",
            "character 1 must be a province's short name (京, 粤, 沪 …), not {char}",
            char=typed[0],
        )
    if len(typed) not in LENGTHS:
        return PlateRefused(
            "plate.err.length",
            "a plate has 7 characters (8 for a green new-energy plate), not {n}",
            n=len(typed),
        )
    if typed[0] != EMBASSY and not ("A" <= typed[1] <= "Z"):
        return PlateRefused(
            "plate.err.authority", "character 2 must be a letter (A-Z), not {char}", char=typed[1]
        )
    for slot, char in enumerate(typed[2:-1], start=3):
        if not (char.isascii() and char.isalnum()):
            return PlateRefused(
                "plate.err.char",
                "character {slot} must be a letter or digit, not {char}",
                slot=slot,
                char=char,
            )
    return PlateRefused(
        "plate.err.format",
        "{text} is no mainland plate (such as 京A12345 or 粤BD12345)",
        text=typed,
    )
