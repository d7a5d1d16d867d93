"""One page of a long list: which rows to fetch, what "51–100 of 5,000" to show, and links to
the other pages that keep the list's filters.

The page number comes from the query string as text: not a whole number from 1 is a 400 page
saying so; a number past the last page shows the last page (the list may have shrunk since the
link was made). Rows are fetched with ORDER BY (a unique order), OFFSET and LIMIT after one
COUNT, so a page costs the same however long the list is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from server.web.errors import WebError

Row = TypeVar("Row")

PAGE_SIZE = 50
PARAM = "page_no"
MAX_DIGITS = 18  # int() of a longer text is slow and no list has that many pages
AROUND = 2  # page links either side of the current one


class BadPageNumber(WebError):
    """``page_no`` (or a row number a list pages by) is not a whole number from 1."""

    status = 400


def page_number(text: str) -> int:
    """The page asked for (empty: the first), or BadPageNumber."""
    return whole_number(text, "err.page_number") or 1


def whole_number(text: str, error: str) -> int | None:
    """A whole number from 1 given as text (None for empty), or BadPageNumber(``error``)."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS or int(text) < 1:
        raise BadPageNumber(error)
    return int(text)


@dataclass(frozen=True, slots=True)
class PageLink:
    """A link to page ``number``; ``number`` None is a gap ("…") between links."""

    number: int | None
    href: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Pages:
    """Where one page sits in a list of ``total`` rows."""

    number: int
    size: int
    total: int
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row (0 for an empty list)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    def href(self, number: int) -> str:
        return "?" + urlencode([*self.filters, (PARAM, str(number))])

    @property
    def previous(self) -> str:
        return self.href(self.number - 1) if self.number > 1 else ""

    @property
    def next(self) -> str:
        return self.href(self.number + 1) if self.number < self.count else ""

    def links(self) -> list[PageLink]:
        """The first and last pages, and those around the current one, with gaps between."""
        wanted = {1, self.count, *range(self.number - AROUND, self.number + AROUND + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.count)
        links: list[PageLink] = []
        for n in shown:
            if links and links[-1].number is not None and n > links[-1].number + 1:
                links.append(PageLink(None, ""))
            links.append(PageLink(n, self.href(n), n == self.number))
        return links


def pages(
    asked: int, total: int, filters: dict[str, str] | None = None, size: int = PAGE_SIZE
) -> Pages:
    """Page ``asked`` of ``total`` rows (past the end: the last page); ``filters`` are the
    list's other query parameters, kept in every link (empty ones left out)."""
    kept = tuple((k, v) for k, v in (filters or {}).items() if v)
    last = Pages(1, size, total, kept).count
    return Pages(min(max(asked, 1), last), size, total, kept)


def page_of(
    session: Session,
    entity: type[Row],
    where: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    asked: int,
    filters: dict[str, str] | None = None,
    size: int = PAGE_SIZE,
) -> tuple[Pages, Sequence[Row]]:
    """Page ``asked`` of the ``entity`` rows matching ``where`` in ``order`` (unique): one COUNT,
    then OFFSET and LIMIT; ``filters`` as for ``pages``."""
    total = session.scalar(select(func.count()).select_from(entity).where(*where)) or 0
    shown = pages(asked, total, filters, size)
    query = select(entity).where(*where).order_by(*order).offset(shown.offset).limit(shown.size)
    return shown, session.scalars(query).all()
