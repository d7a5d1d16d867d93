"""A malformed request's refusal in the page's language: which field, and what is wrong with it.

FastAPI's own messages ("Input should be a valid integer, unable to parse string as an
integer") are for developers; a clerk who edited a link, or a form sent twice from an old
page, reads the catalogue's words instead, with the field's label where the office has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

WORDS = {  # pydantic error type -> catalogue key
    "int_parsing": "err.v.number",
    "int_type": "err.v.number",
    "int_from_float": "err.v.number",
    "string_too_long": "err.v.too_long",
    "too_long": "err.v.too_many",
    "greater_than": "err.v.range",
    "greater_than_equal": "err.v.range",
    "less_than": "err.v.range",
    "less_than_equal": "err.v.range",
    "missing": "err.v.missing",
    "date_parsing": "err.v.day",
    "date_from_datetime_parsing": "err.v.day",
    "string_pattern_mismatch": "err.v.choice",
    "enum": "err.v.choice",
    "literal_error": "err.v.choice",
}


def refusal_words(
    errors: Iterable[Mapping[str, Any]], labels: Mapping[str, str], t: Callable[..., str]
) -> str:
    """Each problem as a sentence: ``“楼栋”太长，最多 40 个字``."""
    said = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ())[1:2]]
        name = location[0] if location else "?"
        field = t(labels[name]) if name in labels else name
        limit = (error.get("ctx") or {}).get("max_length", "")
        said.append(t(WORDS.get(str(error.get("type")), "err.v.invalid"), field=field, limit=limit))
    return "；".join(dict.fromkeys(said))
