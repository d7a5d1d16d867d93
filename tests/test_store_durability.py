"""The event log and the set-aside store are durable: when a write returns, it is on the disk.

A kill -9 test cannot see this (the kernel's page cache survives a killed process; it does not
survive a power cut). So a child process writes under ``strace`` and prints a marker after each
write returns; between two markers the file (its WAL or itself) must have been flushed with
fsync/fdatasync. ``synchronous=NORMAL`` or ``OFF``, or a journal mode that skips the flush,
turns this red. The same holds for ``sync/rejected.py``: the agent marks a refused event synced
(so the log may purge it) only once its copy there is on the disk.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.exc import StoreError
from kiosk.store import EventLog
from sync.rejected import RejectedEvents
from tests.test_store_eventlog import event

ROOT = Path(__file__).resolve().parent.parent
MARKER = "WRITTEN"
OPEN_LOG = """
import os, sys
from pathlib import Path
from kiosk.exc import StoreError
from kiosk.store import EventLog
from sync.agent import SyncAgent
from sync.rejected import RejectedEvents
from tests.test_store_eventlog import event
folder = Path(sys.argv[1])
log = EventLog(folder / "events.db")
"""
APPENDS = f"""
os.write(1, b"{MARKER} none: opened\\n")
for minute in range(4):
    log.append(event(minute))
    os.write(1, b"{MARKER}\\n")
log.close()
"""
REJECTIONS = f"""
refused = [event(minute) for minute in range(4)]
log.extend(refused)
agent = SyncAgent(None, log, None, None, RejectedEvents(folder / "rejected.db"), boot_id="b")
os.write(1, b"{MARKER} none: opened\\n")
for e in refused:
    agent._reject(e, 422, "bad_event", "refused for good")
    os.write(1, b"{MARKER}\\n")
log.close()
"""

needs_strace = pytest.mark.skipif(
    shutil.which("strace") is None, reason="setup.sh --sim --test installs strace"
)


def traced(child: str, folder: Path) -> list[list[tuple[str, str]]]:
    """Run ``child`` under strace; per write (between two markers) the (call, file) of each
    write and flush to a file in ``folder``, in order."""
    trace = folder / "trace.txt"
    calls = "trace=fsync,fdatasync,write,pwrite64"
    command = ["strace", "-f", "-y", "-qq", "-e", calls, "-o", str(trace)]
    command += [sys.executable, "-c", child, str(folder)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=120)
    segments: list[list[tuple[str, str]]] = [[]]
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if f'"{MARKER}' in line:
            segments.append([])
        elif f"<{folder}/" in line and "(" in line:
            call = line.split("(", 1)[0].split()[-1]
            segments[-1].append((call, line.split("<", 1)[1].split(">", 1)[0]))
    return segments[1:-1]  # before the first marker: opening; after the last: closing


def flushed(segment: list[tuple[str, str]], name: str) -> list[str]:
    """The files named ``name...`` flushed in ``segment``."""
    syncs = ("fsync", "fdatasync")
    return [f for call, f in segment if call in syncs and Path(f).name.startswith(name)]


@needs_strace
def test_every_append_is_flushed_to_disk_before_it_returns(tmp_path: Path) -> None:
    segments = traced(OPEN_LOG + APPENDS, tmp_path)
    assert len(segments) == 4
    for number, segment in enumerate(segments):
        assert flushed(segment, "events.db"), f"append {number + 1} returned before the flush"


@needs_strace
def test_a_refused_event_is_on_disk_in_the_set_aside_store_before_the_log_lets_it_go(
    tmp_path: Path,
) -> None:
    segments = traced(OPEN_LOG + REJECTIONS, tmp_path)
    assert len(segments) == 4
    for number, segment in enumerate(segments):
        kept = flushed(segment, "rejected.db")
        assert kept, f"rejection {number + 1}: rejected.db was not flushed to disk"
        last_flush = max(i for i, (call, f) in enumerate(segment) if f in kept)
        first_mark = min(
            i
            for i, (call, f) in enumerate(segment)
            if "write" in call and Path(f).name.startswith("events.db")
        )
        assert last_flush < first_mark, "the log marked the event synced before its copy was kept"


@pytest.mark.parametrize("name", ["events.db", "rejected.db"])
def test_stores_run_with_write_ahead_log_and_full_sync(tmp_path: Path, name: str) -> None:
    store = EventLog(tmp_path / name) if name == "events.db" else RejectedEvents(tmp_path / name)
    conn = store._db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] >= 2  # 2 FULL, 3 EXTRA
    store.close()


def test_an_event_the_set_aside_store_cannot_keep_stays_queued(tmp_path: Path) -> None:
    from sync.agent import SyncAgent

    path = tmp_path / "rejected.db"
    RejectedEvents(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")  # a file this release cannot use
    log = EventLog(tmp_path / "events.db")
    refused = event(0)
    log.append(refused)
    agent = SyncAgent(None, log, None, None, RejectedEvents(path), boot_id="b")  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        agent._reject(refused, 422, "bad_event", "refused for good")
    assert [e.event_id for e in log.unsynced()] == [refused.event_id]  # not let go
