"""The compound's vehicle registry: households' cars, visitors' cars a resident invites, and
service vehicles a clerk lets in for a few days. Kiosks at the car gate get every change in
their next delta (``vehicle`` rows of the change log) and decide offline.

Windows are whole local days in the compound's time zone, like a visitor's pass. One plate is
registered once per compound, and no plate one look-alike character from a current one; an
invitation or service entry whose window has passed gives way to a new one for the same plate.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.plates.formats import lookalikes
from kiosk.vehicles.model import Vehicle, VehicleKind
from server.exc import NotFound, Refused
from server.models import Compound, Household, VehicleRow
from server.office import record_change
from server.platecheck import normal_plate
from server.visitors import DAYS_AHEAD
from server.web.board import QUARANTINE, shown_colour
from server.web.timefmt import end_of_day, start_of_day, today
from sync.protocol import VehicleChange

CARS_PER_HOUSEHOLD = 3  # a household's own cars
OPEN_INVITATIONS = 3  # a household's visitor cars whose window has not ended
LONGEST_VISIT_DAYS = 7  # a visitor car's window
LONGEST_SERVICE_DAYS = 31  # a service vehicle's window
NOTE_MAX = 200


class VehicleRefused(Refused):
    """A registration the office does not make (limits, windows, a plate already taken)."""


@dataclass(frozen=True, slots=True)
class Window:
    """First and last local day a visitor or service vehicle may come in."""

    first: date
    last: date


def add_resident_car(
    session: Session, household_id: str, plate: str, *, now: datetime, by: int | None = None
) -> VehicleRow:
    """A household's own car: no window, the household's colour rules apply at the gate."""
    household = _household(session, household_id)
    cars = _count(session, household.id, VehicleKind.RESIDENT, now)
    if cars >= CARS_PER_HOUSEHOLD:
        raise VehicleRefused(
            "vehicle.err.cars", "a household registers at most {n} cars", n=CARS_PER_HOUSEHOLD
        )
    row = _new(session, household.compound_id, plate, VehicleKind.RESIDENT, now, by)
    row.household_id = household.id
    return _changed(session, row)


def invite_car(
    session: Session,
    household_id: str,
    plate: str,
    window: Window,
    *,
    entries: int,
    now: datetime,
    by: int | None = None,
) -> VehicleRow:
    """A visitor's car invited by a household, for ``entries`` entries within ``window``."""
    household = _household(session, household_id)
    compound = _compound(session, household.compound_id)
    if shown_colour(household, now) in QUARANTINE:  # no visitor into a quarantined flat
        raise VehicleRefused(
            "vehicle.err.quarantine", "a household under quarantine invites no visitor's car"
        )
    _check_window(window, compound, now, LONGEST_VISIT_DAYS, ahead=DAYS_AHEAD)
    if not 1 <= entries <= compound.visitor_entries:
        raise entries_refused(compound, entries)
    if _count(session, household.id, VehicleKind.VISITOR, now) >= OPEN_INVITATIONS:
        raise VehicleRefused(
            "vehicle.err.invitations",
            "a household may have at most {n} visitor cars invited at a time",
            n=OPEN_INVITATIONS,
        )
    row = _new(session, compound.id, plate, VehicleKind.VISITOR, now, by)
    row.household_id, row.max_entries = household.id, entries
    _set_window(row, window, compound)
    return _changed(session, row)


def entries_refused(compound: Compound, typed: object) -> VehicleRefused:
    """The refusal of a visitor car's number of entries (``typed``: the number, or the text
    that is none)."""
    return VehicleRefused(
        "vehicle.err.entries",
        "a visitor car may have 1 to {most} entries, not {n}",
        most=compound.visitor_entries,
        n=typed,
    )


def add_service_vehicle(
    session: Session,
    compound_id: str,
    plate: str,
    window: Window,
    *,
    note: str,
    now: datetime,
    by: int | None = None,
) -> VehicleRow:
    """A delivery, removals or repair vehicle a clerk lets in within ``window``."""
    compound = _compound(session, compound_id)
    _check_window(window, compound, now, LONGEST_SERVICE_DAYS, ahead=LONGEST_SERVICE_DAYS)
    text = " ".join(note.split())
    if len(text) > NOTE_MAX:
        raise VehicleRefused(
            "vehicle.err.note", "the note is longer than {n} characters", n=NOTE_MAX
        )
    row = _new(session, compound.id, plate, VehicleKind.SERVICE, now, by)
    row.note = text
    _set_window(row, window, compound)
    return _changed(session, row)


