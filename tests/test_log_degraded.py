"""The kiosk starts and keeps its exit whatever its data files hold (issue 17, item 1): a
damaged event log or office cache is moved aside (kept) and a new one started, a log the kiosk
cannot use leaves the exit button working and the gate shut for passes, and a damaged page met
while deciding calls the guard once instead of failing every tick. End to end on simulated
hardware and time; the full and read-only card are in tests/test_log_disk_faults.py (root)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.kept import FILE as KEPT_FILE
from kiosk.kept import KeptEvents, KeptLines
from kiosk.model import Direction, Reason
from kiosk.store import MIGRATIONS, EventLog
from kiosk.view import AlarmCode, Stage
from tests.test_demo_command import run_until_beating
from tests.test_exit_button import Lane
from tests.test_store_eventlog import event


def codes(lane: Lane) -> set[AlarmCode | None]:
    return {a.code for a in lane.app.kiosk.view().alarms}


def shown(lane: Lane, label: str) -> Stage:
    """Hold a pass up to the camera for two seconds; the stage it brought the lane to."""
    lane.sim.set_forehead(36.3)
    lane.sim.present_pass(lane.world.text(label))
    stage = lane.player.run(2).stage
    lane.sim.present_pass(None)
    lane.sim.set_forehead(None)
    return stage


def filled_log(path: Path, count: int = 300) -> None:
    with EventLog(path) as log:
        log.extend(event(minute) for minute in range(count))


def test_a_log_that_is_not_a_database_is_kept_aside_and_the_kiosk_starts(tmp_path: Path) -> None:
    garbage = b"\x00garbage where the header should be" * 500
    (tmp_path / "events.db").write_bytes(garbage)
    lane = Lane(tmp_path)
    try:
        lane.player.run(0.1)
        [kept] = tmp_path.glob("events.db.corrupt-*")
        assert kept.read_bytes() == garbage  # kept for recovery, never deleted
        assert AlarmCode.LOG_MOVED_ASIDE in codes(lane)
        assert lane.pass_through("resident").stage is Stage.OPEN  # a new log took the event
        assert lane.app.log.count() >= 1
    finally:
        lane.app.close()


def test_a_truncated_log_is_kept_aside_and_the_kiosk_starts(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    filled_log(path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 3])
    lane = Lane(tmp_path)
    try:
        view = lane.player.run(0.1)
        assert view.stage is Stage.IDLE
        assert lane.pass_through("resident").stage is Stage.OPEN
        assert list(tmp_path.glob("events.db.corrupt-*"))
        assert AlarmCode.LOG_MOVED_ASIDE in codes(lane)
    finally:
        lane.app.close()


def damage_index(path: Path, index: str) -> None:
    """Overwrite the root page of ``index`` with garbage (the table itself stays readable)."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,))
        page = root.fetchone()[0]
    with path.open("r+b") as file:
        file.seek((page - 1) * page_size)
        file.write(b"\xa5" * page_size)


