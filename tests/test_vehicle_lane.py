"""The car gate end to end through the real kiosk loop in simulated time: gpiozero mock pins
(barrier relay, vehicle loop on the door contact), a real SQLite log and office cache, plates
read by a scripted reader (tests/vehicle_support.py) through the real confirmer, vehicles and
the risk list in the office cache as the sync agent stores them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import App, build, plate_camera
from kiosk.commands.demo import CAR_GATE, demo_config
from kiosk.demo_scenario import Player, SimTime
from kiosk.exc import ConfigError
from kiosk.model import Direction, EventKind, Passage, Reason, RiskColour, Verdict
from kiosk.plates.geometry import CAMERA, Camera
from kiosk.vehicles.barrier import BARRIER_FALL_S
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind
from kiosk.view import AlarmCode, RegisterVisitor, SetDirection, Stage, UnlockGuard
from tests.vehicle_support import ScriptedPlates

START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)
CAR = Vehicle("veh-1", "京A12345", VehicleKind.RESIDENT, household_id="H-0101")
RED_CAR = Vehicle("veh-2", "京A23456", VehicleKind.RESIDENT, household_id="H-0102")
VISITOR = Vehicle(
    "veh-3",
    "京B34567",
    VehicleKind.VISITOR,
    household_id="H-0101",
    valid_from=START - timedelta(hours=1),
    valid_until=START + timedelta(hours=4),
    max_entries=1,
)
RISKY = "京C45678"
NOTHING_TO_REGISTER = "no unregistered vehicle the guard may let in has come to the barrier"


class CarGate:
    def __init__(self, app: App, player: Player, plates: ScriptedPlates) -> None:
        self.app, self.player, self.plates = app, player, plates
        assert app.sim is not None
        self.sim = app.sim

    def arrive(self, plate: str | None) -> None:
        """A car stops in front of the camera (a new scene), and its plate is what is read."""
        self.sim.present_plate(plate)
        self.plates.plate = plate

    def drive_through(self) -> None:
        """The vehicle in front rolls over the loop behind the barrier and on."""
        self.sim.set_door(True)
        self.player.run(1.5)
        self.sim.set_door(False)
        self.arrive(None)
        self.player.run(self.app.config.gpio.loop_clear_s + 0.5)

    def come_back(self) -> None:
        """A while later (the camera has long lost the plate: it is read as a new arrival)."""
        self.player.run(5)

    def decisions(self) -> list[Any]:
        return [e for e in self.app.log.recent(100) if e.kind is EventKind.DECISION]

    def alarms(self) -> list[Any]:
        return [e for e in self.app.log.recent(100) if e.kind is EventKind.ALARM]


def car_gate(tmp_path: Path, more: dict[str, Any] | None = None) -> CarGate:
    time = SimTime(START)
    plates = ScriptedPlates()
    config = demo_config(tmp_path, more={"lane.kind": "vehicle"} | (more or {}))
    app = build(config, sim=True, clock=time.clock, timers=time.timers, plate_reader=plates)
    for vehicle in (CAR, RED_CAR, VISITOR):
        app.office.put_vehicle(vehicle)
    app.office.put_risk(RiskReport(RISKY, "武汉", (START - timedelta(days=3)).date(), "city.csv"))
    app.office.set_household("H-0102", RiskColour.RED, START + timedelta(days=10))
    return CarGate(app, Player(app, time), plates)


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[CarGate]:
    rig = car_gate(tmp_path)
    yield rig
    rig.app.close()


def test_resident_car_lifts_the_barrier_after_the_decision_is_logged(gate: CarGate) -> None:
    relay = gate.app.hardware.gate
    real_open = relay.open
    logged_at_open: list[list[Any]] = []

    def spy(seconds: float) -> None:
        logged_at_open.append(gate.app.log.recent(5))
        real_open(seconds)

    relay.open = spy  # type: ignore[method-assign]
    gate.arrive(CAR.plate)
    view = gate.player.stage(Stage.OPEN, limit_s=10)
    assert view.gate_open and view.plate == CAR.plate
    [before] = logged_at_open
    event = before[0]
    assert event.verdict is Verdict.ALLOW and event.pass_id == "veh-1"
    assert event.household_id == "H-0101"
    assert event.data["lane"] == "vehicle" and event.data["plate"] == CAR.plate


def test_one_opening_lets_one_vehicle_through(gate: CarGate) -> None:
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    assert not gate.app.hardware.gate.is_open  # down as soon as the loop has stayed clear
    assert gate.player.run(1).stage is Stage.IDLE
    assert gate.alarms() == []


def test_a_second_vehicle_on_one_opening_is_a_tailgating_alarm(gate: CarGate) -> None:
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    gate.sim.set_door(True)  # the next car follows under the falling arm
    view = gate.player.run(0.5)
    assert [a.reason for a in view.alarms] == [Reason.VEHICLE_TAILGATING]
    assert view.alarms[0].code is AlarmCode.TAILGATING
    assert gate.alarms()[0].reason is Reason.VEHICLE_TAILGATING
    assert len([e for e in gate.decisions() if e.verdict is Verdict.ALLOW]) == 1


def test_a_loop_dropping_out_under_the_car_keeps_the_barrier_up(gate: CarGate) -> None:
    """A loop detector that reads clear for 0.1 s under a car (a flapping loop, a trailer's
    hitch) is not the car gone: the barrier stays up, and the car is no tailgater."""
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.sim.set_door(True)
    gate.player.run(0.5)
    gate.sim.set_door(False)
    gate.player.run(0.1)
    assert gate.app.hardware.gate.is_open
    gate.sim.set_door(True)
    gate.player.run(1.0)
    assert gate.app.hardware.gate.is_open and gate.alarms() == []
    gate.sim.set_door(False)
    gate.player.run(gate.app.config.gpio.loop_clear_s + 0.2)
    assert not gate.app.hardware.gate.is_open  # down once the loop has stayed clear


def test_a_vehicle_on_the_loop_long_after_the_barrier_came_down_forced_it(gate: CarGate) -> None:
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    gate.player.run(10)
    gate.sim.set_door(True)
    view = gate.player.run(0.5)
    assert [a.reason for a in view.alarms] == [Reason.DOOR_FORCED_OPEN]


def test_an_opening_no_vehicle_used_is_logged_unused(gate: CarGate) -> None:
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.arrive(None)  # it turned round
    gate.player.run(gate.app.config.gpio.open_s + 1)
    [unused] = [e for e in gate.app.log.recent(10) if e.reason is Reason.OPENING_UNUSED]
    assert unused.pass_id == "veh-1"
    gate.arrive(CAR.plate)  # so it may come in after all: no anti-passback
    assert gate.player.stage(Stage.OPEN, limit_s=10).reason is Reason.OK


def test_the_same_car_twice_in_is_refused(gate: CarGate) -> None:
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    gate.come_back()
    gate.arrive(CAR.plate)
    view = gate.player.stage(Stage.DENIED, limit_s=10)
    assert view.reason is Reason.ANTI_PASSBACK and not view.gate_open


def test_a_passage_at_another_lane_counts(gate: CarGate) -> None:
    passage = Passage("kiosk-02", "e-1", "demo", START, Direction.IN, "veh-1", "H-0101")
    gate.app.log.merge_passages([passage])
    gate.arrive(CAR.plate)
    assert gate.player.stage(Stage.DENIED, limit_s=10).reason is Reason.ANTI_PASSBACK


def test_quarantined_households_car_does_not_leave(gate: CarGate) -> None:
    gate.player.guard(UnlockGuard("1234"), SetDirection(Direction.OUT))
    gate.arrive(RED_CAR.plate)
    view = gate.player.stage(Stage.DENIED, limit_s=10)
    assert view.reason is Reason.QUARANTINE and not view.gate_open
    assert gate.decisions()[0].direction is Direction.OUT


def test_unknown_plate_calls_the_guard_with_the_plate(gate: CarGate) -> None:
    gate.arrive("粤B99999")
    view = gate.player.stage(Stage.GUARD, limit_s=10)
    assert view.reason is Reason.VEHICLE_UNKNOWN and not view.gate_open
    assert view.plate == "粤B99999"
    [alarm] = view.alarms
    assert alarm.code is AlarmCode.CHECK_VEHICLE and alarm.value == "粤B99999"
    event = gate.decisions()[0]
    assert event.pass_id is None and event.data["plate"] == "粤B99999"


def test_an_unregistered_risk_list_car_is_named_to_the_guard_as_such(gate: CarGate) -> None:
    """The guard called to an unknown car must learn it is on the risk list before registering
    it: the alarm was "Vehicle not registered", the list's report only in the log's alerts."""
    gate.arrive(RISKY)
    view = gate.player.stage(Stage.GUARD, limit_s=10)
    assert view.reason is Reason.VEHICLE_RISK_AREA and view.unregistered_plate == RISKY
    [alarm] = view.alarms
    assert alarm.reason is Reason.VEHICLE_RISK_AREA and alarm.value == RISKY
    decision = gate.decisions()[0]
    assert decision.data["alerts"] == ["vehicle_unknown"] and "武汉" in decision.data["detail"]


def test_a_resident_plate_one_lookalike_from_a_risk_plate_goes_to_the_guard(
    gate: CarGate,
) -> None:
    """A risk-list car (京A1234S) read the same wrong way twice as the resident's 京A12345 does
    not get the resident's opening: the guard looks."""
    listed = RiskReport("京A1234S", "武汉", (START - timedelta(days=2)).date(), "city.csv")
    gate.app.office.put_risk(listed)
    gate.arrive(CAR.plate)
    view = gate.player.stage(Stage.GUARD, limit_s=10)
    assert view.reason is Reason.VEHICLE_RISK_AREA and not view.gate_open
    assert "京A1234S" in gate.decisions()[0].data["detail"]


