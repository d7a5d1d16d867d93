"""Masking of personal data before it reaches a screen.

The kiosk already masks names (``PersonView.masked_name``); these helpers are the UI's own
guard so that a phone number or a full name never appears on the glass in full.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
# Runs of 7 or more digits (optionally with spaces/dashes and a leading +) look like phone numbers.
_PHONE_RUN = re.compile(r"\+?\d[\d -]{5,}\d")


def mask_phone(phone: str) -> str:
    """138****5678: keep the first 3 and last 4 digits of a phone number, star the rest."""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_phones_in(text: str) -> str:
    """Replace every phone-number-like run of digits inside free text by its masked form."""
    return _PHONE_RUN.sub(_mask_run, text)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    return mask_phone(run) if len(_DIGITS.findall(run)) >= 7 else run


def mask_name(name: str) -> str:
    """王*华 / 王* / J*** S****: keep the first and last character, star the middle.

    Two-character names keep only the first; Latin names mask each word after its initial.
    """
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def looks_masked(name: str) -> bool:
    """Whether a display name already hides part of itself (contains a star) or is tiny."""
    return "*" in name or len(name.strip()) <= 1
