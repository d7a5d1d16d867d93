"""The scripted demo: a day at the checkpoint, played on a simulated kiosk in simulated time.

``SimTime`` is the simulated clock (a ``drivers.timers.ManualTimers`` plus a ``Clock`` on it),
``Player`` moves it on tick by tick, and ``run_scenario(app, world, player, on_step)`` plays
every story and calls ``on_step(step)`` after each. The office server can be added around
it later (start it, point the sync agent at it, call ``run_scenario``, then sync).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from drivers.timers import ManualTimers
from kiosk.app import App
from kiosk.clock import Clock
from kiosk.demo_world import DemoWorld
from kiosk.exc import KioskError
from kiosk.model import Direction, Event, Reason
from kiosk.view import (
    AcknowledgeAlarm,
    Command,
    GuardOpen,
    KioskView,
    LockGuard,
    RegisterVisitor,
    SetDirection,
    Stage,
    UnlockGuard,
)

__all__ = ["DemoError", "Player", "SimTime", "Step", "StepRecorder", "run_scenario"]

NO_NTP = Path("/nonexistent/kiosk-demo/ntp-synchronized")


class DemoError(KioskError, RuntimeError):
    """The simulated kiosk did not do what the script expected."""


class SimTime:
    """Simulated time: monotonic seconds from ``ManualTimers``, wall time from ``start``."""

    def __init__(self, start: datetime) -> None:
        self.timers = ManualTimers(start=1000.0)
        self._epoch = start.timestamp() - self.timers.now()
        self.clock = Clock(
            wall=lambda: self._epoch + self.timers.now(),
            monotonic=self.timers.now,
            state_file=None,
            ntp_flag=NO_NTP,
        )
        self.clock.observe_server_time(start)  # as if the office had confirmed the time

    def advance(self, seconds: float) -> None:
        self.timers.advance(seconds)


@dataclass(frozen=True)
class Step:
    """One moment of the story: what happened and what the kiosk showed and logged."""

    number: int
    title: str
    view: KioskView
    events: tuple[Event, ...]


class Player:
    """Ticks the kiosk at the camera's frame rate while moving simulated time on."""

    def __init__(self, app: App, time: SimTime) -> None:
        self.app = app
        self.time = time
        self.tick_s = 1.0 / app.config.camera.fps

    def run(self, seconds: float) -> KioskView:
        view = self.app.kiosk.tick()
        for _ in range(round(seconds / self.tick_s)):
            self.time.advance(self.tick_s)
            view = self.app.kiosk.tick()
        return view

    def until(
        self, wanted: Callable[[KioskView], bool], what: str, limit_s: float = 60
    ) -> KioskView:
        view = self.app.kiosk.tick()
        waited = 0.0
        while not wanted(view):
            if waited > limit_s:
                raise DemoError(
                    f"waited {limit_s:.0f} s for {what}; the kiosk shows {view.stage} "
                    f"({view.reason})"
                )
            self.time.advance(self.tick_s)
            waited += self.tick_s
            view = self.app.kiosk.tick()
        return view

    def stage(self, stage: Stage, limit_s: float = 60) -> KioskView:
        return self.until(lambda v: v.stage is stage, f"stage {stage}", limit_s)

    def guard(self, *commands: Command) -> None:
        """Unlock the guard screen, do ``commands``, lock it again; each must be accepted."""
        pin = self.app.config.ui
        assert pin is not None
        for command in (UnlockGuard(DEMO_PIN), *commands, LockGuard()):
            result = self.app.kiosk.submit(command)
            if not result.ok:
                raise DemoError(f"{type(command).__name__} refused: {result.detail}")


DEMO_PIN = "1234"  # the shipped default; the demo config keeps it


@dataclass
class StepRecorder:
    """Makes each ``Step`` with the events logged since the one before, and hands it on."""

    app: App
    on_step: Callable[[Step], None]
    seen: set[str] = field(default_factory=set)
    number: int = 0

    def __post_init__(self) -> None:
        self.seen = {e.event_id for e in self.app.log.recent(1000)}

    def __call__(self, title: str, view: KioskView) -> Step:
        fresh = [e for e in reversed(self.app.log.recent(50)) if e.event_id not in self.seen]
        self.seen.update(e.event_id for e in fresh)
        self.number += 1
        step = Step(self.number, title, view, tuple(fresh))
        self.on_step(step)
        return step


