"""A whole office server in this process, for the demo, tests and benchmarks.

office = Office.open(data_dir)               # SQLite file in data_dir, migrated, with a key
url, stop = start_local_server(data_dir)     # serving on 127.0.0.1, a free port
office.add_compound("c1"); ...; token = office.enroll_kiosk("k1", "c1")
"""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from kiosk.model import RiskColour, Role
from kiosk.passes import IssuerKey, TrustList, parse_trust_json
from server import office, sync_service
from server.app import create_app
from server.db import open_database
from server.models import IssuerKeyRow
from sync.protocol import EnrollRequest

DEFAULT_ISSUER = "Community Office"


DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def default_url(path: Path) -> str:
    """The SQLite URL for ``path``: a database file itself (a file, or a name ending in .db,
    .sqlite or .sqlite3), else a data folder holding ``office.db``."""
    path = Path(path).resolve()
    if path.is_file() or (path.suffix in DB_SUFFIXES and not path.is_dir()):
        return f"sqlite:///{path}"
    return f"sqlite:///{path / 'office.db'}"


@dataclass
class Office:
    """The office's hand operations on one database (each call is its own transaction)."""

    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url_or_dir: str | Path, issuer: str = DEFAULT_ISSUER) -> Office:
        """Open (creating and migrating) a database; make the issuer key if there is none."""
        text = str(url_or_dir)
        url = text if "://" in text else default_url(Path(text))
        created = cls(open_database(url))
        with created.session() as s:
            if s.query(IssuerKeyRow).first() is None:
                office.add_issuer_key(s, issuer)
        return created

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as s:
            yield s

    def add_compound(self, compound_id: str, name: str = "") -> None:
        with self.session() as s:
            office.add_compound(s, compound_id, name)

    def add_household(
        self, household_id: str, compound_id: str, colour: RiskColour = RiskColour.WHITE
    ) -> None:
        with self.session() as s:
            office.add_household(s, household_id, compound_id, colour)

    def set_colour(
        self, household_id: str, colour: RiskColour, quarantine_until: datetime | None = None
    ) -> None:
        with self.session() as s:
            office.set_colour(s, household_id, colour, quarantine_until)

    def add_resident(self, name: str, household_id: str, **details: Any) -> int:
        with self.session() as s:
            return office.add_resident(s, name, household_id, **details).id

    def issue_pass(self, holder_id: int, role: Role = Role.RESIDENT, days: int = 180) -> str:
        """Sign a pass; returns its QR text ("KP1:...")."""
        with self.session() as s:
            return office.issue_resident_pass(s, holder_id, role=role, days=days)[1]

    def revoke(self, pass_id: str, revoked: bool = True) -> None:
        with self.session() as s:
            office.revoke_pass(s, pass_id, revoked)

    def set_policy(self, compound_id: str, overrides: dict[str, Any]) -> None:
        with self.session() as s:
            office.set_policy(s, compound_id, overrides)

    def enrollment_code(self, compound_id: str, hours: float = 24.0) -> str:
        with self.session() as s:
            return office.create_enrollment_code(s, compound_id, hours=hours)

    def enroll_kiosk(self, device_id: str, compound_id: str) -> str:
        """Enroll a kiosk without HTTP; returns its bearer credential."""
        code = self.enrollment_code(compound_id)
        with self.session() as s:
            return sync_service.enroll(s, EnrollRequest(code, device_id), datetime.now(UTC)).token

    def revoke_kiosk(self, device_id: str) -> None:
        with self.session() as s:
            office.revoke_kiosk(s, device_id)

    def signing_key(self) -> IssuerKey:
        with self.session() as s:
            return office.signing_key(s)

    def trust_list(self) -> TrustList:
        with self.session() as s:
            return parse_trust_json(office.trust_document(s), "office trust list")

    def conflicts(self, compound_id: str | None = None) -> list[dict[str, Any]]:
        with self.session() as s:
            return sync_service.conflicts(s, compound_id)


def settle_heap() -> None:
    """Put what exists before serving (modules, the app) out of the garbage collector's reach.

    Otherwise every full collection walks it again: with a 5,000-flat board that was a 100 ms
    pause every few requests, most of the board page's p95. Objects made later are collected as
    usual; frozen ones are still freed when nothing refers to them.
    """
    gc.collect()
    gc.freeze()


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 in a daemon thread; ``stop()`` ends it."""

    def __init__(
        self, app: Any, port: int = 0, *, certfile: Path | None = None, keyfile: Path | None = None
    ) -> None:
        # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on each connection (it checks the
        # proto); with proto 0 every reply waited ~40 ms for the client's delayed ACK (Nagle).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", port))
        self.port: int = self._socket.getsockname()[1]
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_certfile=None if certfile is None else str(certfile),
            ssl_keyfile=None if keyfile is None else str(keyfile),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> ServerThread:
        settle_heap()
        self._thread.start()
        ready = threading.Event()
        while not self._server.started and self._thread.is_alive():
            ready.wait(0.01)  # uvicorn offers no start callback; this returns within milliseconds
        if not self._server.started:
            raise RuntimeError(f"the office server did not start on port {self.port}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True  # do not wait for idle keep-alive connections
        self._thread.join(timeout=10)
        self._socket.close()


def start_local_server(
    data_dir: str | Path, *, port: int = 0, url: str | None = None
) -> tuple[str, Callable[[], None]]:
    """Init a database (SQLite in ``data_dir`` unless ``url``) and serve it on 127.0.0.1."""
    target = Office.open(url or data_dir)
    thread = ServerThread(create_app(target.sessions), port).start()
    return thread.url, thread.stop
