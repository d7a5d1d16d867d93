"""Every benchmark runs to the end in its --quick mode and prints its figures.

No timing is asserted (benchmarks print figures; the machine running the tests is not the
kiosk): this only keeps ``python -m bench`` from rotting as the code it measures changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHES

ROOT = Path(__file__).resolve().parents[1]


def run_bench(name: str, *args: str) -> str:
    """Run ``python -m bench.<name> args`` headless; its output, once it ended well."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHES)
def test_bench_runs_in_quick_mode(name: str) -> None:
    assert run_bench(name, "--quick").strip(), f"bench.{name} printed nothing"


@pytest.mark.slow
def test_render_bench_times_a_turned_panel() -> None:
    args = ("--no-decoder", "--frames", "2", "--panel", "720x1280", "--rotation", "90")
    assert "on a 720x1280 panel turned 90°" in run_bench("render", *args)


def test_every_bench_module_is_registered() -> None:
    modules = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"__init__", "__main__"}
    # corpus writes a frame corpus the decode benchmark runs; hostile_xlsx and office_hostile make
    # and time the hostile spreadsheets bench.office refuses; update_fleet runs kiosks that update.
    helpers = {"corpus", "hostile_xlsx", "office_hostile", "update_fleet"}
    assert modules - helpers == set(BENCHES)
