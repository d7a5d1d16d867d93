"""Alarms a guard must see: raised once, logged, shown until acknowledged.

Each alarm says what (reason, detail), where (this kiosk), since when and, for an alarm about a
pass, who (the masked holder, for the guard's alarm page). A new alarm plays the buzzer
pattern of the most urgent open alarm's class once, so a guard can tell a forced door from a
fever by ear; while alarms stay open the red lamp blinks and the pattern plays again every
``REMIND_S`` (only when no verdict is sounding), never without pause: a buzzer that never
stops teaches guards not to hear it.

The desk knows nothing of the state machine. It is handed a ``Journal`` (writes one event and
says whether the log took it) and the indicator lamp; the machine above it owns both.

Other threads (the sync agent's) never touch the desk: they ``post`` an alarm to a queue that
the kiosk loop drains on its next tick (``raise_posted``), so the open alarms, the log and the
indicator stay with the one thread that owns them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from drivers.base import Beacon, Indicator
from kiosk.model import ClockReading, Event, EventKind, Reason
from kiosk.view import (
    Alarm,
    AlarmClass,
    AlarmCode,
    CommandResult,
    PersonView,
    alarm_code,
    alarm_pattern,
)

__all__ = ["Alarms", "Journal", "Noted", "alarm_from", "office_data_fault", "office_refusal"]

OFFICE_WORDS_MAX = 200  # characters of the office's message kept for the screen
REMIND_S = 180.0  # an open alarm sounds again this long after it last sounded
BEACON_CLASSES = frozenset({AlarmClass.DOOR, AlarmClass.HEALTH})  # light the booth for these
QUIET = "alarm-quiet"  # alarms open, none due to sound: the red lamp blinks, the buzzer rests


@dataclass(frozen=True, slots=True)
class Noted:
    """An event made for the log, and whether the log took it."""

    event: Event
    logged: bool


class Journal(Protocol):
    """Makes an event stamped with this kiosk's identity and appends it to the event log."""

    def note(
        self, kind: EventKind, reason: Reason, now: ClockReading, data: dict[str, Any]
    ) -> Noted: ...


def alarm_from(
    event: Event, detail: str, place: str = "", person: PersonView | None = None
) -> Alarm:
    """The on-screen alarm for an alarm event; its id is the event's, so the office can match.
    The code and value come from the event's data (what ``Alarms.raise_once`` logged)."""
    code = event.data.get("code")
    return Alarm(
        event.event_id,
        event.reason,
        event.wall_time,
        detail,
        False,
        place,
        person,
        AlarmCode(code) if code in set(AlarmCode) else None,
        str(event.data.get("value", "")),
    )


