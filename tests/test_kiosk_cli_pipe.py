"""`kiosk verify ... | head` ends quietly when the reader stops, as other command-line tools do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    key = tmp_path / "o.key"
    assert (
        main(["issue", "keygen", "--issuer", "O", "--out", str(key), "--trust-out", str(trust)])
        == 0
    )
    texts = ["KP1:NOT-A-PASS"] * 20_000  # far more than a pipe buffer of JSON lines
    reader = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "verify", "--trust", str(trust), *texts],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.read(100)  # like `head -c 100`
    reader.stdout.close()
    errors = reader.stderr.read().decode()
    assert reader.wait(timeout=120) != 0
    assert "Traceback" not in errors and "BrokenPipeError" not in errors
