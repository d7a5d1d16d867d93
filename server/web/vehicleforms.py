"""What the vehicle pages share: a registry row in words, the plate and days a form was filled
with, and a refusal shown beside the field it is about."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.exc import Refused
from server.models import Compound, Household, VehicleRow
from server.platecheck import PlateRefused, normal_plate
from server.vehicles import Window, current
from server.web.board import label
from server.web.timefmt import local_date

SECOND = timedelta(seconds=1)
ENTRIES_DIGITS = 6  # more is no number of entries; the refusal quotes what was typed
# The form field a refusal is about (its catalogue key's prefix), else the plate's.
FIELD_OF = {
    "vehicle.err.entries": "entries",
    "vehicle.err.note": "note",
    "vehicle.err.first_day": "first",
    "vehicle.err.last_day": "last",
}


@dataclass(frozen=True, slots=True)
class Shown:
    """A registered vehicle as a list shows it."""

    id: str
    plate: str
    kind: str
    flat: str
    window: str
    entries: str
    note: str
    current: bool


def refusal(error: Refused, t: Callable[..., str], plate: str = "plate") -> dict[str, str]:
    """{field: words} for a refused registration, in the page's language; ``plate`` names the
    form's plate field (a refusal about no other field is about the plate)."""
    values = {k: t(f"vehicle.kind.{v}") if k == "kind" else v for k, v in error.values.items()}
    return {FIELD_OF.get(error.key, plate): t(error.key, **values)}


def plate_of(text: str, t: Callable[..., str], field: str = "plate") -> str | dict[str, str]:
    """The form's plate in normal form, or {field: words} naming the character that is wrong."""
    try:
        return normal_plate(text)
    except PlateRefused as error:
        return refusal(error, t, field)


def plate_and_window(
    plate: str, first: str, last: str, t: Callable[..., str]
) -> tuple[str, Window] | dict[str, str]:
    """A visitor's or service vehicle's plate and days, or {field: words} for every one of
    them that is wrong (the page shows each beside its field)."""
    normal = plate_of(plate, t)
    window = window_of(first, last)
    errors = {k: t(v) for k, v in window.items()} if isinstance(window, dict) else {}
    if isinstance(normal, dict):
        errors.update(normal)
    if isinstance(normal, dict) or isinstance(window, dict):
        return errors
    return normal, window


def entries_of(text: str) -> int | None:
    """The form's number of entries (full-width digits as a phone types them), or None when
    it is no whole number ("²" is a digit to str.isdigit but no number to int)."""
    typed = text.strip()
    return int(typed) if typed.isdecimal() and len(typed) <= ENTRIES_DIGITS else None


def plate_searched(text: str) -> str:
    """A search as a plate is stored (or a part of one: "12345" finds 京A12345 in a list)."""
    try:
        return normal_plate(text)
    except PlateRefused:
        return "".join(text.split()).upper()


def window_of(first: str, last: str) -> Window | dict[str, str]:
    """The form's days, or {field: catalogue key} for the one that is not a day."""
    days: dict[str, date] = {}
    for name, text in (("first", first), ("last", last or first)):
        try:
            days[name] = date.fromisoformat(text.strip())
        except ValueError:
            return {name: "vehicle.err.day"}
    return Window(days["first"], days["last"])


def shown(
    session: Session, compound: Compound, rows: Iterable[VehicleRow], now: datetime
) -> list[Shown]:
    """Each row in words: its household's flat, its window as local days."""
    listed = list(rows)
    homes = {r.household_id for r in listed if r.household_id}
    flats = {
        h.id: label(h) for h in session.scalars(select(Household).where(Household.id.in_(homes)))
    }
    zone = compound.timezone
    return [
        Shown(
            id=r.id,
            plate=r.plate,
            kind=r.kind,
            flat=flats.get(r.household_id or "", ""),
            window=_window(r, zone),
            entries="" if r.max_entries is None else str(r.max_entries),
            note=r.note or "",
            current=current(r, now),
        )
        for r in listed
    ]


def _window(row: VehicleRow, zone: str) -> str:
    if row.valid_from is None or row.valid_until is None:
        return ""
    first = local_date(row.valid_from, zone)
    # valid_until is the midnight after the last day: show the last day itself.
    last = local_date(row.valid_until.replace(microsecond=0) - SECOND, zone)
    return first if first == last else f"{first} ~ {last}"


def households_vehicles(
    session: Session, compound: Compound, household_id: str, now: datetime
) -> list[Shown]:
    """A household's cars and the visitors' cars it invited, by plate, in words."""
    rows = session.scalars(
        select(VehicleRow).where(VehicleRow.household_id == household_id).order_by(VehicleRow.plate)
    )
    return shown(session, compound, rows, now)
