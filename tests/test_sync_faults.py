"""The sync agent against a real office server over loopback, through a fault-injecting proxy.

After every scenario each event is on the server exactly once.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from kiosk.clock import Clock
from kiosk.model import Direction, Event, EventKind, Reason, RiskColour, Verdict
from kiosk.office import OfficeData
from kiosk.store import EventLog
from server.models import EventRow, Pass
from sync.agent import AgentSettings, SyncAgent
from sync.client import Client
from sync.faultproxy import Fault, FaultProxy
from sync.protocol import UploadRequest
from sync.rejected import RejectedEvents
from tests.pg import LoopbackOffice, loopback

UPLOAD = "POST /api/v1/events"
T0 = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


class FakeTime:
    """Wall and monotonic clocks the test moves by hand."""

    def __init__(self, wall: datetime) -> None:
        self.wall_s = wall.timestamp()
        self.mono = 1000.0

    def wall(self) -> float:
        return self.wall_s

    def monotonic(self) -> float:
        return self.mono


@dataclass
class Kiosk:
    """One simulated kiosk: its log, office cache, clock and agent (talking via the proxy)."""

    device: str
    log: EventLog
    office: OfficeData
    clock: Clock
    agent: SyncAgent
    reports: list[tuple[bool, int]] = field(default_factory=list)

    def record(self, n: int, **fields: object) -> list[Event]:
        events = [make_event(self.device, self.clock, **fields) for _ in range(n)]
        for event in events:
            self.log.append(event)
        return events


def make_event(device: str, clock: Clock, **fields: object) -> Event:
    reading = clock.read()
    values: dict[str, object] = {
        "event_id": uuid.uuid4().hex,
        "kind": EventKind.DECISION,
        "wall_time": reading.wall,
        "monotonic": reading.monotonic,
        "boot_id": "boot-1",
        "clock_trusted": reading.trusted,
        "device_id": device,
        "compound_id": "c1",
        "reason": Reason.OK,
        "verdict": Verdict.ALLOW,
        "direction": Direction.IN,
        "pass_id": f"P{uuid.uuid4().hex[:8]}",
        "household_id": "h1",
        "temperature_c": 36.4,
    }
    values.update(fields)
    return Event(**values)  # type: ignore[arg-type]


@pytest.fixture
def office(tmp_path: Path) -> Iterator[LoopbackOffice]:
    world = loopback(f"sqlite:///{tmp_path / 'office.db'}", max_batch=50)
    yield world
    world.server.stop()


@pytest.fixture
def proxy(office: LoopbackOffice) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy("127.0.0.1", office.server.port).start()
    yield fault_proxy
    fault_proxy.stop()


def make_kiosk(
    tmp_path: Path,
    office: LoopbackOffice,
    url: str,
    device: str = "k1",
    *,
    wall: datetime = T0,
    trusted: bool = True,
    batch: int = 20,
    time: FakeTime | None = None,
    timeout_s: float = 30.0,  # generous: on a loaded machine a slow office is not a fault
) -> Kiosk:
    token = office.office.enroll_kiosk(device, "c1")
    folder = tmp_path / device
    time = time or FakeTime(wall)
    flag = folder / "ntp-synchronized"
    folder.mkdir()
    if trusted:
        flag.touch()
    clock = Clock(time.wall, time.monotonic, ntp_flag=flag)
    log, cache = EventLog(folder / "events.db"), OfficeData(folder / "office.db")
    client = Client(url, token, timeout_s=timeout_s)
    kiosk = Kiosk(device, log, cache, clock, None)  # type: ignore[arg-type]
    kiosk.agent = SyncAgent(
        client,
        log,
        cache,
        clock,
        RejectedEvents(folder / "rejected.db"),
        boot_id="boot-1",
        settings=AgentSettings(interval_s=30, batch_size=batch, max_backoff_s=60),
        report=lambda online, backlog: kiosk.reports.append((online, backlog)),
        rand=lambda: 1.0,
    )
    return kiosk


def picture(kind: str) -> bytes:
    """A small real image (the office decodes every photo it is given)."""
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), (200, 150, 120)).save(buffer, kind)
    return buffer.getvalue()


def server_counts(office: LoopbackOffice, events: list[Event]) -> dict[str, int]:
    ids = [e.event_id for e in events]
    with office.office.session() as s:
        rows = s.execute(
            select(EventRow.event_id, func.count())
            .where(EventRow.event_id.in_(ids))
            .group_by(EventRow.event_id)
        ).all()
    return {event_id: count for event_id, count in rows}


def assert_exactly_once(office: LoopbackOffice, events: list[Event]) -> None:
    counts = server_counts(office, events)
    assert counts == {e.event_id: 1 for e in events}
    with office.office.session() as s:
        assert s.scalar(select(func.count()).select_from(EventRow)) == len(events)


# --- the happy path and idempotency -----------------------------------------------------------


def test_backlog_uploads_in_batches_and_everything_arrives_once(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    events = kiosk.record(95)
    result = kiosk.agent.run_once()
    assert result.ok and result.uploaded == 95
    assert kiosk.log.count_unsynced() == 0
    assert proxy.seen[UPLOAD] == 5  # batches of 20
    assert kiosk.reports[-1] == (True, 0)
    assert_exactly_once(office, events)


def test_reply_lost_after_commit_retry_is_known_not_doubled(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    events = kiosk.record(10)
    proxy.plan(UPLOAD, Fault.DROP_REPLY)
    first = kiosk.agent.run_once()
    assert not first.ok
    assert proxy.served[UPLOAD] == 1  # the server did commit the batch
    assert kiosk.log.count_unsynced() == 10  # but the kiosk never heard so
    second = kiosk.agent.run_once()
    assert second.ok and second.uploaded == 10
    assert_exactly_once(office, events)


def test_replayed_batch_is_acknowledged_as_known(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    events = kiosk.record(5)
    assert kiosk.agent.run_once().ok
    reply = kiosk.agent.client.upload(UploadRequest("k1", tuple(events)))
    assert reply.stored == () and set(reply.known) == {e.event_id for e in events}
    assert_exactly_once(office, events)


# --- faults: every one keeps the events and a later cycle delivers them once ------------------


@pytest.mark.parametrize(
    "fault", [Fault.ERROR_500, Fault.CUT_REQUEST, Fault.DROP_REPLY, Fault.HANG]
)
def test_fault_mid_backlog_keeps_events_and_retry_delivers_once(tmp_path, office, proxy, fault):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    kiosk.agent.client.timeout_s = 0.5  # the HANG case: give up quickly
    events = kiosk.record(60)
    proxy.plan("POST /api/v1/enroll", fault)  # never requested: faults match their request
    proxy.plan(UPLOAD, fault)
    failed = kiosk.agent.run_once()
    assert not failed.ok
    assert kiosk.reports[-1][0] is False
    assert kiosk.log.count_unsynced() > 0
    kiosk.agent.client.timeout_s = 30.0  # the retry is about delivery, not about waiting
    assert kiosk.agent.run_once().ok
    assert kiosk.log.count_unsynced() == 0
    assert_exactly_once(office, events)


def test_server_down_for_whole_scenario_keeps_everything(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    events = kiosk.record(30)
    proxy.down = True
    for _ in range(4):
        assert not kiosk.agent.run_once().ok
    assert kiosk.log.count_unsynced() == 30
    assert kiosk.reports[-1] == (False, 30)
    assert server_counts(office, events) == {}
    proxy.down = False
    assert kiosk.agent.run_once().ok
    assert_exactly_once(office, events)


def test_nothing_listening_is_a_transient_fault(tmp_path, office):
    kiosk = make_kiosk(tmp_path, office, "http://127.0.0.1:9")  # discard port: refused
    kiosk.record(3)
    result = kiosk.agent.run_once()
    assert not result.ok and "ConnectionError" in result.error
    assert kiosk.log.count_unsynced() == 3


def test_backoff_doubles_with_jitter_up_to_the_cap(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    proxy.down = True
    delays = [kiosk.agent.next_delay(kiosk.agent.run_once()) for _ in range(8)]
    assert delays == [2, 4, 8, 16, 32, 60, 60, 60]  # rand() = 1.0: the top of each window
    kiosk.agent._rand = lambda: 0.0
    assert kiosk.agent.next_delay(kiosk.agent.run_once()) == 30  # half the window
    proxy.down = False
    ok = kiosk.agent.run_once()
    assert kiosk.agent.next_delay(ok) == 30  # back to interval_s


def test_network_switch_off_sends_nothing(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    kiosk.record(2)
    kiosk.agent.set_network(False)
    assert not kiosk.agent.run_once().ok
    assert sum(proxy.seen.values()) == 0
    kiosk.agent.set_network(True)
    assert kiosk.agent.run_once().ok


# --- refusals ---------------------------------------------------------------------------------


def test_oversized_batch_is_halved_until_the_server_takes_it(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url, batch=200)  # server takes 50
    events = kiosk.record(130)
    assert kiosk.agent.run_once().ok
    assert kiosk.agent._batch <= 50
    assert_exactly_once(office, events)


def test_one_bad_event_is_kept_as_rejected_and_the_rest_arrive(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    good = kiosk.record(9)
    stranger = make_event("k-other", kiosk.clock)
    kiosk.log.append(stranger)
    more = kiosk.record(5)
    result = kiosk.agent.run_once()
    assert result.ok and result.rejected == 1
    assert_exactly_once(office, good + more)
    [rejection] = kiosk.agent.rejected.all()
    assert rejection.event_id == stranger.event_id
    assert rejection.status == 403 and rejection.code == "device_mismatch"
    assert "k1" in rejection.message
    assert kiosk.log.count_unsynced() == 0  # the queue moved on; the event is still in the log
    assert any(e.event_id == stranger.event_id for e in kiosk.log.recent(50))


def test_revoked_kiosk_is_locked_out_and_keeps_its_events(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    kiosk.record(4)
    office.office.revoke_kiosk("k1")
    result = kiosk.agent.run_once()
    assert not result.ok and "kiosk_revoked" in result.error
    assert "revoked" in kiosk.agent.locked_out
    assert kiosk.log.count_unsynced() == 4
    assert kiosk.agent.rejected.count() == 0


# --- time -------------------------------------------------------------------------------------


def test_untrusted_clock_is_corrected_from_the_server_before_upload(tmp_path, office, proxy):
    skewed = datetime.now(UTC) - timedelta(hours=5)  # a Pi that booted with an old saved time
    kiosk = make_kiosk(tmp_path, office, proxy.url, wall=skewed, trusted=False)
    events = kiosk.record(3)
    assert all(not e.clock_trusted for e in events)
    assert kiosk.agent.run_once().ok
    reading = kiosk.clock.read()  # the office's time is the estimate; alone it is not trusted
    assert abs((reading.wall - datetime.now(UTC)).total_seconds()) < 120
    with office.office.session() as s:
        rows = s.scalars(select(EventRow)).all()
    for row in rows:
        assert abs((row.wall_time - datetime.now(UTC)).total_seconds()) < 120
        assert row.data["time_corrected"] is True
    assert_exactly_once(office, events)


# --- download ---------------------------------------------------------------------------------


def test_delta_reaches_the_kiosk_cache_and_idle_poll_is_not_modified(tmp_path, office, proxy):
    jpeg = picture("JPEG")
    holder = office.office.add_resident("李四", "h1", photo=jpeg)
    text = office.office.issue_pass(holder)
    with office.office.session() as s:
        pass_id = s.scalars(select(Pass.pass_id)).one()
    office.office.revoke(pass_id)
    until = T0 + timedelta(days=14)
    office.office.set_colour("h1", RiskColour.RED, until)
    office.office.set_policy("c1", {"curfew": "hard"})
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    result = kiosk.agent.run_once()
    assert result.ok and result.changes_applied
    cache = kiosk.office
    assert cache.is_revoked(pass_id)
    assert cache.household("h1").colour is RiskColour.RED
    assert cache.household("h1").quarantine_until == until
    assert cache.photo(pass_id) == jpeg
    assert cache.policy_overrides() == {"curfew": "hard"}
    trust = json.loads(cache.trust_json() or "{}")
    assert trust["issuers"][0]["kid"] == office.office.signing_key().kid.hex()
    assert text.startswith("KP1:")
    office.office.revoke(pass_id, revoked=False)
    assert kiosk.agent.run_once().changes_applied
    assert not cache.is_revoked(pass_id)
    idle = kiosk.agent.run_once()
    assert idle.ok and not idle.changes_applied
    assert base64.b64encode(jpeg)  # the photo travelled as base64 and came back as bytes


def test_photos_of_another_compound_are_not_sent(tmp_path, office, proxy):
    office.office.add_compound("c2")
    office.office.add_household("h2", "c2")
    holder = office.office.add_resident("王五", "h2", photo=picture("PNG"))
    office.office.issue_pass(holder)
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    assert kiosk.agent.run_once().ok
    assert kiosk.office.counts()["photos"] == 0
    assert kiosk.office.counts()["households"] == 1  # h1 only


# --- offline conflicts ------------------------------------------------------------------------


def test_two_kiosks_admitting_one_pass_offline_are_flagged(tmp_path, office, proxy):
    gate_a = make_kiosk(tmp_path, office, proxy.url, "gate-a")
    gate_b = make_kiosk(tmp_path, office, proxy.url, "gate-b")
    [first] = gate_a.record(1, pass_id="PSHARED")
    # Both were offline: neither knew of the other's admission.
    [second] = gate_b.record(1, pass_id="PSHARED", wall_time=first.wall_time + timedelta(minutes=3))
    assert gate_a.agent.run_once().ok
    assert gate_b.agent.run_once().ok
    [conflict] = office.office.conflicts("c1")
    assert conflict["pass_id"] == "PSHARED" and conflict["direction"] == "in"
    assert {conflict["first_event_id"], conflict["second_event_id"]} == {
        first.event_id,
        second.event_id,
    }
    assert_exactly_once(office, [first, second])  # both kept


# --- the thread -------------------------------------------------------------------------------


def test_agent_thread_syncs_on_wake_and_stops(tmp_path, office, proxy):
    kiosk = make_kiosk(tmp_path, office, proxy.url)
    drained = threading.Event()
    kiosk.agent._report = lambda online, backlog: drained.set() if backlog == 0 else None
    events = kiosk.record(25)
    kiosk.agent.start()
    assert drained.wait(30)
    kiosk.agent.stop()
    assert_exactly_once(office, events)
