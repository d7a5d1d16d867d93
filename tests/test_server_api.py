"""The office API over loopback, on SQLite and on a throwaway PostgreSQL: bad input gets a clear
4xx and the server keeps serving; uploads are idempotent; deltas are scoped and cheap when idle."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from kiosk.model import Direction, Event, EventKind, Reason, RiskColour, Verdict
from server.models import EventRow
from sync.client import Credential, Refused, enroll
from sync.protocol import API_PREFIX, SERVER_TIME_HEADER, Delta, event_to_json, parse_time
from tests.pg import LoopbackOffice, database_url, loopback, postgres  # noqa: F401 (fixtures)

NOW = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(database_url: str) -> Iterator[LoopbackOffice]:  # noqa: F811
    office = loopback(database_url, max_batch=100)
    yield office
    office.server.stop()


def api(world: LoopbackOffice, path: str) -> str:
    return f"{world.url}{API_PREFIX}{path}"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event(device: str = "k1", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "kind": EventKind.DECISION,
        "wall_time": NOW,
        "monotonic": 12.5,
        "boot_id": "b1",
        "clock_trusted": True,
        "device_id": device,
        "compound_id": "c1",
        "reason": Reason.OK,
        "verdict": Verdict.ALLOW,
        "direction": Direction.OUT,
        "pass_id": "P1",
        "household_id": "h1",
        "temperature_c": 36.6,
    }
    values.update(fields)
    return event_to_json(Event(**values))


def upload(world: LoopbackOffice, token: str, events: list[dict[str, Any]], device: str = "k1"):
    body = {"device_id": device, "events": events}
    return requests.post(api(world, "/events"), json=body, headers=auth(token), timeout=30)


def assert_error(reply: requests.Response, status: int, code: str, words: str = "") -> None:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["error"] == code
    assert words.lower() in body["message"].lower()


def assert_still_serving(world: LoopbackOffice) -> None:
    assert requests.get(api(world, "/time"), timeout=10).status_code == 200


# --- enrollment ----------------------------------------------------------------------------------


def test_enrollment_saves_a_private_credential_and_the_code_works_once(world, tmp_path: Path):
    code = world.office.enrollment_code("c1")
    path = tmp_path / "secret" / "credential.json"
    credential = enroll(world.url, code, "k1", path)
    assert credential.compound_id == "c1"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Credential.load(path) == credential
    with pytest.raises(Refused) as replay:
        enroll(world.url, code, "k2", tmp_path / "other.json")
    assert replay.value.status == 403 and "already used" in replay.value.message
    assert upload(world, credential.token, [event()]).status_code == 200


def test_expired_and_unknown_codes_are_refused(world):
    expired = world.office.enrollment_code("c1", hours=-1)
    body = {"code": expired, "device_id": "k1"}
    assert_error(
        requests.post(api(world, "/enroll"), json=body), 403, "enrollment_code_invalid", "expired"
    )
    body = {"code": "NOPE-NOPE", "device_id": "k1"}
    assert_error(
        requests.post(api(world, "/enroll"), json=body), 403, "enrollment_code_invalid", "unknown"
    )
    body = {"code": "NOPE-NOPE", "device_id": "bad id!"}
    assert_error(
        requests.post(api(world, "/enroll"), json=body), 400, "invalid_request", "device_id"
    )


# --- authentication ------------------------------------------------------------------------------


def test_requests_without_or_with_an_unknown_credential_are_401(world):
    reply = requests.post(api(world, "/events"), json={"device_id": "k1", "events": []})
    assert_error(reply, 401, "unauthorized", "Bearer")
    assert_error(upload(world, "made-up-token", [event()]), 401, "unauthorized", "enroll")
    reply = requests.get(api(world, "/delta"), headers=auth("made-up-token"))
    assert_error(reply, 401, "unauthorized")


def test_revoked_kiosk_is_locked_out_at_once(world):
    token = world.office.enroll_kiosk("k1", "c1")
    assert upload(world, token, [event()]).status_code == 200
    world.office.revoke_kiosk("k1")
    assert_error(upload(world, token, [event()]), 403, "kiosk_revoked", "revoked")
    assert_error(requests.get(api(world, "/delta"), headers=auth(token)), 403, "kiosk_revoked")
    fresh = world.office.enroll_kiosk("k1", "c1")  # a new code brings it back
    assert upload(world, fresh, [event()]).status_code == 200


def test_a_kiosk_can_only_upload_its_own_events(world):
    token = world.office.enroll_kiosk("k1", "c1")
    world.office.enroll_kiosk("k2", "c1")
    assert_error(upload(world, token, [event("k2")], device="k2"), 403, "device_mismatch", "k1")
    assert_error(upload(world, token, [event(), event("k2")]), 403, "device_mismatch")


# --- upload --------------------------------------------------------------------------------------


def test_upload_is_idempotent_by_event_id(world):
    token = world.office.enroll_kiosk("k1", "c1")
    batch = [event() for _ in range(30)]
    first = upload(world, token, batch).json()
    assert len(first["stored"]) == 30 and first["known"] == []
    again = upload(world, token, [*batch[:10], event()]).json()
    assert len(again["known"]) == 10 and len(again["stored"]) == 1
    twice = upload(world, token, [batch[0], batch[0]]).json()  # the same id twice in one batch
    assert twice["stored"] == [] and twice["known"] == [batch[0]["event_id"]]


def test_uploaded_events_are_stored_exactly_as_sent(world):
    """Every field round-trips, whatever the batch insert does with it on the way (a NUL in the
    data, text outside ASCII, a huge integer, the last bits of a float, microseconds)."""
    token = world.office.enroll_kiosk("k1", "c1")
    odd = {"note": 'a\u0000b "NULL" {x,y}\\ 中文 😀', "big": 10**40, "nested": [1.5, {"k": None}]}
    sent = [
        event(data=odd, monotonic=0.1 + 0.2, wall_time=NOW.replace(microsecond=123457)),
        event(verdict=None, direction=None, pass_id=None, household_id=None, temperature_c=None),
        event(monotonic=1.7976931348623157e308, clock_trusted=False),
    ]
    assert len(upload(world, token, sent).json()["stored"]) == 3
    with world.office.session() as s:
        rows = s.scalars(select(EventRow).order_by(EventRow.id)).all()
        stored = [{name: getattr(row, name) for name in sent[0]} for row in rows]
    assert stored == [{**e, "wall_time": parse_time(e["wall_time"], "sent")} for e in sent]


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        (b"{not json", 400, "bad_json", "not JSON"),
        (b"[]", 400, "invalid_request", "object"),
        (b'{"device_id": "k1"}', 400, "invalid_request", "events: is missing"),
        (b'{"device_id": "k1", "events": {}}', 400, "invalid_request", "expected list"),
        (b'{"device_id": 7, "events": []}', 400, "invalid_request", "device_id"),
        (b'{"device_id": "k1", "events": [], "extra": 1}', 400, "invalid_request", "extra"),
    ],
)
def test_malformed_bodies_get_a_clear_400(world, body, status, code, words):
    token = world.office.enroll_kiosk("k1", "c1")
    headers = {**auth(token), "Content-Type": "application/json"}
    reply = requests.post(api(world, "/events"), data=body, headers=headers)
    assert_error(reply, status, code, words)
    assert_still_serving(world)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"wall_time": "yesterday"}, "wall_time"),
        ({"wall_time": "2020-02-10T08:00:00"}, "no UTC offset"),
        ({"kind": "party"}, "kind"),
        ({"clock_trusted": "yes"}, "expected bool"),
        ({"monotonic": True}, "monotonic"),
        ({"temperature_c": 420.0}, "body temperature"),
        ({"event_id": ""}, "event_id"),
        ({"data": [1, 2]}, "data"),
        ({"data": {"x": "y" * 5000}}, "longer than"),
        ({"reason": "because"}, "reason"),
    ],
)
def test_wrong_types_get_a_400_naming_the_field(world, change, words):
    token = world.office.enroll_kiosk("k1", "c1")
    bad = {**event(), **change}
    reply = upload(world, token, [event(), bad])
    assert_error(reply, 400, "invalid_request", words)
    assert "events[1]" in reply.json()["message"]
    assert_still_serving(world)


def test_oversized_batch_is_413_and_nothing_is_stored(world):
    token = world.office.enroll_kiosk("k1", "c1")
    reply = upload(world, token, [event() for _ in range(101)])
    assert_error(reply, 413, "batch_too_large", "at most 100")
    ok = upload(world, token, [event() for _ in range(100)]).json()
    assert len(ok["stored"]) == 100


def test_every_reply_carries_the_server_time(world):
    for reply in (
        requests.get(api(world, "/time")),
        requests.get(api(world, "/delta")),  # even a 401
        requests.get(f"{world.url}/no/such/page"),
    ):
        stamp = datetime.fromisoformat(reply.headers[SERVER_TIME_HEADER])
        assert abs((stamp - datetime.now(UTC)).total_seconds()) < 60
    assert_error(requests.get(f"{world.url}/no/such/page"), 404, "not_found")


# --- delta ---------------------------------------------------------------------------------------


def test_delta_pages_scope_and_etag(world):
    world.office.add_compound("c2")
    world.office.add_household("h2", "c2")
    world.office.add_household("h3", "c1")
    token = world.office.enroll_kiosk("k1", "c1")
    first = requests.get(api(world, "/delta?since=0"), headers=auth(token))
    delta = Delta.from_json(first.json())
    assert {h.household_id for h in delta.households} == {"h1", "h3"}  # not c2's
    assert delta.trust is not None and delta.trust["format"] == "kiosk-trust/1"
    assert first.headers["ETag"] == f'"{delta.cursor}"'
    idle = requests.get(
        api(world, f"/delta?since={delta.cursor}"),
        headers={**auth(token), "If-None-Match": f'"{delta.cursor}"'},
    )
    assert idle.status_code == 304 and idle.content == b""
    plain = Delta.from_json(
        requests.get(api(world, f"/delta?since={delta.cursor}"), headers=auth(token)).json()
    )
    assert plain.empty and plain.cursor == delta.cursor
    until = NOW + timedelta(days=14)
    world.office.set_colour("h3", RiskColour.ORANGE, until)
    world.office.set_colour("h2", RiskColour.RED, until)  # other compound: invisible
    later = Delta.from_json(
        requests.get(api(world, f"/delta?since={delta.cursor}"), headers=auth(token)).json()
    )
    assert [(h.household_id, h.colour, h.quarantine_until) for h in later.households] == [
        ("h3", RiskColour.ORANGE, until)
    ]


def test_cursor_from_another_database_starts_over(world):
    token = world.office.enroll_kiosk("k1", "c1")
    reply = requests.get(api(world, "/delta?since=999999"), headers=auth(token))
    delta = Delta.from_json(reply.json())
    assert delta.since == 0 and delta.households


@pytest.mark.parametrize("since", ["-1", "abc", "1e3"])
def test_bad_cursor_is_400(world, since):
    token = world.office.enroll_kiosk("k1", "c1")
    reply = requests.get(api(world, f"/delta?since={since}"), headers=auth(token))
    assert_error(reply, 400, "invalid_request", "since")


def test_conflicts_endpoint_lists_offline_double_admissions(world):
    tokens = {k: world.office.enroll_kiosk(k, "c1") for k in ("k1", "k2")}
    a = event("k1", pass_id="PX", direction=Direction.IN)
    b = event("k2", pass_id="PX", direction=Direction.IN, wall_time=NOW + timedelta(minutes=5))
    out = event("k1", pass_id="PX", direction=Direction.OUT, wall_time=NOW + timedelta(hours=1))
    upload(world, tokens["k1"], [a, out])
    reply = upload(world, tokens["k2"], [b], device="k2").json()
    assert reply["conflicts"] == [b["event_id"]]
    listed = requests.get(api(world, "/conflicts"), headers=auth(tokens["k1"])).json()
    assert [(c["first_event_id"], c["second_event_id"]) for c in listed] == [
        (a["event_id"], b["event_id"])
    ]
    upload(world, tokens["k2"], [b], device="k2")  # a replay flags nothing new
    assert len(world.office.conflicts()) == 1
