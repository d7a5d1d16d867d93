"""Fuzzing the live loopback server: no input makes a 5xx.

Schemathesis runs against the OpenAPI description (its CLI: the pytest plugin does not load
under this pytest) with a valid kiosk credential, so generated requests reach the body checks
behind authentication, in both modes: requests that follow the schema and requests that break
it, in every phase (examples, boundary values, fuzzing). Schema-driven generation stays close
to the schema, so a second fuzzer (Hypothesis, derandomized) puts hostile JSON into every field
of otherwise valid bodies: nesting thousands deep, integers of thousands of digits, numbers past
a float, NaN, times at the ends of the calendar, lone surrogates and NUL characters, with and
without a credential, on SQLite and on PostgreSQL (whose json type refuses more than SQLite).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pg import LoopbackOffice, database_url, loopback, postgres  # noqa: F401 (fixtures)
from tests.test_server_api import event

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.slow
@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (dev extra)")
def test_no_generated_request_makes_the_server_fail(tmp_path: Path):
    world = loopback(f"sqlite:///{tmp_path / 'office.db'}", max_batch=50)
    token = world.office.enroll_kiosk("k1", "c1")
    try:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{world.url}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "30",
                "--generation-deterministic",
                "--workers",
                "1",
                "--mode",
                "all",
                "--phases",
                "examples,coverage,fuzzing",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert " passed" in run.stdout and "failed" not in run.stdout.lower()
        assert requests.get(f"{world.url}/api/v1/time", timeout=10).status_code == 200
    finally:
        world.server.stop()


# --- hostile JSON in every field -----------------------------------------------------------------

EVENT_FIELDS = sorted(event())


def _nested(depth: int, opening: str, inner: str, closing: str) -> str:
    return opening * depth + inner + closing * depth


HOSTILE = st.one_of(
    st.integers(1, 5000).map(lambda n: _nested(n, "[", "", "]")),
    st.integers(1, 5000).map(lambda n: _nested(n, '{"a":', "1", "}")),
    st.integers(300, 6000).map(lambda n: st_sign(n) + "9" * n),
    st.sampled_from(["1e308", "1e309", "-1e400", "1e-400", "NaN", "-Infinity", "-0.0", "0"]),
    st.sampled_from(["9" * 20, "-" + "9" * 20, "18446744073709551616", "true", "null"]),
    st.sampled_from(
        [
            '"0001-01-01T00:00:00+14:00"',
            '"0001-01-01T00:00:00Z"',
            '"9999-12-31T23:59:59.999999-14:00"',
            '"9999-12-31T23:59:59Z"',
            '"1970-01-01T00:00:00+14:00"',
            '"2999-12-31T23:59:59-14:00"',
        ]
    ),
    st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"' + "x" * 70_000 + '"']),
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=20,
    ).map(json.dumps),
)


def st_sign(n: int) -> str:
    return "-" if n % 2 else ""


def _with(document: dict[str, object], path: tuple[str, ...], raw: str) -> bytes:
    """``document`` as JSON text with the value at ``path`` replaced by raw JSON text."""
    marker = "@@hostile@@"
    node: dict[str, object] = document
    for key in path[:-1]:
        child = node[key]
        node = child[0] if isinstance(child, list) else child  # type: ignore[assignment]
    node[path[-1]] = marker
    return json.dumps(document).replace(f'"{marker}"', raw).encode()


REQUESTS = st.one_of(
    st.tuples(
        st.just("/events"),
        st.sampled_from(
            [("events", f) for f in EVENT_FIELDS]
            + [("events", "data", "x"), ("device_id",), ("events",)]
        ),
        st.booleans(),
    ),
    st.tuples(st.just("/enroll"), st.sampled_from([("code",), ("device_id",)]), st.just(False)),
)


@pytest.fixture
def hostile_world(database_url: str) -> Iterator[tuple[LoopbackOffice, str]]:  # noqa: F811
    world = loopback(database_url, max_batch=50)
    token = world.office.enroll_kiosk("k1", "c1")
    yield world, token
    world.server.stop()


@pytest.mark.slow
@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=REQUESTS, raw=HOSTILE)
def test_hostile_json_in_any_field_gets_a_4xx_never_a_5xx(hostile_world, request, raw):
    world, token = hostile_world
    path, where, unauthenticated = request
    if path == "/events":
        document: dict[str, object] = {"device_id": "k1", "events": [event()]}
        headers = {} if unauthenticated else {"Authorization": f"Bearer {token}"}
    else:
        document, headers = {"code": "ABCD-EFGH", "device_id": "k9"}, {}
    body = _with(document, where, raw)
    headers["Content-Type"] = "application/json"
    reply = requests.post(f"{world.url}/api/v1{path}", data=body, headers=headers, timeout=60)
    assert reply.status_code < 500, (path, where, raw[:80], reply.text[:300])
    if reply.status_code >= 400:
        assert set(reply.json()) == {"error", "message"}
