"""The lane's events: made with this kiosk's identity, appended durably, kept while the log is down.

Only the exit button's events are kept when the log cannot be written (the exit always opens):
in memory and in a file (kiosk.kept), so a restart before the log recovers loses none. They are
offered to the log again every ``LOG_RETRY_S``, oldest first, and from the file at the start.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.config import DeviceSettings
from kiosk.exc import StoreError
from kiosk.kept import KeptEvents
from kiosk.model import ClockReading, Direction, Event, EventKind, Reason, Verdict
from kiosk.session import Session
from kiosk.store import EventLog

log = logging.getLogger(__name__)

__all__ = ["LOG_RETRY_S", "UNWRITTEN_MAX", "Recorder", "unused_opening"]

LOG_RETRY_S = 5.0  # how often events kept in memory are offered to a failing log again
UNWRITTEN_MAX = 10_000  # exit-button events kept in memory while the log is down


class Recorder:
    """Makes and appends the kiosk's events; counts what waits for the office."""

    def __init__(
        self,
        events: EventLog,
        device: DeviceSettings,
        *,
        boot_id: str,
        on_unlogged: Callable[[Event, str], None],
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        recent_size: int = 20,
        kept: KeptEvents | None = None,
    ) -> None:
        self.log = events
        self.boot_id = boot_id
        self._device = device
        self._on_unlogged = on_unlogged
        self._new_id = new_id
        self.recent: deque[Event] = deque(maxlen=recent_size)
        self.unsynced = 0
        try:  # a log that cannot be read must not keep the kiosk from starting
            self.recent.extend(events.recent(recent_size))
            self.unsynced = events.count_unsynced()
        except StoreError as error:
            log.error("starting without the log's recent events: %s", error)
        self._kept = kept or KeptEvents.beside(events.path)
        # What a previous run could not log: written at the first tick the log takes it.
        self._unwritten: deque[Event] = deque(self._kept.read(), maxlen=UNWRITTEN_MAX)
        self._retry_at = 0.0

    def make_event(
        self,
        kind: EventKind,
        reason: Reason,
        now: ClockReading,
        *,
        direction: Direction,
        verdict: Verdict | None = None,
        session: Session | None = None,
        temperature: float | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event:
        """An event of this kiosk about ``session``'s person (if any)."""
        claims = session.claims if session is not None else None
        pass_id, household = (claims.pass_id, claims.household_id) if claims else (None, None)
        if session is not None and session.visitor is not None:
            household = session.visitor.household_id
        vehicle = session.vehicle if session is not None else None
        if vehicle is not None:  # its id is its pass id: passages count across the lanes
            pass_id, household = vehicle.vehicle_id, vehicle.household_id
        return Event(
            event_id=self._new_id(),
            kind=kind,
            wall_time=now.wall,
            monotonic=now.monotonic,
            boot_id=self.boot_id,
            clock_trusted=now.trusted,
            device_id=self._device.id,
            compound_id=self._device.compound,
            reason=reason,
            verdict=verdict,
            direction=direction if kind is not EventKind.ALARM else None,
            pass_id=pass_id,
            household_id=household,
            temperature_c=temperature,
            data=data or {},
        )

    def record(self, event: Event, *, again: bool = False) -> bool:
        """Append to the log; False (and shown as unlogged) when the log cannot be written.
        ``again``: a kept event, which the log may have taken before a restart."""
        try:
            added = self.log.append(event, again=again)
        except StoreError as error:
            log.error("event %s not logged: %s", event.event_id, error)
            self._on_unlogged(event, str(error))
            return False
        if added:
            self.recent.appendleft(event)
            self.unsynced += 1
        return True

    def keep(self, event: Event, mono: float) -> None:
        """Hold an event the log refused, in memory and in a file, to be offered again
        (``write_kept``)."""
        self._unwritten.append(event)
        self._kept.add(event)
        self._retry_at = mono + LOG_RETRY_S

    def write_kept(self, mono: float) -> None:
        """Offer the kept events to the log again, oldest first, now and then; once it has
        taken them all, their file goes."""
        if not self._unwritten or mono < self._retry_at:
            return
        self._retry_at = mono + LOG_RETRY_S
        while self._unwritten and self.record(self._unwritten[0], again=True):
            self._unwritten.popleft()
        if not self._unwritten:
            self._kept.clear()


def unused_opening(opening: Event, marker: Event) -> Event:
    """``marker`` (a SYSTEM event made now) saying that ``opening``'s gate opening went unused:
    it names the same person and direction and the opening's event id, so the opening counts
    for no anti-passback, quota or compound history (kiosk.store, server.sync_service)."""
    return replace(
        marker,
        direction=opening.direction,
        pass_id=opening.pass_id,
        household_id=opening.household_id,
        data={"opening": opening.event_id},
    )
