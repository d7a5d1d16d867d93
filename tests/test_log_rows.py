"""One row the kiosk cannot read stops nothing (issue 17, item 2): it is set aside with its raw
bytes and an alarm, every other event still uploads, and start-up does not depend on it.

The rows are damaged the way the field damages them: a reason code only a newer release knows
(the kiosk was downgraded), data that is not JSON, text that is not UTF-8.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kiosk.store import EventLog
from kiosk.view import AlarmCode, Stage
from tests.test_exit_button import Lane
from tests.test_log_degraded import codes
from tests.test_store_eventlog import event
from tests.test_sync_agent_office_faults import Rig, stored

DAMAGE = {
    "unknown reason": "reason = 'teleported'",
    "data not JSON": "data = '{\"detail\": 36.6'",
    "text not UTF-8": "data = CAST(X'7B22FF223A317D' AS TEXT)",
}


def damage(path: Path, seq: int, change: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE events SET {change} WHERE seq = ?", (seq,))


@pytest.mark.parametrize("change", DAMAGE.values(), ids=DAMAGE.keys())
def test_an_unreadable_row_is_set_aside_with_its_raw_bytes_and_the_rest_read(
    tmp_path: Path, change: str
) -> None:
    path = tmp_path / "events.db"
    log = EventLog(path)
    events = [event(minute) for minute in range(20)]
    log.extend(events)
    damage(path, 7, change)
    with sqlite3.connect(path) as conn:
        conn.text_factory = bytes
        damaged = conn.execute("SELECT reason, data FROM events WHERE seq = 7").fetchone()
    readable = [e.event_id for i, e in enumerate(events) if i != 6]
    assert [e.event_id for e in log.unsynced()] == readable
    assert [e.event_id for e in log.recent(20)] == readable[::-1][:20]
    assert log.count_unsynced() == 19
    [(seq, error, raw)] = log.set_aside()
    kept = json.loads(raw)
    assert seq == 7 and kept["event_id"] == events[6].event_id and error
    for column, value in zip(("reason", "data"), damaged, strict=True):
        assert kept[column].encode("utf-8", "surrogateescape") == value  # byte for byte
    [notice] = log.notices()
    assert (notice.kind, notice.value) == ("set_aside", "7")
    log.purge(events[-1].wall_time)
    assert log.count() == 20  # set aside is never purged


def test_every_other_event_reaches_the_office(tmp_path: Path) -> None:
    rig = Rig(tmp_path, stored)
    events = rig.record(20)
    damage(tmp_path / "events.db", 3, DAMAGE["unknown reason"])
    result = rig.agent.run_once()
    assert result.ok and result.uploaded == 19
    sent = {i for request in rig.office.requests for i in request}
    assert sent == {e.event_id for e in events} - {events[2].event_id}
    assert rig.log.count_unsynced() == 0


def test_a_bad_row_among_the_last_twenty_does_not_stop_the_start(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    events = [event(minute) for minute in range(30)]
    with EventLog(path) as log:
        log.extend(events)
    damage(path, 29, DAMAGE["data not JSON"])
    lane = Lane(tmp_path)
    try:
        lane.player.run(0.1)
        assert AlarmCode.LOG_ROW_SET_ASIDE in codes(lane)
        shown = [e.event_id for e in lane.app.kiosk.view().recent_events]
        assert events[28].event_id not in shown and events[29].event_id in shown
        assert lane.pass_through("resident").stage is Stage.OPEN
    finally:
        lane.app.close()