def run_scenario(
    app: App, world: DemoWorld, player: Player, on_step: Callable[[Step], None]
) -> list[Step]:
    """Play every story on ``app`` (built with sim=True on ``player.time``)."""
    sim = app.sim
    if sim is None:
        raise DemoError("the demo needs a simulated kiosk: build(config, sim=True)")
    record = StepRecorder(app, on_step)
    sim.set_ambient(25.0)  # the reference ambient: estimate = forehead + calibration offset
    steps: list[Step] = []

    def person(label: str, celsius: float | None, stage: Stage) -> KioskView:
        sim.set_forehead(celsius)
        sim.present_pass(world.text(label))
        view = player.stage(stage)
        sim.present_pass(None)
        return view

    def settle() -> None:
        sim.set_forehead(None)
        player.until(lambda v: v.stage is Stage.IDLE, "idle")
        player.run(app.config.device.cooldown_s + 0.5)

    def acknowledge(reason: Reason) -> None:
        alarms = [a for a in app.kiosk.view().alarms if a.reason is reason]
        player.guard(*(AcknowledgeAlarm(a.alarm_id) for a in alarms))

    view = person("resident", 36.3, Stage.OPEN)
    steps.append(record("A resident comes home", view))
    sim.set_door(True)
    player.run(2)
    sim.set_door(False)
    settle()

    view = person("fever", 38.1, Stage.REMEASURE)
    steps.append(record("A resident with fever: first reading high, measuring again", view))
    view = player.until(lambda v: v.stage is Stage.DENIED, "refusal")
    steps.append(record("Second reading still high: refused", view))
    settle()

    view = person("revoked", 36.6, Stage.DENIED)
    steps.append(record("A revoked pass", view))
    settle()

    player.guard(SetDirection(Direction.OUT))
    view = person("quarantine", 36.5, Stage.DENIED)
    steps.append(record("A member of a quarantined (red) household tries to go out", view))
    settle()
    player.guard(SetDirection(Direction.IN))

    view = person("forged", 36.5, Stage.DENIED)
    steps.append(record("A forged pass (signed with a key the office never issued)", view))
    settle()

    view = person("visitor", 36.4, Stage.OPEN)
    steps.append(record("A visitor with a two-visit pass", view))
    settle()

    view = person("empty flat", 36.5, Stage.OPEN)
    steps.append(record("A pass for an empty (green) flat: let in, guard alerted", view))
    settle()
    acknowledge(Reason.EMPTY_FLAT)

    sim.set_forehead(36.2)
    player.guard(RegisterVisitor("13800138000", "delivers groceries", "H-0102"))
    view = player.stage(Stage.OPEN)
    steps.append(record("The guard registers a visitor without a pass", view))
    settle()

    sim.unplug_sensor(True)
    view = person("sensor", 36.5, Stage.GUARD)
    steps.append(record("The thermometer is unplugged: the kiosk calls the guard", view))
    player.guard(GuardOpen("checked with a hand-held thermometer: 36.5 °C"))
    view = player.run(0.2)
    steps.append(record("The guard opens the gate, giving the reason", view))
    sim.unplug_sensor(False)
    acknowledge(Reason.SENSOR_FAULT)
    settle()

    view = person("resident", 36.5, Stage.DENIED)
    steps.append(record("The same resident again, the same way: anti-passback", view))
    settle()

    sim.press_exit_button()
    view = player.run(0.2)
    steps.append(record("Someone leaves with the exit button", view))
    sim.set_door(True)
    view = player.until(
        lambda v: any(a.reason is Reason.DOOR_HELD_OPEN for a in v.alarms), "held-open alarm"
    )
    steps.append(record("The door is held open too long", view))
    sim.set_door(False)
    acknowledge(Reason.DOOR_HELD_OPEN)
    player.run(app.config.gpio.max_open_s + 5)

    sim.set_door(True)
    view = player.run(0.3)
    steps.append(record("The door is forced open without a pass", view))
    sim.set_door(False)
    # Every alarm still open (the fever, the flagged passes, the forced door), as the step says.
    player.guard(*(AcknowledgeAlarm(a.alarm_id) for a in app.kiosk.view().alarms))
    view = player.run(0.3)
    steps.append(record("The guard has acknowledged every alarm", view))
    return steps
