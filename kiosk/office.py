"""The office data a kiosk caches: revocations, household colours, photos, trust list, policy,
registered vehicles and the risk list.

The sync agent writes it (one transaction per delta: ``with office.transaction(): ...``); the
kiosk loop reads it. It lives in its own SQLite file (``office.db`` next to the event log) so
the append-only log and this replaceable cache never share a lock or a migration, and the
cache can be deleted and fetched again without touching a single event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kiosk.model import HouseholdStatus, RiskColour
from kiosk.sqlitedb import Database, Watched
from kiosk.store import iso
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind

__all__ = ["MIGRATIONS", "OfficeData", "RevokedPasses"]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE revocations (pass_id TEXT PRIMARY KEY, revoked_at TEXT);
    CREATE TABLE households (
        household_id TEXT PRIMARY KEY,
        colour TEXT NOT NULL,
        quarantine_until TEXT
    );
    CREATE TABLE photos (pass_id TEXT PRIMARY KEY, image BLOB NOT NULL);
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # A cache that already holds a download when this release arrives was filled by agents
    # that downloaded until the office said no more follows: count it as complete rather than
    # send every pass to the guard after an upgrade until the office answers.
    """
    INSERT INTO settings SELECT 'download_complete', value FROM settings
        WHERE name = 'sync_cursor';
    """,
    # The vehicle registry and the risk list. An office sent them before this release could
    # keep them, so the cursor starts again: the next download brings everything (the cache
    # stays complete meanwhile, as it was). IF NOT EXISTS: a cache whose recorded version is
    # older than its tables (restored from a copy) still opens.
    """
    CREATE TABLE IF NOT EXISTS vehicles (
        vehicle_id TEXT PRIMARY KEY,
        plate TEXT NOT NULL,
        kind TEXT NOT NULL,
        household_id TEXT,
        valid_from TEXT,
        valid_until TEXT,
        max_entries INTEGER,
        note TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS vehicles_plate ON vehicles (plate);
    CREATE TABLE IF NOT EXISTS risk_plates (
        plate TEXT PRIMARY KEY,
        area TEXT NOT NULL,
        visited_on TEXT NOT NULL,
        source TEXT NOT NULL
    );
    DELETE FROM settings WHERE name = 'sync_cursor';
    """,
)

TRUST = "trust_json"
POLICY = "policy_json"
CURSOR = "sync_cursor"
COMPLETE = "download_complete"  # the cursor where a download first reached "more: false"


class OfficeData(Watched):
    """Reads and writes of the cached office data (``path``: its SQLite file); made whatever
    the file's state, like the event log (``fault``, ``watch``, ``notices``)."""

    def __init__(self, path: Path, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self._db = Database(self.path, MIGRATIONS, monotonic=monotonic)
        self.revoked = RevokedPasses(self)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Apply a delta all-or-nothing: readers see the old data or the whole new data."""
        with self._db.transaction():
            yield

    # --- reads ---------------------------------------------------------------------------------

    def is_revoked(self, pass_id: str) -> bool:
        return self._one("SELECT 1 FROM revocations WHERE pass_id = ?", pass_id) is not None

    def household(self, household_id: str) -> HouseholdStatus:
        """The household's colour; a household the office never mentioned is white."""
        row = self._one(
            "SELECT colour, quarantine_until FROM households WHERE household_id = ?", household_id
        )
        if row is None:
            return HouseholdStatus()
        until = datetime.fromisoformat(row[1]) if row[1] else None
        return HouseholdStatus(RiskColour(row[0]), until)

    def photo(self, pass_id: str) -> bytes | None:
        row = self._one("SELECT image FROM photos WHERE pass_id = ?", pass_id)
        return bytes(row[0]) if row else None

    def vehicle(self, plate: str) -> Vehicle | None:
        """The registered vehicle with this plate (normal form), or None for an unknown plate.
        The office keeps one per plate; should two arrive, a household's own car comes first."""
        row = self._one(
            "SELECT vehicle_id, plate, kind, household_id, valid_from, valid_until, max_entries,"
            " note FROM vehicles WHERE plate = ?"
            " ORDER BY kind = 'resident' DESC, valid_until DESC LIMIT 1",
            plate,
        )
        if row is None:
            return None
        return Vehicle(
            vehicle_id=row[0],
            plate=row[1],
            kind=VehicleKind(row[2]),
            household_id=row[3],
            valid_from=_time(row[4]),
            valid_until=_time(row[5]),
            max_entries=row[6],
            note=row[7],
        )

    def risk_report(self, plate: str) -> RiskReport | None:
        """The city's report of this plate in a high-risk area, or None. The report is as old
        as it is: the vehicle lane decides whether ``visited_on`` is still in the risk window."""
        row = self._one(
            "SELECT plate, area, visited_on, source FROM risk_plates WHERE plate = ?", plate
        )
        if row is None:
            return None
        return RiskReport(row[0], row[1], date.fromisoformat(row[2]), row[3])

    def trust_json(self) -> str | None:
        """The office's trust list (kiosk-trust/1 JSON text), if one was received."""
        return self._setting(TRUST)

    def policy_json(self) -> str | None:
        """Policy overrides from the office (a JSON object of [policy] keys), if any."""
        return self._setting(POLICY)

    def policy_overrides(self) -> dict[str, Any]:
        text = self.policy_json()
        return dict(json.loads(text)) if text else {}

    def cursor(self) -> str | None:
        """Where the last office delta ended (opaque to the kiosk)."""
        return self._setting(CURSOR)

    def complete(self) -> bool:
        """Whether this cache has ever been filled to the end (a download reached ``more:
        false``). A new or reset cache has not: it knows no revocations or household colours
        yet, so a kiosk that syncs sends passes to the guard until it is (docs/gate-rules.md)."""
        return self._setting(COMPLETE) is not None

    def counts(self) -> dict[str, int]:
        """How many revocations, households, photos, vehicles and risk plates are cached."""
        with self._db.errors():
            conn = self._db.connection()
            return {
                table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in ("revocations", "households", "photos", "vehicles", "risk_plates")
            }

    # --- writes (the sync agent, the demo) -----------------------------------------------------

    def revoke(self, pass_id: str, at: datetime | None = None) -> None:
        self._write(
            "INSERT OR REPLACE INTO revocations VALUES (?, ?)", pass_id, iso(at) if at else None
        )

    def unrevoke(self, pass_id: str) -> None:
        self._write("DELETE FROM revocations WHERE pass_id = ?", pass_id)

    def set_household(
        self, household_id: str, colour: RiskColour, quarantine_until: datetime | None = None
    ) -> None:
        until = iso(quarantine_until) if quarantine_until else None
        self._write(
            "INSERT OR REPLACE INTO households VALUES (?, ?, ?)",
            household_id,
            RiskColour(colour).value,
            until,
        )

    def put_photo(self, pass_id: str, image: bytes | None) -> None:
        """Store the holder's photo (PNG/JPEG bytes); None removes it."""
        if image is None:
            self._write("DELETE FROM photos WHERE pass_id = ?", pass_id)
        else:
            self._write("INSERT OR REPLACE INTO photos VALUES (?, ?)", pass_id, image)

    def put_vehicle(self, vehicle: Vehicle) -> None:
        """Store a registered vehicle, replacing what its id held before."""
        self._write(
            "INSERT OR REPLACE INTO vehicles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vehicle.vehicle_id,
            vehicle.plate,
            VehicleKind(vehicle.kind).value,
            vehicle.household_id,
            iso(vehicle.valid_from) if vehicle.valid_from else None,
            iso(vehicle.valid_until) if vehicle.valid_until else None,
            vehicle.max_entries,
            vehicle.note,
        )

    def remove_vehicle(self, vehicle_id: str) -> None:
        self._write("DELETE FROM vehicles WHERE vehicle_id = ?", vehicle_id)

    def put_risk(self, report: RiskReport) -> None:
        self._write(
            "INSERT OR REPLACE INTO risk_plates VALUES (?, ?, ?, ?)",
            report.plate,
            report.area,
            report.visited_on.isoformat(),
            report.source,
        )

    def remove_risk(self, plate: str) -> None:
        self._write("DELETE FROM risk_plates WHERE plate = ?", plate)

    def set_trust_json(self, text: str) -> None:
        json.loads(text)  # refuse what is not even JSON; the verifier checks the rest
        self._set_setting(TRUST, text)

    def set_policy_json(self, text: str) -> None:
        if not isinstance(json.loads(text), dict):
            raise ValueError("policy overrides must be a JSON object of [policy] keys")
        self._set_setting(POLICY, text)

    def set_cursor(self, cursor: str) -> None:
        self._set_setting(CURSOR, cursor)

    def mark_complete(self) -> None:
        """The office has nothing more after the saved cursor: the cache holds all it sent."""
        if not self.complete():
            self._set_setting(COMPLETE, self.cursor() or "0")

    def close(self) -> None:
        self._db.close()

    # --- internals -----------------------------------------------------------------------------

    def _one(self, sql: str, *params: Any) -> tuple[Any, ...] | None:
        with self._db.errors():
            row: tuple[Any, ...] | None = self._db.connection().execute(sql, params).fetchone()
        return row

    def _write(self, sql: str, *params: Any) -> None:
        with self._db.transaction() as conn:
            conn.execute(sql, params)

    def _setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE name = ?", name)
        return str(row[0]) if row else None

    def _set_setting(self, name: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO settings VALUES (?, ?)", name, value)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class RevokedPasses:
    """A live ``Container[str]`` of revoked pass ids, for ``Verifier(trust, revoked=...)``."""

    def __init__(self, office: OfficeData) -> None:
        self._office = office

    def __contains__(self, pass_id: object) -> bool:
        return isinstance(pass_id, str) and self._office.is_revoked(pass_id)
