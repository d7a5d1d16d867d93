"""The kiosk's HTTP client for the office server (requests), and enrolling a kiosk.

Faults are sorted into two errors the agent acts on differently:
``Transient`` (no answer, timeout, 5xx: keep the events, retry later) and ``Refused`` (a 4xx
with the server's code and message: the request itself is wrong and retrying will not help).
A 5xx is a ``ServerFault``, a Transient that keeps the server's answer.

requests' timeout bounds each socket read, so a server sending one byte a second never times
out; every request therefore also has a whole-request deadline, after which the client cuts
its own sockets. Nor does it bound the name lookup before connecting: that runs in a worker
(``sync.resolver``) waited for at most ``timeout_s``, so an unreachable name server cannot hold
a request past its deadline either. Enrollment goes through the same client, so ``kiosk
enroll`` cannot hang either.

A reply is read as it streams in and refused (``ReplyTooLarge``) the moment it passes
``max_reply_bytes``: a runaway or hostile office cannot fill the gate's own process.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import socket
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError

from kiosk.atomic import write_atomic
from kiosk.exc import SyncError
from kiosk.update.keys import TrustedKeys
from sync.protocol import (
    API_PREFIX,
    SERVER_TIME_HEADER,
    STATUS_HEADER,
    Delta,
    EnrollReply,
    EnrollRequest,
    ErrorCode,
    ErrorReply,
    KioskStatus,
    ProtocolError,
    StatusKey,
    UploadReply,
    UploadRequest,
    parse_time,
)
from sync.resolver import LookupTimedOut, Resolver

__all__ = [
    "Client",
    "Credential",
    "Refused",
    "ReplyTooLarge",
    "ServerFault",
    "Transient",
    "enroll",
]

E = TypeVar("E", bound=BaseException)
MAX_REPLY_BYTES = 16 << 20  # default for one reply; docs/sync-protocol.md, "Reply limits"
CHUNK_BYTES = 64 << 10


class Transient(SyncError):
    """The server did not answer usefully (down, timeout, cut connection, 5xx): retry later."""


class ServerFault(Transient):
    """The server answered 5xx; ``status`` and ``message`` are its answer."""

    def __init__(self, what: str, status: int, reply: ErrorReply) -> None:
        super().__init__(f"{what}: HTTP {status} {reply.error}: {reply.message}")
        self.status = status
        self.code = reply.error
        self.message = reply.message


class ReplyTooLarge(Transient):
    """The office's reply passed the kiosk's limit; reading stopped there."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(
            f"{what}: the office's reply is larger than {limit // 1024} KiB; stopped reading it. "
            "Update the office (it pages its replies) or raise sync.max_reply_kib"
        )
        self.limit = limit


class Refused(SyncError):
    """The server refused the request with a 4xx; ``status``, ``code`` and ``message`` say why."""

    def __init__(self, status: int, reply: ErrorReply) -> None:
        super().__init__(f"HTTP {status} {reply.error}: {reply.message}")
        self.status = status
        self.code = reply.error
        self.message = reply.message

    @property
    def locked_out(self) -> bool:
        """The kiosk's credential is unknown or revoked: nothing it sends will be taken."""
        return self.code in (ErrorCode.UNAUTHORIZED, ErrorCode.KIOSK_REVOKED)


