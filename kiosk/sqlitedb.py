"""SQLite plumbing shared by the event log and the office-data cache.

One connection per thread (SQLite connections must not be shared across threads), WAL so the
sync agent reads while the kiosk loop writes, ``synchronous=FULL`` so a commit that returned is
on the disk, schema migrations by ``PRAGMA user_version``, and every SQLite failure turned into
a ``StoreError`` that says what happened and what to do.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from kiosk.exc import StoreError

__all__ = ["Database", "store_error"]


def store_error(path: Path, error: sqlite3.Error) -> StoreError:
    """A StoreError naming the file and the likely cause of an SQLite failure."""
    name = getattr(error, "sqlite_errorname", "")
    text = str(error)
    if name == "SQLITE_FULL" or "full" in text:
        hint = "the disk (or the log's size limit) is full; free space on the data partition"
    elif name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        hint = "the file or its folder is read-only; check the mount and the file's owner"
    elif name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a" in text:
        hint = "the file is corrupt; move it aside (keep it for recovery) and restart"
    elif name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        hint = "another process holds the database; is a second kiosk process running?"
    elif name == "SQLITE_CANTOPEN" or "unable to open" in text:
        hint = "the file cannot be opened; check that its folder exists and is writable"
    else:
        hint = "see the SQLite message"
    return StoreError(f"{path}: {text} ({name or type(error).__name__}): {hint}")


class Database:
    """A SQLite file opened once per thread, migrated to the newest schema on first use.

    ``migrations[i]`` takes the schema from version ``i`` to ``i + 1``; a file newer than the
    code is refused. ``max_pages`` caps the file (tests use it to simulate a full disk).
    """

    def __init__(
        self,
        path: Path,
        migrations: Sequence[str],
        *,
        busy_timeout_s: float = 5.0,
        max_pages: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.migrations = tuple(migrations)
        self.busy_timeout_s = busy_timeout_s
        self.max_pages = max_pages
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        with self.errors():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate(self.connection())

    @property
    def version(self) -> int:
        """The schema version this code writes."""
        return len(self.migrations)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        if self._closed:
            raise StoreError(f"{self.path}: used after close()")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn SQLite and file-system failures into StoreError."""
        try:
            yield
        except sqlite3.Error as error:
            raise store_error(self.path, error) from error
        except OSError as error:
            raise StoreError(f"{self.path}: {error.strerror or error}") from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable write (nested uses join the outer one)."""
        conn = self.connection()
        outer = self._local.depth == 0
        with self.errors():
            if outer:
                conn.execute("BEGIN IMMEDIATE")
            self._local.depth += 1
            try:
                yield conn
            except BaseException:
                self._local.depth -= 1
                if outer:
                    conn.rollback()
                raise
            self._local.depth -= 1
            if outer:
                conn.commit()

    def close(self) -> None:
        """Close every thread's connection (the WAL is checkpointed by the last one)."""
        with self._lock:
            connections, self._all = self._all, []
            self._closed = True
        for conn in connections:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        with self.errors():
            # isolation_level=None: we say when transactions start, so a single INSERT is
            # its own durable commit and nothing waits in an implicit open transaction.
            # check_same_thread=False only so close() may run in another thread; each
            # connection is still used by the one thread that opened it.
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=self.busy_timeout_s,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            if self.max_pages is not None:
                conn.execute(f"PRAGMA max_page_count={int(self.max_pages)}")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > self.version:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this software "
                f"({self.version}); upgrade the kiosk software or move the file aside"
            )
        for number in range(current, self.version):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(self.migrations[number]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number + 1}")
            except BaseException:
                conn.rollback()
                raise
            conn.commit()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit behind our back)."""
    return [s.strip() for s in script.split(";") if s.strip()]
