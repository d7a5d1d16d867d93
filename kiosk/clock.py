"""The kiosk's idea of the time, how sure it is, and what it may believe from the office.

A Raspberry Pi has no battery-backed clock: after a power cut without network it boots with the
time it last saved (fake-hwclock) or even 1970. Someone could set the clock back to revive an
expired pass, or forward to end a quarantine; the office server's clock can be wrong too. So
the clock weighs its evidence (``estimate``, a pure function) and says how sure it is:

- NTP-synchronised system time is trusted and kept: the office's time never moves it. When the
  office disagrees by more than the tolerance, the reading says which clock says what (the
  kiosk raises an alarm).
- The last trusted time is saved (atomically, at most once a minute) and carried forward on the
  monotonic clock: it is a proven lower bound. Nothing moves the kiosk's time behind it.
- Without NTP, the office's time is evidence, not truth. It becomes the kiosk's estimate, and is
  trusted only when an independent clock agrees (the system clock, or the last trusted time
  carried on the monotonic clock this boot). Office time alone is never saved as trusted.
- An untrusted reading carries the interval of plausible times [earliest, latest]. The gate's
  rules check validity at both ends, so an untrusted clock can neither admit a pass that has
  expired at every plausible time nor refuse one valid at every plausible time; a pass whose
  validity changes inside the interval goes to the guard (docs/gate-rules.md).
- Once an office time is taken, later jumps of the system clock do not move it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.atomic import write_atomic
from kiosk.datafile import move_aside
from kiosk.model import ClockReading

log = logging.getLogger(__name__)

NTP_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
_FALLBACK_BOOT_ID = str(uuid.uuid4())  # one per process where the kernel gives none


@dataclass(frozen=True, slots=True)
class Estimate:
    """What the kiosk may believe about the time (epoch seconds) and why."""

    wall: float  # the best estimate: what events are stamped with
    earliest: float  # no plausible time is earlier
    latest: float  # nor later (as far as the evidence goes)
    trusted: bool
    doubt: str = ""  # which clock says what, when they disagree or nothing confirms the time


def estimate(
    system: float, server: float | None, floor: float | None, *, ntp: bool, tolerance: float
) -> Estimate:
    """Weigh the system clock, the office's time and the last trusted time (all carried to now).

    ``server`` and ``floor`` are None when unknown; ``ntp``: the system clock is NTP-synchronised.
    """
    behind = floor is not None and system < floor - tolerance
    if ntp and not behind:
        if server is not None and abs(server - system) > tolerance:
            doubt = f"{_says('office clock', server)}; {_says('NTP clock', system)}: kept"
            return Estimate(system, system, system, True, doubt)
        return Estimate(system, system, system, True)
    if server is not None and floor is not None and server < floor - tolerance:
        why = f"{_says('office clock', server)}, before the last trusted time {_text(floor)}"
        return _unconfirmed(system, None, floor, f"{why}: ignored")
    if server is None:
        return _unconfirmed(system, None, floor, "no NTP, no office time")
    witnesses = [floor] if behind else [system, floor]
    if any(w is not None and abs(server - w) <= tolerance for w in witnesses):
        return Estimate(server, server, server, True)
    return _unconfirmed(system, server, floor, "office time not confirmed by another clock")


def _unconfirmed(system: float, server: float | None, floor: float | None, why: str) -> Estimate:
    """Untrusted: the interval spans every clock not proven wrong; never before ``floor``."""
    plausible = [t for t in (system, server, floor) if t is not None]
    if floor is not None:
        plausible = [t for t in plausible if t >= floor]
    earliest = floor if floor is not None else min(plausible)
    wall = server if server is not None else max(plausible)
    parts = [why, _says("system clock", system)]
    if server is not None:
        parts.append(_says("office clock", server))
    if floor is not None:
        parts.append(f"last trusted time {_text(floor)}")
    return Estimate(wall, earliest, max(plausible), False, "; ".join(parts))


def _says(name: str, epoch: float) -> str:
    return f"{name} says {_text(epoch)}"


def _text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


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
        """The time to use now, how sure the kiosk is, and the interval of plausible times."""
        with self._lock:
            mono = self.monotonic()
            found = estimate(
                self.wall(),
                self._server_at(mono),
                self._floor_at(mono),
                ntp=self._ntp_synchronized(),
                tolerance=self._tolerance_s,
            )
            if found.trusted:
                self._floor = (found.wall, mono)
                self._persist(found.wall, mono, force=False)
        return ClockReading(
            _utc(found.wall),
            mono,
            found.trusted,
            earliest=_utc(found.earliest),
            latest=_utc(found.latest),
            doubt=found.doubt,
        )

    def effective_now(self) -> datetime:
        """The wall time expiry checks use (timezone-aware UTC)."""
        return self.read().wall

    def observe_server_time(self, server_wall: datetime) -> float:
        """Take the office server's time as evidence; return how far the system clock is off.

        Positive means the system clock is behind the server. Whether the kiosk believes the
        office is ``read()``'s business (see ``estimate``); nothing is saved here.
        """
        if server_wall.tzinfo is None:
            raise ValueError("server time must be timezone-aware (UTC)")
        server = server_wall.timestamp()
        with self._lock:
            self._server = (server, self.monotonic())
            correction = server - self.wall()
        if abs(correction) > self._tolerance_s:
            log.warning("system clock and office clock differ by %.0f s", correction)
        return correction

    @property
    def last_trusted(self) -> datetime | None:
        """The last trusted wall time (this boot or saved from an earlier one)."""
        with self._lock:
            floor = self._floor
        return None if floor is None else datetime.fromtimestamp(floor[0], UTC)

    # --- internals ----------------------------------------------------------------------------

    def _ntp_synchronized(self) -> bool:
        return self._ntp_flag.exists()

    def _server_at(self, mono: float) -> float | None:
        """The office's time carried forward on the monotonic clock."""
        if self._server is None:
            return None
        server, then = self._server
        return server + (mono - then)

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
        except OSError as e:
            log.warning("ignoring unreadable clock state %s: %s", self._state_file, e)
            return None
        except (ValueError, KeyError, TypeError) as e:
            self._set_aside(e)
            return None

    def _set_aside(self, error: Exception) -> None:
        """A damaged state file is kept for a person (never deleted) and a new one written."""
        assert self._state_file is not None
        try:
            kept = move_aside(self._state_file)
        except OSError as e:
            log.warning("ignoring damaged clock state %s (%s); not moved: %s",
                        self._state_file, error, e)  # fmt: skip
            return
        log.warning("damaged clock state %s (%s) kept as %s", self._state_file, error, kept.name)

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


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@contextmanager
def local_times_in(zone: str) -> Iterator[None]:
    """Make this process's local time the compound's zone (``policy.timezone``) until the end.

    The screen shows local times with ``astimezone()`` (alarms since, the event list, a pass's
    expiry); the system's zone is whatever the image shipped with (Raspberry Pi OS: London, a
    laptop: its own), while curfew hours and the office's pages use the policy's zone.
    """
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
