"""Retention: the gate log and visitor data of a compound are deleted after N days (visitor and
service vehicles too, once their window ended that long ago, and the city's risk-list reports
once their visit is that old and no longer counts at the gate).

Each compound has its own setting (``compounds.retention_days``; none: kept). ``purge`` deletes
what is older than that; ``kiosk-server purge`` runs it once and ``kiosk-server serve`` runs it
at start and then every ``PURGE_EVERY`` in a background thread (``PurgeThread``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.model import Role
from kiosk.vehicles.model import VehicleKind
from server import risklist
from server.exc import NotFound, ServerConfigError
from server.models import AlarmAck, Compound, Conflict, EventRow, Pass, VehicleRow
from server.vehicles import remove_vehicle
from server.web.tables import Invitation
from server.web.timefmt import today

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=6)
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows a purge deleted."""

    events: int = 0
    invitations: int = 0
    visitor_passes: int = 0
    vehicles: int = 0
    risk_plates: int = 0

    def __add__(self, other: Purged) -> Purged:
        return Purged(
            self.events + other.events,
            self.invitations + other.invitations,
            self.visitor_passes + other.visitor_passes,
            self.vehicles + other.vehicles,
            self.risk_plates + other.risk_plates,
        )


def set_retention(session: Session, compound_id: str, days: int | None) -> None:
    """Keep a compound's gate log and visitor data ``days`` days (None: forever)."""
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ServerConfigError(f"retention must be 1 to {MAX_DAYS} days, not {days}")
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(f"no compound {compound_id!r}; list or add it first")
    compound.retention_days = days


def purge(session: Session, now: datetime) -> Purged:
    """Delete, in every compound with a retention setting, what is older than it."""
    total = Purged()
    for compound in session.scalars(select(Compound).where(Compound.retention_days.is_not(None))):
        assert compound.retention_days is not None
        cutoff = now - timedelta(days=compound.retention_days)
        total += purge_compound(session, compound.id, cutoff)
        total += Purged(risk_plates=_purge_risk_list(session, compound, now))
    return total


def _purge_risk_list(session: Session, compound: Compound, now: datetime) -> int:
    """The city's reports of where a car was, once older than the retention and the risk
    window both (a report the car gate still counts stays, however short the retention)."""
    assert compound.retention_days is not None
    days = max(compound.retention_days, risklist.window_days(compound))
    return risklist.remove_before(
        session, compound, today(now, compound.timezone) - timedelta(days=days)
    )


def purge_compound(session: Session, compound_id: str, cutoff: datetime) -> Purged:
    """Delete the compound's events, conflicts, visitor invitations and ended visitor and service
    vehicles from before ``cutoff``."""
    old_events = select(EventRow.event_id).where(
        EventRow.compound_id == compound_id, EventRow.wall_time < cutoff
    )
    session.execute(delete(AlarmAck).where(AlarmAck.event_id.in_(old_events)))
    session.execute(
        delete(Conflict).where(Conflict.compound_id == compound_id, Conflict.detected_at < cutoff)
    )
    events = _count(
        session.execute(
            delete(EventRow).where(EventRow.compound_id == compound_id, EventRow.wall_time < cutoff)
        )
    )
    visitor_passes = select(Pass.pass_id).where(
        Pass.compound_id == compound_id,
        Pass.role == Role.VISITOR.value,
        Pass.expires_at < cutoff,
    )
    compound_passes = select(Pass.pass_id).where(Pass.compound_id == compound_id)
    old_invitations = (Invitation.created_at < cutoff) | Invitation.pass_id.in_(visitor_passes)
    invitations = _count(
        session.execute(
            delete(Invitation).where(Invitation.pass_id.in_(compound_passes), old_invitations)
        )
    )
    passes = _count(session.execute(delete(Pass).where(Pass.pass_id.in_(visitor_passes))))
    return Purged(events, invitations, passes, _purge_vehicles(session, compound_id, cutoff))


def _purge_vehicles(session: Session, compound_id: str, cutoff: datetime) -> int:
    """Visitor and service vehicles whose window ended before ``cutoff``: each removal goes to
    the kiosks too, so their caches drop the plate as well."""
    ended = session.scalars(
        select(VehicleRow.id).where(
            VehicleRow.compound_id == compound_id,
            VehicleRow.kind != VehicleKind.RESIDENT.value,
            VehicleRow.valid_until < cutoff,
        )
    ).all()
    for vehicle_id in ended:
        remove_vehicle(session, vehicle_id)
    return len(ended)


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class PurgeThread:
    """Runs ``purge`` now and then every ``every`` until stopped (inside ``kiosk-server serve``)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        every: timedelta = PURGE_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._every = every
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self.runs = 0

    def run_once(self) -> Purged:
        with self._sessions.begin() as session:
            purged = purge(session, self._clock())
        self.runs += 1
        if purged != Purged():
            log.info("retention: deleted %s", purged)
        return purged

    def _loop(self) -> None:
        while True:  # a purge at start, even when stopped at once, then every ``every``
            try:
                self.run_once()
            except Exception:  # a failed purge must not end the server; it is tried again
                log.exception("retention purge failed")
            if self._stop.wait(self._every.total_seconds()):
                return

    def start(self) -> PurgeThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
