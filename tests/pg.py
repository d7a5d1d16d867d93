"""Throwaway databases and a loopback office server for the server and sync tests.

``database_url`` is parametrised over SQLite and PostgreSQL. PostgreSQL comes from Debian's
postgresql package: a cluster is made with initdb in a temporary folder and started with
pg_ctl on a unix socket (as the ``postgres`` user when the tests run as root). Where the package
is not installed the PostgreSQL cases are skipped with a reason saying so.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.app import create_app
from server.local import Office, ServerThread
from sync.protocol import MAX_BATCH

__all__ = ["LoopbackOffice", "PostgresCluster", "database_url", "loopback", "postgres"]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A private PostgreSQL cluster listening on a unix socket in a temporary folder."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            raise FileNotFoundError("initdb not found under /usr/lib/postgresql/*/bin")
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.dir / "data"
        self.port = 5432  # on a private socket folder, so no clash with a system server
        self._names = itertools.count()
        as_root = os.geteuid() == 0
        self._prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.user = "postgres" if as_root else os.environ.get("USER", "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self._prefix, *args], check=True, capture_output=True, timeout=120)

    def start(self, *, durable: bool = False) -> PostgresCluster:
        """Start the cluster. Tests skip the syncs (a throwaway cluster has nothing to lose);
        ``durable`` keeps PostgreSQL's defaults, as an office runs it (benchmarks)."""
        initdb, pg_ctl = str(self.bin / "initdb"), str(self.bin / "pg_ctl")
        self._run(initdb, "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync")
        options = f"-k {self.dir} -c listen_addresses='' -p {self.port} -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off"
        self._run(
            pg_ctl, "-D", str(self.data), "-o", options, "-w", "-l", str(self.dir / "log"), "start"
        )
        return self

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def settings(self, *names: str) -> dict[str, str]:
        """The running server's values of ``names`` (SHOW), to report what was measured."""
        import psycopg

        with psycopg.connect(
            host=str(self.dir), port=self.port, user=self.user, dbname="postgres"
        ) as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}  # type: ignore[index]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.dir}&port={self.port}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(
            host=str(self.dir), port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    if _pg_bin() is None:
        pytest.skip(
            "PostgreSQL is not installed (apt install postgresql); PostgreSQL cases skipped"
        )
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'office.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@dataclass
class LoopbackOffice:
    """An office database with one compound, served by uvicorn on 127.0.0.1."""

    office: Office
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.url


def loopback(url: str, *, max_batch: int | None = None) -> LoopbackOffice:
    office = Office.open(url)
    office.add_compound("c1")
    office.add_household("h1", "c1")
    app = create_app(office.sessions, max_batch=max_batch or MAX_BATCH)
    server = ServerThread(app).start()
    return LoopbackOffice(office, server)
