"""How offices write a flat and a phone number, reduced to the one form the database keeps.

A flat is "3", "2", "501" whether a sheet says "3号楼 / 2单元 / 501室", "3栋 2单元 501", or
"3-2-501" in one cell; a phone is "13800138000" whether typed "+86 138-0013-8000", "0086
13800138000" or "138 0013 8000". Comparing only reduced forms is what lets the importer and
the sign-up's duplicate check see that two spellings are one flat, or one person.
Text reaches here already NFKC-normalised (full-width digits are plain digits).
"""

from __future__ import annotations

import re

# Words that follow the number: 3号楼, 3栋, 3幢, 2单元, 501室, 501号.
SUFFIXES = {
    "building": ("号楼", "栋", "幢", "楼", "号"),
    "unit": ("单元",),
    "room": ("室", "号", "房"),
}
PART = r"([0-9A-Za-z]{1,8})"
WHOLE_FLAT = re.compile(
    rf"{PART}(?:号楼|栋|幢|号)?\s*[/\-—–_\s]?\s*{PART}(?:单元)?\s*[/\-—–_\s]?\s*{PART}(?:室|号|房)?"
)
SEPARATORS = re.compile(r"[\s\-()（）.]")


def flat_part(kind: str, text: str) -> str:
    """``kind`` ("building", "unit", "room") without the word after its number: 2号楼 -> 2."""
    word = text.strip()
    for suffix in SUFFIXES[kind]:
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)].strip()
    return word


def whole_flat(text: str) -> tuple[str, str, str] | None:
    """Building, unit and room from one cell ("2号楼/1单元/502室", "2-1-502"), else None."""
    found = WHOLE_FLAT.fullmatch(text.strip())
    if found is None:
        return None
    building, unit, room = found.groups()
    return building, unit, room


def phone_digits(text: str) -> str:
    """The number without spaces, dashes, brackets or China's +86 / 0086 / 86 prefix."""
    digits = SEPARATORS.sub("", text or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    if len(digits) == 13 and digits.startswith("861"):  # 86 then a mobile number
        return digits[2:]
    return digits
