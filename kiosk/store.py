"""The kiosk's event log: every decision, alarm and guard action, durable before the gate opens.

SQLite in WAL mode with ``synchronous=FULL``: when ``append`` returns, the event survives a
power cut. The log is also the kiosk's memory for the offline rules (anti-passback, visitor
uses, household exits): ``history`` counts every local event, including the ones not yet
uploaded, so an offline gate cannot admit the same pass twice. The compound's other kiosks
report through the office: their passages arrive with each download (``merge_passages``) and
``history`` counts them beside the kiosk's own, so an in-lane and an out-lane kiosk agree on
where a person is, and what a kiosk has not heard yet it decides without.

Times are stored as UTC ISO-8601 text with a fixed shape (microseconds, ``+00:00``), so text
order is time order and range queries can use an index.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.datafile import Notice
from kiosk.exc import StoreError
from kiosk.model import Direction, Event, EventKind, History, Passage, Reason, Verdict
from kiosk.sqlitedb import Database, Watched

log = logging.getLogger(__name__)

__all__ = ["MIGRATIONS", "EventLog", "event_from_row", "event_row", "iso"]

# Schema steps, applied in order; MIGRATIONS[i] takes version i to i + 1. Never edit a
# released step: add a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        wall_time TEXT NOT NULL,
        monotonic REAL NOT NULL,
        boot_id TEXT NOT NULL,
        clock_trusted INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        compound_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        verdict TEXT,
        direction TEXT,
        pass_id TEXT,
        household_id TEXT,
        temperature_c REAL,
        data TEXT NOT NULL DEFAULT '{}',
        synced INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    CREATE INDEX events_pass ON events (pass_id, compound_id, seq) WHERE pass_id IS NOT NULL;
    CREATE INDEX events_household ON events (household_id, wall_time)
        WHERE household_id IS NOT NULL;
    CREATE INDEX events_unsynced ON events (seq) WHERE synced = 0;
    CREATE INDEX events_synced_time ON events (wall_time) WHERE synced = 1;
    """,
    """
    CREATE TABLE passages (
        device_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        compound_id TEXT NOT NULL,
        wall_time TEXT NOT NULL,
        direction TEXT NOT NULL,
        pass_id TEXT,
        household_id TEXT,
        PRIMARY KEY (device_id, event_id)
    );
    CREATE INDEX passages_pass ON passages (pass_id, compound_id, wall_time)
        WHERE pass_id IS NOT NULL;
    CREATE INDEX passages_household ON passages (household_id, wall_time)
        WHERE household_id IS NOT NULL;
    """,
    """
    CREATE INDEX events_exit_button ON events (compound_id, wall_time)
        WHERE reason = 'exit_button';
    """,
    """
    CREATE INDEX passages_unidentified ON passages (compound_id, wall_time)
        WHERE pass_id IS NULL AND household_id IS NULL;
    """,
    # Rows this software cannot read (a reason code of a newer release after a downgrade, data
    # that is not JSON): their raw columns, kept for a person; the row stays in ``events`` with
    # synced = SET_ASIDE, so it is neither uploaded nor purged.
    """
    CREATE TABLE set_aside (
        seq INTEGER PRIMARY KEY,
        event_id TEXT,
        error TEXT NOT NULL,
        raw TEXT NOT NULL,
        set_aside_at TEXT NOT NULL
    );
    """,
    """
    CREATE INDEX events_unused_opening ON events (json_extract(data, '$.opening'))
        WHERE reason = 'opening_unused';
    """,
)

SET_ASIDE = 2  # events.synced of a row set aside (0: to upload, 1: the office has it)
COLUMNS = (
    "event_id, kind, wall_time, monotonic, boot_id, clock_trusted, device_id, compound_id, "
    "reason, verdict, direction, pass_id, household_id, temperature_c, data"
)
# An opening nobody went through (an 'opening_unused' event names it) is no passage.
USED = (
    "NOT EXISTS (SELECT 1 FROM events AS unused WHERE unused.reason = 'opening_unused' "
    "AND json_extract(unused.data, '$.opening') = events.event_id)"
)
# Decisions that let someone through count for the offline rules; guard openings for a
# known person too.
ADMITTED = f"kind IN ('decision', 'guard_action', 'visitor') AND verdict = 'allow' AND {USED}"
# The exit button opened for someone nobody identified (kiosk.machine, docs/gate-rules.md).
# (reason first: the partial index events_exit_button serves it.)
UNIDENTIFIED_EXIT = f"reason = 'exit_button' AND kind = 'decision' AND verdict = 'allow' AND {USED}"
# The same at another kiosk of the compound: the office passes on button exits with no
# identity, and nothing else without one (server.sync_service._passage).
UNIDENTIFIED_PASSAGE = "pass_id IS NULL AND household_id IS NULL AND direction = 'out'"


