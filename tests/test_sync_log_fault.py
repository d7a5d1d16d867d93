"""The sync agent lives with an event log it cannot use (issue 17): one journal line when the
fault starts and one when it ends, no traceback per cycle; nothing uploads meanwhile, the
office data still download, and the uploads (and the other kiosks' passages downloaded
meanwhile) go into the log once it works. The real agent, a real log of a newer release (a
downgrade: the log's fault until the file is fixed) and an office over real HTTP."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.clock import Clock
from kiosk.kept import KeptLines
from kiosk.model import Direction, Passage
from kiosk.office import MIGRATIONS, OfficeData
from kiosk.sqlitedb import RETRY_S
from kiosk.store import EventLog
from sync.agent import SyncAgent
from sync.client import Client
from sync.held import FILE as HELD_FILE
from sync.protocol import passage_to_json
from sync.rejected import RejectedEvents
from tests.test_sync_downloads import LyingOffice, page
from tests.test_sync_faults import T0, FakeTime, make_event

ELSEWHERE = Passage("k2", "e-at-k2", "c1", T0, Direction.IN, "P-7", "H-7")
EARLIER = Passage("k3", "e-at-k3", "c1", T0, Direction.OUT, "P-8", "H-8")


def set_version(path: Path, version: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {version}")


@pytest.fixture
def office() -> Iterator[LyingOffice]:
    def pages(since: int) -> dict[str, object]:
        if since == 0:
            revoked = {"P-1": True}
            return page(0, 1, more=False, revoked=revoked, passages=[passage_to_json(ELSEWHERE)])
        return page(since, since, more=False)

    made = LyingOffice(pages)
    yield made
    made.stop()


def clock_of(folder: Path, time: FakeTime) -> Clock:
    (folder / "ntp").touch()
    return Clock(time.wall, time.monotonic, ntp_flag=folder / "ntp")


def agent_of(
    folder: Path, office: LyingOffice, log: EventLog, cache: OfficeData, clock: Clock, **more: Any
) -> SyncAgent:
    client = Client(office.url, "t", timeout_s=10.0)
    rejected = RejectedEvents(folder / "rejected.db")
    return SyncAgent(client, log, cache, clock, rejected, boot_id="boot-1", **more)


def test_an_unusable_log_is_one_line_each_way_and_downloads_go_on(
    tmp_path: Path, office: LyingOffice, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime(T0)
    clock = clock_of(tmp_path, time)
    path = tmp_path / "events.db"
    with EventLog(path) as log:
        waiting = [make_event("k1", clock) for _ in range(3)]
        log.extend(waiting)
        version = log.schema_version
    set_version(path, version + 1)  # a downgrade: this release cannot use the log
    log = EventLog(path, monotonic=time.monotonic)
    cache = OfficeData(tmp_path / "office.db")
    links: list[tuple[bool, int]] = []

    def report(online: bool, backlog: int) -> None:
        links.append((online, backlog))

    agent = agent_of(tmp_path, office, log, cache, clock, report=report)
    caplog.set_level(logging.INFO, logger="sync")  # kiosk demo, run in-process, quiets "sync"
    try:
        results = [agent.run_once() for _ in range(3)]

        assert all(r.ok for r in results)  # the office is reachable: no backoff
        assert office.uploaded == []
        assert cache.is_revoked("P-1") and cache.complete()  # downloads went on
        assert links == [(True, 0)] * 3
        assert not [r for r in caplog.records if r.exc_info]  # no traceback per cycle
        [started] = [r for r in caplog.records if r.name == "sync.agent"]
        assert "the event log cannot be used (newer)" in started.getMessage()
        assert "uploads wait, office downloads go on" in started.getMessage()
        assert agent.log_fault.words

        caplog.clear()
        set_version(path, version)  # the file is fixed (the software upgraded again)
        time.mono += RETRY_S + 1
        assert agent.run_once().ok

        assert office.uploaded == [e.event_id for e in waiting]  # uploads resume
        assert log.merge_passages([ELSEWHERE]) == 0  # the held passage is in the log already
        ended = [r.getMessage() for r in caplog.records if r.name == "sync.agent"]
        assert ended == ["the event log can be used again: uploads resume"]
        assert not agent.log_fault.words and links[-1] == (True, 0)
    finally:
        log.close()
        cache.close()


def test_an_unusable_office_cache_is_one_line_each_way_and_uploads_go_on(
    tmp_path: Path, office: LyingOffice, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime(T0)
    clock = clock_of(tmp_path, time)
    path = tmp_path / "office.db"
    OfficeData(path).close()
    set_version(path, 99)  # a downgrade left a newer office cache behind
    log = EventLog(tmp_path / "events.db")
    cache = OfficeData(path, monotonic=time.monotonic)
    agent = agent_of(tmp_path, office, log, cache, clock)
    caplog.set_level(logging.INFO, logger="sync")  # kiosk demo, run in-process, quiets "sync"
    try:
        sent = []
        for _ in range(3):
            event = make_event("k1", clock)
            log.append(event)
            sent.append(event.event_id)
            assert not agent.run_once().ok  # the download cannot be kept
        assert office.uploaded == sent  # uploads go on
        assert not [r for r in caplog.records if r.exc_info]
        [started] = [r.getMessage() for r in caplog.records if r.name == "sync.agent"]
        assert started.startswith("a data file cannot be used (newer)")

        caplog.clear()
        set_version(path, len(MIGRATIONS))  # fixed
        time.mono += RETRY_S + 1
        assert agent.run_once().ok and cache.is_revoked("P-1")
        ended = [r.getMessage() for r in caplog.records if r.name == "sync.agent"]
        assert ended == ["a data file can be used again: syncing resumes"]
    finally:
        log.close()
        cache.close()


def taking_back(*unused: Passage) -> Callable[[int], dict[str, object]]:
    """An office's pages: ELSEWHERE, then ``unused`` taken back (nobody went through)."""

    def pages(since: int) -> dict[str, object]:
        if since == 0:
            return page(0, 1, more=True, passages=[passage_to_json(ELSEWHERE)])
        if since == 1:
            refs = [{"device_id": p.device_id, "event_id": p.event_id} for p in unused]
            return page(1, 2, more=False, unused=refs)
        return page(since, since, more=False)

    return pages


