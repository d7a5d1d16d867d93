"""SQLite plumbing shared by the event log and the office-data cache.

One connection per thread (SQLite connections must not be shared across threads), WAL so the
sync agent reads while the kiosk loop writes, ``synchronous=FULL`` so a commit that returned is
on the disk, schema migrations by ``PRAGMA user_version``, and every SQLite failure turned into
a ``StoreError`` that says what happened and what to do.

A file that cannot be used never stops the kiosk (docs/gate-rules.md, degraded modes): the
``Database`` is made whatever the file's state, holds the failure as ``fault`` (every use raises
it) and tries again every ``RETRY_S``; a corrupt file is moved aside (``kiosk.datafile``) and a
new one started; a file deleted or replaced under it is noticed within ``WATCH_S``. What the
guard must hear of waits in ``notices()`` for the kiosk loop.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from kiosk.atomic import fsync_dir
from kiosk.datafile import HINTS, Notice, fault_kind, free_bytes, identity, move_aside
from kiosk.exc import StoreError

__all__ = ["RETRY_S", "WATCH_S", "Database", "Watched", "store_error"]

log = logging.getLogger(__name__)

RETRY_S = 5.0  # how often a file that failed is opened again
# SQLite maps its "-shm" file into memory when it opens a WAL database; on a card with no room
# left, touching that map kills the process with SIGBUS (seen on a full ext4). Below this much
# free space the file is not opened at all: a "full" fault, retried like any other.
OPEN_MARGIN_BYTES = 1 << 20
WATCH_S = 10.0  # how often the file's identity is checked (deleted or replaced under us?)


def store_error(path: Path, error: sqlite3.Error | OSError) -> StoreError:
    """A StoreError naming the file and the likely cause of an SQLite or file-system failure."""
    kind = fault_kind(error, path.parent)
    if isinstance(error, OSError):
        return StoreError(f"{path}: {error.strerror or error}: {HINTS[kind]}", kind)
    name = getattr(error, "sqlite_errorname", "") or type(error).__name__
    return StoreError(f"{path}: {error} ({name}): {HINTS[kind]}", kind)


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
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.migrations = tuple(migrations)
        self.busy_timeout_s = busy_timeout_s
        self.max_pages = max_pages
        self.fault: StoreError | None = None  # why the file cannot be used now
        self._monotonic = monotonic
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.RLock()
        self._closed = False
        self._notices: queue.SimpleQueue[Notice] = queue.SimpleQueue()
        self._generation = 0  # bumped when the file changes: every thread reconnects
        self._identity: tuple[int, int] | None = None
        self._retry_at = self._watch_at = 0.0
        with self._lock:
            self._recover()

    @property
    def version(self) -> int:
        """The schema version this code writes."""
        return len(self.migrations)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use); raises the fault while there is one."""
        if self._closed:
            raise StoreError(f"{self.path}: used after close()")
        fault = self.watch()
        if fault is not None:
            raise StoreError(str(fault), fault.kind)
        local = self._local
        moved = getattr(local, "generation", None) != self._generation
        if moved and not getattr(local, "depth", 0):  # never in the middle of a transaction
            self._drop(getattr(local, "conn", None))
            local.conn, local.depth = self._open(), 0
            local.generation = self._generation
            with self._lock:
                self._all.append(local.conn)
        conn: sqlite3.Connection = local.conn
        return conn

    def watch(self) -> StoreError | None:
        """Open a failed file again when ``RETRY_S`` has passed; check every ``WATCH_S`` that
        the file is still the one opened. Returns the fault now (None: the file works)."""
        with self._lock:
            now = self._monotonic()
            if self.fault is not None and now >= self._retry_at and not self._closed:
                self._recover()
            elif self.fault is None and now >= self._watch_at:
                self._watch_at = now + WATCH_S
                if identity(self.path) != self._identity:
                    self._lost()
            return self.fault

    def notice(self, notice: Notice) -> None:
        """Something about the file (one of its rows) the guard must hear of."""
        self._notices.put(notice)

    def notices(self) -> list[Notice]:
        """What happened to the file since the last call, for the guard (the kiosk loop's)."""
        found = []
        while True:
            try:
                found.append(self._notices.get_nowait())
            except queue.Empty:
                return found

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn SQLite and file-system failures into StoreError; corruption becomes the fault
        (the file is moved aside on the next use)."""
        try:
            yield
        except sqlite3.Error as error:
            failure = store_error(self.path, error)
            if failure.kind == "corrupt":
                with self._lock:
                    self._fail(failure)
                    self._retry_at = self._monotonic()
            raise failure from error
        except OSError as error:
            if isinstance(error, StoreError):
                raise
            raise store_error(self.path, error) from error

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

    # --- failing and recovering (called holding the lock) ----------------------------------------

    def _recover(self) -> None:
        """Open the file (moving a corrupt one aside and starting afresh); else keep the fault."""
        self._retry_at = self._monotonic() + RETRY_S
        self._generation += 1
        try:
            if self.fault is not None and self.fault.kind == "corrupt":
                raise self.fault  # a query met a damaged page: no need to read them all
            self._probe()
        except StoreError as failure:
            if failure.kind != "corrupt" or not self._move_aside(failure):
                self._fail(failure)
                return
            try:
                self._probe()
            except StoreError as again:
                self._fail(again)
                return
        if self.fault is not None:
            log.warning("%s: usable again", self.path)
            self._notices.put(Notice(self.path, "recovered", f"{self.path}: usable again"))
        self.fault = None
        self._identity = identity(self.path)
        self._watch_at = self._monotonic() + WATCH_S

    def _probe(self) -> None:
        """Make, open and migrate the file on a connection of its own."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise store_error(self.path, error) from error
        conn = self._open()
        try:
            with self._translated():
                self._migrate(conn)
        finally:
            conn.close()

    def _move_aside(self, failure: StoreError) -> bool:
        try:
            kept = move_aside(self.path, datetime.now(UTC))
        except OSError as error:
            log.error("%s is corrupt and cannot be moved aside: %s", self.path, error)
            return False
        log.error("%s: moved aside to %s, a new file started (%s)", self.path, kept, failure)
        detail = f"{failure}; kept as {kept.name}, a new file started"
        self._notices.put(Notice(self.path, "moved_aside", detail))
        return True

    def _fail(self, failure: StoreError) -> None:
        if self.fault is None or self.fault.kind != failure.kind:
            log.error("%s", failure)
            self._notices.put(Notice(self.path, failure.kind, str(failure)))
        self.fault = failure

    def _lost(self) -> None:
        """The file was deleted or replaced under us: copy what this thread's connection still
        sees back in place (deleted) or beside it (replaced), and reconnect."""
        saved = self._rescue()
        where = f"; what it held is saved as {saved.name}" if saved else ""
        detail = f"{self.path}: {HINTS['replaced']}{where}"
        log.error("%s", detail)
        self._notices.put(Notice(self.path, "replaced", detail))
        self._recover()

    def _rescue(self) -> Path | None:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "generation", None) != self._generation:
            return None
        target = self.path
        if target.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = self.path.with_name(f"{self.path.name}.replaced-{stamp}")
        try:
            conn.execute("VACUUM INTO ?", (str(target),))
        except sqlite3.Error as error:
            log.error("%s: could not save the replaced file's contents: %s", self.path, error)
            return None
        return target

    def _drop(self, conn: sqlite3.Connection | None) -> None:
        if conn is None:
            return
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        with suppress(sqlite3.Error):
            conn.close()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise store_error(self.path, error) from error

    def _open(self) -> sqlite3.Connection:
        free = free_bytes(self.path.parent)
        if free is not None and free < OPEN_MARGIN_BYTES:
            raise StoreError(
                f"{self.path}: not opened, {free // 1024} KiB free: {HINTS['full']}",
                "full",
            )
        with self._translated():
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
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                if self.max_pages is not None:
                    conn.execute(f"PRAGMA max_page_count={int(self.max_pages)}")
            except BaseException:
                conn.close()
                raise
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > self.version:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this software "
                f"({self.version}); {HINTS['newer']}",
                "newer",
            )
        if 0 < current < self.version:
            self._back_up(conn, current)
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

    def _back_up(self, conn: sqlite3.Connection, version: int) -> None:
        """Before a migration (forward only): a whole copy of the file as it was, for a release
        rolled back to the older schema (``events.db.schema1.bak``, made once per version)."""
        backup = self.path.with_name(f"{self.path.name}.schema{version}.bak")
        if backup.exists():
            return
        temp = backup.with_name(backup.name + ".tmp")
        target = sqlite3.connect(temp)
        try:
            conn.backup(target)
        finally:
            target.close()
        os.replace(temp, backup)
        fsync_dir(self.path.parent)
        log.warning("%s: schema %d kept as %s before migrating", self.path, version, backup.name)


class Watched:
    """What a store kept in a ``Database`` (``self._db``) shows the kiosk loop of its file."""

    _db: Database

    @property
    def fault(self) -> StoreError | None:
        """Why the file cannot be used now; None while it works."""
        return self._db.fault

    def watch(self) -> StoreError | None:
        """Retry or check the file when due (``Database.watch``); the fault now."""
        return self._db.watch()

    def notices(self) -> list[Notice]:
        """What the guard must hear of since the last call."""
        return self._db.notices()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit behind our back)."""
    return [s.strip() for s in script.split(";") if s.strip()]