def iso(moment: datetime) -> str:
    """The stored form of a time: UTC, microseconds, explicit offset (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class EventLog(Watched):
    """The append-only local log (``path``: an SQLite file, made on first use).

    Made whatever the file's state: while it cannot be used, ``fault`` says why and every call
    raises StoreError (``kiosk.sqlitedb``). ``max_pages`` caps the file size in database pages
    (tests use it to fill the "disk"); ``monotonic`` paces the retries.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_pages: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self._db = Database(self.path, MIGRATIONS, max_pages=max_pages, monotonic=monotonic)

    @property
    def schema_version(self) -> int:
        return self._db.version

    def append(self, event: Event, *, again: bool = False) -> bool:
        """Write one event durably; raises StoreError (and then nothing was written). ``again``:
        the event may be in the log already (kiosk.kept), and then it is not written: False."""
        insert = "INSERT OR IGNORE" if again else "INSERT"
        with self._db.errors():
            added = self._db.connection().execute(
                f"{insert} INTO events ({COLUMNS}) VALUES ({', '.join('?' * 15)})", event_row(event)
            )
            return added.rowcount == 1

    def extend(self, events: Iterable[Event]) -> int:
        """Write many events in one transaction (bulk import, benchmarks); returns the count."""
        rows = [event_row(e) for e in events]
        with self._db.transaction() as conn:
            conn.executemany(f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join('?' * 15)})", rows)
        return len(rows)

    def history(
        self,
        pass_id: str,
        household_id: str | None,
        compound_id: str,
        now: datetime,
        window: timedelta,
    ) -> History:
        """What this kiosk knows of a pass and its household: its own log (synced or not) and
        the passages at the compound's other kiosks that the office has passed on."""
        with self._db.errors():
            conn = self._db.connection()
            last = self._last_passage(conn, pass_id, compound_id)
            return History(
                last_direction=None if last is None else Direction(last[0]),
                admitted_uses=self._uses(conn, pass_id, compound_id),
                household_exits=self._household_exits(conn, household_id, now, window),
                unidentified_exit_since=(
                    last is not None and self._unidentified_exit_after(conn, compound_id, last[1])
                ),
            )

    def _last_passage(
        self, conn: sqlite3.Connection, pass_id: str, compound_id: str
    ) -> tuple[str, str] | None:
        """(direction, wall_time) of the later of this kiosk's last passage (log order) and the
        others' (by time)."""
        own = conn.execute(
            f"SELECT direction, wall_time FROM events WHERE pass_id = ? AND compound_id = ? "
            f"AND {ADMITTED} AND direction IS NOT NULL ORDER BY seq DESC LIMIT 1",
            (pass_id, compound_id),
        ).fetchone()
        other = conn.execute(
            "SELECT direction, wall_time FROM passages WHERE pass_id = ? AND compound_id = ? "
            "ORDER BY wall_time DESC LIMIT 1",
            (pass_id, compound_id),
        ).fetchone()
        latest = other if own is None or (other is not None and other[1] > own[1]) else own
        return None if latest is None else (latest[0], latest[1])

    def _uses(self, conn: sqlite3.Connection, pass_id: str, compound_id: str) -> int:
        return int(
            conn.execute(
                f"SELECT (SELECT count(*) FROM events WHERE pass_id = ?1 AND compound_id = ?2 "
                f"AND {ADMITTED} AND direction = 'in') + (SELECT count(*) FROM passages "
                f"WHERE pass_id = ?1 AND compound_id = ?2 AND direction = 'in')",
                (pass_id, compound_id),
            ).fetchone()[0]
        )

    def _unidentified_exit_after(
        self, conn: sqlite3.Connection, compound_id: str, wall_time: str
    ) -> bool:
        """Whether someone left by an exit button of the compound (this kiosk's or, as the
        office passed it on, another's) after ``wall_time``."""
        row = conn.execute(
            f"SELECT 1 FROM events WHERE {UNIDENTIFIED_EXIT} AND compound_id = ?1 "
            f"AND wall_time > ?2 UNION ALL SELECT 1 FROM passages WHERE {UNIDENTIFIED_PASSAGE} "
            "AND compound_id = ?1 AND wall_time > ?2 LIMIT 1",
            (compound_id, wall_time),
        ).fetchone()
        return row is not None

    def _household_exits(
        self, conn: sqlite3.Connection, household_id: str | None, now: datetime, window: timedelta
    ) -> tuple[datetime, ...]:
        if not household_id:
            return ()
        rows = conn.execute(
            f"SELECT wall_time FROM events WHERE household_id = ?1 AND wall_time > ?2 "
            f"AND wall_time <= ?3 AND {ADMITTED} AND direction = 'out' "
            f"UNION ALL SELECT wall_time FROM passages WHERE household_id = ?1 "
            f"AND wall_time > ?2 AND wall_time <= ?3 AND direction = 'out' ORDER BY wall_time",
            (household_id, iso(now - window), iso(now)),
        ).fetchall()
        return tuple(datetime.fromisoformat(r[0]) for r in rows)

    def merge_passages(self, passages: Iterable[Passage]) -> int:
        """Add passages at other kiosks (from the office); returns how many were new.

        Idempotent: a passage already known, or one of this kiosk's own events coming back,
        is skipped, so a download repeated after a crash counts nothing twice.
        """
        rows = [
            (
                p.device_id,
                p.event_id,
                p.compound_id,
                iso(p.wall_time),
                p.direction.value,
                p.pass_id,
                p.household_id,
            )
            for p in passages
        ]
        with self._db.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO passages SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS "
                "(SELECT 1 FROM events WHERE event_id = ?2 AND device_id = ?1)",
                rows,
            )
            return conn.total_changes - before

    def forget_passages(self, openings: Iterable[tuple[str, str]]) -> int:
        """Drop passages at other kiosks that nobody went through after all ((device id,
        event id) from the office); returns how many were dropped."""
        with self._db.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "DELETE FROM passages WHERE device_id = ? AND event_id = ?", list(openings)
            )
            return conn.total_changes - before

    def recent(self, limit: int = 20) -> list[Event]:
        """The newest ``limit`` events, newest first."""
        return self._select(f"synced != {SET_ASIDE} ORDER BY seq DESC LIMIT ?", (limit,))

    def unsynced(self, limit: int = 200) -> list[Event]:
        """The oldest ``limit`` events not yet accepted by the office, oldest first."""
        return self._select("synced = 0 ORDER BY seq LIMIT ?", (limit,))

    def count_unsynced(self) -> int:
        with self._db.errors():
            row = (
                self._db.connection()
                .execute("SELECT count(*) FROM events WHERE synced = 0")
                .fetchone()
            )
        return int(row[0])

    def count(self) -> int:
        """Every event in the log."""
        with self._db.errors():
            return int(self._db.connection().execute("SELECT count(*) FROM events").fetchone()[0])

    def tally(self) -> dict[tuple[str, str, str], int]:
        """How many events there are of each (kind, verdict, reason); verdict "" when none."""
        with self._db.errors():
            rows = (
                self._db.connection()
                .execute(
                    "SELECT kind, coalesce(verdict, ''), reason, count(*) FROM events "
                    "GROUP BY kind, verdict, reason ORDER BY kind, verdict, reason"
                )
                .fetchall()
            )
        return {(k, v, r): n for k, v, r, n in rows}

    def mark_synced(self, event_ids: Iterable[str]) -> int:
        """Record that the office accepted these events; returns how many were marked."""
        ids = [(i,) for i in event_ids]
        with self._db.transaction() as conn:
            before = conn.total_changes
            conn.executemany("UPDATE events SET synced = 1 WHERE event_id = ?", ids)
            return conn.total_changes - before

    def purge(self, older_than: datetime) -> int:
        """Delete synced events (and other kiosks' passages) older than ``older_than``;
        unsynced events are never deleted. Returns how many of this kiosk's events went."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM events WHERE synced = 1 AND wall_time < ?", (iso(older_than),)
            )
            conn.execute("DELETE FROM passages WHERE wall_time < ?", (iso(older_than),))
            return cursor.rowcount

    def correct_untrusted(self, boot_id: str, offset_s: float) -> int:
        """Shift the wall times of one boot's untrusted, unsynced events by ``offset_s``.

        Called once the office's time is known: events logged before that (clock_trusted
        false) get the corrected time and ``data["time_corrected"] = true``. Events already
        uploaded keep the time the office has; corrected events are not shifted twice.
        """
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT seq, wall_time, data FROM events WHERE boot_id = ? AND clock_trusted = 0 "
                "AND synced = 0",
                (boot_id,),
            ).fetchall()
            changed = 0
            for seq, wall, data in rows:
                try:
                    values = json.loads(data)
                except ValueError:
                    continue  # unreadable: set aside when the agent next reads it
                if values.get("time_corrected"):
                    continue
                values["time_corrected"] = True
                values["time_offset_s"] = offset_s
                shifted = datetime.fromisoformat(wall) + timedelta(seconds=offset_s)
                conn.execute(
                    "UPDATE events SET wall_time = ?, data = ? WHERE seq = ?",
                    (iso(shifted), json.dumps(values, ensure_ascii=False), seq),
                )
                changed += 1
            return changed

    def integrity_check(self) -> str:
        """SQLite's own check of the file: "ok" when sound."""
        with self._db.errors():
            return str(self._db.connection().execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_aside(self) -> list[tuple[int, str, str]]:
        """The rows set aside as unreadable: (seq, error, raw columns as JSON), oldest first."""
        with self._db.errors():
            rows = self._db.connection().execute(
                "SELECT seq, error, raw FROM set_aside ORDER BY seq"
            )
            return [(int(seq), str(error), str(raw)) for seq, error, raw in rows]

    def _select(self, where: str, params: tuple[Any, ...]) -> list[Event]:
        """The events of ``where``; a row that cannot be read is set aside, not raised, so one
        bad row stops neither the uploads nor the start."""
        with self._db.errors():
            conn = self._db.connection()
            try:
                rows = conn.execute(f"SELECT {COLUMNS} FROM events WHERE {where}", params)
                return [event_from_row(r) for r in rows.fetchall()]
            except (sqlite3.OperationalError, ValueError, KeyError, TypeError) as error:
                if isinstance(error, sqlite3.OperationalError) and not _undecodable(error):
                    raise
            seqs = conn.execute(f"SELECT seq FROM events WHERE {where}", params).fetchall()
            found = (self._read(conn, seq) for (seq,) in seqs)
            return [event for event in found if event is not None]

    def _read(self, conn: sqlite3.Connection, seq: int) -> Event | None:
        """One row, or None when it cannot be read (then it is set aside)."""
        try:
            row = conn.execute(f"SELECT {COLUMNS} FROM events WHERE seq = ?", (seq,)).fetchone()
            return event_from_row(row)
        except (sqlite3.OperationalError, ValueError, KeyError, TypeError) as error:
            if isinstance(error, sqlite3.OperationalError) and not _undecodable(error):
                raise
            self._set_aside(conn, seq, f"{type(error).__name__}: {error}")
            return None

    def _set_aside(self, conn: sqlite3.Connection, seq: int, error: str) -> None:
        conn.text_factory = bytes  # the raw bytes, whatever their encoding
        try:
            raw = conn.execute(f"SELECT {COLUMNS} FROM events WHERE seq = ?", (seq,)).fetchone()
        finally:
            conn.text_factory = str
        values = dict(zip(COLUMNS.split(", "), (_text(v) for v in raw), strict=True))
        kept = json.dumps(values, ensure_ascii=True)
        try:
            with self._db.transaction() as writing:
                added = writing.execute(
                    "INSERT OR IGNORE INTO set_aside VALUES (?, ?, ?, ?, ?)",
                    (seq, values["event_id"], error, kept, iso(datetime.now(UTC))),
                ).rowcount
                writing.execute("UPDATE events SET synced = ? WHERE seq = ?", (SET_ASIDE, seq))
        except StoreError as failure:  # left where it is, skipped again next time
            log.error("event row %d cannot be read (%s) nor set aside: %s", seq, error, failure)
            return
        if not added:
            return
        log.error("event row %d cannot be read, set aside: %s", seq, error)
        self._db.notice(
            Notice(self.path, "set_aside", f"event row {seq} set aside: {error}", str(seq))
        )


def event_row(e: Event) -> tuple[Any, ...]:
    """An event as the log's columns (``COLUMNS``): text, numbers and None, JSON as it is."""
    return (
        e.event_id,
        e.kind.value,
        iso(e.wall_time),
        e.monotonic,
        e.boot_id,
        int(e.clock_trusted),
        e.device_id,
        e.compound_id,
        e.reason.value,
        e.verdict.value if e.verdict else None,
        e.direction.value if e.direction else None,
        e.pass_id,
        e.household_id,
        e.temperature_c,
        json.dumps(e.data, ensure_ascii=False, sort_keys=True, default=str),
    )


def _undecodable(error: sqlite3.OperationalError) -> bool:
    """SQLite's text that is not UTF-8 ("Could not decode to UTF-8 column ...")."""
    return "decode" in str(error)


def _text(value: Any) -> Any:
    """A raw column as JSON keeps it: bytes not UTF-8 survive as escaped surrogates."""
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def event_from_row(r: Sequence[Any]) -> Event:
    """The event of the log's columns; ValueError, KeyError or TypeError when they are not one."""
    return Event(
        event_id=r[0],
        kind=EventKind(r[1]),
        wall_time=datetime.fromisoformat(r[2]),
        monotonic=r[3],
        boot_id=r[4],
        clock_trusted=bool(r[5]),
        device_id=r[6],
        compound_id=r[7],
        reason=Reason(r[8]),
        verdict=Verdict(r[9]) if r[9] else None,
        direction=Direction(r[10]) if r[10] else None,
        pass_id=r[11],
        household_id=r[12],
        temperature_c=r[13],
        data=json.loads(r[14]),
    )
