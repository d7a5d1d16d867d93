"""A run stopped with SIGTERM (setup.sh leaving early, CI) still tears its fixtures down: the
arm64 proofs' teardown is what unmounts /proc, /sys and the host's /dev from their chroots."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLOW_TEST = """
import pathlib, time
import pytest

@pytest.fixture(scope="module")
def mounted():
    pathlib.Path("started").write_text("")
    yield
    pathlib.Path("torn-down").write_text("")

def test_waits(mounted):
    time.sleep(60)
"""


def test_sigterm_runs_the_fixtures_teardown(tmp_path: Path) -> None:
    (tmp_path / "test_slow.py").write_text(SLOW_TEST)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plugins = ["-q", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", *plugins, "--rootdir", str(tmp_path), "test_slow.py"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "started").exists(), "the test never started"
    run.send_signal(signal.SIGTERM)
    output, _ = run.communicate(timeout=30)
    assert (tmp_path / "torn-down").exists(), output.decode()
    assert run.returncode != 0  # interrupted, not passed
