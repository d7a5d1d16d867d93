"""Words on the office pages: catalogues in ``locale/*.json`` (Chinese first, English too).

Each file maps a message key to ``{"zh-CN": ..., "en": ...}``; every file in the folder is
merged, so each area of the app keeps its own catalogue. A key missing from a language, or
defined twice, is an error when the catalogue loads (and a test loads it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
COOKIE = "office_lang"
LOCALE = Path(__file__).with_name("locale")


class CatalogueError(ValueError):
    """A catalogue file is malformed, misses a language or repeats a key."""


@cache
def catalogue(folder: Path = LOCALE) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, words in entries.items():
            if key in merged:
                raise CatalogueError(f"{path.name}: key {key!r} is already defined")
            missing = [lang for lang in LANGUAGES if not isinstance(words.get(lang), str)]
            if missing:
                raise CatalogueError(f"{path.name}: {key!r} has no {', '.join(missing)} text")
            merged[key] = words
    return merged


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def translator(lang: str) -> Callable[..., str]:
    """``t("key", name=...)`` in ``lang``; an unknown key shows as itself, marked."""
    words = catalogue()

    def t(key: str, **values: Any) -> str:
        entry = words.get(key)
        if entry is None:
            return f"⟦{key}⟧"
        text = entry[lang]
        return text.format(**values) if values else text

    return t
