"""The whole gate log of a compound, 50 events a page, newest first, optionally of one day, of
the car gate only, or of one plate.

The gates page shows the newest events live; a clerk asking "who went out at three last night"
pages back from there, in the events' own time order (a kiosk that was offline uploads late).
The log grows by thousands of rows a day, so pages are found by keyset, (time, row id) of the
rows ``before`` / ``after`` the ones shown, rather than counted and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from server.gates import NEWEST_FIRST
from server.models import Compound, EventRow
from server.web import i18n
from server.web.access import GATE_READERS, Viewer, require, web_of
from server.web.errors import WebError
from server.web.pages_gates import compound_or_404, log_rows
from server.web.paging import PAGE_SIZE, whole_number
from server.web.render import language_of, page
from server.web.timefmt import FIRST_DAY, LAST_DAY, end_of_day, start_of_day
from server.web.vehicleforms import plate_searched

router = APIRouter()
Reader = Annotated[Viewer, Depends(require(GATE_READERS, compound_from="compound_id"))]


class BadDay(WebError):
    """``day`` is not a date written as YYYY-MM-DD."""


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page of events, newest first, and the links to the pages either side of it."""

    events: list[EventRow]
    newer: str
    older: str
    newest: str


@router.get("/c/{compound_id}/gates/log")
def gate_log(
    request: Request,
    compound_id: str,
    viewer: Reader,
    before: str = "",
    after: str = "",
    day: str = "",
    vehicles: str = "",
    plate: str = "",
) -> Response:
    """``vehicles``: only the car gate's events; ``plate``: only that plate's."""
    older_than = whole_number(before, "err.row_id")
    newer_than = whole_number(after, "err.row_id")
    chosen = _day(day)
    t = i18n.translator(language_of(request))
    wanted = plate_searched(plate[:20]) if plate.strip() else ""
    only_cars = "1" if vehicles.strip() else ""
    filters = {"day": day.strip(), "vehicles": only_cars, "plate": wanted}
    with web_of(request).transaction() as s:
        compound = compound_or_404(s, compound_id)
        query = _events(compound, chosen, vehicles=bool(only_cars), plate=wanted)
        found = _page(s, query, older_than, newer_than, filters)
        rows = log_rows(s, compound, found.events, t)
    return page(
        request,
        "gate_log.html",
        viewer,
        compound=compound,
        rows=rows,
        log=found,
        day=filters["day"],
        vehicles=only_cars,
        plate=wanted,
    )


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise BadDay("err.day") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadDay("err.day_range")
    return day


def _events(
    compound: Compound, day: date | None, *, vehicles: bool = False, plate: str = ""
) -> Select[EventRow]:
    query = select(EventRow).where(EventRow.compound_id == compound.id)
    if vehicles:  # the vehicle lane logs {"lane": "vehicle", "plate": ...} with each decision
        query = query.where(EventRow.data["lane"].as_string() == "vehicle")
    if plate:
        query = query.where(EventRow.data["plate"].as_string() == plate)
    if day is not None:
        start, end = start_of_day(day, compound.timezone), end_of_day(day, compound.timezone)
        query = query.where(EventRow.wall_time >= start, EventRow.wall_time < end)
    return query


def _page(
    session: Session,
    query: Select[EventRow],
    before: int | None,
    after: int | None,
    filters: dict[str, str],
) -> LogPage:
    """The page older than row ``before``, newer than row ``after`` (then nearest to it), or the
    newest, in the events' own time order (an upload that came late sits where it happened)."""
    kept = [(k, v) for k, v in filters.items() if v]

    def link(**param: int) -> str:
        return "?" + urlencode([*kept, *((k, str(v)) for k, v in param.items())])

    cursor = after if after is not None else before
    key = None if cursor is None else _key(session, cursor)
    if cursor is not None and key is None:  # no such row: nothing there, a way to the newest
        return LogPage([], newer="", older="", newest=link())
    if after is not None and key is not None:
        ascending = query.where(_later(key)).order_by(EventRow.wall_time, EventRow.id)
        found = list(session.scalars(ascending.limit(PAGE_SIZE + 1)))
        more_newer = len(found) > PAGE_SIZE
        events = found[:PAGE_SIZE][::-1]
        more_older = _exists(session, query.where(~_later(key)))
    else:
        newest = query if key is None else query.where(~_later(key), EventRow.id != before)
        found = list(session.scalars(newest.order_by(*NEWEST_FIRST).limit(PAGE_SIZE + 1)))
        events = found[:PAGE_SIZE]
        more_older = len(found) > PAGE_SIZE
        more_newer = key is not None and _exists(session, query.where(_later(key)))
    return LogPage(
        events,
        newer=link(after=events[0].id) if more_newer and events else "",
        older=link(before=events[-1].id) if more_older and events else "",
        newest=link() if more_newer or (not events and (before or after)) else "",
    )


def _key(session: Session, row_id: int) -> tuple[datetime, int] | None:
    """Where row ``row_id`` stands in time order (None: no such row)."""
    found = session.execute(select(EventRow.wall_time).where(EventRow.id == row_id)).first()
    return None if found is None else (found[0], row_id)


def _later(key: tuple[datetime, int]) -> ColumnElement[bool]:
    """Events after ``key`` in time order (ties on the time broken by row id)."""
    at, row_id = key
    return or_(EventRow.wall_time > at, and_(EventRow.wall_time == at, EventRow.id > row_id))


def _exists(session: Session, query: Select[EventRow]) -> bool:
    return session.scalar(query.with_only_columns(EventRow.id).limit(1)) is not None
