"""Kill -9 in the middle of admitting people: every opening of the gate is in the log after.

A child process runs the simulated kiosk as fast as it can (one resident through the gate
again and again) and appends "OPENED <event id>" to a file right after each relay opening.
The parent kills it with SIGKILL at some point; whatever that point, each id written must be
in the event log, and SQLite's integrity check must pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.store import EventLog

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


def child(data_dir: str, opened_file: str) -> None:
    """Admit the same resident forever (anti-passback off, no cooldown), recording openings."""
    from kiosk.app import build
    from kiosk.config import load_config
    from kiosk.demo_scenario import SimTime
    from kiosk.demo_world import make_world

    config = load_config(
        None,
        {
            "device.data_dir": data_dir,
            "device.cooldown_s": 0,
            "gpio.open_s": 1,
            "policy.anti_passback": "off",
        },
    )
    time_ = SimTime(START)
    app = build(config, sim=True, clock=time_.clock, timers=time_.timers)
    world = make_world(START, compound=config.device.compound)
    world.install(app.office)
    assert app.sim is not None
    app.sim.set_ambient(25.0)
    app.sim.set_forehead(36.3)
    app.sim.present_pass(world.text("resident"))
    gate = app.hardware.gate
    real_open = gate.open
    out = open(opened_file, "a", buffering=1)  # noqa: SIM115 -- lives until SIGKILL

    def open_and_report(seconds: float) -> None:
        real_open(seconds)
        out.write(f"OPENED {app.log.recent(1)[0].event_id}\n")

    gate.open = open_and_report  # type: ignore[method-assign]
    while True:
        time_.advance(0.1)
        app.kiosk.tick()


def opened_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    # The last line may be cut short by the kill; only whole lines count.
    return [line.split()[1] for line in lines if len(line.split()) == 2 and len(line) > 40]


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [2, 7])
def test_every_opening_survives_kill_9(tmp_path: Path, kill_after: int) -> None:
    opened = tmp_path / "opened.txt"
    code = f"from tests.test_crash_log import child; child({str(tmp_path)!r}, {str(opened)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        while len(opened_ids(opened)) < kill_after:
            assert proc.poll() is None, "the child kiosk died by itself"
            assert time.monotonic() < deadline, "the child kiosk admitted nobody"
            time.sleep(0.02)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    ids = opened_ids(opened)
    with EventLog(tmp_path / "events.db") as log:
        assert log.integrity_check() == "ok"
        logged = {e.event_id for e in log.unsynced(1_000_000)}
    missing = [i for i in ids if i not in logged]
    assert ids and not missing
