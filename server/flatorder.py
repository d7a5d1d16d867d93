"""The order clerks read flats in ("2" before "10", "B2" before "B10"), as text a database sorts.

Lists of flats are paged by the database (ORDER BY, LIMIT, OFFSET), and no SQL collation
sorts numbers inside text. So each household stores ``flat_order``: its building, unit and
room turned into a string of ASCII digits whose plain order is the natural order of
``server.web.board.natural`` applied to (building, unit, room). Only digits, so SQLite's byte
order and any PostgreSQL collation agree.

The text is split as ``natural`` splits it: text and digit runs alternating, text first. Text is
one ``1`` + seven decimal digits per character (its code point) and a closing ``0``, so a
shorter text sorts first; a digit run is its length in two digits and then the number (no
leading zeros), so a shorter number sorts first; a part ends with ``00``, below any number.
"""

from __future__ import annotations

import re

DIGITS = re.compile(r"(\d+)")
PART_END = "00"


def flat_order(building: str, unit: str, room: str) -> str:
    """The sort key of a flat; equal for flats ``natural`` ranks equal ("07" and "7")."""
    return "".join(_part(text) for text in (building, unit, room))


def _part(text: str) -> str:
    pieces = DIGITS.split(text)
    out = []
    for n, piece in enumerate(pieces):
        out.append(_number(piece) if n % 2 else _text(piece))
    out.append(PART_END)
    return "".join(out)


def _text(text: str) -> str:
    return "".join(f"1{ord(c):07d}" for c in text) + "0"


def _number(digits: str) -> str:
    value = str(int(digits))  # also turns full-width digits ("１２") into ASCII
    return f"{min(len(value), 99):02d}{value}"
