"""The kiosk's data files as the guard hears of them.

The event log and the office cache are made whatever state their files are in
(``kiosk.sqlitedb``); the kiosk loop asks them every tick to retry or check their file
(cheap: a time comparison until one is due) and turns what happened into alarms in the guard's
words: a full or read-only card, a damaged file moved aside, a file deleted under the kiosk, a
row set aside. A failure met while reading (``StoreError`` out of a step) is put in the same
words by ``code_of``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.datafile import Notice
from kiosk.exc import StoreError
from kiosk.model import ClockReading, Reason
from kiosk.sqlitedb import Watched
from kiosk.view import AlarmCode

log = logging.getLogger(__name__)

__all__ = ["StoreWatch"]

# reason, now, detail, code, value
Alarm = Callable[[Reason, ClockReading, str, AlarmCode, str], None]

_LOG_CODES = {
    "full": AlarmCode.LOG_FULL,
    "read_only": AlarmCode.LOG_READ_ONLY,
    "moved_aside": AlarmCode.LOG_MOVED_ASIDE,
    "replaced": AlarmCode.LOG_REPLACED,
    "set_aside": AlarmCode.LOG_ROW_SET_ASIDE,
}


class StoreWatch:
    """Watches the event log and the office cache for the kiosk loop."""

    def __init__(self, alarm: Alarm, events: Watched, office: Watched) -> None:
        self._alarm = alarm
        self._events = events
        self._office = office

    def watch(self, now: ClockReading) -> None:
        """Retry or check each file when due; an alarm for each thing that happened."""
        for store in (self._events, self._office):
            store.watch()
            for notice in store.notices():
                self._tell(notice, now, office=store is self._office)

    def failed(self, error: StoreError, now: ClockReading) -> None:
        """A read in the kiosk loop failed: the alarm (once while it is open)."""
        office = self._office.fault is not None and self._events.fault is None
        self._alarm(Reason.LOG_FAULT, now, str(error), code_of(error.kind, office=office), "")

    def _tell(self, notice: Notice, now: ClockReading, *, office: bool) -> None:
        if notice.kind == "recovered":
            log.info("%s", notice.detail)
            return
        code = code_of(notice.kind, office=office)
        self._alarm(Reason.LOG_FAULT, now, notice.detail, code, notice.value)


def code_of(kind: str, *, office: bool) -> AlarmCode:
    """The alarm's words for a failure of ``kind`` (``kiosk.datafile.HINTS``) of the event
    log, or of the office cache when ``office``."""
    if office:
        return AlarmCode.OFFICE_DATA_RESET if kind == "moved_aside" else AlarmCode.OFFICE_DATA_FAULT
    return _LOG_CODES.get(kind, AlarmCode.LOG_UNREADABLE)
