"""What the kiosk knows about vehicles: the office's registry and the city's risk list.

The office sends both in its sync delta (``vehicles`` and ``risk_plates``); the kiosk keeps them
in its office cache and decides offline. A plate is always in the normal form of
``kiosk.plates.formats.normalize`` ("京A12345", "粤B D12345" without the space), so a lookup is an
exact match.

A vehicle's ``vehicle_id`` (the office's stable id, ASCII) is what the event log and the
compound's passages carry as ``pass_id``: anti-passback, visitor uses and quotas then work
across the compound's lanes exactly as they do for people's passes. An unknown plate has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class VehicleKind(StrEnum):
    RESIDENT = "resident"  # a household's own car: the household's colour rules apply
    VISITOR = "visitor"  # invited by a household: a time window and a number of entries
    SERVICE = "service"  # delivery, removals, repairs: registered by a clerk, a time window


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One registered plate, as the office last sent it."""

    vehicle_id: str
    plate: str
    kind: VehicleKind
    household_id: str | None = None  # the owner's household, or the inviting one for a visitor
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_entries: int | None = None  # visitors: entries the invitation allows (None: no limit)
    note: str = ""  # what the clerk wrote ("搬家公司", "快递"): shown to the guard only


@dataclass(frozen=True, slots=True)
class RiskReport:
    """A plate the city reported as having been in a high-risk area on ``visited_on``."""

    plate: str
    area: str
    visited_on: date
    source: str  # the list it came from: the imported file's name and date
