"""Turning per-frame plate reads into one confirmed plate per vehicle.

One frame's read is not enough to open a barrier: a smudge can turn 8 into B. A plate is
confirmed when, over the reading frames of the last ``window_s`` seconds, its reads outnumber
the reads of every other plate put together by ``frames_needed``: two reads and nothing else,
or three reads and one of another plate (a frame at 8 m where mud turned T into 1). A frame in
which no plate was read at all (a blurred or glaring frame between two good ones) counts for
nothing; a frame with two different plates (two cars side by side, or one plate read two
ways) holds every confirmation back until it is ``window_s`` old.

Why a margin and not a run: if the reader misreads a frame independently of the others, n
reads of a plate and m of others are as strong a case for it, against the plate the others
spell, as n - m reads and no others. Three to one is as sure as two to none, the old rule's
minimum; two to one (the plate read, a misread, the plate again) is not enough, and the same
wrong plate must win by the same margin to be confirmed.

Once a plate is confirmed nothing else is, until no plate at all has been read for
``window_s`` seconds (the vehicle has gone) or the lane calls ``reset()`` after the passage:
a noisy sequence ("京A12345", "京A12345", "京A1234S", "京A1234S") yields one plate, never two.
"""

from __future__ import annotations

from collections import Counter
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
        self._recent: list[tuple[float, frozenset[str]]] = []  # reading frames in the window
        self._last_plate_at: float | None = None

    def feed(self, reads: Iterable[_HasText | str], now: float) -> str | None:
        """This frame's plate reads (normal form) at ``now`` (seconds, monotonic).

        Returns the plate when this frame confirms it, else None (also while it stays in view).
        """
        plates = frozenset(r if isinstance(r, str) else r.text for r in reads)
        self._expire(now)
        self._recent = [(t, p) for t, p in self._recent if now - t <= self.window_s]
        if not plates:
            return None
        self._recent.append((now, plates))
        self._last_plate_at = now
        if self.confirmed is not None:
            return None
        return self._winner(plates)

    def reset(self) -> None:
        """Forget everything: the vehicle has passed, the next plate is a new one."""
        self.confirmed = None
        self._last_plate_at = None
        self._recent = []

    def _winner(self, candidates: frozenset[str]) -> str | None:
        """The plate of ``candidates`` whose reads in the window outnumber all others' by
        ``frames_needed``, if one does."""
        now = self._recent[-1][0]
        support = Counter(p for _, plates in self._recent for p in plates)
        # a read of another plate exactly window_s old no longer counts against (as it did
        # when this rule was a run of consecutive frames), a read of the plate itself still does
        recent = [plates for t, plates in self._recent if now - t < self.window_s]
        if any(len(plates) > 1 for plates in recent):
            return None  # two plates in one frame: which car is at the barrier?
        against = Counter(p for plates in recent for p in plates)
        total = sum(against.values())
        for plate in sorted(candidates):
            if support[plate] - (total - against[plate]) >= self.frames_needed:
                self.confirmed = plate
                return plate
        return None

    def _expire(self, now: float) -> None:
        last = self._last_plate_at
        if self.confirmed is not None and last is not None and now - last >= self.window_s:
            self.reset()
