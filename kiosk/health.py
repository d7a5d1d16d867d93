"""The kiosk's own health the guard must hear of: a clock not to be trusted, and events piling
up while the office cannot be reached. Each is raised once per change, not on every tick."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.model import ClockReading, Reason

__all__ = ["HealthWatch"]

Alarm = Callable[[Reason, ClockReading, str, str], None]  # reason, now, detail, value


class HealthWatch:
    """Turns the clock's state and the sync agent's reports into alarms."""

    def __init__(self, alarm: Alarm, backlog_alarm_at: int) -> None:
        self._alarm = alarm
        self.backlog_alarm_at = backlog_alarm_at
        # (online, backlog) as the sync agent last reported, one tuple so that its thread
        # replaces both at once; None: not heard yet.
        self.link: tuple[bool | None, int | None] = (None, None)
        self._clock_state = (True, False)  # (trusted, doubted) as last seen
        self._backlog_alarmed = False

    def watch_clock(self, now: ClockReading) -> None:
        # Untrusted, or trusted while the office's clock disagrees: the guard is told which
        # clock says what (now.doubt), once each time the clock's state changes.
        state = (now.trusted, bool(now.doubt))
        if state == self._clock_state:
            return
        self._clock_state = state
        if state != (True, False):
            detail = now.doubt or "clock not confirmed by NTP or the office"
            self._alarm(Reason.CLOCK_UNTRUSTED, now, detail, "")

    def watch_link(self, now: ClockReading, unsynced: int) -> None:
        """Alarm once when offline with ``unsynced`` events at or above the limit."""
        if self.link[0] is not False or unsynced < self.backlog_alarm_at:
            self._backlog_alarmed = False
        elif not self._backlog_alarmed:
            self._backlog_alarmed = True
            detail = f"{unsynced} events wait for the office"
            self._alarm(Reason.OFFLINE_BACKLOG, now, detail, str(unsynced))