class Alarms:
    """The kiosk's open alarms. One open alarm per reason, code and person: a door held open is
    one alarm, two quarantined residents trying to leave are two, a full card and a damaged
    log file are two."""

    def __init__(
        self,
        journal: Journal,
        indicator: Indicator,
        place: str = "",
        *,
        beacon: Beacon | None = None,
        beacon_s: float = 20.0,
    ) -> None:
        self._journal = journal
        self._indicator = indicator
        self._place = place
        self._beacon = beacon
        self._beacon_s = beacon_s
        self._open: dict[str, Alarm] = {}
        self._posted: queue.SimpleQueue[tuple[Reason, str, AlarmCode | None, str]] = (
            queue.SimpleQueue()
        )
        self._due = False  # the open alarms are to sound at the next chance
        self._remind_at = float("inf")

    def raise_once(
        self,
        reason: Reason,
        now: ClockReading,
        detail: str = "",
        person: PersonView | None = None,
        *,
        code: AlarmCode | None = None,
        value: str = "",
    ) -> Alarm | None:
        """Log and show an alarm for ``reason`` (about ``person``) unless one is already open.

        ``code`` and ``value`` are what the screens put in words (the code defaults to the
        reason's); ``detail`` is the engineer's note, kept in the log only.
        """
        code = code or alarm_code(reason)
        who = person.pass_id if person is not None else _vehicle(code, value)
        if any(_same(a, reason, code, who) for a in self._open.values()):
            return None
        data: dict[str, Any] = {"code": code.value}
        data |= {"value": value} if value else {}
        data |= {"detail": detail} if detail else {}
        if person is not None:
            data |= {"pass_id": person.pass_id, "household_id": person.household_id}
        noted = self._journal.note(EventKind.ALARM, reason, now, data)
        if not noted.logged:
            detail = f"{detail} (not logged)".strip()
        alarm = replace(alarm_from(noted.event, detail, self._place, person), logged=noted.logged)
        self._open[alarm.alarm_id] = alarm
        self._due = True
        self.show_lamp(now)
        if self._beacon is not None and alarm.kind in BEACON_CLASSES:
            self._beacon.light_for(self._beacon_s)
        return alarm

    def post(
        self, reason: Reason, detail: str = "", *, code: AlarmCode | None = None, value: str = ""
    ) -> None:
        """Ask for an alarm from another thread; the kiosk loop raises it (``raise_posted``)."""
        self._posted.put((reason, detail, code, value))

    def raise_posted(self, now: ClockReading) -> None:
        """Raise what other threads posted since the last call (the kiosk loop's, every tick)."""
        while True:
            try:
                reason, detail, code, value = self._posted.get_nowait()
            except queue.Empty:
                return
            self.raise_once(reason, now, detail, code=code, value=value)

    def show_unlogged(self, event: Event, error: str) -> None:
        """The log refused an event: tell the guard on screen (the one place left to tell)."""
        detail = f"event log cannot be written: {error}"
        if not any(a.detail == detail for a in self._open.values()):
            alarm = Alarm(
                event.event_id,
                Reason.LOG_FAULT,
                event.wall_time,
                detail,
                place=self._place,
                code=AlarmCode.LOG_UNWRITABLE,
                logged=False,
            )
            self._open[alarm.alarm_id] = alarm

    def acknowledge(self, alarm_id: str, now: ClockReading) -> CommandResult:
        """The guard has seen the alarm: log it and take it off the screen."""
        alarm = self._open.get(alarm_id)
        if alarm is None:
            return CommandResult(False, detail=f"no open alarm {alarm_id}")
        noted = self._journal.note(EventKind.ALARM_ACK, alarm.reason, now, {"alarm_id": alarm_id})
        if not noted.logged:
            return CommandResult(False, alarm.reason, "the event log cannot be written")
        del self._open[alarm_id]
        self.show_lamp(now)
        return CommandResult(True, alarm.reason)

    def active(self) -> bool:
        return bool(self._open)

    def pattern(self) -> str:
        """The indicator pattern for what is open now: the most urgent class's beeps when they
        are due, else ``QUIET``; "idle" when nothing is open."""
        if not self._open:
            return "idle"
        return alarm_pattern(tuple(self._open.values())) if self._due else QUIET

    def show_lamp(self, now: ClockReading) -> None:
        """Put the indicator back to the alarms' state (after a verdict, or when one changed)."""
        sounding = self._due and bool(self._open)
        self._indicator.show(self.pattern())
        if sounding:
            self._due = False
            self._remind_at = now.monotonic + REMIND_S

    def remind(self, now: ClockReading, free: bool) -> None:
        """Sound the open alarms again once ``REMIND_S`` has passed, as soon as the indicator is
        ``free`` (no verdict of the lane is showing on it)."""
        if self._open and now.monotonic >= self._remind_at:
            self._due = True
        if self._due and free:
            self.show_lamp(now)

    def view(self) -> tuple[Alarm, ...]:
        return tuple(self._open.values())


def office_refusal(alarms: Alarms) -> Callable[[str], None]:
    """The sync agent's ``alarm`` callback: the office refuses every upload, in its own words.
    Safe to call from the agent's thread (it only posts)."""

    def post(message: str) -> None:
        words = " ".join(message.split())[:OFFICE_WORDS_MAX]
        alarms.post(
            Reason.OFFICE_REFUSED,
            f"the office refuses every upload: {message}",
            code=AlarmCode.OFFICE_REFUSED,
            value=words,
        )

    return post


def _same(alarm: Alarm, reason: Reason, code: AlarmCode, who: str | None) -> bool:
    return alarm.reason is reason and alarm.code is code and _who(alarm) == who


def office_data_fault(alarms: Alarms) -> Callable[[str, int], None]:
    """The sync agent's ``data_alarm`` callback (what is wrong, at which change number): the
    office's downloads cannot all be used (a looping or oversized reply, items set aside).
    Safe to call from the agent's thread (it only posts)."""

    def post(words: str, cursor: int) -> None:
        alarms.post(
            Reason.OFFICE_DATA,
            f"office downloads: {words}",
            code=AlarmCode.OFFICE_DATA,
            value=str(cursor),
        )

    return post


def _who(alarm: Alarm) -> str | None:
    return alarm.person.pass_id if alarm.person is not None else _vehicle(alarm.code, alarm.value)


def _vehicle(code: AlarmCode | None, value: str) -> str | None:
    """A vehicle's alarm is about its plate (the value): one open alarm per car, not per gate."""
    return value if code is AlarmCode.CHECK_VEHICLE else None
