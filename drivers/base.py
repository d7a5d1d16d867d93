"""The small interfaces every hardware back end implements.

Real and simulated back ends live side by side in this package; ``kiosk.app`` is the
one composition root that picks them from the configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

GreyFrame = npt.NDArray[np.uint8]  # 2-D luminance (Y plane), shape (height, width)


@runtime_checkable
class FrameSource(Protocol):
    """Gives the newest camera frame as a luminance plane."""

    def read(self) -> GreyFrame | None:
        """Return the newest frame, or None when no new frame is ready."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Sighting:
    """A QR code seen but not read: its bounding box in frame pixels."""

    x: int
    y: int
    width: int
    height: int


@runtime_checkable
class QrDecoder(Protocol):
    """Finds QR codes (QR symbols only) in a luminance frame."""

    name: str

    def decode(self, frame: GreyFrame) -> list[str]:
        """Return the text of every QR code found, possibly none."""
        ...

    def unread(self) -> tuple[Sighting, ...]:
        """Codes the last ``decode`` saw but could not read (empty if it cannot tell)."""
        ...


@runtime_checkable
class Thermometer(Protocol):
    """A contactless thermometer. Raises kiosk.exc.SensorFault on a bad or missing read."""

    def ambient(self) -> float:
        """Sensor die (ambient) temperature in degrees Celsius."""
        ...

    def object(self) -> float:
        """Object (forehead) temperature in degrees Celsius."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Gate(Protocol):
    """The gate relay. Fail-secure: closed at start, on close() and on crash."""

    @property
    def is_open(self) -> bool: ...

    def open(self, seconds: float) -> None:
        """Energise the relay; it drops by itself after ``seconds`` even if the caller stalls."""
        ...

    def close_gate(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Indicator(Protocol):
    """Buzzer and status LEDs: named patterns ("pass", "refuse", "alarm", "idle")."""

    def show(self, pattern: str) -> None: ...

    def close(self) -> None: ...


class Beacon(Protocol):
    """A booth light or siren the alarms switch on for a while."""

    def light_for(self, seconds: float) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Contact(Protocol):
    """A door contact or a push button; ``active`` means door open / button pressed."""

    @property
    def active(self) -> bool: ...

    def when_changed(self, callback: Callable[[bool], None] | None) -> None: ...

    def close(self) -> None: ...
