"""The office holds against hostile and careless input: no 500s, no writes across compounds or
kiosks, one-time codes used once under racing requests, commits that survive a power cut.

On SQLite and on a throwaway PostgreSQL (``database_url``), over loopback; the body limit and
the order "credential, then body" are checked on the ASGI app itself, which counts every byte
it is made to read.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from server.app import MAX_BODY, create_app
from server.db import open_database
from server.local import Office
from server.models import EventRow
from sync.protocol import API_PREFIX, ErrorCode
from tests.pg import LoopbackOffice, database_url, loopback, postgres  # noqa: F401 (fixtures)
from tests.test_server_api import api, assert_error, assert_still_serving, auth, event, upload


@pytest.fixture
def world(database_url: str) -> Iterator[LoopbackOffice]:  # noqa: F811
    office = loopback(database_url, max_batch=100)
    office.office.add_compound("c2")
    yield office
    office.server.stop()


def raw_upload(world: LoopbackOffice, token: str, text: str) -> requests.Response:
    headers = {**auth(token), "Content-Type": "application/json"}
    return requests.post(api(world, "/events"), data=text.encode(), headers=headers, timeout=60)


def event_text(**raw_fields: str) -> str:
    """One event as JSON text with some fields replaced by raw JSON text (for values Python's
    json module would not write, like a 5,000-digit number)."""
    fields = event()
    for name in raw_fields:
        fields[name] = f"@{name}@"
    text = json.dumps({"device_id": "k1", "events": [fields]})
    for name, raw in raw_fields.items():
        text = text.replace(f'"@{name}@"', raw)
    return text


# --- durability (#6) -----------------------------------------------------------------------------


def test_office_sqlite_commits_are_durable_against_power_cuts(tmp_path: Path):
    """WAL with synchronous=NORMAL does not sync at commit: an acknowledged upload could vanish
    in a power cut after the kiosk marked it synced. Every connection must run FULL."""
    engine = open_database(tmp_path / "office.db").kw["bind"]
    for _ in range(3):  # pooled and fresh connections alike
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


# --- compounds and kiosks (#7, #10) --------------------------------------------------------------


def test_events_for_another_compound_are_refused_one_by_one(world):
    token = world.office.enroll_kiosk("k1", "c1")
    other = world.office.enroll_kiosk("k2", "c2")
    genuine = event("k2", compound_id="c2", pass_id="P9")
    assert upload(world, other, [genuine], device="k2").json()["stored"] == [genuine["event_id"]]
    own, foreign = event(pass_id="P9"), event(compound_id="c2", pass_id="P9")

    reply = upload(world, token, [own, foreign])

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["stored"] == [own["event_id"]] and body["known"] == []
    [refusal] = body["refused"]
    assert refusal["event_id"] == foreign["event_id"]
    assert refusal["code"] == ErrorCode.WRONG_COMPOUND
    assert "'c2'" in refusal["message"] and "'c1'" in refusal["message"]
    with world.office.session() as s:
        rows = s.execute(select(EventRow.device_id, EventRow.compound_id, EventRow.conflict)).all()
    assert sorted(rows) == [("k1", "c1", False), ("k2", "c2", False)]
    assert world.office.conflicts() == []


def test_event_ids_are_per_kiosk(world):
    first = world.office.enroll_kiosk("k1", "c1")
    second = world.office.enroll_kiosk("k2", "c1")
    mine = event("k1", pass_id="P1")
    theirs = {**event("k2", pass_id="P2"), "event_id": mine["event_id"]}
    assert upload(world, first, [mine]).json()["stored"] == [mine["event_id"]]

    reply = upload(world, second, [theirs], device="k2").json()

    assert reply["stored"] == [mine["event_id"]] and reply["known"] == []
    with world.office.session() as s:
        rows = s.execute(select(EventRow.device_id, EventRow.pass_id)).all()
    assert sorted(rows) == [("k1", "P1"), ("k2", "P2")]
    again = upload(world, second, [theirs], device="k2").json()
    assert again["known"] == [mine["event_id"]]


# --- one-time enrollment codes (#8) --------------------------------------------------------------


def race_for(world: LoopbackOffice, code: str, devices: list[str]) -> list[int]:
    """POST /enroll with one code for every device at once; the statuses."""
    start = threading.Barrier(len(devices))
    statuses: list[int] = []

    def claim(device: str) -> None:
        body = {"code": code, "device_id": device}
        start.wait()
        statuses.append(requests.post(api(world, "/enroll"), json=body, timeout=60).status_code)

    threads = [threading.Thread(target=claim, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_an_enrollment_code_enrolls_one_kiosk_under_racing_requests(world):
    racers = 12
    for round_ in range(3):
        code = world.office.enrollment_code("c1")
        statuses = race_for(world, code, [f"r{round_}-{n}" for n in range(racers)])
        assert sorted(statuses) == [200] + [403] * (racers - 1), statuses


# --- no 500s (#9) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"wall_time": '"0001-01-01T00:00:00+01:00"'}, "outside the years"),
        ({"wall_time": '"0001-01-01T00:00:00Z"'}, "outside the years"),
        ({"wall_time": '"9999-12-31T23:59:59Z"'}, "outside the years"),
        ({"wall_time": '"9999-12-31T23:59:59-01:00"'}, "outside the years"),
        ({"monotonic": "1" + "0" * 400}, "too large"),
        ({"temperature_c": "-1" + "0" * 400}, "too large"),
        ({"data": '{"a": ' * 40 + "1" + "}" * 40}, "nested deeper"),
        ({"data": '{"x": "\\ud800"}'}, "not valid unicode"),
    ],
)
def test_extreme_values_get_a_400_naming_the_field(world, raw, words):
    token = world.office.enroll_kiosk("k1", "c1")
    reply = raw_upload(world, token, event_text(**raw))
    assert_error(reply, 400, "invalid_request", words)
    assert next(iter(raw)) in reply.json()["message"]
    assert_still_serving(world)


def test_numbers_and_nesting_json_cannot_hold_are_bad_json(world):
    token = world.office.enroll_kiosk("k1", "c1")
    assert_error(raw_upload(world, token, event_text(monotonic="1" * 5000)), 400, "bad_json")
    deep = "[" * 100_000 + "]" * 100_000
    assert_error(raw_upload(world, token, deep), 400, "bad_json", "nested")
    assert_still_serving(world)


def test_hostile_bodies_without_a_credential_get_401_not_parsed(world):
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    reply = requests.post(api(world, "/events"), data=deep, timeout=60)
    assert_error(reply, 401, "unauthorized")
    assert_still_serving(world)


@pytest.mark.parametrize("code", ['"\\ud800abcd"', '"abcd\\udfff"'])
def test_lone_surrogate_in_an_enrollment_code_is_a_400(world, code):
    body = f'{{"code": {code}, "device_id": "k9"}}'.encode()
    reply = requests.post(
        api(world, "/enroll"), data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert_error(reply, 400, "invalid_request", "not valid unicode")
    assert_still_serving(world)


# --- streamed bodies (#9) ------------------------------------------------------------------------


class StreamedBody:
    """An ASGI request body sent in 1 MiB chunks; counts what the app pulled."""

    def __init__(self, total: int, chunk: int = 1024 * 1024) -> None:
        self.left, self.chunk, self.read = total, chunk, 0

    async def receive(self) -> dict[str, Any]:
        size = min(self.chunk, self.left)
        self.left -= size
        self.read += size
        return {"type": "http.request", "body": b"[" * size, "more_body": self.left > 0}


def post_streamed(app: Any, path: str, body: StreamedBody, token: str | None) -> int:
    """POST a chunked body (no Content-Length) straight into the ASGI app; the status."""
    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{API_PREFIX}{path}",
        "raw_path": f"{API_PREFIX}{path}".encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    # Its own thread and event loop: the suite may already run a loop in this one.
    worker = threading.Thread(target=asyncio.run, args=(app(scope, body.receive, send),))
    worker.start()
    worker.join()
    return statuses[0]


def test_chunked_bodies_are_capped_and_read_only_after_the_credential(tmp_path: Path):
    office = Office.open(f"sqlite:///{tmp_path / 'office.db'}")
    office.add_compound("c1")
    token = office.enroll_kiosk("k1", "c1")
    app = create_app(office.sessions)
    total = 160 * 1024 * 1024  # what a stranger sent in the report

    stranger = StreamedBody(total)
    assert post_streamed(app, "/events", stranger, None) == 401
    assert stranger.read == 0

    kiosk = StreamedBody(total)
    assert post_streamed(app, "/events", kiosk, token) == 413
    assert MAX_BODY < kiosk.read <= MAX_BODY + kiosk.chunk

    enrolling = StreamedBody(total)
    assert post_streamed(app, "/enroll", enrolling, None) == 413
    assert enrolling.read <= enrolling.chunk


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(world, constant):
    token = world.office.enroll_kiosk("k1", "c1")
    reply = raw_upload(world, token, event_text(data=f'{{"x": {constant}}}'))
    assert_error(reply, 400, "bad_json", constant)
    assert_still_serving(world)
