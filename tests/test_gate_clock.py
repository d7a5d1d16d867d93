"""The gate on a clock it cannot fully trust, end to end (issue 9, items 3 and 4).

An office clock wrong by a year either way, a system clock 20 days ahead, a reboot: the kiosk
must neither admit a pass that has expired nor refuse one that is valid, and a quarantine ends
only on trusted time. Each story runs the real kiosk on simulated hardware and time.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.app import App, build
from kiosk.atomic import write_atomic
from kiosk.clock import Clock
from kiosk.commands.demo import demo_config
from kiosk.demo_scenario import Player, SimTime
from kiosk.demo_world import DemoWorld, make_world
from kiosk.model import Direction, Reason, RiskColour
from kiosk.passes.issuer import issue_pass
from kiosk.view import AcknowledgeAlarm, GuardOpen, KioskView, SetDirection, Stage

TRUE = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)  # the real time in every story
YEAR = timedelta(days=365)


class KioskTime(SimTime):
    """Simulated time whose system clock is ``system_off`` from the truth; NTP or not."""

    def __init__(
        self, folder: Path, *, ntp: bool, system_off: timedelta = timedelta(0), saved: bool = False
    ) -> None:
        super().__init__(TRUE)
        flag = folder / "ntp-synchronized"
        if ntp:
            flag.touch()
        state = folder / "clock.json"
        if saved:  # the last trusted time, saved before a power cut just now
            write_atomic(state, json.dumps({"last_trusted_epoch": TRUE.timestamp()}))
        start = self.timers.now()
        system_at_start = (TRUE + system_off).timestamp()
        self.clock = Clock(
            wall=lambda: system_at_start + self.timers.now() - start,
            monotonic=self.timers.now,
            state_file=state,
            ntp_flag=flag,
        )


class Gate:
    """One kiosk booted on ``time`` in ``folder``, with the demo community made at ``world_at``."""

    def __init__(self, folder: Path, time: KioskTime, world_at: datetime = TRUE) -> None:
        self.time = time
        self.app: App = build(demo_config(folder), sim=True, clock=time.clock, timers=time.timers)
        self.world: DemoWorld = make_world(world_at, compound=self.app.config.device.compound)
        self.world.install(self.app.office)
        self.player = Player(self.app, time)
        assert self.app.sim is not None
        self.app.sim.set_ambient(25.0)

    def office_says(self, when: datetime) -> None:
        self.time.clock.observe_server_time(when)  # what the sync agent hands the clock

    def show(self, text: str) -> KioskView:
        assert self.app.sim is not None
        self.app.sim.set_forehead(36.3)
        self.app.sim.present_pass(text)
        return self.player.until(
            lambda v: v.stage in (Stage.OPEN, Stage.DENIED, Stage.GUARD), "a verdict", 30
        )

    def alarm_details(self) -> list[str]:
        return [
            a.detail for a in self.app.kiosk.view().alarms if a.reason is Reason.CLOCK_UNTRUSTED
        ]


@pytest.fixture
def gates() -> Iterator[list[Gate]]:
    made: list[Gate] = []
    yield made
    for gate in made:
        gate.app.close()


def boot(gates: list[Gate], folder: Path, time: KioskTime, world_at: datetime = TRUE) -> Gate:
    gates.append(Gate(folder, time, world_at))
    return gates[-1]


def test_office_a_year_ahead_leaves_a_synchronised_kiosk_admitting_valid_passes(
    tmp_path: Path, gates: list[Gate]
) -> None:
    gate = boot(gates, tmp_path, KioskTime(tmp_path, ntp=True))
    gate.office_says(TRUE + YEAR)
    view = gate.show(gate.world.text("resident"))
    assert view.stage is Stage.OPEN and view.clock_trusted
    [detail] = gate.alarm_details()
    assert "office clock says 2021-02-09" in detail and "NTP clock says 2020-02-10" in detail


def test_clock_set_back_after_the_office_disagreed_is_a_new_alarm(
    tmp_path: Path, gates: list[Gate]
) -> None:
    time = KioskTime(tmp_path, ntp=True)
    gate = boot(gates, tmp_path, time)
    gate.office_says(TRUE + YEAR)
    gate.player.run(1)
    [alarm] = gate.app.kiosk.view().alarms
    gate.player.guard(AcknowledgeAlarm(alarm.alarm_id))
    gate.time.clock.wall = lambda: TRUE.timestamp() - 86400  # someone sets the clock back a day
    gate.player.run(1)
    [detail] = gate.alarm_details()
    assert "system clock says 2020-02-09" in detail and "last trusted time 2020-02-10" in detail


def test_office_time_a_year_ahead_is_not_kept_across_a_reboot(
    tmp_path: Path, gates: list[Gate]
) -> None:
    first = boot(gates, tmp_path, KioskTime(tmp_path, ntp=True))
    first.office_says(TRUE + YEAR)
    first.player.run(120)  # long enough for the clock state to be saved
    first.app.close()
    gates.clear()
    (tmp_path / "ntp-synchronized").unlink()  # boots without network, fake-hwclock's time
    later = KioskTime(tmp_path, ntp=False, system_off=timedelta(minutes=3))
    gate = boot(gates, tmp_path, later)
    view = gate.show(gate.world.text("resident"))
    assert view.stage is Stage.OPEN, view.reason


def test_office_a_year_behind_does_not_revive_a_pass_expired_30_days_ago(
    tmp_path: Path, gates: list[Gate]
) -> None:
    time = KioskTime(tmp_path, ntp=False, saved=True)
    gate = boot(gates, tmp_path, time, world_at=TRUE - timedelta(days=45))
    gate.office_says(TRUE - YEAR)
    view = gate.show(gate.world.text("resident"))  # its passes expired on January 10th
    assert (view.stage, view.reason) == (Stage.DENIED, Reason.EXPIRED)
    assert any("office clock says 2019-02-10" in d and "ignored" in d for d in gate.alarm_details())


@pytest.mark.parametrize(
    ("world_at", "stage", "reason"),
    [
        (TRUE, Stage.GUARD, Reason.CLOCK_UNTRUSTED),  # valid now: the guard checks, no refusal
        (TRUE - timedelta(days=45), Stage.DENIED, Reason.EXPIRED),  # expired at any time
    ],
)
def test_office_a_year_ahead_on_an_untrusted_kiosk_refuses_no_valid_pass(
    tmp_path: Path, gates: list[Gate], world_at: datetime, stage: Stage, reason: Reason
) -> None:
    gate = boot(gates, tmp_path, KioskTime(tmp_path, ntp=False, saved=True), world_at)
    gate.office_says(TRUE + YEAR)
    view = gate.show(gate.world.text("resident"))
    assert (view.stage, view.reason) == (stage, reason)
    assert not view.gate_open
    if stage is Stage.GUARD:
        gate.player.guard(GuardOpen("checked the pass on the office's list"))
        assert gate.app.kiosk.view().gate_open


def test_quarantined_household_stays_in_while_the_clock_runs_20_days_ahead(
    tmp_path: Path, gates: list[Gate]
) -> None:
    time = KioskTime(tmp_path, ntp=False, system_off=timedelta(days=20), saved=True)
    gate = boot(gates, tmp_path, time)
    gate.app.office.set_household("H-0303", RiskColour.RED, TRUE + timedelta(days=14))
    claims = gate.world.passes["quarantine"].claims
    long_pass = issue_pass(
        gate.world.key, dataclasses.replace(claims, expires_at=TRUE + timedelta(days=60))
    )
    gate.player.guard(SetDirection(Direction.OUT))
    view = gate.show(long_pass)
    assert (view.stage, view.reason) == (Stage.DENIED, Reason.QUARANTINE)
    assert not gate.app.hardware.gate.is_open
