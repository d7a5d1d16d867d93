"""Pacing a lane, end to end on simulated hardware in simulated time: one opening is one
passage, the relay drops when the door shuts behind the person, and the next person is read
while the first walks through but let through only once the door has shut."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.model import EventKind, Reason, Verdict
from kiosk.view import KioskView, Prompt, Stage
from tests import test_machine_e2e
from tests.test_machine_e2e import Rig

rig = test_machine_e2e.rig  # the simulated kiosk, the fixture of the end-to-end tests

FIRST, NEXT = "resident", "fever"  # two residents of different households
FIRST_ID, NEXT_ID = "P-0101", "P-0102"


@pytest.fixture
def opened(rig: Rig) -> list[float]:
    """When the relay was energised (simulated seconds), newest last."""
    gate, times = rig.app.hardware.gate, []
    real_open = gate.open

    def counting_open(seconds: float) -> None:
        times.append(rig.player.time.timers.now())
        real_open(seconds)

    gate.open = counting_open  # type: ignore[method-assign]
    return times


def admitted(rig: Rig, pass_id: str) -> list[Any]:
    return [
        e
        for e in rig.decisions()
        if e.kind is EventKind.DECISION and e.pass_id == pass_id and e.verdict is Verdict.ALLOW
    ]


def let_first_through(rig: Rig) -> None:
    rig.show(FIRST)
    rig.wait(Stage.OPEN)
    rig.sim.present_pass(None)  # lowers the phone


def view(rig: Rig) -> KioskView:
    return rig.app.kiosk.view()


# --- the relay and the door -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("walk_s", "open_after_shut"),
    [(0.5, False), (1.5, False), (3.0, False), (1.5, True)],
    ids=["quick", "normal", "slow-past-the-relay-time", "opened-again"],
)
def test_the_relay_drops_when_the_door_shuts_behind_the_person(
    rig: Rig, walk_s: float, open_after_shut: bool
) -> None:
    let_first_through(rig)
    rig.player.run(0.5)
    rig.sim.set_door(True)
    rig.player.run(walk_s)
    rig.sim.set_door(False)
    assert not rig.player.run(0.1).gate_open  # no window for anyone to follow
    if open_after_shut:  # the opening is used up: a door pushed open now is forced
        rig.sim.set_door(True)
        alarms = [a.reason for a in rig.player.run(0.2).alarms]
        assert alarms == [Reason.DOOR_FORCED_OPEN]
    else:
        assert view(rig).alarms == ()


def test_an_unused_opening_still_ends_after_open_s(rig: Rig, opened: list[float]) -> None:
    let_first_through(rig)
    rig.player.run(rig.app.config.gpio.open_s + 0.2)
    assert not view(rig).gate_open and view(rig).stage is Stage.IDLE
    assert len(opened) == 1


# --- the next person ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lowers_pass", "opens_door"),
    [(True, False), (False, True), (False, False)],
    ids=["pass-lowered", "door-opened", "still-holding-the-pass"],
)
def test_the_pass_screen_stays_green_counting_down_while_the_relay_is_energised(
    rig: Rig, lowers_pass: bool, opens_door: bool
) -> None:
    rig.show(FIRST)
    assert rig.wait(Stage.OPEN).countdown_s == rig.app.config.gpio.open_s
    if lowers_pass:
        rig.sim.present_pass(None)
    rig.sim.set_door(opens_door)
    open_s = rig.app.config.gpio.open_s
    for second in range(1, int(open_s)):  # a slow walker still sees green, and for how long
        shown = rig.player.run(1.0)
        assert shown.stage is Stage.OPEN and shown.gate_open
        assert shown.countdown_s == open_s - second
    shown = rig.player.run(1.2)
    assert not shown.gate_open and shown.stage is Stage.IDLE


def test_open_s_ships_long_enough_for_an_older_person() -> None:
    from kiosk.config import load_config

    assert load_config(None).gpio.open_s >= 8.0


def test_next_person_starts_when_the_door_closes(rig: Rig, opened: list[float]) -> None:
    let_first_through(rig)
    rig.player.run(0.3)
    rig.sim.set_door(True)
    rig.show(NEXT, 36.3)  # steps up while the first is still in the doorway
    waiting = rig.wait(Stage.COOLDOWN)
    assert waiting.reason is Reason.OK and waiting.person is not None
    assert waiting.person.pass_id == NEXT_ID
    rig.player.run(2)
    assert len(opened) == 1 and admitted(rig, NEXT_ID) == []  # not while the door is open
    rig.sim.set_door(False)
    shown = rig.player.run(0.1)
    assert shown.stage is Stage.OPEN and shown.gate_open and shown.person is not None
    assert shown.person.pass_id == NEXT_ID
    assert len(opened) == 2 and len(admitted(rig, NEXT_ID)) == 1


@pytest.mark.parametrize(
    ("door", "opens_for_next_after_s"),
    [("never-opened", "open_s"), ("held-open", None)],
)
def test_a_different_pass_never_opens_the_gate_a_second_time_while_it_is_open(
    rig: Rig, opened: list[float], door: str, opens_for_next_after_s: str | None
) -> None:
    let_first_through(rig)
    rig.player.run(0.3)
    if door == "held-open":
        rig.sim.set_door(True)
    rig.show(NEXT, 36.3)
    waiting = rig.wait(Stage.COOLDOWN)
    assert waiting.person is not None and waiting.person.pass_id == NEXT_ID
    assert len(opened) == 1
    if opens_for_next_after_s is not None:  # the first never went: the relay drops, then next
        rig.wait(Stage.OPEN)
        assert len(opened) == 2 and len(admitted(rig, NEXT_ID)) == 1
    else:  # the door stays open: the next person is given up on, nothing logged
        timeout = rig.app.config.device.read_timeout_s
        assert rig.player.run(timeout + 0.5).stage is Stage.IDLE
        assert len(opened) == 1 and admitted(rig, NEXT_ID) == []


def test_a_pass_handed_back_while_the_first_walks_through_is_refused(
    rig: Rig, opened: list[float]
) -> None:
    let_first_through(rig)
    rig.sim.set_door(True)
    rig.player.run(rig.app.config.device.cooldown_s + 0.2)  # the held-code filter has let go
    rig.show(FIRST)  # the same pass, passed back to someone behind
    refused = rig.player.until(lambda v: v.stage is Stage.DENIED, "refusal", limit_s=1.5)
    assert refused.reason is Reason.ANTI_PASSBACK and len(opened) == 1


def test_a_different_pass_is_read_at_once_the_same_held_pass_is_not(
    rig: Rig, opened: list[float]
) -> None:
    rig.show(FIRST)
    rig.wait(Stage.OPEN)
    rig.sim.set_door(True)  # the first goes through still holding the phone up
    rig.player.run(1.0)
    assert view(rig).stage is Stage.OPEN
    rig.sim.set_door(False)
    assert rig.player.run(0.2).prompt is Prompt.LOWER_PASS  # answered, not ignored
    rig.player.run(rig.app.config.device.cooldown_s + 3)
    assert len(admitted(rig, FIRST_ID)) == 1 and len(opened) == 1
    rig.show(NEXT, 36.3)
    rig.player.until(lambda v: v.stage is Stage.OPEN, "next person let through", limit_s=1.5)
    assert len(admitted(rig, NEXT_ID)) == 1


# --- the rules are unchanged --------------------------------------------------------------


@pytest.mark.parametrize(
    ("forehead", "first", "then"),
    [(36.9, Stage.REMEASURE, Stage.DENIED), (36.6, Stage.OPEN, None)],
    ids=["37.4-is-fever", "37.1-is-not"],
)
def test_fever_is_measured_again_once_before_refusing(
    rig: Rig, opened: list[float], forehead: float, first: Stage, then: Stage | None
) -> None:
    rig.show(NEXT, forehead)  # 25 °C ambient: estimate = forehead + 0.5
    assert rig.wait(first).stage is first
    if then is not None:
        refused = rig.wait(then)
        assert refused.reason is Reason.FEVER
        assert refused.temperature_c == pytest.approx(37.4, abs=0.05)
        verdicts = [e.verdict for e in rig.decisions()]
        assert verdicts[:2] == [Verdict.DENY, Verdict.REMEASURE]
        assert len(opened) == 0
