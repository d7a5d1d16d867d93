"""A clock with one-shot timers, real (threads) or manual (tests and the simulator).

Drivers that must act later by themselves (the gate relay dropping, a contact settling
after its bounce) take a ``Timers`` so tests can move time by hand instead of sleeping.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Cancellable", "ManualTimers", "ThreadTimers", "Timers"]


class Cancellable(Protocol):
    """A pending call that can be called off."""

    def cancel(self) -> None: ...


class Timers(Protocol):
    """A monotonic clock and one-shot timers on it."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        """Call ``callback`` once, ``delay`` seconds from now, from some thread."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass on this clock."""
        ...


class ThreadTimers:
    """Real time: ``time.monotonic`` and daemon ``threading.Timer`` threads."""

    def now(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        """Run ``callback`` on a daemon timer thread after ``delay`` seconds."""
        timer = threading.Timer(delay, callback)
        timer.daemon = True  # a pending drop must not keep a dying process alive
        timer.start()
        return timer

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _Pending:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualTimers:
    """Time that moves only when ``advance()`` is called; timers fire inside ``advance``."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._queue: list[tuple[float, int, _Pending, Callable[[], None]]] = []
        self._order = itertools.count()
        self._pacers: list[Callable[[], None]] = []

    def now(self) -> float:
        """The manual clock."""
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        """Queue ``callback`` to run when the clock reaches now + ``delay``."""
        pending = _Pending()
        heapq.heappush(self._queue, (self._now + delay, next(self._order), pending, callback))
        return pending

    @property
    def pending(self) -> int:
        """How many timers are queued and not cancelled."""
        return sum(not entry[2].cancelled for entry in self._queue)

    def advance(self, seconds: float) -> None:
        """Move the clock on by ``seconds``, firing due timers in order at their due time."""
        until = self._now + seconds
        while self._queue and self._queue[0][0] <= until:
            due, _, pending, callback = heapq.heappop(self._queue)
            self._now = due
            if not pending.cancelled:
                callback()
        self._now = until
        for keep_up in self._pacers:
            keep_up()

    def sleep(self, seconds: float) -> None:
        """The same as ``advance``."""
        self.advance(seconds)

    def pace(self, keep_up: Callable[[], None]) -> None:
        """Call ``keep_up`` after every ``advance``: something that runs in real time (a
        control panel polling over a serial line) catches up before manual time moves on."""
        self._pacers.append(keep_up)
