"""The five-colour board: every flat of a compound, building by building, in its colour.

A red or orange flat is in home quarantine until ``quarantine_until`` (local midnight at the
end of its last day); from that moment the board shows it white, exactly when the kiosks
(kiosk.rules) stop refusing its exit, without anyone touching it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.model import RiskColour
from server import office
from server.models import Household
from server.web import timefmt
from server.web.errors import FormInvalid

COLOURS = [c.value for c in RiskColour]  # red, orange, yellow, green, white
QUARANTINE = (RiskColour.RED.value, RiskColour.ORANGE.value)
QUARANTINE_DAYS = 14


@dataclass(frozen=True, slots=True)
class FlatView:
    household_id: str
    label: str
    room: str
    colour: str  # as shown: white once the quarantine is over
    days_left: int | None
    reason: str


@dataclass
class BoardView:
    buildings: dict[str, dict[str, list[FlatView]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    total: int = 0


def label(row: Household) -> str:
    if row.building or row.unit or row.room:
        return f"{row.building}-{row.unit}-{row.room}"
    return row.id


def shown_colour(row: Household, now: datetime) -> str:
    until = row.quarantine_until
    if row.colour in QUARANTINE and until is not None and now >= until:
        return RiskColour.WHITE.value
    return row.colour


def natural(text: str) -> tuple[object, ...]:
    """Sort "2" before "10" and "B2" after "B1"."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def board(
    session: Session,
    compound_id: str,
    now: datetime,
    zone: str,
    *,
    colour: str = "",
    building: str = "",
) -> BoardView:
    """The board, optionally only one colour and/or one building; counts are of what is shown."""
    rows = session.scalars(select(Household).where(Household.compound_id == compound_id))
    view = BoardView()
    flats = []
    for row in rows:
        shown = shown_colour(row, now)
        if (colour and shown != colour) or (building and row.building != building):
            continue
        left = timefmt.days_left(row.quarantine_until, now, zone) if shown in QUARANTINE else None
        flats.append((row, FlatView(row.id, label(row), row.room, shown, left, row.colour_reason)))
        view.counts[shown] += 1
    flats.sort(key=lambda f: (natural(f[0].building), natural(f[0].unit), natural(f[0].room)))
    for row, flat in flats:
        view.buildings.setdefault(row.building, {}).setdefault(row.unit, []).append(flat)
    view.total = len(flats)
    return view


def buildings(session: Session, compound_id: str) -> list[str]:
    found = session.scalars(
        select(Household.building).where(Household.compound_id == compound_id).distinct()
    )
    return sorted(found, key=natural)


def change_colour(
    session: Session,
    row: Household,
    colour: str,
    reason: str,
    start: date,
    zone: str,
    days: int | None = None,
) -> datetime | None:
    """Give a flat a colour from ``start`` (local date); red/orange quarantine ``days`` (14).

    Goes through office.set_colour, so the change log carries it to every kiosk's next download.
    Returns the quarantine end (None for other colours).
    """
    if colour not in COLOURS:
        raise FormInvalid({"colour": "board.err.colour"})
    if not reason.strip():
        raise FormInvalid({"reason": "board.err.reason"})
    until = None
    if colour in QUARANTINE:
        length = QUARANTINE_DAYS if days is None else days
        if not 1 <= length <= 60:
            raise FormInvalid({"days": "board.err.days"})
        until = timefmt.start_of_day(start + timedelta(days=length), zone)
    office.set_colour(session, row.id, RiskColour(colour), until)
    row.colour_reason = reason.strip()[:300]
    row.colour_since = timefmt.start_of_day(start, zone)
    return until
