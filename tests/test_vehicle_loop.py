"""The barrier and its vehicle loop as drivers use them: a car that stops on the loop, a
trailer behind its tractor, a loop that flickers or sticks (kiosk.doorway at the car gate),
through the real kiosk loop in simulated time (tests/test_vehicle_lane.py's rig)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.model import Reason, Verdict
from kiosk.view import AcknowledgeAlarm, Stage
from tests.test_vehicle_lane import CAR, VISITOR, CarGate, car_gate


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[CarGate]:
    rig = car_gate(tmp_path)
    yield rig
    rig.app.close()


def lifted_for(gate: CarGate, plate: str) -> None:
    gate.arrive(plate)
    gate.player.stage(Stage.OPEN, limit_s=10)


def test_the_arm_stays_up_while_the_car_let_through_stands_on_the_loop(gate: CarGate) -> None:
    """A car stopped on the loop (a queue inside) longer than the opening: the arm waits for it."""
    lifted_for(gate, CAR.plate)
    gate.sim.set_door(True)
    for _ in range(4):
        gate.player.run(gate.app.config.gpio.open_s / 2)
        assert gate.app.hardware.gate.is_open
    gate.sim.set_door(False)
    gate.arrive(None)
    gate.player.run(1)
    assert not gate.app.hardware.gate.is_open  # down once it has gone
    assert [d.verdict for d in gate.decisions()] == [Verdict.ALLOW]
    assert gate.alarms() == []


def test_a_trailer_behind_its_car_is_no_tailgater_and_the_arm_waits_for_it(
    gate: CarGate,
) -> None:
    """The loop loses a car towing a trailer over the drawbar (about 1 m: 0.7 s at 5 km/h):
    that is the same vehicle, not a second one, and the arm does not come down on the trailer."""
    lifted_for(gate, CAR.plate)
    gate.sim.set_door(True)  # the car
    gate.player.run(2)
    gate.sim.set_door(False)  # the drawbar
    gate.player.run(0.7)
    assert gate.app.hardware.gate.is_open
    gate.sim.set_door(True)  # the trailer
    gate.player.run(2)
    gate.sim.set_door(False)
    gate.arrive(None)
    gate.player.run(gate.app.config.gpio.loop_clear_s + 0.2)
    assert not gate.app.hardware.gate.is_open
    assert gate.alarms() == []


def test_a_car_following_after_the_clear_time_is_a_tailgater(tmp_path: Path) -> None:
    """Where no trailers come, [gpio] loop_clear_s may be short, and a car following closer is
    still told from the one before."""
    gate = car_gate(tmp_path, {"gpio.loop_clear_s": 0.3})
    lifted_for(gate, CAR.plate)
    gate.sim.set_door(True)
    gate.player.run(2)
    gate.sim.set_door(False)
    gate.player.run(0.5)
    assert not gate.app.hardware.gate.is_open
    gate.sim.set_door(True)
    view = gate.player.run(0.5)
    assert [a.reason for a in view.alarms] == [Reason.VEHICLE_TAILGATING]
    gate.app.close()


def test_a_loop_stuck_occupied_does_not_undo_the_entries_it_cannot_see(gate: CarGate) -> None:
    """With the loop stuck (its alarm open), a one-entry visitor car let in counts as in: logged
    unused, it came in again and again on its one entry."""
    gate.sim.set_door(True)
    gate.player.run(2)
    lifted_for(gate, VISITOR.plate)
    gate.player.run(gate.app.config.gpio.open_s + 1)
    gate.arrive(None)
    gate.player.run(10)
    gate.arrive(VISITOR.plate)
    view = gate.player.stage(Stage.DENIED, limit_s=10)
    assert view.reason is Reason.ANTI_PASSBACK
    assert not [e for e in gate.app.log.recent(20) if e.reason is Reason.OPENING_UNUSED]


def test_a_blip_of_the_loop_before_the_car_is_on_it_does_not_use_up_its_opening(
    gate: CarGate,
) -> None:
    """Detector noise (0.1 s occupied) while the arm waits: taken for the car gone over, the arm
    came down in front of it and its entry was spent (anti-passback at the next try)."""
    lifted_for(gate, CAR.plate)
    gate.sim.set_door(True)
    gate.player.run(0.1)
    gate.sim.set_door(False)
    gate.player.run(2)
    assert gate.app.hardware.gate.is_open
    gate.drive_through()
    assert not gate.app.hardware.gate.is_open
    assert gate.alarms() == []
    assert not [e for e in gate.app.log.recent(20) if e.reason is Reason.OPENING_UNUSED]


def test_a_waiting_car_whose_plate_is_lost_for_moments_is_decided_once(gate: CarGate) -> None:
    """Glare, a passer-by in front of the camera: a plate unread for 3 s at a time is the same
    car still waiting, not a new arrival to log and alarm again each time."""
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    [alarm] = gate.app.kiosk.view().alarms
    gate.player.guard(AcknowledgeAlarm(alarm.alarm_id))
    for _ in range(5):
        gate.arrive(None)
        gate.player.run(3)
        gate.arrive("粤B99999")
        gate.player.run(3)
    view = gate.app.kiosk.view()
    assert view.stage is Stage.GUARD and view.alarms == ()
    assert len(gate.decisions()) == 1
