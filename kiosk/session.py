"""Who is at the gate (a person, or a vehicle by its plate): what the lane knows while it decides,
and a person's masked name."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.model import (
    Decision,
    History,
    HouseholdStatus,
    PassClaims,
    TemperatureReading,
    Verification,
)
from kiosk.temperature import Measurement
from kiosk.vehicles.model import Vehicle
from kiosk.view import RegisterVisitor

__all__ = ["Session", "mask_name"]


@dataclass(slots=True)
class Session:
    """The person at the gate: their credential (or the guard's visitor record) and progress."""

    text: str
    verification: Verification | None
    claims: PassClaims | None
    household: HouseholdStatus
    history: History
    hcert: Verification | None = None
    measurement: Measurement | None = None
    attempt: int = 1
    visitor: RegisterVisitor | None = None
    deadline: float = 0.0  # for waiting on a second code
    # An "open" decided while the gate is still open for the person before (not yet logged).
    waiting: tuple[Decision, TemperatureReading | None] | None = None
    # The car gate: the confirmed plate, and its registration when the office knows it.
    plate: str | None = None
    vehicle: Vehicle | None = None


def mask_name(name: str) -> str:
    """王小华 → 王*华, 张三 → 张*, John Smith → J*h: enough for the holder, not for a passer-by."""
    name = name.strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2 if len(name) <= 4 else 1) + name[-1]
