"""Loading what a page names, or a 404 page."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from server.web.errors import PageNotFound

T = TypeVar("T")


def get_or_404(session: Session, model: type[T], key: Any) -> T:
    row = session.get(model, key)
    if row is None:
        raise PageNotFound("err.not_found")
    return row


def int_or_404(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise PageNotFound("err.not_found")
    return int(text)
