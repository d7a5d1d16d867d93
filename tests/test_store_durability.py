"""The event log is durable: when ``append`` returns, the event is on the disk, not in a cache.

A kill -9 test cannot see this (the kernel's page cache survives a killed process; it does not
survive a power cut). So the child process appends events under ``strace`` and prints a marker
after each ``append`` returns; between two markers the log (its WAL or its file) must have been
flushed with fsync/fdatasync. ``synchronous=NORMAL`` or ``OFF``, or a journal mode that skips
the flush, turns this red.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.store import EventLog
from tests.test_store_eventlog import event

ROOT = Path(__file__).resolve().parent.parent
MARKER = "APPENDED"
CHILD = f"""
import os, sys
from pathlib import Path
from kiosk.store import EventLog
from tests.test_store_eventlog import event
log = EventLog(Path(sys.argv[1]))
os.write(1, b"{MARKER} none: opened\\n")
for minute in range(4):
    log.append(event(minute))
    os.write(1, b"{MARKER}\\n")
log.close()
"""


def traced_appends(path: Path) -> list[list[str]]:
    """Run the child under strace; the flushes of the log's files seen before each marker."""
    trace = path.parent / "trace.txt"
    command = ["strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(trace)]
    command += [sys.executable, "-c", CHILD, str(path)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=120)
    flushes: list[list[str]] = [[]]
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if f'"{MARKER}' in line:
            flushes.append([])
        elif ("fsync(" in line or "fdatasync(" in line) and f"<{path}" in line:
            flushes[-1].append(line.split("(", 1)[1].split(">", 1)[0])
    return flushes[1:-1]  # before the first marker: opening; after the last: closing


@pytest.mark.skipif(shutil.which("strace") is None, reason="setup.sh --sim --test installs strace")
def test_every_append_is_flushed_to_disk_before_it_returns(tmp_path: Path) -> None:
    flushes = traced_appends(tmp_path / "events.db")
    assert len(flushes) == 4
    for number, synced in enumerate(flushes):
        assert synced, f"append {number + 1} returned before the log was flushed to disk"


def test_log_runs_with_write_ahead_log_and_full_sync(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.db")
    log.append(event(0))
    conn = log._db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] >= 2  # 2 FULL, 3 EXTRA
    log.close()
