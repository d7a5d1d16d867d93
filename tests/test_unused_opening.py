"""An opening nobody used is not a passage (issue #19, item 2), on the real kiosk in simulated
time: with a door contact (or a barrier's passage output) an opening whose time runs out with
the door never opened is logged as unused, names its opening, and counts for no anti-passback;
without one, the rule is the old one (docs/gate-rules.md)."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.model import EventKind, Reason, Verdict
from kiosk.view import Stage
from sync.protocol import event_from_json, event_to_json
from tests import test_machine_e2e
from tests.test_machine_e2e import Rig

rig = test_machine_e2e.rig  # the simulated kiosk, the fixture of the end-to-end tests


def let_in(rig: Rig, walks_through: bool) -> None:
    rig.show("resident")
    rig.wait(Stage.OPEN)
    rig.sim.present_pass(None)
    if walks_through:
        rig.sim.set_door(True)
        rig.player.run(2.0)
        rig.sim.set_door(False)
    rig.player.until(lambda v: not v.gate_open and v.stage is Stage.IDLE, "the gate shut")
    rig.player.run(rig.app.config.device.cooldown_s + 0.5)


def markers(rig: Rig) -> list[object]:
    return [e for e in rig.app.log.recent(50) if e.reason is Reason.OPENING_UNUSED]


def test_an_opening_nobody_used_is_logged_as_unused_and_is_no_passage(rig: Rig) -> None:
    let_in(rig, walks_through=False)  # changed their mind: never went through
    [marker] = markers(rig)
    [opening] = [e for e in rig.decisions() if e.verdict is Verdict.ALLOW]
    assert marker.kind is EventKind.SYSTEM and marker.data == {"opening": opening.event_id}
    assert (marker.pass_id, marker.direction) == (opening.pass_id, opening.direction)
    assert event_from_json(event_to_json(marker)) == marker  # the office's wire takes it
    rig.show("resident")
    again = rig.player.until(lambda v: v.stage in (Stage.OPEN, Stage.DENIED), "a verdict")
    assert (again.stage, again.reason) == (Stage.OPEN, Reason.OK)  # not "上次进出没有扫码"


def test_an_opening_walked_through_is_a_passage(rig: Rig) -> None:
    let_in(rig, walks_through=True)
    assert markers(rig) == []
    rig.show("resident")
    again = rig.player.until(lambda v: v.stage in (Stage.OPEN, Stage.DENIED), "a verdict")
    assert (again.stage, again.reason) == (Stage.DENIED, Reason.ANTI_PASSBACK)


@pytest.mark.parametrize("walks_through", [False, True])
def test_without_a_door_contact_every_opening_counts(rig: Rig, walks_through: bool) -> None:
    config = rig.app.kiosk.config
    gpio = dataclasses.replace(config.gpio, door_contact=False)
    rig.app.kiosk.config = dataclasses.replace(config, gpio=gpio)
    let_in(rig, walks_through)
    assert markers(rig) == []
    rig.show("resident")
    again = rig.player.until(lambda v: v.stage in (Stage.OPEN, Stage.DENIED), "a verdict")
    assert again.reason is Reason.ANTI_PASSBACK


def test_an_opening_with_the_door_already_open_counts_as_a_passage(rig: Rig) -> None:
    """A door propped open (or a stuck contact) cannot tell whether anyone went through: the
    opening counts. Logged unused, every pass let through a propped door escaped
    anti-passback."""
    rig.sim.set_door(True)
    rig.player.run(1)
    let_in(rig, walks_through=False)
    assert markers(rig) == []
    rig.show("resident")
    again = rig.player.until(lambda v: v.stage in (Stage.OPEN, Stage.DENIED), "a verdict")
    assert again.reason is Reason.ANTI_PASSBACK
