"""``kiosk demo`` plays its whole day, and ``kiosk run`` starts, tells systemd and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.app import build
from kiosk.cli import main
from kiosk.commands.demo import demo_config
from kiosk.demo_scenario import Player, SimTime, run_scenario
from kiosk.demo_world import make_world
from kiosk.sdnotify import notify, watchdog_interval
from kiosk.store import EventLog
from tests.test_ui_alarm_banner import START

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_every_story_summarises_the_log_and_takes_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shots = tmp_path / "shots"
    args = ["demo", "--data-dir", str(tmp_path), "--language", "en", "--screenshots", str(shots)]
    assert main(args) == 0
    out = capsys.readouterr().out
    for reason in (
        "fever",
        "revoked",
        "quarantine",
        "bad_signature",
        "sensor_fault",
        "guard_override",
        "door_held_open",
        "door_forced_open",
        "visitor_registered",
    ):
        assert reason in out, reason
    with EventLog(tmp_path / "events.db") as log:
        tally = log.tally()
        assert tally[("decision", "allow", "ok")] == 3
        assert tally[("decision", "deny", "fever")] == 1
        # Store and forward: the offline steps' backlog reached the office, nothing is left.
        assert log.count_unsynced() == 0
        assert "network: cut" in out and "network: back online" in out
        assert "at the office (http://127.0.0.1:" in out
        assert "Office web app http://127.0.0.1:" in out and "log in as clerk / " in out
        assert out.rstrip().endswith(f"): {log.count()}")
    pictures = sorted(shots.glob("*.png"))
    assert len(pictures) >= 10 and pictures[0].name.startswith("01-")


def test_demo_run_twice_in_the_same_data_dir_plays_the_day_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    with EventLog(tmp_path / "events.db") as log:
        first = log.count()
    capsys.readouterr()
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "already exists" not in out and "earlier run's files are in" in out
    with EventLog(tmp_path / "events.db") as log:
        assert log.count() == first and log.count_unsynced() == 0
    with EventLog(tmp_path / "previous" / "events.db") as log:
        assert log.count() == first


def test_demo_without_office_keeps_every_event_unsynced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--data-dir", str(tmp_path), "--no-office"]) == 0
    out = capsys.readouterr().out
    assert "office: +" not in out and "at the office (" not in out
    with EventLog(tmp_path / "events.db") as log:
        assert log.count_unsynced() == log.count() > 0


def test_runner_counts_failed_ticks_and_is_not_alive_without_good_ones() -> None:
    from kiosk.runner import KioskRunner

    class Broken:
        def tick(self) -> None:
            raise OSError("camera gone")

    now = [0.0]
    runner = KioskRunner(Broken(), 0.1, monotonic=lambda: now[0])
    runner.step()
    assert runner.errors == 1 and runner.last_ok is None and not runner.alive()


def test_notify_sends_one_datagram(tmp_path: Path) -> None:
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        assert notify("READY=1", {"NOTIFY_SOCKET": address})
        assert server.recv(100) == b"READY=1"
    assert not notify("READY=1", {})


def test_watchdog_interval_is_half_the_timeout() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None


def run_until_beating(tmp_path: Path, data: Path) -> tuple[list[bytes], str]:
    """``kiosk run --no-ui`` on simulated hardware with ``data`` as its data folder, until it
    is ready and its loop beats, then SIGTERM: what it told systemd, and its journal."""
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[device]\ndata_dir = "{data}"\n'
        '[camera]\nbackend = "sim"\n[thermometer]\nbackend = "sim"\n[gpio]\nbackend = "mock"\n'
    )
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        server.settimeout(60)
        env = dict(os.environ, NOTIFY_SOCKET=address, WATCHDOG_USEC="400000")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--no-ui"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.recv(100) == b"READY=1"
            assert server.recv(100) == b"WATCHDOG=1"  # the kiosk loop is alive
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        messages = []
        server.settimeout(0.5)
        try:
            while True:
                messages.append(server.recv(100))
        except TimeoutError:
            pass
    return messages, err


@pytest.mark.slow
def test_run_is_ready_beats_and_stops_on_sigterm(tmp_path: Path) -> None:
    messages, err = run_until_beating(tmp_path, tmp_path / "data")
    assert b"STOPPING=1" in messages
    assert "relay off" in err


def test_run_with_a_bad_config_says_why_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("[thermometer]\ncalibration_ofset_c = 0.5\n")
    assert main(["run", "--config", str(config), "--no-ui"]) == 2
    err = capsys.readouterr().err
    assert "calibration_ofset_c" in err and "Did you mean 'calibration_offset_c'" in err


def test_office_kept_from_an_earlier_session_takes_the_demo_community_again(
    tmp_path: Path,
) -> None:
    # kiosk sim --data-dir D keeps its office between sessions: registering again updates it.
    from datetime import UTC, datetime

    from kiosk.demo_world import make_world
    from server.demo_office import demo_office

    world = make_world(datetime(2020, 2, 10, 8, 0, tzinfo=UTC))
    for _ in range(2):
        with demo_office(tmp_path / "office") as link:
            link.register(world)


def test_the_acknowledgement_step_acknowledges_every_alarm(tmp_path: Path) -> None:
    """The story's last step says the guard has acknowledged every alarm: none is left open."""
    time = SimTime(START)
    app = build(demo_config(tmp_path), sim=True, clock=time.clock, timers=time.timers)
    try:
        world = make_world(START, compound=app.config.device.compound)
        world.install(app.office)
        steps = run_scenario(app, world, Player(app, time), lambda step: None)
    finally:
        app.close()
    last = steps[-1]
    assert "acknowledged every alarm" in last.title
    assert [a.reason for a in last.view.alarms if not a.acknowledged] == []
