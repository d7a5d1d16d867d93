"""The five-colour board: every flat of a compound, building by building, in its colour.

A red or orange flat is in home quarantine until ``quarantine_until`` (local midnight at the
end of its last day); from that moment the board shows it white, exactly when the kiosks
(kiosk.rules) stop refusing its exit, without anyone touching it.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.model import RiskColour
from server import office
from server.models import Household
from server.web import timefmt
from server.web.errors import FormInvalid
from server.web.render import url

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


@lru_cache(maxsize=65536)
def natural(text: str) -> tuple[object, ...]:
    """Sort "2" before "10" and "B2" after "B1"."""
    return tuple(int(p) if p.isdecimal() else p for p in re.split(r"(\d+)", text))


# Only what the board shows: no ORM objects, one query for the whole compound.
BOARD_COLUMNS = (
    Household.id,
    Household.building,
    Household.unit,
    Household.room,
    Household.colour,
    Household.quarantine_until,
    Household.colour_reason,
)


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
    query = select(*BOARD_COLUMNS).where(Household.compound_id == compound_id)
    if building:
        query = query.where(Household.building == building)
    view = BoardView()
    flats = []
    days: dict[datetime, int | None] = {}  # many flats share a quarantine end
    for hid, b, unit, room, stored, until, reason in session.execute(query):
        shown = stored
        if stored in QUARANTINE and until is not None and now >= until:
            shown = RiskColour.WHITE.value
        if colour and shown != colour:
            continue
        left = None
        if shown in QUARANTINE and until is not None:
            if until not in days:
                days[until] = timefmt.days_left(until, now, zone)
            left = days[until]
        text = f"{b}-{unit}-{room}" if (b or unit or room) else hid
        key = (natural(b), natural(unit), natural(room))
        flats.append((key, b, unit, FlatView(hid, text, room, shown, left, reason)))
        view.counts[shown] += 1
    flats.sort(key=lambda f: f[0])
    for _, b, unit, flat in flats:
        view.buildings.setdefault(b, {}).setdefault(unit, []).append(flat)
    view.total = len(flats)
    return view


def _escape(text: str) -> str:
    """Text as HTML (& < > " '), as Jinja's autoescape would; str, not Markup: cheaper."""
    return html.escape(text, quote=True)


CellCache = dict[FlatView, str]
CACHE_LIMIT = 100_000  # flats' cells kept per language; emptied when full


class FlatCells:
    """The flats of a unit as HTML, every value escaped; each colour's words looked up once.

    The board draws thousands of flats: one Jinja loop with three ``t()`` calls per flat took
    most of the page's time, so the words of each colour and each "days left" are made once,
    and a flat's cell is kept in ``cache`` (per language) until what it shows changes.
    """

    def __init__(self, t: Callable[..., str], cache: CellCache | None = None) -> None:
        self.t = t
        self.cache: CellCache = {} if cache is None else cache
        self.words: dict[str, tuple[str, str]] = {}
        self.days: dict[int, str] = {}

    def __call__(self, flats: Iterable[FlatView]) -> Markup:
        if len(self.cache) > CACHE_LIMIT:
            self.cache.clear()
        cache = self.cache
        return Markup("\n".join(cache.get(f) or self.cell(f) for f in flats))

    def cell(self, f: FlatView) -> str:
        hid, text, colour = _escape(f.household_id), _escape(f.label), _escape(f.colour)
        word, letter = self.words.get(f.colour) or self.colour_words(f.colour)
        why = f" · {_escape(f.reason)}" if f.reason else ""
        href = _escape(url(f"/h/{f.household_id}/colour"))
        days = "" if f.days_left is None else self.left(f.days_left)
        made = (
            f'<a class="flat colour-{colour}" id="flat-{hid}" data-colour="{colour}" '
            f'href="{href}" title="{text} · {word}{why}">'
            f'<span class="letter">{letter}</span>'
            f"<span>{_escape(f.room) if f.room else text}</span>{days}</a>"
        )
        self.cache[f] = made
        return made

    def colour_words(self, colour: str) -> tuple[str, str]:
        found = (_escape(self.t("colour." + colour)), _escape(self.t("colour_letter." + colour)))
        self.words[colour] = found
        return found

    def left(self, n: int) -> str:
        if n not in self.days:
            self.days[n] = f'<span class="days">{_escape(self.t("board.days_left", n=n))}</span>'
        return self.days[n]


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
    was: str = "",
) -> datetime | None:
    """Give a flat a colour from ``start`` (local date); red/orange quarantine ``days`` (14).

    Goes through office.set_colour, so the change log carries it to every kiosk's next download.
    Only while the flat still has the colour ``was`` (the one the clerk saw; default: the one
    read now): a change made meanwhile by someone else is AlreadyDone, not overwritten unseen.
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
    seen = RiskColour(was if was in COLOURS else row.colour)
    office.set_colour(session, row.id, RiskColour(colour), until, was=seen)
    row.colour_reason = reason.strip()[:300]
    row.colour_since = timefmt.start_of_day(start, zone)
    return until
