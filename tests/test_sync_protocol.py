"""The wire protocol: every message round-trips, and bad documents name the field at fault."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.model import Direction, Event, EventKind, Reason, RiskColour, Verdict
from sync.protocol import (
    BatchTooLarge,
    Delta,
    EnrollReply,
    EnrollRequest,
    ErrorReply,
    HouseholdChange,
    PhotoChange,
    ProtocolError,
    UploadReply,
    UploadRequest,
    event_from_json,
    event_to_json,
)

NOW = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)

events = st.builds(
    Event,
    event_id=ids,
    kind=st.sampled_from(EventKind),
    wall_time=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
    ),
    monotonic=st.floats(0, 1e9),
    boot_id=ids,
    clock_trusted=st.booleans(),
    device_id=ids,
    compound_id=ids,
    reason=st.sampled_from(Reason),
    verdict=st.none() | st.sampled_from(Verdict),
    direction=st.none() | st.sampled_from(Direction),
    pass_id=st.none() | ids,
    household_id=st.none() | ids,
    temperature_c=st.none() | st.floats(30, 43),
    data=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4),
)


@given(events)
@settings(max_examples=200)
def test_any_event_round_trips_through_json_text(event: Event):
    text = json.dumps(event_to_json(event))
    assert event_from_json(json.loads(text)) == event


def test_messages_round_trip():
    event = Event("e1", EventKind.DECISION, NOW, 1.0, "b", True, "k1", "c1", Reason.OK)
    upload = UploadRequest("k1", (event,))
    assert UploadRequest.from_json(json.loads(json.dumps(upload.to_json()))) == upload
    reply = UploadReply(("e1",), ("e0",), ("e1",), NOW)
    assert UploadReply.from_json(reply.to_json()) == reply
    assert reply.acknowledged == ("e1", "e0")
    assert EnrollRequest.from_json(EnrollRequest("ABCD-1234", "k1").to_json()).code == "ABCD-1234"
    enrolled = EnrollReply("k1", "c1", "secret", NOW)
    assert EnrollReply.from_json(enrolled.to_json()) == enrolled
    delta = Delta(
        3,
        9,
        NOW,
        revoked={"P1": True, "P2": False},
        households=(HouseholdChange("h1", RiskColour.RED, NOW + timedelta(days=14)),),
        photos=(PhotoChange("7", "张三", "h1", ("P1",), "AAAA", "image/png"),),
        trust={"format": "kiosk-trust/1", "issuers": []},
        policy={"curfew": "hard"},
        more=True,
    )
    assert Delta.from_json(json.loads(json.dumps(delta.to_json()))) == delta
    assert not delta.empty and Delta(1, 1, NOW).empty


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"event_id": 5}, "event.event_id"),
        ({"wall_time": "2020-02-10 08:00"}, "event.wall_time"),
        ({"direction": "up"}, "event.direction"),
        ({"temperature_c": float("nan")}, "event.temperature_c"),
        ({"clock_trusted": 1}, "event.clock_trusted"),
        ({"surprise": True}, "event"),
    ],
)
def test_bad_event_names_the_field(change: dict[str, Any], where: str):
    good = event_to_json(
        Event("e1", EventKind.ALARM, NOW, 1.0, "b", True, "k1", "c1", Reason.FEVER)
    )
    with pytest.raises(ProtocolError) as error:
        event_from_json({**good, **change})
    assert error.value.where == where


def test_batch_limit_is_checked_before_the_events():
    body = {"device_id": "k1", "events": [{"not": "an event"}] * 11}
    with pytest.raises(BatchTooLarge, match="11 events; at most 10"):
        UploadRequest.from_json(body, max_batch=10)


def test_delta_of_another_protocol_is_refused():
    with pytest.raises(ProtocolError, match="kiosk-sync/1"):
        Delta.from_json({"protocol": "kiosk-sync/0"})


def test_error_reply_from_a_proxy_page_is_still_readable():
    assert ErrorReply.from_body(b'{"error": "x", "message": "y"}', 400) == ErrorReply("x", "y")
    assert ErrorReply.from_body(b"<html>Bad Gateway</html>", 502).error == "http_502"
    assert ErrorReply.from_body(b"", 504).message == "HTTP 504"
