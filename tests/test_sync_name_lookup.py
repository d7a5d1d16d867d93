"""A name server that never answers cannot hold the kiosk's sync past a request's deadline:
the office's name is looked up in a worker the client waits for at most ``timeout_s``.

The stuck name server is a ``socket.getaddrinfo`` that blocks on an Event until the test ends
(what glibc does while /etc/resolv.conf names an unreachable server); the worker threads run
in the background and end when it is released.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from kiosk.office import OfficeData
from sync.agent import SyncAgent
from sync.client import Client, Transient
from sync.rejected import RejectedEvents
from sync.resolver import LookupTimedOut, Resolver

OFFICE = "office.example"
REAL_GETADDRINFO = socket.getaddrinfo
SETTLES_S = 10.0  # far above the client's deadline: only a request that hangs takes this long


class StuckNameServer:
    """``socket.getaddrinfo`` where asking for ``OFFICE`` blocks until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked: list[str] = []

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != OFFICE:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.asked.append(host)
        self.release.wait()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


@pytest.fixture
def stuck(monkeypatch: pytest.MonkeyPatch) -> Iterator[StuckNameServer]:
    name_server = StuckNameServer()
    monkeypatch.setattr(socket, "getaddrinfo", name_server)
    yield name_server
    name_server.release.set()


def finished(work: Callable[[], Any]) -> Any:
    """What ``work`` returned or raised, run in a thread; fails when it is still blocked."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SETTLES_S)
    assert not thread.is_alive(), f"still blocked in the name lookup after {SETTLES_S:g} s"
    return outcome[0]


def test_a_request_ends_within_its_timeout_when_the_name_server_never_answers(
    stuck: StuckNameServer,
) -> None:
    client = Client(f"http://{OFFICE}:8080", "token", timeout_s=0.2)
    error = finished(client.server_time)
    assert isinstance(error, Transient)
    assert str(error) == (
        f"GET /time: no answer from the name server for {OFFICE} within 0.2 s; check the "
        "kiosk's DNS server (/etc/resolv.conf) or give sync.server_url as an IP address"
    )


class Empty:
    """A kiosk event log with nothing to upload."""

    def unsynced(self, limit: int = 200) -> list[Any]:
        return []

    def count_unsynced(self) -> int:
        return 0


def test_sync_rounds_end_and_share_the_one_stuck_lookup(
    stuck: StuckNameServer, tmp_path: Path
) -> None:
    clock = SimpleNamespace(read=lambda: SimpleNamespace(trusted=True))
    agent = SyncAgent(
        Client(f"http://{OFFICE}:8080", "token", timeout_s=0.2),
        Empty(),  # type: ignore[arg-type]
        OfficeData(tmp_path / "office.db"),
        clock,  # type: ignore[arg-type]
        RejectedEvents(tmp_path / "rejected.db"),
        boot_id="b",
    )
    for _ in range(3):
        result = finished(agent.run_once)
        assert not result.ok and "no answer from the name server" in result.error
    assert stuck.asked == [OFFICE]  # one worker waits on the name server, not one per round


class TimeHandler(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hosts.append(self.headers["Host"])
        body = json.dumps({"server_time": "2026-02-10T02:00:00Z"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_looked_up_office_is_reached_by_its_address_and_asked_by_its_name() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TimeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    names = {OFFICE: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]}
    resolver = Resolver(lambda host, *args: names[host])
    try:
        client = Client(f"http://{OFFICE}:{port}", "token", timeout_s=5.0, resolver=resolver)
        assert client.server_time().year == 2026
    finally:
        server.shutdown()
        server.server_close()
    assert TimeHandler.hosts == [f"{OFFICE}:{port}"]


def test_an_unknown_name_is_said_at_once() -> None:
    def unknown(host: str, *args: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    client = Client(f"http://{OFFICE}", "token", timeout_s=5.0, resolver=Resolver(unknown))
    with pytest.raises(Transient, match=f"Failed to resolve '{OFFICE}'.*Name or service not known"):
        client.server_time()


def test_an_address_is_not_looked_up() -> None:
    def never(host: str, *args: Any) -> Any:
        raise AssertionError("an address needs no lookup")

    assert Resolver(never).resolve("127.0.0.1", 80, 1.0) == ["127.0.0.1"]
    assert Resolver(never).resolve("[::1]", 80, 1.0) == ["[::1]"]


def test_a_lookup_that_times_out_says_so() -> None:
    release = threading.Event()
    resolver = Resolver(lambda *args: release.wait() and [])
    try:
        with pytest.raises(LookupTimedOut, match=f"for {OFFICE} within 0.05 s"):
            resolver.resolve(OFFICE, 80, 0.05)
    finally:
        release.set()
