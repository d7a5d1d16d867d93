"""update_keys in the enrollment reply and the delta: optional both ways, strict when present."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from sync.protocol import MAX_UPDATE_KEYS, Delta, EnrollReply, ProtocolError
from tests.releasetools import NOW

KEY = bytes(range(32))
REPLY = {
    "device_id": "k1",
    "compound_id": "c1",
    "token": "t",
    "server_time": "2026-12-05T10:00:00Z",
}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_the_enrollment_reply_carries_the_update_keys_both_ways() -> None:
    reply = EnrollReply("k1", "c1", "t", NOW, (KEY,))
    assert reply.to_json()["update_keys"] == [b64(KEY)]
    assert EnrollReply.from_json(reply.to_json()) == reply


def test_a_reply_from_an_older_office_has_no_keys() -> None:
    assert EnrollReply.from_json(REPLY).update_keys == ()


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        [b64(KEY[:31])],
        [b64(KEY + b"x")],
        ["%%%"],
        [32],
        [b64(KEY)] * (MAX_UPDATE_KEYS + 1),
    ],
)
def test_malformed_update_keys_are_refused(bad: Any) -> None:
    with pytest.raises(ProtocolError, match="update_keys"):
        EnrollReply.from_json({**REPLY, "update_keys": bad})
    delta = Delta(since=0, cursor=1, server_time=NOW).to_json()
    with pytest.raises(ProtocolError, match="update_keys"):
        Delta.from_json({**delta, "update_keys": bad})


def test_a_delta_names_update_keys_only_when_they_changed() -> None:
    quiet = Delta(since=0, cursor=1, server_time=NOW)
    assert "update_keys" not in quiet.to_json() and quiet.empty
    assert Delta.from_json(quiet.to_json()).update_keys is None
    changed = Delta(since=0, cursor=1, server_time=NOW, update_keys=(KEY,))
    assert not changed.empty
    assert Delta.from_json(changed.to_json()).update_keys == (KEY,)
    retired_all = Delta(since=0, cursor=1, server_time=NOW, update_keys=())
    assert Delta.from_json(retired_all.to_json()).update_keys == ()
