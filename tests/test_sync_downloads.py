"""Bounded downloads: the agent against an office that lies over real HTTP.

The lying office answers ``/delta`` with whatever the test scripts, takes every upload, and
stops lying after ``GIVE_UP`` delta requests so that an agent without the bounds fails its
assertions instead of spinning forever.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kiosk.clock import Clock
from kiosk.office import OfficeData
from kiosk.store import EventLog
from kiosk.update.keys import TrustedKeys
from sync.agent import EMPTY_PAGES, MAX_PAGES, AgentSettings, SyncAgent
from sync.client import Client, ReplyTooLarge
from sync.protocol import PROTOCOL, UploadRequest, format_time
from sync.rejected import RejectedEvents
from sync.setaside import SetAsideChanges
from tests.test_sync_faults import T0, FakeTime, make_event

GIVE_UP = 200  # delta requests after which the lying office answers "no more"
Page = Callable[[int], dict[str, Any]]  # since -> the delta body


def page(since: int, cursor: int, *, more: bool, **items: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "protocol": PROTOCOL,
        "since": since,
        "cursor": cursor,
        "server_time": format_time(T0),
        "revoked": {},
        "households": [],
        "photos": [],
        "trust": None,
        "policy": None,
        "more": more,
    }
    return body | items


class LyingOffice:
    """An HTTP office on 127.0.0.1 whose delta pages come from ``pages(since)``."""

    def __init__(self, pages: Page) -> None:
        self.pages = pages
        self.deltas = 0
        self.uploaded: list[str] = []
        self.huge_reply = 0  # bytes of a reply to send instead of a page (0: none)
        self.huge_sent = 0
        office = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                since = int(self.path.partition("since=")[2] or 0)
                office.deltas += 1
                if office.huge_reply:
                    office.stream_huge(self)
                    return
                body = (
                    office.pages(since)
                    if office.deltas <= GIVE_UP
                    else page(since, since, more=False)
                )
                self.answer(body)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                request = UploadRequest.from_json(json.loads(self.rfile.read(length)))
                ids = [e.event_id for e in request.events]
                office.uploaded += ids
                self.answer(
                    {"stored": ids, "known": [], "conflicts": [], "server_time": format_time(T0)}
                )

            def answer(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stream_huge(self, handler: BaseHTTPRequestHandler) -> None:
        """A chunked reply of ``huge_reply`` bytes with no length announced."""
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"[" + b" " * (64 * 1024 - 1)
        try:
            while self.huge_sent < self.huge_reply:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.huge_sent += len(chunk)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the kiosk hung up: what it should do

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Kiosk:
    def __init__(self, tmp_path: Path, office: LyingOffice) -> None:
        time = FakeTime(T0)
        (tmp_path / "ntp").touch()
        self.clock = Clock(time.wall, time.monotonic, ntp_flag=tmp_path / "ntp")
        self.log = EventLog(tmp_path / "events.db")
        self.office = OfficeData(tmp_path / "office.db")
        self.set_aside = SetAsideChanges(tmp_path / "set-aside.db")
        self.alarms: list[tuple[str, int]] = []
        self.links: list[tuple[bool, int]] = []
        self.agent = SyncAgent(
            Client(office.url, "t", timeout_s=10.0),
            self.log,
            self.office,
            self.clock,
            RejectedEvents(tmp_path / "rejected.db"),
            boot_id="boot-1",
            settings=AgentSettings(batch_size=20),
            report=lambda online, backlog: self.links.append((online, backlog)),
            rand=lambda: 1.0,
            set_aside=self.set_aside,
            data_alarm=lambda words, cursor: self.alarms.append((words, cursor)),
            update_keys=TrustedKeys(tmp_path / "keys.json").replace,
        )

    def record(self, n: int) -> list[str]:
        events = [make_event("k1", self.clock) for _ in range(n)]
        for event in events:
            self.log.append(event)
        return [e.event_id for e in events]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Callable[[Page], tuple[LyingOffice, Kiosk]]]:
    offices: list[LyingOffice] = []

    def make(pages: Page) -> tuple[LyingOffice, Kiosk]:
        office = LyingOffice(pages)
        offices.append(office)
        return office, Kiosk(tmp_path, office)

    yield make
    for office in offices:
        office.stop()


def test_more_without_moving_the_cursor_backs_off_with_an_alarm_and_uploads_go_on(rig):
    office, kiosk = rig(lambda since: page(since, since, more=True))
    first = kiosk.record(3)

    result = kiosk.agent.run_once()

    assert not result.ok and "does not move past it" in result.error
    assert office.deltas == 1  # not 300-600 requests a second until the office relents
    assert office.uploaded == first  # the upload went before the download
    assert kiosk.links == [(False, 0)]
    assert kiosk.alarms and "does not move past it" in kiosk.alarms[0][0]
    assert kiosk.agent.next_delay(result) >= kiosk.agent.settings.first_backoff_s  # backs off
    later = kiosk.record(2)
    assert not kiosk.agent.run_once().ok
    assert office.uploaded == first + later  # uploads keep going while the download is stuck


def test_endless_empty_pages_that_move_the_cursor_stop_after_a_few(rig):
    office, kiosk = rig(lambda since: page(since, since + 1, more=True))

    result = kiosk.agent.run_once()

    assert not result.ok and f"{EMPTY_PAGES} empty pages in a row" in result.error
    assert office.deltas == EMPTY_PAGES
    assert kiosk.alarms == [(result.error.removeprefix("download stopped: "), EMPTY_PAGES)]


def test_a_reply_over_the_limit_is_refused_while_it_streams(rig):
    office, kiosk = rig(lambda since: page(since, since, more=False))
    office.huge_reply = 64 << 20
    kiosk.agent.client.max_reply_bytes = 1 << 20

    result = kiosk.agent.run_once()

    assert not result.ok and "larger than 1024 KiB; stopped reading" in result.error
    assert office.huge_sent < 16 << 20  # the kiosk hung up long before the end
    assert kiosk.alarms and "sync.max_reply_kib" in kiosk.alarms[0][0]
    with pytest.raises(ReplyTooLarge):
        kiosk.agent.client.delta(0)


def test_items_a_newer_office_sends_are_set_aside_and_the_rest_of_the_page_applies(rig):
    photo = base64.b64encode(b"\xff\xd8jpeg").decode()

    def holder(holder_id: str, pass_id: str, photo_b64: str) -> dict[str, Any]:
        return {
            "holder_id": holder_id,
            "name": "Li",
            "household_id": "h1",
            "pass_ids": [pass_id],
            "photo_b64": photo_b64,
            "content_type": "image/jpeg",
        }

    bad_photo = holder("8", "P8", "not base64 at all!")
    purple = {"household_id": "h2", "colour": "purple", "quarantine_until": None}
    sideways = {
        "device_id": "gate-2",
        "event_id": "e1",
        "compound_id": "c1",
        "wall_time": format_time(T0),
        "direction": "sideways",
        "pass_id": "P9",
        "household_id": "h1",
    }
    items = {
        "revoked": {"P1": True, "P2": "yes"},
        "households": [{"household_id": "h1", "colour": "red", "quarantine_until": None}, purple],
        "photos": [holder("7", "P7", photo), bad_photo],
        "passages": [sideways],
    }
    _, kiosk = rig(lambda since: page(since, 41, more=False, **items))

    result = kiosk.agent.run_once()

    assert result.ok
    assert kiosk.office.is_revoked("P1")  # the revocation was not held back
    assert kiosk.office.household("h1").colour.value == "red"
    assert kiosk.office.photo("P7") == b"\xff\xd8jpeg"
    assert kiosk.office.cursor() == "41"
    kept = {(k.place, k.cursor): k.item for k in kiosk.set_aside.all()}
    assert kept == {
        ("delta.revoked['P2']", 41): "yes",
        ("delta.households[1]", 41): purple,
        ("delta.photos[1]", 41): bad_photo,
        ("delta.passages[0]", 41): sideways,
    }
    assert len(kiosk.alarms) == 1 and kiosk.alarms[0][1] == 41
    assert "4 change(s) set aside" in kiosk.alarms[0][0]


def test_an_office_that_never_stops_sending_pages_gets_max_pages_a_cycle(rig):
    def endless(since: int) -> dict[str, Any]:
        return page(since, since + 1, more=True, revoked={f"P{since}": True})

    office, kiosk = rig(endless)
    kiosk.record(1)

    assert kiosk.agent.run_once().ok
    assert office.deltas == MAX_PAGES
    assert kiosk.office.cursor() == str(MAX_PAGES)
    assert len(office.uploaded) == 1 and kiosk.links == [(True, 0)]


def test_a_new_set_of_update_keys_in_the_delta_replaces_the_trusted_ones(rig, tmp_path):
    """Key rotation (docs/updates.md): the office sends the whole set, the kiosk keeps just it."""
    new = base64.b64encode(bytes(range(32))).decode()
    _, kiosk = rig(lambda since: page(since, since + 1, more=False, update_keys=[new]))
    TrustedKeys(tmp_path / "keys.json").replace([bytes(32)])
    assert kiosk.agent.run_once().ok
    assert TrustedKeys(tmp_path / "keys.json").texts() == [new]
