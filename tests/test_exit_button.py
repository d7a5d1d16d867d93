"""The exit button is egress (issue 9, item 1): it always opens, it locks nobody out, and where a
compound scans its exits it raises an alarm. End to end on simulated hardware and time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import App, build
from kiosk.commands.demo import demo_config
from kiosk.config import with_changes
from kiosk.demo_scenario import Player, SimTime
from kiosk.demo_world import DemoWorld, make_world
from kiosk.exc import StoreError
from kiosk.kept import FILE as KEPT_FILE
from kiosk.model import Direction, EventKind, Reason
from kiosk.view import KioskView, Stage
from tests.mcu_support import wait_for

START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


class Lane:
    def __init__(
        self,
        folder: Path,
        gate: str = "gpio",
        *,
        install: bool = True,
        settings: dict[str, Any] | None = None,
        **policy: Any,
    ) -> None:
        config = demo_config(folder, gate, more=settings)
        if policy:
            config = dataclasses.replace(
                config, policy=with_changes(config.policy, policy, "policy")
            )
        self.time = SimTime(START)
        self.app: App = build(config, sim=True, clock=self.time.clock, timers=self.time.timers)
        self.world: DemoWorld = make_world(START, compound=config.device.compound)
        if install:  # else the office data already in ``folder`` is used
            self.world.install(self.app.office)
        self.player = Player(self.app, self.time)
        assert self.app.sim is not None
        self.sim = self.app.sim
        self.sim.set_ambient(25.0)

    def pass_through(self, label: str) -> KioskView:
        self.sim.set_forehead(36.3)
        self.sim.present_pass(self.world.text(label))
        view = self.player.until(lambda v: v.stage in (Stage.OPEN, Stage.DENIED), "a verdict")
        self.sim.present_pass(None)
        if view.stage is Stage.OPEN:
            self.walk_through()
        self.sim.set_forehead(None)
        self.player.until(lambda v: v.stage is Stage.IDLE, "idle")
        self.player.run(self.app.config.device.cooldown_s + 0.5)
        return view

    def walk_through(self) -> None:
        """Through the open door, which shuts behind (an opening nobody used is no passage)."""
        self.sim.set_door(True)
        self.player.run(1.0)
        self.sim.set_door(False)
        self.player.run(0.2)

    def press_exit(self) -> KioskView:
        self.sim.press_exit_button()
        return self.player.run(0.1)


@pytest.fixture
def lane(tmp_path: Path) -> Iterator[Lane]:
    made = Lane(tmp_path)
    yield made
    made.app.close()


def test_exit_button_opens_when_the_log_cannot_be_written(
    lane: Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_append = lane.app.log.append

    def full(event: Any, **_: Any) -> None:
        raise StoreError("events.db: database or disk is full")

    monkeypatch.setattr(lane.app.log, "append", full)
    view = lane.press_exit()
    assert view.gate_open and lane.app.hardware.gate.is_open
    assert any(a.reason is Reason.LOG_FAULT for a in view.alarms)
    assert lane.app.log.count() == 0
    monkeypatch.setattr(lane.app.log, "append", real_append)  # the disk has room again
    lane.player.run(6)
    [event] = lane.app.log.recent(5)
    assert (event.reason, event.direction) == (Reason.EXIT_BUTTON, Direction.OUT)
    assert event.wall_time < START.replace(minute=1)  # stamped when pressed, not when written


def test_an_exit_the_log_refused_is_logged_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exit waited in memory only: the service restarting before the log recovered (the
    watchdog, an update) lost it, and the office never heard of it."""
    lane = Lane(tmp_path)
    try:

        def full(event: Any, **_: Any) -> None:
            raise StoreError("events.db: database or disk is full")

        monkeypatch.setattr(lane.app.log, "append", full)
        assert lane.press_exit().gate_open
    finally:
        lane.app.close()  # restarted while the log still refused it
    again = Lane(tmp_path, install=False)
    try:
        again.player.run(0.1)
        [event] = [e for e in again.app.log.unsynced(100) if e.reason is Reason.EXIT_BUTTON]
        assert event.direction is Direction.OUT
        assert event.wall_time < START.replace(minute=1)  # stamped when pressed
        assert not (tmp_path / KEPT_FILE).exists()  # the log has it: the file goes
    finally:
        again.app.close()


def test_reentry_after_an_unidentified_exit_is_allowed(lane: Lane) -> None:
    assert lane.pass_through("resident").stage is Stage.OPEN
    lane.press_exit()  # the resident leaves by the button: nobody knows who it was
    lane.walk_through()
    lane.player.run(10)
    view = lane.pass_through("resident")
    assert (view.stage, view.reason) == (Stage.OPEN, Reason.OK)


def test_reentry_without_any_exit_is_still_anti_passback(lane: Lane) -> None:
    assert lane.pass_through("resident").stage is Stage.OPEN
    view = lane.pass_through("resident")
    assert (view.stage, view.reason) == (Stage.DENIED, Reason.ANTI_PASSBACK)


def test_exit_button_is_an_ordinary_logged_exit_by_default(lane: Lane) -> None:
    view = lane.press_exit()
    assert view.gate_open and view.alarms == ()
    [event] = lane.app.log.recent(1)
    assert (event.kind, event.reason) == (EventKind.DECISION, Reason.EXIT_BUTTON)


def test_exit_button_where_exits_are_scanned_opens_and_raises_an_alarm(tmp_path: Path) -> None:
    lane = Lane(tmp_path, exit_button="alarm")
    try:
        view = lane.press_exit()
        assert view.gate_open
        assert [a.reason for a in view.alarms] == [Reason.EXIT_BUTTON]
        assert "exit lane" in view.alarms[0].detail
    finally:
        lane.app.close()


@pytest.mark.slow
def test_on_the_gate_controller_the_button_opens_there_and_the_kiosk_still_alarms(
    tmp_path: Path,
) -> None:
    """The controller opens for egress by itself now; the kiosk hears of the press as before
    (an event over OSDP) and still raises its alarm where exits are scanned."""
    pytest.importorskip("osdp")
    lane = Lane(tmp_path, gate="osdp", exit_button="alarm")
    try:
        controller = lane.sim.mcu
        wait_for(lambda: controller.call("state")["online"], what="the kiosk polling")
        pressed = lane.time.timers.now()
        view = lane.press_exit()
        # The controller keeps the kiosk's simulated time, and its news reaches the kiosk
        # within a poll or two of it, as on a bus: well inside its egress opening.
        assert lane.time.timers.now() - pressed < 1.5
        assert controller.call("state")["outputs"]["relay"]
        assert [a.reason for a in view.alarms] == [Reason.EXIT_BUTTON]
        assert "exit lane" in view.alarms[0].detail
    finally:
        lane.app.close()
