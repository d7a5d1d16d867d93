"""The guard registers an unknown car whose plate the reader misread: the plate as corrected is
what is registered and logged, and a corrected plate the office or the risk list knows is decided
by the rules, not let in as a visitor (tests/test_vehicle_lane.py's rig)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.model import EventKind, Reason, Verdict
from kiosk.plates.formats import next_lookalike
from kiosk.view import RegisterVisitor, Stage, UnlockGuard
from tests.test_vehicle_lane import CAR, RISKY, CarGate, car_gate

MISREAD = "粤B9999S"  # the car carries 粤B99995


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[CarGate]:
    rig = car_gate(tmp_path)
    yield rig
    rig.app.close()


def register(gate: CarGate, plate: str) -> tuple[bool, str]:
    assert gate.app.kiosk.submit(UnlockGuard("1234")).ok
    result = gate.app.kiosk.submit(RegisterVisitor("13800000000", "搬家", "H-0101", plate=plate))
    return result.ok, result.detail


def waits(gate: CarGate, read_as: str) -> None:
    gate.arrive(read_as)
    gate.player.stage(Stage.GUARD, limit_s=10)


def test_the_guard_registers_the_plate_as_corrected(gate: CarGate) -> None:
    waits(gate, MISREAD)
    assert register(gate, "粤B99995") == (True, "registered")
    view = gate.app.kiosk.view()
    assert view.stage is Stage.OPEN and view.plate == "粤B99995"
    event = gate.app.log.recent(5)[0]
    assert event.kind is EventKind.VISITOR and event.verdict is Verdict.ALLOW
    assert event.data["plate"] == "粤B99995" and event.data["read_as"] == MISREAD


def test_a_corrected_plate_on_the_risk_list_is_not_registered_past_it(gate: CarGate) -> None:
    waits(gate, "京C4567B")  # the risk-list car 京C45678, read wrong
    ok, detail = register(gate, RISKY)
    assert not ok and RISKY in detail
    view = gate.app.kiosk.view()
    assert view.stage is Stage.GUARD and view.reason is Reason.VEHICLE_RISK_AREA
    assert not view.gate_open
    assert RISKY in [a.value for a in view.alarms if a.reason is Reason.VEHICLE_RISK_AREA]


def test_a_corrected_plate_the_office_knows_is_decided_as_that_car(gate: CarGate) -> None:
    gate.arrive(CAR.plate)  # the resident's car came in earlier
    gate.player.stage(Stage.OPEN, limit_s=10)
    gate.drive_through()
    gate.come_back()
    waits(gate, "京A1234S")  # ... and comes in again, read wrong: not let in as a visitor
    ok, detail = register(gate, CAR.plate)
    assert not ok and CAR.plate in detail
    view = gate.app.kiosk.view()
    assert view.stage is Stage.DENIED and view.reason is Reason.ANTI_PASSBACK
    assert not [e for e in gate.app.log.recent(10) if e.kind is EventKind.VISITOR]


def test_a_corrected_plate_must_be_a_plate(gate: CarGate) -> None:
    waits(gate, MISREAD)
    ok, detail = register(gate, "粤B9")
    assert not ok and detail == "粤B9 is no plate: correct it or register the plate read"
    assert not gate.app.kiosk.view().gate_open


def test_a_character_cycles_through_its_lookalikes_that_make_a_plate() -> None:
    assert next_lookalike(MISREAD, 6) == "粤B99995"
    assert next_lookalike("粤B99995", 6) == MISREAD
    assert next_lookalike("粤B0999S", 2) == "粤BD999S"
    assert next_lookalike("粤BD999S", 2) == "粤BQ999S"
    assert next_lookalike("粤BQ999S", 2) == "粤B0999S"
    assert next_lookalike(MISREAD, 0) == MISREAD  # the province has no look-alike


def test_a_bad_corrected_plate_leaves_the_car_to_register(gate: CarGate) -> None:
    waits(gate, MISREAD)
    assert not register(gate, "粤B9")[0]
    assert register(gate, "粤B99995") == (True, "registered")


def test_the_guard_corrects_the_plate_on_the_form_a_touch_per_character(gate: CarGate) -> None:
    import pygame

    from ui.screen import Screen
    from ui.state import Page

    waits(gate, MISREAD)
    screen = Screen(gate.app.kiosk, pygame.Surface((800, 480)), language="en")
    assert gate.app.kiosk.submit(UnlockGuard("1234")).ok
    state = screen.state
    state.page, state.phone, state.household, state.visit_reason = (
        Page.VISITOR, "13800000000", "H-0101", "delivery",
    )  # fmt: skip

    def touch(label: str) -> None:
        screen.draw()
        [button] = [b for b in screen.canvas.buttons if b.label == label]
        screen.touch(button.rect.center)

    touch("S")  # the guard sees a 5 on the car
    touch("Register 粤B99995")
    event = gate.app.log.recent(5)[0]
    assert event.kind is EventKind.VISITOR and event.data["plate"] == "粤B99995"
    assert gate.app.kiosk.view().stage is Stage.OPEN
