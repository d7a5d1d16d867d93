"""The scripted day at the car gate (``kiosk demo --lane vehicle``), on the demo community.

The cars of the day, registered as the office would register them (a household's own car, a
visitor's car a resident invited, a car on the city's risk list), and ``run_car_day`` to play
them on a simulated car gate: the simulated gate camera renders each car with its plate, the
plate reader reads it, the barrier relay and the vehicle loop are mock pins. The stories: a
resident car comes home, an invited visitor, a car on the risk list (the guard decides), an
unknown car the guard registers as a visitor's, a quarantined household's car that may not
leave, and a second car that follows the first under the falling arm (tailgating).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.app import App
from kiosk.demo_scenario import DemoError, Player, Step, StepRecorder
from kiosk.model import Direction, Reason
from kiosk.office import OfficeData
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind
from kiosk.view import AcknowledgeAlarm, KioskView, RegisterVisitor, SetDirection, Stage

__all__ = ["CarWorld", "make_cars", "run_car_day"]

UNKNOWN = "粤C51888"  # nobody registered it: the guard does, as a visitor's car
FOLLOWER = "苏E66666"  # the car that follows under the falling arm
RISK_AREA = "武汉市江汉区"


@dataclass(frozen=True)
class CarWorld:
    """The day's registered cars and the city's risk list."""

    vehicles: dict[str, Vehicle]  # by story label
    risks: tuple[RiskReport, ...]

    def plate(self, label: str) -> str:
        return self.vehicles[label].plate

    def install(self, office: OfficeData) -> None:
        """Put them in the kiosk's office cache (``--no-office``: as if downloaded)."""
        for vehicle in self.vehicles.values():
            office.put_vehicle(vehicle)
        for report in self.risks:
            office.put_risk(report)


def make_cars(now: datetime) -> CarWorld:
    """The cars of the demo community (households of kiosk.demo_world.make_world)."""
    vehicles = {
        "resident": Vehicle("veh-0101", "京A12345", VehicleKind.RESIDENT, household_id="H-0101"),
        "visitor": Vehicle(
            "veh-v001",
            "津B23456",
            VehicleKind.VISITOR,
            household_id="H-0101",
            valid_from=now - timedelta(hours=8),
            valid_until=now + timedelta(hours=16),
            max_entries=2,
        ),
        "risk": Vehicle("veh-0102", "鄂A67890", VehicleKind.RESIDENT, household_id="H-0102"),
        "quarantine": Vehicle("veh-0303", "京N3K303", VehicleKind.RESIDENT, household_id="H-0303"),
    }
    visited = (now - timedelta(days=3)).date()
    risks = (RiskReport(vehicles["risk"].plate, RISK_AREA, visited, "city-risk-list.csv"),)
    return CarWorld(vehicles, risks)


def run_car_day(
    app: App, cars: CarWorld, player: Player, on_step: Callable[[Step], None]
) -> list[Step]:
    """Play the car gate's stories on ``app`` (built with sim=True, [lane] kind = "vehicle")."""
    sim = app.sim
    if sim is None or app.kiosk.vehicles is None:
        raise DemoError('the car day needs a simulated car gate: [lane] kind = "vehicle"')
    record = StepRecorder(app, on_step)
    steps: list[Step] = []

    def car(plate: str, stage: Stage) -> KioskView:
        sim.present_plate(plate)
        return player.stage(stage)

    def drive_through() -> None:
        sim.set_door(True)  # on the loop behind the arm
        player.run(2)
        sim.set_door(False)
        sim.present_plate(None)

    def gone() -> None:
        sim.present_plate(None)
        player.until(lambda v: v.stage is Stage.IDLE, "idle")
        player.run(10)  # the arm is down, the camera has lost the car

    def acknowledge(reason: Reason) -> None:
        alarms = [a for a in app.kiosk.view().alarms if a.reason is reason]
        player.guard(*(AcknowledgeAlarm(a.alarm_id) for a in alarms))

    view = car(cars.plate("resident"), Stage.OPEN)
    steps.append(record("A resident's car comes home: the barrier lifts", view))
    drive_through()
    gone()

    view = car(cars.plate("visitor"), Stage.OPEN)
    steps.append(record("A visitor's car a resident invited for today", view))
    drive_through()
    gone()

    view = car(cars.plate("risk"), Stage.GUARD)
    steps.append(record("A car on the city's risk list: the guard decides", view))
    acknowledge(Reason.VEHICLE_RISK_AREA)
    gone()

    view = car(UNKNOWN, Stage.GUARD)
    steps.append(record("An unknown car: the guard is called", view))
    player.guard(RegisterVisitor("13912345678", "搬家", "H-0101"))
    view = player.stage(Stage.OPEN)
    steps.append(record("The guard registers it as a visitor's car of 4-1-101", view))
    acknowledge(Reason.VEHICLE_UNKNOWN)
    drive_through()
    gone()

    player.guard(SetDirection(Direction.OUT))
    view = car(cars.plate("resident"), Stage.OPEN)
    steps.append(record("The resident's car goes out ...", view))
    sim.set_door(True)
    player.run(2)
    sim.set_door(False)
    sim.present_plate(FOLLOWER)
    player.run(2)  # longer than [gpio] loop_clear_s: a second car, not a trailer
    sim.set_door(True)  # ... and a second car follows under the falling arm
    view = player.run(2)
    steps.append(record("... a second car follows under the falling arm: tailgating", view))
    sim.set_door(False)
    acknowledge(Reason.VEHICLE_TAILGATING)
    gone()

    view = car(cars.plate("quarantine"), Stage.DENIED)
    steps.append(record("A quarantined household's car may not leave", view))
    acknowledge(Reason.QUARANTINE)
    gone()
    player.guard(SetDirection(Direction.IN))
    return steps
