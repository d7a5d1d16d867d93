"""Events the office refused for good, kept with the server's reason.

A permanent 4xx for one event (malformed, another device's id) will never succeed however often
it is sent, so retrying it would block the events behind it forever. The agent copies such an
event here with the server's code and message, then marks it synced in the event log so the
queue moves on. Nothing is dropped: the event stays in the log and here, for a person to read
(``RejectedEvents.all()``) and fix.

Marking an event synced lets the log purge it after the retention period, so this file is as
durable as the log itself: the same ``kiosk.sqlitedb.Database`` (WAL, ``synchronous=FULL``),
and ``add`` returns only once the row is on the disk (tests/test_store_durability.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.model import Event
from kiosk.sqlitedb import Database
from sync.protocol import event_to_json

# Schema steps, as kiosk.store.MIGRATIONS. The first one kept "IF NOT EXISTS" so that a file
# made before this store had a schema version is taken over as version 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS rejected (
        event_id TEXT PRIMARY KEY,
        status INTEGER NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        event TEXT NOT NULL,
        rejected_at TEXT NOT NULL
    )
    """,
)


@dataclass(frozen=True, slots=True)
class Rejection:
    event_id: str
    status: int
    code: str
    message: str
    event: dict[str, object]
    rejected_at: str


class RejectedEvents:
    """An SQLite file of refused events (``rejected.db`` beside the event log)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = Database(self.path, MIGRATIONS)

    def add(self, event: Event, status: int, code: str, message: str) -> None:
        """Keep a refused event; when this returns, the row survives a power cut."""
        row = (
            event.event_id,
            status,
            code,
            message,
            json.dumps(event_to_json(event), ensure_ascii=False),
            datetime.now(UTC).isoformat(),
        )
        with self._db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?, ?)", row)

    def all(self) -> list[Rejection]:
        with self._db.errors():
            rows = (
                self._db.connection()
                .execute("SELECT * FROM rejected ORDER BY rejected_at")
                .fetchall()
            )
        return [Rejection(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def count(self) -> int:
        with self._db.errors():
            return int(self._db.connection().execute("SELECT count(*) FROM rejected").fetchone()[0])

    def close(self) -> None:
        self._db.close()
