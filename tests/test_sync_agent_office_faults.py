"""The sync agent against offices that misbehave: one event the server always fails on, an
office that refuses everything, a reply naming ids never sent, a server that trickles.

The scripted office stands in for the HTTP client (the agent's only way out), so each answer is
exactly the one under test; the trickling server is a real socket.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.clock import Clock
from kiosk.model import Event
from kiosk.office import OfficeData
from kiosk.store import EventLog
from sync.agent import STUCK_AFTER, AgentSettings, SyncAgent
from sync.client import Client, Refused, ServerFault, Transient
from sync.protocol import Delta, ErrorReply, UploadReply, UploadRequest
from sync.rejected import RejectedEvents
from tests.test_sync_faults import T0, FakeTime, make_event

Answer = Callable[[UploadRequest], UploadReply]


class ScriptedOffice:
    """Answers each upload with ``answer(request)``; records the ids of every request."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.token = "t"
        self.status: dict[str, str] = {}  # what the client tells the office about the kiosk
        self.requests: list[list[str]] = []
        self.status: dict[str, str] = {}  # what sync.client.Client tells the office

    def upload(self, request: UploadRequest) -> UploadReply:
        self.requests.append([e.event_id for e in request.events])
        return self.answer(request)

    def delta(self, since: int, etag: str | None = None) -> Delta | None:
        return None

    def server_time(self) -> datetime:
        return T0

    def set_token(self, token: str) -> None:
        self.token = token

    def close(self) -> None:
        pass


def stored(request: UploadRequest) -> UploadReply:
    return UploadReply(tuple(e.event_id for e in request.events), (), (), T0)


class Rig:
    def __init__(self, tmp_path: Path, answer: Answer) -> None:
        time = FakeTime(T0)
        (tmp_path / "ntp").touch()
        self.clock = Clock(time.wall, time.monotonic, ntp_flag=tmp_path / "ntp")
        self.log = EventLog(tmp_path / "events.db")
        self.rejected = RejectedEvents(tmp_path / "rejected.db")
        self.office = ScriptedOffice(answer)
        self.alarms: list[str] = []
        self.agent = SyncAgent(
            self.office,  # type: ignore[arg-type]
            self.log,
            OfficeData(tmp_path / "office.db"),
            self.clock,
            self.rejected,
            boot_id="boot-1",
            settings=AgentSettings(batch_size=20),
            alarm=self.alarms.append,
        )

    def record(self, n: int) -> list[Event]:
        events = [make_event("k1", self.clock) for _ in range(n)]
        for event in events:
            self.log.append(event)
        return events


@pytest.fixture
def make_rig(tmp_path: Path) -> Callable[[Answer], Rig]:
    return lambda answer: Rig(tmp_path, answer)


# --- one event the server fails on (#11) ---------------------------------------------------------


def test_an_event_the_office_always_fails_on_is_set_aside_and_the_rest_flow(make_rig):
    poison: list[str] = []

    def answer(request: UploadRequest) -> UploadReply:
        if any(e.event_id in poison for e in request.events):
            raise ServerFault("POST /events", 500, ErrorReply("internal_error", "boom in row 7"))
        return stored(request)

    rig = make_rig(answer)
    events = rig.record(12)
    poison.append(events[7].event_id)
    for _ in range(STUCK_AFTER - 1):
        assert not rig.agent.run_once().ok  # a 5xx is retried as temporary at first
        assert rig.log.count_unsynced() == 12 and rig.rejected.count() == 0

    result = rig.agent.run_once()

    assert result.ok and result.uploaded == 11 and result.rejected == 1
    assert rig.log.count_unsynced() == 0
    [aside] = rig.rejected.all()
    assert aside.event_id == events[7].event_id
    assert (aside.status, aside.code, aside.message) == (500, "internal_error", "boom in row 7")
    later = rig.record(3)
    assert rig.agent.run_once().ok and rig.office.requests[-1] == [e.event_id for e in later]


def test_an_office_failing_everything_is_an_outage_and_nothing_is_set_aside(make_rig):
    def answer(request: UploadRequest) -> UploadReply:
        raise ServerFault("POST /events", 503, ErrorReply("http_503", "maintenance"))

    rig = make_rig(answer)
    rig.record(5)
    for _ in range(STUCK_AFTER + 3):
        assert not rig.agent.run_once().ok
    assert rig.log.count_unsynced() == 5 and rig.rejected.count() == 0


# --- an office that refuses everything (#12) -----------------------------------------------------


def test_an_office_refusing_every_upload_keeps_events_queued_and_raises_an_alarm(make_rig):
    words = "protocol kiosk-sync/1 is not supported by this office; upgrade it"

    def answer(request: UploadRequest) -> UploadReply:
        raise Refused(400, ErrorReply("invalid_request", words))

    rig = make_rig(answer)
    rig.record(6)

    for _ in range(3):
        result = rig.agent.run_once()
        assert not result.ok and words in result.error

    assert rig.log.count_unsynced() == 6 and rig.rejected.count() == 0
    assert words in rig.agent.alarm
    assert len(rig.alarms) == 1 and words in rig.alarms[0]  # raised once, not every cycle


def test_one_bad_event_is_still_set_aside_when_the_office_takes_others(make_rig):
    bad: list[str] = []

    def answer(request: UploadRequest) -> UploadReply:
        if any(e.event_id in bad for e in request.events):
            raise Refused(400, ErrorReply("invalid_request", "body.events[0].data: too long"))
        return stored(request)

    rig = make_rig(answer)
    events = rig.record(4)
    bad.append(events[2].event_id)
    assert rig.agent.run_once().ok
    assert [r.event_id for r in rig.rejected.all()] == [events[2].event_id]
    assert rig.agent.alarm == "" and rig.alarms == []


# --- a reply naming ids never sent (#12) ---------------------------------------------------------


def test_a_reply_acknowledging_ids_not_sent_marks_nothing(make_rig):
    def answer(request: UploadRequest) -> UploadReply:
        ids = tuple(e.event_id for e in request.events)
        return UploadReply(ids, ("ghost-1",), (), T0)

    rig = make_rig(answer)
    rig.record(3)
    result = rig.agent.run_once()
    assert not result.ok and "protocol error" in result.error and "ghost-1" in result.error
    assert rig.log.count_unsynced() == 3
    assert len(rig.office.requests) == 1  # no spinning on the same batch


# --- a server trickling its answer (#12) ---------------------------------------------------------


class TricklingServer:
    """Reads a request, then sends a status line one byte at a time, without end."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        with conn:
            conn.recv(65536)
            try:
                while not self._stop.wait(0.05):
                    conn.sendall(b"H")
            except OSError:
                pass  # the client cut the connection: what the test wants

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def trickling() -> Iterator[TricklingServer]:
    server = TricklingServer()
    yield server
    server.stop()


def test_a_trickling_server_is_cut_at_the_whole_request_deadline(trickling, tmp_path):
    client = Client(trickling.url, "t", timeout_s=1.0, deadline_s=0.5)
    event = make_event("k1", Clock(FakeTime(T0).wall, FakeTime(T0).monotonic))
    outcome: list[BaseException] = []

    def upload() -> None:
        try:
            client.upload(UploadRequest("k1", (event,)))
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=upload, daemon=True)
    worker.start()
    worker.join(30)  # a guard only: the deadline ends it long before
    assert not worker.is_alive(), "the upload was not cut at its deadline"
    [error] = outcome
    assert isinstance(error, Transient) and "within 0.5 s" in str(error)
    client.close()
