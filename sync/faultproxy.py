"""A fault-injecting HTTP proxy for testing the agent against a real server over loopback.

    proxy = FaultProxy("127.0.0.1", server_port).start()
    proxy.down = True                   # every connection is closed at once (server down)
    proxy.plan("POST /events", Fault.DROP_REPLY)   # the next upload: server commits, reply lost
    ... agent.run_once() ...
    proxy.stop()

Faults are queued per request line prefix and used once each, in order; ``down`` holds until
cleared. Like gpiozero's mock pins it ships in the package so anyone can use it.
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import threading
from collections import Counter, deque
from enum import StrEnum

__all__ = ["Fault", "FaultProxy"]

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class Fault(StrEnum):
    ERROR_500 = "500"  # answer 500 without asking the server
    HANG = "hang"  # read the request, answer nothing until the client gives up
    CUT_REQUEST = "cut_request"  # close after half the request body: the server sees nothing
    DROP_REPLY = "drop_reply"  # forward, let the server commit, close before replying
    TRICKLE = "trickle"  # forward, then send the reply a byte every ``trickle_s`` (a slow office)


class FaultProxy:
    """HTTP/1.1 proxy on 127.0.0.1 (random port) to ``upstream``; see the module docstring."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.down = False
        self.trickle_s = 1.0  # seconds between two bytes of a TRICKLE reply
        self.seen: Counter[str] = Counter()  # "METHOD /path" -> requests that reached the proxy
        self.served: Counter[str] = Counter()  # ... that the server answered
        self._plans: deque[tuple[str, Fault]] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        serve = self._server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def plan(self, request_prefix: str, *faults: Fault) -> None:
        """Queue faults for the next requests whose line (``"POST /api/v1/events"``) matches."""
        with self._lock:
            self._plans.extend((request_prefix, f) for f in faults)

    def _take(self, line: str) -> Fault | None:
        with self._lock:
            for item in self._plans:
                prefix, fault = item
                method, _, path = prefix.partition(" ")
                if line.startswith(method) and path in line:
                    self._plans.remove(item)
                    return fault
        return None

    # --- one client connection ----------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self.down:
                request = _read_request(reader)
                if request is None:
                    return
                line, headers, body = request
                key = " ".join(line.split(" ")[:2]).split("?")[0]
                self.seen[key] += 1
                if not self._answer(conn, line, headers, body, self._take(line), key):
                    return
        except OSError:
            return
        finally:
            reader.close()
            conn.close()

    def _answer(
        self,
        conn: socket.socket,
        line: str,
        headers: list[tuple[str, str]],
        body: bytes,
        fault: Fault | None,
        key: str,
    ) -> bool:
        """Act on one request; False closes the connection."""
        if fault is Fault.ERROR_500:
            conn.sendall(_reply(500, "Internal Server Error", [], b"proxy: injected fault"))
            return False
        if fault is Fault.HANG:
            self._release.wait(60)
            return False
        if fault is Fault.CUT_REQUEST:
            return False  # the body was read here but never forwarded: as if cut on the wire
        status, reason, reply_headers, reply_body = self._forward(line, headers, body)
        self.served[key] += 1
        if fault is Fault.DROP_REPLY:
            conn.shutdown(socket.SHUT_RDWR)
            return False
        reply = _reply(status, reason, reply_headers, reply_body)
        if fault is Fault.TRICKLE:
            self._trickle(conn, reply)
            return False
        conn.sendall(reply)
        return True

    def _trickle(self, conn: socket.socket, reply: bytes) -> None:
        """Send ``reply`` a byte at a time until it is sent, the client leaves or stop()."""
        for index in range(len(reply)):
            conn.sendall(reply[index : index + 1])
            if self._release.wait(self.trickle_s):
                return

    def _forward(
        self, line: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        method, target, _ = line.split(" ", 2)
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers if k.lower() not in HOP_HEADERS}
            upstream.request(method, target, body=body or None, headers=sent)
            response = upstream.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_HEADERS]
            return response.status, response.reason, kept, data
        finally:
            upstream.close()


def _read_request(reader: object) -> tuple[str, list[tuple[str, str]], bytes] | None:
    readline = reader.readline  # type: ignore[attr-defined]
    line = readline(65536).decode("latin-1").rstrip("\r\n")
    if not line:
        return None
    headers: list[tuple[str, str]] = []
    while True:
        raw = readline(65536).decode("latin-1").rstrip("\r\n")
        if not raw:
            break
        name, _, value = raw.partition(":")
        headers.append((name.strip(), value.strip()))
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = reader.read(length) if length else b""  # type: ignore[attr-defined]
    return line, headers, body


def _reply(status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status} {reason}"]
    head += [f"{k}: {v}" for k, v in headers]
    head += [f"Content-Length: {len(body)}", ""]
    return ("\r\n".join(head) + "\r\n").encode("latin-1") + body
