"""Turning per-frame plate reads into one confirmed plate per vehicle.

One frame's read is not enough to open a barrier: a smudge can turn 8 into B. A plate is
confirmed when it is the only plate read in ``frames_needed`` consecutive reading frames, all
within ``window_s`` seconds, and no other plate has been read in the last ``window_s``. A
frame in which no plate was read at all (a blurred or glaring frame between two good ones)
neither counts nor breaks the run; a frame with another plate, or with two different plates,
breaks it, and holds any confirmation back until it is ``window_s`` old.

Once a plate is confirmed nothing else is, until no plate at all has been read for
``window_s`` seconds (the vehicle has gone) or the lane calls ``reset()`` after the passage:
a noisy sequence ("京A12345", "京A12345", "京A1234S", "京A1234S") yields one plate, never two.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

__all__ = ["PlateConfirmer"]


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


class PlateConfirmer:
    """Feed it each analysed frame's reads (``feed``); it answers with a plate once, when sure."""

    def __init__(self, frames_needed: int = 2, window_s: float = 1.0) -> None:
        if not 2 <= frames_needed <= 5:
            raise ValueError(f"frames_needed must be 2 to 5, got {frames_needed}")
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self.frames_needed = frames_needed
        self.window_s = window_s
        self.confirmed: str | None = None  # the plate of the vehicle in front, once confirmed
        self._run: list[float] = []  # times of the frames in the current run
        self._run_plate: str | None = None
        self._recent: list[tuple[float, str]] = []  # every plate read in the last window_s
        self._last_plate_at: float | None = None

    def feed(self, reads: Iterable[_HasText | str], now: float) -> str | None:
        """This frame's plate reads (normal form) at ``now`` (seconds, monotonic).

        Returns the plate when this frame confirms it, else None (also while it stays in view).
        """
        plates = {r if isinstance(r, str) else r.text for r in reads}
        self._expire(now)
        self._recent = [(t, p) for t, p in self._recent if now - t < self.window_s]
        self._recent += [(now, p) for p in sorted(plates)]
        if not plates:
            return None
        self._last_plate_at = now
        if len(plates) > 1 or self.confirmed is not None:
            self._break()
            return None
        (plate,) = plates
        return self._extend(plate, now)

    def reset(self) -> None:
        """Forget everything: the vehicle has passed, the next plate is a new one."""
        self.confirmed = None
        self._last_plate_at = None
        self._recent = []
        self._break()

    def _extend(self, plate: str, now: float) -> str | None:
        if plate != self._run_plate:
            self._run_plate, self._run = plate, []
        self._run = [t for t in self._run if now - t <= self.window_s] + [now]
        if len(self._run) < self.frames_needed:
            return None
        if any(other != plate for _, other in self._recent):
            return None  # another plate was read less than window_s ago: not sure yet
        self.confirmed = plate
        self._break()
        return plate

    def _expire(self, now: float) -> None:
        last = self._last_plate_at
        if self.confirmed is not None and last is not None and now - last >= self.window_s:
            self.reset()

    def _break(self) -> None:
        self._run_plate, self._run = None, []
