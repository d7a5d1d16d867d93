"""argparse types for ``kiosk-server``: values checked where they are typed, so a mistake is
a message naming the option (``argument --days: ...``), never a traceback or a pass born expired.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from server.importer import normalise_phone

IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # part of the office's links as it is


def ident(text: str) -> str:
    """A compound or household id: it appears as it is in the office's page addresses."""
    if not IDENT.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not 1 to 64 letters, digits, '-', '_' or '.' (starting with a letter "
            "or digit); it becomes part of the office's links"
        )
    return text


def count(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from {low} to {high}")
        return value

    return parse


def amount(high: float) -> Callable[[str], float]:
    """An argparse type: a number more than 0 and at most ``high`` (no nan, no inf)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value <= high:  # false for nan too
            raise argparse.ArgumentTypeError(
                f"{text!r}: give a number more than 0 and at most {high:g}"
            )
        return value

    return parse


def phone(text: str) -> str:
    try:
        return normalise_phone(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
