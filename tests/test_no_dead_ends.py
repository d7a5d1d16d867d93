"""Nobody at the gate is left facing a screen that ignores them (issue #19, item 1), end to end
on simulated hardware in simulated time: a refusal stays while its code is held up, then asks
for the guard booth; a code already decided is answered; no forehead yet means "come closer"
with the seconds left, not a refusal."""

from __future__ import annotations

import pytest

from kiosk.machine import GONE_S, REFUSAL_S
from kiosk.model import Direction, EventKind, Reason, Verdict
from kiosk.view import KioskView, Prompt, SetDirection, Stage
from tests import test_machine_e2e
from tests.test_machine_e2e import Rig

rig = test_machine_e2e.rig  # the simulated kiosk, the fixture of the end-to-end tests


def watch(rig: Rig, seconds: float) -> list[KioskView]:
    """Every view published over ``seconds``, tick by tick."""
    views = []
    for _ in range(round(seconds / rig.player.tick_s)):
        views.append(rig.player.run(rig.player.tick_s))
    return views


def refusals(rig: Rig, pass_id: str) -> list[object]:
    return [
        e
        for e in rig.decisions()
        if e.kind is EventKind.DECISION and e.pass_id == pass_id and e.verdict is not Verdict.ALLOW
    ]


def refuse(rig: Rig, label: str) -> KioskView:
    """Show ``label``'s pass the way its story needs and wait for its refusal."""
    if label == "sensor":
        rig.sim.unplug_sensor(True)
    rig.show(label, 38.2 if label == "fever" else 36.3)
    return rig.player.until(
        lambda v: v.stage in (Stage.DENIED, Stage.GUARD), "the refusal", limit_s=30
    )


@pytest.mark.parametrize("label", ["revoked", "fever", "sensor"])
def test_a_refused_pass_held_up_keeps_its_refusal_then_asks_for_the_guard_booth(
    rig: Rig, label: str
) -> None:
    refused = refuse(rig, label)
    views = watch(rig, 30)  # the resident keeps holding the phone up
    assert all(v.stage is refused.stage for v in views), "the idle prompt came back"
    booth = Prompt.GUARD_BOOTH if label == "sensor" else Prompt.SEE_GUARD  # no pass to blame
    first = [v for v in views if v.prompt is None]
    lasting = [v for v in views if v.prompt is booth]
    assert len(first) >= round((REFUSAL_S - 0.5) / rig.player.tick_s)  # its reason, read first
    assert lasting and views[-1].prompt is booth
    assert all(v.reason is refused.reason for v in views)
    rig.sim.present_pass(None)
    gone = rig.player.run(GONE_S + 0.2)
    assert gone.stage is Stage.IDLE and gone.prompt is None


def test_a_refusal_stays_while_the_code_is_in_view_and_a_while_after_it_left(rig: Rig) -> None:
    refuse(rig, "revoked")
    rig.player.run(6)  # holds it up a while, then lowers it
    rig.sim.present_pass(None)
    views = watch(rig, REFUSAL_S - 0.5)
    assert all(v.stage is Stage.DENIED and v.reason is Reason.REVOKED for v in views)
    assert rig.player.run(1.0).stage is Stage.IDLE


def test_a_refused_code_raised_again_is_answered_then_read_again_after_the_cooldown(
    rig: Rig,
) -> None:
    refuse(rig, "revoked")
    rig.player.run(REFUSAL_S + 1)
    rig.sim.present_pass(None)
    rig.player.run(GONE_S + 0.2)
    raised = rig.world.text("revoked")
    rig.sim.present_pass(raised)  # up again 1 s later: within the cooldown
    again = rig.player.run(0.3)
    assert again.stage is Stage.DENIED and again.prompt is Prompt.SEE_GUARD
    assert len(refusals(rig, "P-0103")) == 1
    rig.sim.present_pass(None)
    rig.player.run(GONE_S + rig.app.config.device.cooldown_s + 0.2)  # the cooldown runs from here
    rig.sim.present_pass(raised)
    fresh = rig.player.run(0.3)
    assert fresh.stage is Stage.DENIED and fresh.prompt is None
    assert len(refusals(rig, "P-0103")) == 2  # a new presentation, decided again


def test_a_pass_let_through_and_still_held_is_asked_to_be_lowered(rig: Rig) -> None:
    rig.show("resident")
    rig.wait(Stage.OPEN)
    views = watch(rig, rig.app.config.gpio.open_s + 3)
    idle = [v for v in views if v.stage is Stage.IDLE]
    assert idle and all(v.prompt is Prompt.LOWER_PASS for v in idle)


def test_no_forehead_yet_keeps_measuring_with_come_closer_and_the_seconds_left(rig: Rig) -> None:
    rig.show("resident", None)
    started = rig.wait(Stage.MEASURING)
    limit = rig.app.config.thermometer.timeout_s
    views = watch(rig, limit - 1.5)
    assert all(v.stage is Stage.MEASURING for v in views)
    asking = [v for v in views if v.prompt is Prompt.CLOSER]
    assert asking and asking[-1].countdown_s == 2
    assert [v.countdown_s for v in asking] == sorted((v.countdown_s for v in asking), reverse=True)
    assert started.stage is Stage.MEASURING and not refusals(rig, "P-0101")
    rig.sim.set_forehead(36.4)  # steps closer just in time
    assert rig.wait(Stage.OPEN).prompt is None


def test_no_forehead_by_the_limit_is_refused_and_the_held_pass_asked_to_retry(rig: Rig) -> None:
    rig.show("resident", None)
    rig.wait(Stage.MEASURING)
    refused = rig.wait(Stage.DENIED)
    assert refused.reason is Reason.NO_FOREHEAD
    views = watch(rig, REFUSAL_S + 1)
    assert views[-1].stage is Stage.DENIED and views[-1].prompt is Prompt.RETRY


def test_a_used_up_visitor_pass_held_up_asks_for_the_guard_booth(rig: Rig) -> None:
    for direction in (Direction.IN, Direction.OUT, Direction.IN, Direction.OUT):
        rig.guard(SetDirection(direction))
        rig.show("visitor")
        rig.wait(Stage.OPEN)
        rig.sim.present_pass(None)
        rig.sim.set_door(True)  # walks through: two visits, in and out
        rig.player.run(1.0)
        rig.sim.set_door(False)
        rig.player.run(rig.app.config.device.cooldown_s + 1)
    rig.guard(SetDirection(Direction.IN))
    refused = refuse(rig, "visitor")
    assert refused.reason is Reason.VISITOR_LIMIT
    views = watch(rig, REFUSAL_S + 2)
    assert all(v.stage is Stage.DENIED for v in views)
    assert views[-1].prompt is Prompt.SEE_GUARD
