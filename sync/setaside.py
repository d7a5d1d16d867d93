"""Items of an office delta the kiosk could not use, kept with the reason.

A newer office may send a colour or a direction this kiosk does not know, or a photo may arrive
damaged. Refusing the whole page for one such item would hold back every revocation after it,
forever. The agent keeps the item here (``set-aside.db`` beside the event log) before it
applies the rest of the page and moves its cursor on, and raises an alarm; a person reads
``SetAsideChanges.all()``, and a kiosk updated later downloads everything again from cursor 0.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.sqlitedb import Database
from sync.protocol import SetAside

__all__ = ["KeptChange", "SetAsideChanges"]

MIGRATIONS = (
    """
    CREATE TABLE set_aside (
        id INTEGER PRIMARY KEY,
        cursor INTEGER NOT NULL,
        place TEXT NOT NULL,
        problem TEXT NOT NULL,
        item TEXT NOT NULL,
        set_aside_at TEXT NOT NULL,
        UNIQUE (cursor, place)
    );
    """,
)


@dataclass(frozen=True, slots=True)
class KeptChange:
    cursor: int  # the delta page's cursor: the item came in the page that ends there
    place: str  # "delta.households[3]"
    problem: str
    item: Any
    set_aside_at: str


class SetAsideChanges:
    """An SQLite file of delta items the kiosk could not apply (synchronous=FULL, like the log)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(Path(path), MIGRATIONS)

    def add(self, cursor: int, items: Sequence[SetAside]) -> None:
        """Keep ``items`` of the page ending at ``cursor`` (again after a crash: kept once)."""
        now = datetime.now(UTC).isoformat()
        rows = [
            (cursor, i.where, i.problem, json.dumps(i.item, ensure_ascii=False), now) for i in items
        ]
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO set_aside (cursor, place, problem, item, set_aside_at) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def all(self) -> list[KeptChange]:
        with self._db.errors():
            rows = self._db.connection().execute(
                "SELECT cursor, place, problem, item, set_aside_at FROM set_aside ORDER BY id"
            )
            return [KeptChange(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def close(self) -> None:
        self._db.close()
