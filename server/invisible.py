"""Characters nobody sees: control characters (a NUL, a line break) and format characters (a
right-to-left override, a zero-width space). A name, an area or a file name that is printed on a
pass or shown to the guard must hold none: a NUL is refused by PostgreSQL, an override turns the
words around."""

from __future__ import annotations

import unicodedata

__all__ = ["has_invisible", "without_invisible"]

INVISIBLE = ("Cc", "Cf")  # Unicode's general categories: control, format


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in INVISIBLE


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds a control or format character."""
    return any(_invisible(c) for c in text)


def without_invisible(text: str) -> str:
    """``text`` with its control and format characters left out."""
    return "".join(c for c in text if not _invisible(c))
