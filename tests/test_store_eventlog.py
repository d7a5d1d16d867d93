"""The event log: durable appends, offline history, sync bookkeeping, migrations, failures."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.exc import StoreError
from kiosk.model import Direction, Event, EventKind, Reason, Verdict
from kiosk.office import OfficeData
from kiosk.store import MIGRATIONS, EventLog

T0 = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


def event(
    minutes: float = 0,
    *,
    pass_id: str | None = "P-1",
    household: str | None = "H-1",
    verdict: Verdict | None = Verdict.ALLOW,
    direction: Direction | None = Direction.IN,
    kind: EventKind = EventKind.DECISION,
    trusted: bool = True,
    boot: str = "boot-a",
) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        kind=kind,
        wall_time=T0 + timedelta(minutes=minutes),
        monotonic=minutes * 60,
        boot_id=boot,
        clock_trusted=trusted,
        device_id="kiosk-01",
        compound_id="C01",
        reason=Reason.OK,
        verdict=verdict,
        direction=direction,
        pass_id=pass_id,
        household_id=household,
        temperature_c=36.6,
        data={"detail": "36.6 °C"},
    )


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    return EventLog(tmp_path / "events.db")


def test_appended_events_come_back_unchanged(log: EventLog) -> None:
    first, second = event(0), event(1)
    log.append(first)
    log.append(second)
    assert log.recent(10) == [second, first]
    assert log.unsynced(10) == [first, second]


def test_history_counts_unsynced_admissions(log: EventLog) -> None:
    log.append(event(0, direction=Direction.IN))
    log.append(event(5, direction=Direction.OUT))
    log.append(event(6, verdict=Verdict.DENY, direction=Direction.IN))  # refused: not counted
    history = log.history("P-1", "H-1", "C01", T0 + timedelta(hours=1), timedelta(days=2))
    assert history.last_direction is Direction.OUT
    assert history.admitted_uses == 1
    assert history.household_exits == (T0 + timedelta(minutes=5),)
    assert log.count_unsynced() == 3


def test_history_of_household_exits_respects_the_window(log: EventLog) -> None:
    log.append(event(0, direction=Direction.OUT))
    now = T0 + timedelta(days=3)
    history = log.history("P-1", "H-1", "C01", now, timedelta(days=2))
    assert history.household_exits == ()
    assert history.last_direction is Direction.OUT  # anti-passback has no window


def test_history_says_when_someone_unidentified_left_after_the_pass(log: EventLog) -> None:
    def exit_button(minutes: float) -> Event:
        return dataclasses.replace(
            event(minutes, pass_id=None, household=None, direction=Direction.OUT),
            reason=Reason.EXIT_BUTTON,
        )

    log.append(exit_button(0))  # before the pass came in: says nothing about its holder
    log.append(event(1, direction=Direction.IN))
    window = timedelta(days=1)
    assert not log.history("P-1", "H-1", "C01", T0, window).unidentified_exit_since
    log.append(exit_button(2))
    history = log.history("P-1", "H-1", "C01", T0, window)
    assert history.last_direction is Direction.IN and history.unidentified_exit_since


def test_unknown_pass_has_empty_history(log: EventLog) -> None:
    history = log.history("nobody", None, "C01", T0, timedelta(days=1))
    assert history.last_direction is None and history.admitted_uses == 0


def test_unsynced_events_are_never_purged(log: EventLog) -> None:
    old_synced, old_unsynced, new_synced = event(0), event(1), event(60 * 24 * 100)
    for e in (old_synced, old_unsynced, new_synced):
        log.append(e)
    assert log.mark_synced([old_synced.event_id, new_synced.event_id]) == 2
    assert log.purge(T0 + timedelta(days=90)) == 1
    assert {e.event_id for e in log.recent(10)} == {old_unsynced.event_id, new_synced.event_id}
    assert log.unsynced(10) == [old_unsynced]


def test_correct_untrusted_shifts_one_boot_once(log: EventLog) -> None:
    wrong = event(0, trusted=False, boot="b1")
    other_boot = event(0, trusted=False, boot="b2")
    trusted = event(0, trusted=True, boot="b1")
    for e in (wrong, other_boot, trusted):
        log.append(e)
    assert log.correct_untrusted("b1", 3600.0) == 1
    assert log.correct_untrusted("b1", 3600.0) == 0  # not shifted twice
    by_id = {e.event_id: e for e in log.recent(10)}
    assert by_id[wrong.event_id].wall_time == T0 + timedelta(hours=1)
    assert by_id[wrong.event_id].data["time_corrected"] is True
    assert by_id[other_boot.event_id].wall_time == T0
    assert by_id[trusted.event_id].wall_time == T0


def test_schema_migrates_from_version_zero(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    sqlite3.connect(path).close()  # an empty file at user_version 0
    log = EventLog(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"events_pass", "events_unsynced"} <= indexes
    log.append(event())
    assert log.count() == 1


def test_schema_migrates_from_version_one_keeping_events(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version=1;")
    conn.close()
    log = EventLog(path)
    log.append(event())
    assert log.schema_version == len(MIGRATIONS) and log.count() == 1


def test_a_migration_keeps_a_copy_of_the_older_schema_first(tmp_path: Path) -> None:
    """Forward only: a release rolled back to the older schema finds the file as it was."""
    path = tmp_path / "events.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version=1;")
    conn.execute("CREATE TABLE kept (x)")
    conn.commit()
    conn.close()
    EventLog(path).append(event())
    backup = sqlite3.connect(tmp_path / "events.db.schema1.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT name FROM sqlite_master WHERE name='kept'").fetchone()
    assert not list(tmp_path.glob("*.tmp"))


def test_a_new_log_is_not_backed_up(tmp_path: Path) -> None:
    EventLog(tmp_path / "events.db")
    assert not list(tmp_path.glob("*.bak"))


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    log = EventLog(path)  # made all the same: the kiosk starts, its log refuses every use
    assert log.fault is not None and log.fault.kind == "newer"
    with pytest.raises(StoreError, match="newer than this software"):
        log.append(event())
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))  # not moved aside


def test_full_disk_is_a_store_error_and_loses_nothing_written(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.db", max_pages=16)  # the schema takes 15
    written = []
    with pytest.raises(StoreError, match="full"):
        for i in range(10_000):
            e = event(i)
            log.append(e)
            written.append(e.event_id)
    assert written  # some fitted before the "disk" filled up
    assert {e.event_id for e in log.unsynced(100_000)} == set(written)
    assert log.integrity_check() == "ok"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_log_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    EventLog(path).close()
    for p in tmp_path.iterdir():
        p.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError, match=r"read-only|cannot be opened|readonly"):
            EventLog(path).append(event())
    finally:
        tmp_path.chmod(0o755)


def test_read_only_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    EventLog(path).close()
    log = EventLog(path)
    log._db.connection().execute("PRAGMA query_only=ON")  # what a read-only mount looks like
    with pytest.raises(StoreError, match="read-only"):
        log.append(event())


def test_a_corrupt_file_is_moved_aside_and_a_new_log_started(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    garbage = b"this is not an SQLite database at all" * 200
    path.write_bytes(garbage)
    log = EventLog(path)
    log.append(event())
    [kept] = tmp_path.glob("events.db.corrupt-*")
    assert kept.read_bytes() == garbage and log.count() == 1
    [notice] = log.notices()
    assert notice.kind == "moved_aside" and kept.name in notice.detail


def test_office_data_round_trip_and_transactions(tmp_path: Path) -> None:
    from kiosk.model import RiskColour

    office = OfficeData(tmp_path / "office.db")
    until = T0 + timedelta(days=14)
    with office.transaction():
        office.revoke("P-9", T0)
        office.set_household("H-3", RiskColour.RED, until)
        office.put_photo("P-1", b"\x89PNG")
        office.set_cursor("42")
    assert "P-9" in office.revoked and "P-1" not in office.revoked
    assert office.household("H-3").colour is RiskColour.RED
    assert office.household("H-3").quarantine_until == until
    assert office.household("unknown").colour is RiskColour.WHITE
    assert office.photo("P-1") == b"\x89PNG" and office.cursor() == "42"
    with pytest.raises(ValueError), office.transaction():
        office.unrevoke("P-9")
        office.set_policy_json("[1, 2]")  # not an object: the whole delta is rolled back
    assert office.is_revoked("P-9")


def test_a_log_that_cannot_be_used_is_tried_again_every_five_seconds(tmp_path: Path) -> None:
    now = [100.0]
    path = tmp_path / "events.db"
    EventLog(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    log = EventLog(path, monotonic=lambda: now[0])
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")  # someone put it right
    now[0] += 4.9
    with pytest.raises(StoreError, match="newer"):  # not opened again on every call
        log.append(event())
    now[0] += 0.1
    log.append(event())
    assert log.fault is None and log.count() == 1
    assert [n.kind for n in log.notices()] == ["newer", "recovered"]


def test_the_log_checks_its_file_is_still_there_every_ten_seconds(tmp_path: Path) -> None:
    now = [100.0]
    log = EventLog(tmp_path / "events.db", monotonic=lambda: now[0])
    log.append(event(0))
    (tmp_path / "events.db").unlink()
    now[0] += 9.9
    log.append(event(1))
    assert log.notices() == []  # one stat per ten seconds, not per call
    now[0] += 0.1
    log.append(event(2))
    [notice] = log.notices()
    assert notice.kind == "replaced" and log.count() == 3  # put back from the open copy
