"""The kiosk's idea of the time, and whether to believe it.

A Raspberry Pi has no battery-backed clock: after a power cut without network it boots with the
time it last saved (fake-hwclock) or even 1970. An attacker could also set the clock back to make
an expired pass valid again. So:

- The last trusted wall time is saved (atomically, at most once a minute) in a state file.
- The clock is trusted when (systemd-timesyncd says NTP is synchronized OR a server time was
  observed this boot) AND it is not behind the last trusted time by more than a tolerance.
- While untrusted, the time the kiosk uses never goes below the last trusted time plus the
  monotonic time elapsed since then, so an expired pass stays expired.
- A server time, once observed, is carried forward on the monotonic clock: later jumps of the
  system clock do not move it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kiosk.atomic import write_atomic
from kiosk.model import ClockReading

log = logging.getLogger(__name__)

NTP_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
_FALLBACK_BOOT_ID = str(uuid.uuid4())  # one per process where the kernel gives none


def boot_id(path: Path = BOOT_ID_FILE) -> str:
    """The kernel's random id of this boot; a random id per process where it is unavailable."""
    try:
        return path.read_text(encoding="ascii").strip() or _FALLBACK_BOOT_ID
    except OSError:
        return _FALLBACK_BOOT_ID


class Clock:
    """Wall time with a trust flag; every time source is injectable for tests."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        state_file: Path | None = None,
        ntp_flag: Path = NTP_FLAG,
        *,
        tolerance_s: float = 300.0,
        persist_every_s: float = 60.0,
    ) -> None:
        self.wall = wall
        self.monotonic = monotonic
        self._state_file = state_file
        self._ntp_flag = ntp_flag
        self._tolerance_s = tolerance_s
        self._persist_every_s = persist_every_s
        self._lock = threading.Lock()
        self._server: tuple[float, float] | None = None  # (server epoch, monotonic then)
        self._persisted_at: float | None = None  # monotonic time of the last save
        self._floor = self._load()  # (last trusted epoch, monotonic then)

    # --- public -------------------------------------------------------------------------------

    def read(self) -> ClockReading:
        """The time to use now: trusted, or never below the last trusted time plus elapsed."""
        with self._lock:
            mono = self.monotonic()
            candidate = self._candidate(mono)
            floor = self._floor_at(mono)
            trusted = self._source_trusted() and (
                floor is None or candidate >= floor - self._tolerance_s
            )
            if trusted:
                self._floor = (candidate, mono)
                self._persist(candidate, mono, force=False)
            effective = candidate if trusted or floor is None else max(candidate, floor)
            return ClockReading(datetime.fromtimestamp(effective, UTC), mono, trusted)

    def effective_now(self) -> datetime:
        """The wall time expiry checks use (timezone-aware UTC)."""
        return self.read().wall

    def observe_server_time(self, server_wall: datetime) -> float:
        """Adopt the office server's time; return how far the system clock was off (seconds).

        Positive means the system clock was behind the server.
        """
        if server_wall.tzinfo is None:
            raise ValueError("server time must be timezone-aware (UTC)")
        server = server_wall.timestamp()
        with self._lock:
            mono = self.monotonic()
            correction = server - self.wall()
            self._server = (server, mono)
            self._floor = (server, mono)
            self._persist(server, mono, force=True)
        if abs(correction) > self._tolerance_s:
            log.warning("system clock off by %.0f s; using the server's time", correction)
        return correction

    @property
    def last_trusted(self) -> datetime | None:
        """The last trusted wall time (this boot or saved from an earlier one)."""
        with self._lock:
            floor = self._floor
        return None if floor is None else datetime.fromtimestamp(floor[0], UTC)

    # --- internals ----------------------------------------------------------------------------

    def _source_trusted(self) -> bool:
        return self._server is not None or self._ntp_synchronized()

    def _ntp_synchronized(self) -> bool:
        return self._ntp_flag.exists()

    def _candidate(self, mono: float) -> float:
        """NTP-disciplined system time if available, else the server time carried forward."""
        if self._server is not None and not self._ntp_synchronized():
            server, then = self._server
            return server + (mono - then)
        return self.wall()

    def _floor_at(self, mono: float) -> float | None:
        if self._floor is None:
            return None
        epoch, then = self._floor
        return epoch + max(0.0, mono - then)

    def _load(self) -> tuple[float, float] | None:
        """The saved last trusted time; the time since it was saved (a reboot) is unknown."""
        if self._state_file is None:
            return None
        try:
            saved = json.loads(self._state_file.read_text(encoding="utf-8"))
            return (float(saved["last_trusted_epoch"]), self.monotonic())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("ignoring unreadable clock state %s: %s", self._state_file, e)
            return None

    def _persist(self, epoch: float, mono: float, *, force: bool) -> None:
        if self._state_file is None:
            return
        due = self._persisted_at is None or mono - self._persisted_at >= self._persist_every_s
        if not (force or due):
            return
        state = {
            "last_trusted_epoch": epoch,
            "last_trusted": datetime.fromtimestamp(epoch, UTC).isoformat(),
            "boot_id": boot_id(),
        }
        self._persisted_at = mono  # also after a failure: retry a minute later, not every read
        try:
            write_atomic(self._state_file, json.dumps(state, indent=1) + "\n")
        except OSError as e:
            # A full or read-only disk must not stop the gate; the floor stays in memory.
            log.error("cannot save clock state %s: %s", self._state_file, e)