@dataclass(frozen=True, slots=True)
class Credential:
    """What enrollment gave this kiosk; kept in ``sync.credential_file`` (mode 0600)."""

    server_url: str
    device_id: str
    compound_id: str
    token: str

    def save(self, path: Path) -> None:
        document = {
            "server_url": self.server_url,
            "device_id": self.device_id,
            "compound_id": self.compound_id,
            "token": self.token,
        }
        write_atomic(Path(path), json.dumps(document, indent=1) + "\n", mode=0o600)

    @classmethod
    def load(cls, path: Path) -> Credential:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(doc["server_url"], doc["device_id"], doc["compound_id"], doc["token"])
        except FileNotFoundError:
            raise SyncError(
                f"{path}: no credential; enroll the kiosk with a code from the office"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SyncError(f"{path}: unreadable credential file ({error}); enroll again") from None


def software_version() -> str:
    try:
        return importlib.metadata.version("checkpoint-kiosk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class Client:
    """Requests to one office server with one credential; ``verify`` is the CA file or True.

    ``timeout_s`` bounds each wait for the network, the name lookup included; ``deadline_s``
    (default three times that) bounds a whole request, however slowly the server trickles its
    answer; a reply over ``max_reply_bytes`` is refused while it is read.
    """

    base_url: str
    token: str
    timeout_s: float = 10.0
    verify: str | bool = True
    session: requests.Session | None = None
    deadline_s: float | None = None
    max_reply_bytes: int = MAX_REPLY_BYTES
    resolver: Resolver = field(default_factory=Resolver)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._http = self.session or requests.Session()
        self._connections = _track_connections(self._http, self._addresses)
        self.set_token(self.token)
        self.last_server_time: datetime | None = None
        if self.deadline_s is None:
            self.deadline_s = 3 * self.timeout_s
        # Told to the office with every request (its gates page shows each kiosk's health).
        self.status = KioskStatus({StatusKey.VERSION: software_version()})

    def set_token(self, token: str) -> None:
        """Use a (new) credential from now on."""
        self.token = token
        if token:
            self._http.headers["Authorization"] = f"Bearer {token}"
        else:
            self._http.headers.pop("Authorization", None)

    def server_time(self) -> datetime:
        """The server's time now (one cheap request)."""
        body = self._call("GET", "/time")
        return parse_time(body.get("server_time"), "reply.server_time")

    def enroll(self, request: EnrollRequest) -> EnrollReply:
        """Trade a one-time code for a credential (sent without one)."""
        return _parsed(EnrollReply.from_json, self._call("POST", "/enroll", request.to_json()))

    def upload(self, request: UploadRequest) -> UploadReply:
        return _parsed(UploadReply.from_json, self._call("POST", "/events", request.to_json()))

    def delta(self, since: int, etag: str | None = None) -> Delta | None:
        """Changes after ``since``; None when the server answers 304 Not Modified."""
        headers = {"If-None-Match": etag} if etag else {}
        body = self._call("GET", f"/delta?since={since}", headers=headers)
        return None if body is None else _parsed(Delta.from_json, body)

    def close(self) -> None:
        self._http.close()

    def get_json(self, path: str) -> Any:
        """A GET's JSON body; None when the office answers 204 or 304 (nothing new)."""
        return self._call("GET", path)

    def raw(self, path: str, limit: int) -> bytes:
        """A GET's body as bytes (a signed file, say), refused past ``limit`` bytes."""
        reply, content = self._exchange("GET", path, None, None, limit)
        if reply.status_code >= 300:
            _body(reply, content, f"GET {path}")  # raises the fault it is
            raise Transient(f"GET {path}: HTTP {reply.status_code}")
        return content

    def stream(self, path: str, headers: dict[str, str]) -> requests.Response:
        """An open GET for a large file, read by the caller (who closes it). Each read waits at
        most ``timeout_s``; there is no whole-request deadline (it may take minutes)."""
        try:
            reply = self._http.get(
                f"{self.base_url}{API_PREFIX}{path}",
                headers={STATUS_HEADER: self.status.line(), **headers},
                timeout=self.timeout_s,
                verify=self.verify,
                stream=True,
            )
        except requests.RequestException as error:
            raise Transient(f"GET {path}: {type(error).__name__}: {error}") from None
        if reply.status_code >= 300:
            content = _read_bounded(reply, 64 << 10, f"GET {path}")
            reply.close()
            _body(reply, content, f"GET {path}")
            raise Transient(f"GET {path}: HTTP {reply.status_code}")
        return reply

    def _call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        reply, content = self._exchange(method, path, body, headers, self.max_reply_bytes)
        return _body(reply, content, f"{method} {path}")

    def _exchange(
        self, method: str, path: str, body: Any, headers: dict[str, str] | None, limit: int
    ) -> tuple[requests.Response, bytes]:
        url = f"{self.base_url}{API_PREFIX}{path}"
        late = threading.Event()
        timer = threading.Timer(self.deadline_s or self.timeout_s, self._cut, (late,))
        timer.daemon = True
        timer.start()
        headers = {STATUS_HEADER: self.status.line(), **(headers or {})}
        try:
            # verify per request: a session-wide value loses to $REQUESTS_CA_BUNDLE in requests.
            with self._http.request(
                method,
                url,
                json=body,
                headers=headers,
                timeout=self.timeout_s,
                verify=self.verify,
                stream=True,
            ) as reply:
                content = _read_bounded(reply, limit, f"{method} {path}")
        except requests.exceptions.SSLError as error:
            if late.is_set():
                raise self._late(method, path) from None
            message = f"the server's certificate is not trusted: {error}"
            raise Refused(0, ErrorReply("tls", message)) from None
        except requests.RequestException as error:
            if late.is_set():
                raise self._late(method, path) from None
            unresolved = _cause(error, LookupTimedOut)
            if unresolved is not None:
                raise Transient(f"{method} {path}: {unresolved}") from None
            raise Transient(f"{method} {path}: {type(error).__name__}: {error}") from None
        finally:
            timer.cancel()
        if late.is_set():
            raise self._late(method, path)
        self._note_time(reply)
        return reply, content

    def _addresses(self, host: str, port: int) -> list[str]:
        """The office's addresses; the lookup may take no longer than a request's deadline."""
        return self.resolver.resolve(host, port, min(self.timeout_s, self.deadline_s or 0.0))

    def _cut(self, late: threading.Event) -> None:
        """The deadline passed: shut this client's sockets so the blocked read returns."""
        late.set()
        for connection in list(self._connections):
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _late(self, method: str, path: str) -> Transient:
        return Transient(f"{method} {path}: no whole answer within {self.deadline_s:g} s; cut")

    def _note_time(self, reply: requests.Response) -> None:
        stamp = reply.headers.get(SERVER_TIME_HEADER)
        if stamp:
            # A proxy may mangle headers; the body's time is used then.
            with contextlib.suppress(ProtocolError):
                self.last_server_time = parse_time(stamp, SERVER_TIME_HEADER)


Addresses = Callable[[str, int], list[str]]


def _track_connections(
    http: requests.Session, addresses: Addresses
) -> weakref.WeakSet[HTTPConnection]:
    """Make the session's http and https connections register themselves in the returned set
    (so a deadline can reach their sockets; requests offers no other way to them) and look up
    the office's name with ``addresses`` (which gives up in time)."""
    connections: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()

    class Tracked(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _open(self, addresses, super()._new_conn)

        def connect(self) -> None:
            super().connect()
            connections.add(self)

    class TrackedTls(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _open(self, addresses, super()._new_conn)

        def connect(self) -> None:
            super().connect()
            connections.add(self)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Tracked

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = TrackedTls

    for adapter in http.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            adapter.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}
    return connections


def _open(
    connection: HTTPConnection, addresses: Addresses, new_conn: Callable[[], socket.socket]
) -> socket.socket:
    """urllib3's own connect (``new_conn``) to each address of the connection's host in turn,
    the name looked up by ``addresses``; the host name itself stays for TLS and the Host header."""
    host = connection._dns_host
    try:
        found = addresses(host, connection.port)
    except socket.gaierror as error:
        raise NameResolutionError(host, connection, error) from error
    failure: ConnectTimeoutError | None = None
    try:
        for address in found:
            connection._dns_host = address  # a literal address: getaddrinfo does not ask DNS
            try:
                return new_conn()
            except ConnectTimeoutError as error:  # and NewConnectionError: the next address
                failure = error
    finally:
        connection._dns_host = host
    if failure is None:  # the resolver gives one address at least
        raise NameResolutionError(host, connection, socket.gaierror(f"{host}: no address"))
    raise failure


def _cause(error: BaseException, kind: type[E]) -> E | None:
    """The ``kind`` error beneath ``error`` (requests wraps urllib3's, which wraps the cause)."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None or isinstance(seen, kind):
            return seen
        wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = getattr(seen, "reason", None) or wrapped or seen.__cause__
    return None


def _read_bounded(reply: requests.Response, limit: int, what: str) -> bytes:
    """The reply's body, counted as it streams in (after decompression, so a small gzip bomb
    counts at its full size); ReplyTooLarge the moment it passes ``limit``."""
    declared = reply.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ReplyTooLarge(what, limit)
    body = bytearray()
    for chunk in reply.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            raise ReplyTooLarge(what, limit)
    return bytes(body)


def _body(reply: requests.Response, content: bytes, what: str) -> Any:
    if reply.status_code in (204, 304):  # nothing new
        return None
    if reply.status_code >= 500:
        answer = ErrorReply.from_body(content, reply.status_code)
        raise ServerFault(what, reply.status_code, answer)
    if reply.status_code in (408, 429):
        text = content[:200].decode("utf-8", "replace")
        raise Transient(f"{what}: HTTP {reply.status_code} {text}")
    if reply.status_code >= 400:
        raise Refused(reply.status_code, ErrorReply.from_body(content, reply.status_code))
    try:
        return json.loads(content)
    except ValueError:
        # A 2xx that is not JSON comes from something between us and the server.
        raise Transient(f"{what}: HTTP {reply.status_code} with a body that is not JSON") from None


def _parsed(parse: Any, body: Any) -> Any:
    try:
        return parse(body)
    except ProtocolError as error:
        raise Transient(f"the server's reply does not follow the protocol: {error}") from None


def enroll(
    server_url: str,
    code: str,
    device_id: str,
    credential_file: Path,
    *,
    ca_file: str | None = None,
    timeout_s: float = 10.0,
    deadline_s: float | None = None,
    keys_file: Path | None = None,
) -> Credential:
    """Trade a one-time code for this kiosk's credential and save it (mode 0600, atomically).

    The request has the client's whole-request deadline (``deadline_s``, default three times
    ``timeout_s``): an office that answers a byte a second cannot hold ``kiosk enroll``.
    The office's update keys (releases are signed with them) go to ``keys_file``.
    """
    client = Client(server_url, "", timeout_s, ca_file or True, deadline_s=deadline_s)
    try:
        answer = client.enroll(EnrollRequest(code, device_id))
    except Transient as error:
        raise Transient(f"cannot enroll at {server_url}: {error}") from None
    finally:
        client.close()
    credential = Credential(server_url, answer.device_id, answer.compound_id, answer.token)
    credential.save(credential_file)
    if keys_file is not None:
        TrustedKeys(keys_file).replace(answer.update_keys)
    return credential