def remove_vehicle(session: Session, vehicle_id: str) -> VehicleRow:
    """Take a vehicle off the registry; kiosks forget it at their next poll."""
    row = session.get(VehicleRow, vehicle_id)
    if row is None:
        raise NotFound(f"no vehicle {vehicle_id!r}")
    session.delete(row)
    session.flush()  # the plate is free for a new registration in the same transaction
    _record(session, row, removed=True)
    return row


def vehicle_of(row: VehicleRow) -> Vehicle:
    """The row as the kiosks know it."""
    return Vehicle(
        vehicle_id=row.id,
        plate=row.plate,
        kind=VehicleKind(row.kind),
        household_id=row.household_id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        max_entries=row.max_entries,
        note=row.note or "",
    )


def current(row: VehicleRow, now: datetime) -> bool:
    """Whether the vehicle may still come (no window, or one that has not ended)."""
    return row.valid_until is None or row.valid_until > now


# --- internals ---------------------------------------------------------------------------------


def _household(session: Session, household_id: str) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household {household_id!r}")
    return household


def _compound(session: Session, compound_id: str) -> Compound:
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(f"no compound {compound_id!r}")
    return compound


def _count(session: Session, household_id: str, kind: VehicleKind, now: datetime) -> int:
    found = session.scalar(
        select(func.count())
        .select_from(VehicleRow)
        .where(
            VehicleRow.household_id == household_id,
            VehicleRow.kind == kind.value,
            (VehicleRow.valid_until.is_(None)) | (VehicleRow.valid_until > now),
        )
    )
    return int(found or 0)


def _new(
    session: Session,
    compound_id: str,
    text: str,
    kind: VehicleKind,
    now: datetime,
    by: int | None,
) -> VehicleRow:
    """A new row for the plate, after the plate's ended registration (if any) is removed."""
    plate = normal_plate(text)
    old = session.scalars(
        select(VehicleRow).where(VehicleRow.compound_id == compound_id, VehicleRow.plate == plate)
    ).first()
    if old is not None and current(old, now):
        raise VehicleRefused(
            "vehicle.err.taken",
            "{plate} is registered already (as a {kind} vehicle); remove that first",
            plate=plate,
            kind=old.kind,
        )
    _no_lookalike(session, compound_id, plate, now)
    if old is not None:
        remove_vehicle(session, old.id)
    row = VehicleRow(
        id=f"VH{secrets.token_hex(6).upper()}",
        compound_id=compound_id,
        plate=plate,
        kind=kind.value,
        note="",
        created_at=now,
        created_by=by,
    )
    session.add(row)
    return row


def _no_lookalike(session: Session, compound_id: str, plate: str, now: datetime) -> None:
    """Refuse a plate one look-alike character (8 for B, 0 for D) from a current registration:
    the gate's reader may take either car for the other, and let one in under the other's
    household, colour and entries."""
    others = session.scalars(
        select(VehicleRow).where(
            VehicleRow.compound_id == compound_id, VehicleRow.plate.in_(sorted(lookalikes(plate)))
        )
    )
    other = next((r for r in others if current(r, now)), None)
    if other is not None:
        raise VehicleRefused(
            "vehicle.err.lookalike",
            "{plate} is one look-alike character from {other}, registered already: the gate "
            "could take one car for the other; check the plate",
            plate=plate,
            other=other.plate,
        )


def _check_window(
    window: Window, compound: Compound, now: datetime, longest: int, *, ahead: int
) -> None:
    first_day = today(now, compound.timezone)
    if not first_day <= window.first <= first_day + timedelta(days=ahead):
        raise VehicleRefused(
            "vehicle.err.first_day",
            "the first day must be today or within {days} days, not {day}",
            days=ahead,
            day=window.first.isoformat(),
        )
    if not window.first <= window.last < window.first + timedelta(days=longest):
        raise VehicleRefused(
            "vehicle.err.last_day",
            "the last day must be on or after the first and at most {days} days in all",
            days=longest,
        )


def _set_window(row: VehicleRow, window: Window, compound: Compound) -> None:
    row.valid_from = start_of_day(window.first, compound.timezone)
    row.valid_until = end_of_day(window.last, compound.timezone)


def _changed(session: Session, row: VehicleRow) -> VehicleRow:
    session.flush()
    _record(session, row, removed=False)
    return row


def _record(session: Session, row: VehicleRow, *, removed: bool) -> None:
    change = VehicleChange(vehicle_of(row), removed=removed)
    record_change(session, row.compound_id, "vehicle", change.to_json())