def unusable_log_with(path: Path, passage: Passage) -> int:
    """A log holding ``passage`` that this release cannot use (a downgrade); its real version."""
    with EventLog(path) as log:
        log.merge_passages([passage])
        version = log.schema_version
    set_version(path, version + 1)
    return version


def test_openings_nobody_used_are_forgotten_once_the_log_works_again(tmp_path: Path) -> None:
    """The office takes back passages (the delta's 'unused') while the log cannot be used:
    the one held in memory is dropped, the one already in the log is forgotten once it works."""
    office = LyingOffice(taking_back(ELSEWHERE, EARLIER))
    time = FakeTime(T0)
    clock = clock_of(tmp_path, time)
    path = tmp_path / "events.db"
    version = unusable_log_with(path, EARLIER)
    log = EventLog(path, monotonic=time.monotonic)
    cache = OfficeData(tmp_path / "office.db")
    agent = agent_of(tmp_path, office, log, cache, clock)
    try:
        assert agent.run_once().ok and agent.log_fault.words
        set_version(path, version)  # fixed
        time.mono += RETRY_S + 1
        assert agent.run_once().ok and not agent.log_fault.words
        assert log.merge_passages([ELSEWHERE]) == 1  # never went in: nobody used it
        assert log.merge_passages([EARLIER]) == 1  # was in the log: forgotten
    finally:
        office.stop()
        log.close()
        cache.close()


def test_passages_held_while_the_log_is_unusable_outlive_a_restart(tmp_path: Path) -> None:
    """The office does not send them again (the cursor moved past them): a restart before the
    log worked lost them, and the offline rules went on without them."""
    office = LyingOffice(taking_back(EARLIER))  # not ELSEWHERE: that one was used
    time = FakeTime(T0)
    clock = clock_of(tmp_path, time)
    path = tmp_path / "events.db"
    version = unusable_log_with(path, EARLIER)
    kept = KeptLines([tmp_path / HELD_FILE])
    cache = OfficeData(tmp_path / "office.db")
    try:
        with EventLog(path, monotonic=time.monotonic) as log:
            assert agent_of(tmp_path, office, log, cache, clock, held=kept).run_once().ok
        assert cache.cursor() == "2"  # the office will not send them again
        set_version(path, version)  # fixed, and the kiosk restarted
        with EventLog(path, monotonic=time.monotonic) as log:
            assert agent_of(tmp_path, office, log, cache, clock, held=kept).run_once().ok
            assert log.merge_passages([ELSEWHERE]) == 0  # in the log already
            assert log.merge_passages([EARLIER]) == 1  # forgotten: nobody went through
        assert not (tmp_path / HELD_FILE).exists()
    finally:
        office.stop()
        cache.close()