def test_a_damaged_page_met_while_deciding_calls_the_guard_once(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    filled_log(path)
    damage_index(path, "events_pass")  # what history() reads for every pass
    lane = Lane(tmp_path)
    try:
        lane.sim.set_forehead(36.3)
        lane.sim.present_pass(lane.world.text("resident"))
        view = lane.player.run(0.5)
        assert view.stage is Stage.GUARD and view.reason is Reason.LOG_FAULT
        assert not view.gate_open
        assert AlarmCode.LOG_UNREADABLE in codes(lane)
        # The pass is still held up: no second attempt, no error per tick.
        for _ in range(50):
            assert lane.app.kiosk.tick().stage in (Stage.GUARD, Stage.IDLE)
        assert [p.name for p in tmp_path.glob("events.db.corrupt-*")]  # kept aside, log anew
        assert AlarmCode.LOG_MOVED_ASIDE in codes(lane)
        lane.sim.present_pass(None)
        assert lane.player.run(lane.app.config.device.read_timeout_s + 1).stage is Stage.IDLE
        lane.player.run(lane.app.config.device.cooldown_s + 0.5)
        assert lane.pass_through("resident").stage is Stage.OPEN  # the new log works
    finally:
        lane.app.close()


def set_version(path: Path, version: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {version}")


def newer_log(folder: Path) -> Path:
    """A log with a few events, as a newer release left it behind after a downgrade."""
    path = folder / "events.db"
    filled_log(path, 5)
    set_version(path, 99)
    return path


def test_a_log_newer_than_the_software_keeps_the_exit_and_shuts_the_gate_for_passes(
    tmp_path: Path,
) -> None:
    path = newer_log(tmp_path)
    lane = Lane(tmp_path)
    try:
        assert shown(lane, "resident") is Stage.GUARD
        assert not lane.app.hardware.gate.is_open
        view = lane.press_exit()
        assert view.gate_open  # the way out
        assert AlarmCode.LOG_UNREADABLE in codes(lane)
        assert path.exists() and not list(tmp_path.glob("events.db.corrupt-*"))
    finally:
        lane.app.close()


def test_exits_kept_across_restarts_of_a_broken_log_are_logged_once_it_is_usable(
    tmp_path: Path,
) -> None:
    path = newer_log(tmp_path)
    for first in (True, False):  # the service restarts before anyone sees to the log
        lane = Lane(tmp_path, install=first)
        try:
            assert lane.press_exit().gate_open
        finally:
            lane.app.close()
    kept = [e.event_id for e in KeptEvents(KeptLines([tmp_path / KEPT_FILE])).read()]
    assert len(kept) == 2
    set_version(path, len(MIGRATIONS))  # the software is upgraded
    lane = Lane(tmp_path, install=False)
    try:
        lane.player.run(0.1)
        exits = [e.event_id for e in lane.app.log.unsynced(100) if e.reason is Reason.EXIT_BUTTON]
        assert exits == kept  # each once, in the order pressed
        assert not (tmp_path / KEPT_FILE).exists()
    finally:
        lane.app.close()


def test_a_damaged_office_cache_is_kept_aside_and_made_anew(tmp_path: Path) -> None:
    garbage = b"not the office data" * 300
    (tmp_path / "office.db").write_bytes(garbage)
    lane = Lane(tmp_path)  # installs the demo world's office data into the new cache
    try:
        lane.player.run(0.1)
        [kept] = tmp_path.glob("office.db.corrupt-*")
        assert kept.read_bytes() == garbage
        assert AlarmCode.OFFICE_DATA_RESET in codes(lane)
        assert lane.pass_through("resident").stage is Stage.OPEN
    finally:
        lane.app.close()


@pytest.mark.slow
def test_kiosk_run_starts_and_beats_with_every_data_file_damaged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("events.db", "office.db", "clock.json"):
        (data / name).write_bytes(b"\xa5 damaged \x00" * 700)
    messages, err = run_until_beating(tmp_path, data)  # READY=1, then the loop's WATCHDOG=1
    assert b"STOPPING=1" in messages and "moved aside" in err
    assert "Traceback" not in err
    for name in ("events.db", "office.db", "clock.json"):
        [kept] = data.glob(f"{name}.corrupt-*")
        assert kept.read_bytes().startswith(b"\xa5 damaged"), name


def delete_log(folder: Path) -> Path:
    for name in ("events.db", "events.db-wal", "events.db-shm"):
        (folder / name).unlink(missing_ok=True)
    return folder / "events.db"  # put back in place


def replace_log(folder: Path) -> Path:
    other = folder / "other"
    other.mkdir()
    EventLog(other / "events.db").close()
    (other / "events.db").replace(folder / "events.db")  # someone restores a backup
    return folder  # saved beside the new file


@pytest.mark.parametrize("change", [delete_log, replace_log], ids=["deleted", "replaced"])
def test_a_log_deleted_or_replaced_under_the_running_kiosk_is_noticed_and_its_events_saved(
    tmp_path: Path, change: Callable[[Path], Path]
) -> None:
    lane = Lane(tmp_path)
    try:
        assert lane.pass_through("resident").stage is Stage.OPEN
        before = {e.event_id for e in lane.app.log.unsynced(1000)}
        where = change(tmp_path)
        lane.player.run(11)  # the file's identity is checked every 10 s
        assert AlarmCode.LOG_REPLACED in codes(lane)
        saved = where if where.is_file() else next(where.glob("events.db.replaced-*"))
        with EventLog(saved) as kept:
            assert before <= {e.event_id for e in kept.unsynced(1000)}
        assert lane.press_exit().gate_open
        [last] = lane.app.log.recent(1)  # written to the file now at events.db
        assert (last.reason, last.direction) == (Reason.EXIT_BUTTON, Direction.OUT)
    finally:
        lane.app.close()


def test_office_data_that_cannot_be_read_sends_passes_to_the_guard_and_keeps_the_exit(
    tmp_path: Path,
) -> None:
    Lane(tmp_path).app.close()  # the office data a download left
    with sqlite3.connect(tmp_path / "office.db") as conn:
        conn.execute("PRAGMA user_version = 99")  # a downgrade left a newer cache behind
    lane = Lane(tmp_path, install=False)
    try:
        assert shown(lane, "resident") is Stage.GUARD  # revocations cannot be checked
        assert not lane.app.hardware.gate.is_open
        assert lane.press_exit().gate_open
        assert AlarmCode.OFFICE_DATA_FAULT in codes(lane)
    finally:
        lane.app.close()
