"""Plates in camera frames, offered to the lane the way QR codes are (drivers.base.QrDecoder).

The reader (kiosk.plates.reader.PlateReader, or a recorded-reads double) reads each frame; the
confirmer (kiosk.plates.confirm.PlateConfirmer) turns consecutive reads into one plate per
vehicle, so ``decode`` answers a plate once, on the frame that confirms it, and again on each
frame that still reads it. The reader wants colour (it checks a plate's background against its
format): a car gate's camera delivers RGB; a luminance frame is given as three equal channels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from drivers.base import GreyFrame, Sighting

__all__ = ["PlateDecoder", "PlateSource"]


class _Read(Protocol):
    @property
    def text(self) -> str: ...


class PlateSource(Protocol):
    """Reads plates in one RGB frame (kiosk.plates.reader.PlateReader)."""

    def read(self, frame: npt.NDArray[np.uint8]) -> Sequence[_Read]: ...


class Confirmer(Protocol):
    """One plate per vehicle from reads in consecutive frames (kiosk.plates.confirm)."""

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
        reads = self._reads(frame)
        plate = self._confirmer.feed(reads, self._monotonic())
        if plate is None and any(r.text == self._confirmer.confirmed for r in reads):
            plate = self._confirmer.confirmed
        return [plate] if plate else []

    def _reads(self, frame: GreyFrame) -> Sequence[_Read]:
        """The reader's reads of ``frame``; the very same array again (a camera that had no
        new frame, the simulator's still scene) is not read twice."""
        if self._last is not None and self._last[0] is frame:
            return self._last[1]
        rgb = frame if frame.ndim == 3 else np.repeat(frame[:, :, None], 3, axis=2)
        reads = self._reader.read(rgb)
        self._last = (frame, reads)
        return reads

    def unread(self) -> tuple[Sighting, ...]:
        """No aim hints: a driver cannot move the plate to suit the camera."""
        return ()