def test_visitor_car_entries_are_counted(gate: CarGate) -> None:
    gate.arrive(VISITOR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    gate.come_back()
    gate.player.guard(UnlockGuard("1234"), SetDirection(Direction.OUT))
    gate.arrive(VISITOR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    gate.come_back()
    gate.player.guard(SetDirection(Direction.IN))
    gate.arrive(VISITOR.plate)
    assert gate.player.stage(Stage.DENIED, limit_s=10).reason is Reason.VISITOR_LIMIT


def test_offline_the_car_gate_decides_from_its_cache(tmp_path: Path) -> None:
    """A kiosk that syncs, office unreachable: a complete cache decides; an incomplete one
    (new, or reset) sends every car to the guard."""
    rig = car_gate(tmp_path, {"sync.server_url": "https://office.invalid"})
    try:
        rig.app.network.set(False)
        rig.arrive(CAR.plate)
        view = rig.player.stage(Stage.GUARD, limit_s=10)
        assert view.reason is Reason.OFFICE_DATA_INCOMPLETE and not view.gate_open
        rig.arrive(None)
        rig.player.run(20)
        rig.app.office.set_cursor("7")
        rig.app.office.mark_complete()
        rig.arrive(CAR.plate)
        assert rig.player.stage(Stage.OPEN, limit_s=10).gate_open
    finally:
        rig.app.close()


def test_the_guard_registers_an_unknown_car_as_a_visitor(gate: CarGate) -> None:
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    gate.player.run(15)  # the guard walks over
    gate.player.guard(UnlockGuard("1234"), RegisterVisitor("13800000000", "搬家", "H-0101"))
    view = gate.app.kiosk.view()
    assert view.stage is Stage.OPEN and view.reason is Reason.VEHICLE_REGISTERED
    event = gate.app.log.recent(5)[0]
    assert event.kind is EventKind.VISITOR and event.verdict is Verdict.ALLOW
    assert event.pass_id is not None and event.pass_id.startswith("guard-")
    assert event.household_id == "H-0101"
    assert event.data["plate"] == "粤B99999" and event.data["phone"] == "13800000000"


def test_the_guard_cannot_register_a_car_that_has_driven_off(gate: CarGate) -> None:
    """Registered after it left, the barrier would lift for whoever drives up next."""
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    gate.arrive(None)  # it turns round and goes
    gate.player.run(15)
    assert gate.app.kiosk.submit(UnlockGuard("1234")).ok
    result = gate.app.kiosk.submit(RegisterVisitor("13800000000", "搬家", "H-0101"))
    assert (
        not result.ok and result.detail == "粤B99999 has left the barrier: nothing was registered"
    )
    assert not gate.app.kiosk.view().gate_open
    assert not [e for e in gate.app.log.recent(10) if e.kind is EventKind.VISITOR]


def test_the_guards_visitor_form_names_the_car_it_lets_in(gate: CarGate) -> None:
    """The form registers the last unknown car at the barrier: its button says which one."""

    def visitor_form() -> tuple[list[str], list[str]]:
        import pygame

        from ui.screen import Screen
        from ui.state import Page

        screen = Screen(gate.app.kiosk, pygame.Surface((800, 480)), language="en")
        screen.draw()
        assert gate.app.kiosk.submit(UnlockGuard("1234")).ok
        screen.state.page = Page.VISITOR
        screen.draw()
        return [t.text for t in screen.canvas.texts], [b.label for b in screen.canvas.buttons]

    texts, buttons = visitor_form()
    assert "No car to register" in texts and "No car to register" not in buttons
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    texts, buttons = visitor_form()
    assert "Register 粤B99999" in texts


def test_a_car_registered_for_a_quarantined_household_is_refused(gate: CarGate) -> None:
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    gate.player.guard(UnlockGuard("1234"), RegisterVisitor("13800000000", "送货", "H-0102"))
    view = gate.app.kiosk.view()
    assert view.stage is Stage.DENIED and view.reason is Reason.QUARANTINE


def test_registering_needs_an_unknown_car_at_the_barrier(gate: CarGate) -> None:
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    assert gate.app.kiosk.submit(UnlockGuard("1234")).ok
    result = gate.app.kiosk.submit(RegisterVisitor("13800000000", "搬家", "H-0101"))
    assert not result.ok and result.detail == NOTHING_TO_REGISTER


def test_a_refused_risk_list_car_cannot_be_registered_past_the_refusal(tmp_path: Path) -> None:
    """Under vehicle_risk = "refuse" the guard's visitor form does not lift the barrier for the
    risk-list car the rules refused (registering ignores the risk list: it is the guard's call
    only where the policy leaves it to the guard)."""
    gate = car_gate(tmp_path, {"policy.vehicle_risk": "refuse"})
    gate.arrive(RISKY)
    assert gate.player.stage(Stage.DENIED, limit_s=10).reason is Reason.VEHICLE_RISK_AREA
    assert gate.app.kiosk.submit(UnlockGuard("1234")).ok
    result = gate.app.kiosk.submit(RegisterVisitor("13800000000", "搬家", "H-0101"))
    assert not result.ok and result.detail == NOTHING_TO_REGISTER
    assert not gate.app.kiosk.view().gate_open
    gate.app.close()


def test_no_frame_is_read_while_the_barrier_is_up_or_coming_down(gate: CarGate) -> None:
    """Reading a plate is slow: the loop is watched at every tick while it matters."""
    gate.arrive(CAR.plate)
    gate.player.stage(Stage.OPEN, limit_s=10)
    read = gate.plates.frames
    gate.player.run(2)
    gate.drive_through()
    gate.player.run(BARRIER_FALL_S - 1)
    assert gate.plates.frames == read
    gate.player.run(2)
    assert gate.plates.frames > read


def test_a_car_waiting_at_the_barrier_keeps_its_verdict_on_screen(gate: CarGate) -> None:
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    view = gate.player.run(30)
    assert view.stage is Stage.GUARD and view.plate == "粤B99999"
    assert len(gate.decisions()) == 1  # one decision for one car, however long it waits
    gate.arrive(None)
    assert gate.player.run(15).stage is Stage.IDLE


def test_each_unknown_car_is_its_own_alarm(gate: CarGate) -> None:
    gate.arrive("粤B99999")
    gate.player.stage(Stage.GUARD, limit_s=10)
    gate.arrive(None)
    gate.player.run(15)
    gate.arrive("粤B88888")
    view = gate.player.stage(Stage.GUARD, limit_s=10)
    assert sorted(a.value for a in view.alarms) == ["粤B88888", "粤B99999"]


def test_the_camera_s_measured_placement_is_the_readers_and_the_simulators(
    tmp_path: Path,
) -> None:
    assert plate_camera(demo_config(tmp_path, more={"lane.kind": "vehicle"})) is None  # unmeasured
    demo = demo_config(tmp_path, more=CAR_GATE)
    assert plate_camera(demo) == CAMERA  # the demo's camera is the modelled one
    steep = demo_config(
        tmp_path,
        more=CAR_GATE
        | {
            "lane.camera_fov_deg": 45.0,
            "lane.camera_height_m": 1.4,
            "lane.camera_aim_m": 4.0,
        },
    )
    assert plate_camera(steep) == Camera(1280, 720, hfov_deg=45.0, mount_m=1.4, aim_m=4.0)
    with build(steep, sim=True, plate_reader=ScriptedPlates()) as app:
        assert app.hardware.camera.camera == plate_camera(steep)  # type: ignore[attr-defined]


def test_a_placement_that_sees_no_plate_is_refused_at_start(tmp_path: Path) -> None:
    aimed_too_far = CAR_GATE | {
        "lane.camera_fov_deg": 20.0,
        "lane.camera_height_m": 2.5,
        "lane.camera_aim_m": 20.0,
    }
    with pytest.raises(ConfigError, match="would see no plate 2-8 m out") as refused:
        build(demo_config(tmp_path, more=aimed_too_far), sim=True, plate_reader=ScriptedPlates())
    assert "camera_fov_deg = 0" in str(refused.value)


# 京A1234S is one look-alike character (5 / S) from CAR's 京A12345.
LOOKALIKE_RED = Vehicle("veh-9", "京A1234S", VehicleKind.RESIDENT, household_id="H-0102")


def test_a_car_let_in_whose_lookalike_would_not_be_goes_to_the_guard(gate: CarGate) -> None:
    """A quarantined household's car read as a white household's registered look-alike (the
    reader took S for 5) would leave: the guard looks which of the two it is."""
    gate.app.office.put_vehicle(LOOKALIKE_RED)
    gate.player.guard(UnlockGuard("1234"), SetDirection(Direction.OUT))
    gate.arrive(CAR.plate)
    view = gate.player.stage(Stage.GUARD, limit_s=10)
    assert view.reason is Reason.VEHICLE_LOOKALIKE and not view.gate_open
    (decision,) = gate.decisions()
    assert "京A1234S" in decision.data["detail"] and "quarantine" in decision.data["detail"]


def test_a_car_whose_lookalike_would_be_let_in_too_opens(gate: CarGate) -> None:
    gate.app.office.put_vehicle(replace(LOOKALIKE_RED, household_id="H-0101"))
    gate.arrive(CAR.plate)
    assert gate.player.stage(Stage.OPEN, limit_s=10).gate_open
