"""Doubles for the car gate's tests: plates "read" as scripted, and a vehicle registry in memory
over the kiosk's real office cache (household colours, completeness)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kiosk.model import HouseholdStatus
from kiosk.office import OfficeData
from kiosk.vehicles.model import RiskReport, Vehicle


@dataclass(frozen=True)
class Read:
    text: str


class ScriptedPlates:
    """A plate reader that reads whatever plate the test put in front of the camera."""

    def __init__(self) -> None:
        self.plate: str | None = None
        self.frames = 0

    def read(self, frame: npt.NDArray[np.uint8]) -> Sequence[Read]:
        assert frame.ndim == 3 and frame.shape[2] == 3  # the reader is given RGB
        self.frames += 1
        return [Read(self.plate)] if self.plate else []


@dataclass
class Registry:
    """``VehicleOffice`` with vehicles and risk reports in dictionaries; household colours and
    completeness from ``office`` (set once the app has made it)."""

    office: OfficeData | None = None
    vehicles: dict[str, Vehicle] = field(default_factory=dict)
    risks: dict[str, RiskReport] = field(default_factory=dict)

    def add(self, *vehicles: Vehicle) -> None:
        self.vehicles.update((v.plate, v) for v in vehicles)

    def vehicle(self, plate: str) -> Vehicle | None:
        return self.vehicles.get(plate)

    def risk_report(self, plate: str) -> RiskReport | None:
        return self.risks.get(plate)

    def household(self, household_id: str) -> HouseholdStatus:
        assert self.office is not None
        return self.office.household(household_id)

    def complete(self) -> bool:
        assert self.office is not None
        return self.office.complete()
