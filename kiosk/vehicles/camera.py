"""Plates in camera frames, offered to the lane the way QR codes are (drivers.base.QrDecoder).

The reader (kiosk.plates.reader.PlateReader, or a recorded-reads double) reads each frame; the
confirmer (kiosk.plates.confirm.PlateConfirmer) turns agreeing reads into one plate per
vehicle, so ``decode`` answers a plate once, on the frame that confirms it, and again on each
frame that still reads it. The reader wants colour (it checks a plate's background against its
format): a car gate's camera delivers RGB; a luminance frame is given as three equal channels.

Only the plate of the vehicle in front counts. A queue puts a second plate in the frame, the car
behind's: once the front car is at the barrier, the plate behind looks under ``FRONT_SHARE`` of
the front plate's height (it is at least a car's length further away) and is left out. Left in,
every frame read two plates and the confirmer, rightly unsure which car is at the barrier, never
confirmed either: the front car waited at a closed barrier for as long as the queue stood.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from drivers.base import GreyFrame, Sighting

__all__ = ["FRONT_SHARE", "PlateDecoder", "PlateSource", "as_rgb", "in_front"]

# A plate whose box is under this share of the tallest one's height is further back. The real
# OCR's boxes on the simulated camera are 74 px tall at 3 m, 58-62 at 4 m, 47 at 5 m, 38-42 at
# 7.5 m, 37 at 8.5 m and 33-37 at 9.5 m (kiosk.plates.reader.UNCLIP_RATIO): a car 4 m from the
# camera or closer (it stops for the barrier at about 3 m) has the car behind, a car's length
# (4.5 m) further, under 0.64 of its height. Further out both may count, and neither is
# confirmed until the front car has come closer.
FRONT_SHARE = 0.7


class _Read(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in frame pixels."""


class PlateSource(Protocol):
    """Reads plates in one RGB frame (kiosk.plates.reader.PlateReader)."""

    def read(self, frame: npt.NDArray[np.uint8]) -> Sequence[_Read]: ...


class Confirmer(Protocol):
    """One plate per vehicle from reads over several frames (kiosk.plates.confirm)."""

    @property
    def confirmed(self) -> str | None:
        """The plate of the vehicle in front, once confirmed (until it has gone)."""

    def feed(self, reads: Sequence[_Read], now: float) -> str | None: ...


class PlateDecoder:
    """A ``QrDecoder`` whose codes are confirmed plates in normal form."""

    name = "plates"

    def __init__(
        self, reader: PlateSource, confirmer: Confirmer, monotonic: Callable[[], float]
    ) -> None:
        self._reader, self._confirmer, self._monotonic = reader, confirmer, monotonic
        self._last: tuple[GreyFrame, Sequence[_Read]] | None = None

    def decode(self, frame: GreyFrame) -> list[str]:
        """The plate this frame confirms, or the one confirmed before while it is still read:
        a car waiting at the barrier stays in view, as a pass held up does (kiosk.codes)."""
        reads = in_front(self._reads(frame))
        plate = self._confirmer.feed(reads, self._monotonic())
        if plate is None and any(r.text == self._confirmer.confirmed for r in reads):
            plate = self._confirmer.confirmed
        return [plate] if plate else []

    def _reads(self, frame: GreyFrame) -> Sequence[_Read]:
        """The reader's reads of ``frame``; the very same array again (a camera that had no
        new frame, the simulator's still scene) is not read twice."""
        if self._last is not None and self._last[0] is frame:
            return self._last[1]
        reads = self._reader.read(as_rgb(frame))
        self._last = (frame, reads)
        return reads

    def unread(self) -> tuple[Sighting, ...]:
        """No aim hints: a driver cannot move the plate to suit the camera."""
        return ()


def as_rgb(frame: GreyFrame) -> npt.NDArray[np.uint8]:
    """``frame`` as the plate reader takes it: RGB, a luminance frame as three equal channels."""
    return frame if frame.ndim == 3 else np.repeat(frame[:, :, None], 3, axis=2)


def in_front(reads: Sequence[_Read]) -> Sequence[_Read]:
    """The reads of the vehicle in front: those at least ``FRONT_SHARE`` as tall as the tallest
    (two such plates stay, and the confirmer confirms neither)."""
    heights = [r.box[3] - r.box[1] for r in reads]
    if len(reads) < 2:
        return reads
    tallest = max(heights)
    return [r for r, h in zip(reads, heights, strict=True) if h >= FRONT_SHARE * tallest]
