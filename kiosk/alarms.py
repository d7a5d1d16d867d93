"""Alarms a guard must see: raised once, logged, shown until acknowledged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.model import ClockReading, Event, EventKind, Reason
from kiosk.view import Alarm, CommandResult

if TYPE_CHECKING:
    from kiosk.machine import Kiosk

__all__ = ["Alarms"]


class Alarms:
    """The kiosk's open alarms. One open alarm per reason: a door held open is one alarm."""

    def __init__(self, kiosk: Kiosk) -> None:
        self._kiosk = kiosk
        self._open: dict[str, Alarm] = {}

    def raise_once(self, reason: Reason, now: ClockReading, detail: str = "") -> Alarm | None:
        """Log and show an alarm for ``reason`` unless one is already open."""
        if any(a.reason is reason for a in self._open.values()):
            return None
        data = {"detail": detail} if detail else {}
        event = self._kiosk.make_event(EventKind.ALARM, reason, now, data=data)
        if not self._kiosk.record(event):
            detail = f"{detail} (not logged)".strip()
        alarm = Alarm(event.event_id, reason, now.wall, detail)
        self._open[alarm.alarm_id] = alarm
        self._kiosk.hw.indicator.show("alarm")
        return alarm

    def show_unlogged(self, event: Event, error: str) -> None:
        """The log refused an event: tell the guard on screen (the one place left to tell)."""
        detail = f"event log cannot be written: {error}"
        if not any(a.detail == detail for a in self._open.values()):
            alarm = Alarm(event.event_id, Reason.LOG_FAULT, event.wall_time, detail)
            self._open[alarm.alarm_id] = alarm

    def acknowledge(self, alarm_id: str, now: ClockReading) -> CommandResult:
        """The guard has seen the alarm: log it and take it off the screen."""
        alarm = self._open.get(alarm_id)
        if alarm is None:
            return CommandResult(False, detail=f"no open alarm {alarm_id}")
        event = self._kiosk.make_event(
            EventKind.ALARM_ACK, alarm.reason, now, data={"alarm_id": alarm_id}
        )
        if not self._kiosk.record(event):
            return CommandResult(False, alarm.reason, "the event log cannot be written")
        del self._open[alarm_id]
        if not self._open:
            self._kiosk.hw.indicator.show("idle")
        return CommandResult(True, alarm.reason)

    def active(self) -> bool:
        return bool(self._open)

    def view(self) -> tuple[Alarm, ...]:
        return tuple(self._open.values())
