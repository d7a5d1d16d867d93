"""The kiosk loop thread: ``Kiosk.tick`` at the camera's frame rate, and proof of life of it and
of the UI thread (what the systemd watchdog is fed on)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = ["KioskRunner", "Pulse", "StopWatch", "watchdog_problem"]


class Tickable(Protocol):
    def tick(self) -> object: ...


class KioskRunner:
    """Runs ``kiosk.tick()`` every ``period_s`` in its own thread (the one that owns the drivers).

    A tick that raises is logged and the loop goes on (one bad frame must not stop the gate);
    ``alive()`` tells whether ticks still succeed, which is what the systemd watchdog reports.
    """

    def __init__(
        self,
        kiosk: Tickable,
        period_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if period_s <= 0:
            raise ValueError(f"period_s must be positive, got {period_s}")
        self.kiosk = kiosk
        self.period_s = period_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_ok: float | None = None  # monotonic time of the last tick that returned
        self.ticks = 0
        self.errors = 0

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the kiosk loop is already running")
        self._thread = threading.Thread(target=self._loop, name="kiosk-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def alive(self, max_age_s: float | None = None) -> bool:
        """True while the thread runs and a tick succeeded in the last ``max_age_s``."""
        limit = max_age_s if max_age_s is not None else 5 * self.period_s + 1.0
        thread_ok = self._thread is not None and self._thread.is_alive()
        recent = self.last_ok is not None and self._monotonic() - self.last_ok <= limit
        return thread_ok and recent

    def step(self) -> None:
        """One tick, its failure logged rather than raised."""
        try:
            self.kiosk.tick()
        except Exception:
            self.errors += 1
            if self.errors <= 10 or self.errors % 1000 == 0:
                log.exception("kiosk tick failed (%d so far)", self.errors)
            return
        self.ticks += 1
        self.last_ok = self._monotonic()

    def _loop(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            started = self._monotonic()
            self.step()
            delay = max(0.0, self.period_s - (self._monotonic() - started))


class Pulse:
    """When a thread last showed it is alive; ``fresh()`` tells whether that was recent.

    The UI thread beats through ``StopWatch.is_set``, which its loop asks at least every
    frame; a UI stuck in a draw or a driver call stops beating, and the watchdog notices.
    Creation counts as a beat, so a thread gets ``max_age_s`` to start.
    """

    def __init__(
        self, max_age_s: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age_s = max_age_s
        self._monotonic = monotonic
        self.last = monotonic()

    def beat(self) -> None:
        self.last = self._monotonic()

    def age(self) -> float:
        """Seconds since the last beat."""
        return self._monotonic() - self.last

    def fresh(self) -> bool:
        return self.age() <= self.max_age_s


class StopWatch:
    """A stop flag for the UI loop whose every ``is_set()`` is also the UI's heartbeat."""

    def __init__(self, stop: threading.Event, pulse: Pulse) -> None:
        self.stop, self.pulse = stop, pulse

    def is_set(self) -> bool:
        self.pulse.beat()
        return self.stop.is_set()


def watchdog_problem(runner: KioskRunner, ui: Pulse | None) -> str | None:
    """Why the systemd watchdog must not be fed now, or None when the kiosk is healthy."""
    if not runner.alive():
        return "kiosk loop not ticking"
    if ui is not None and not ui.fresh():
        return f"UI thread silent for {ui.age():.1f} s (hung in a draw or a driver?)"
    return None
