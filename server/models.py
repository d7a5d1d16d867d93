"""The office database: SQLAlchemy 2 ORM tables; the Alembic scripts in server/migrations make them.

Times are stored as timezone-aware UTC (``UtcDateTime``) so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.flatorder import flat_order

ID = String(128)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC time; SQLite keeps no offset, so it is added back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite makes only INTEGER PRIMARY KEY columns auto-increment.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Compound(Base):
    __tablename__ = "compounds"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)  # policy overrides
    # Gate log and visitor data older than this many days are deleted (None: kept).
    retention_days: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")  # office pages
    visitor_entries: Mapped[int] = mapped_column(Integer, default=3)  # most a resident may invite


class Household(Base):
    __tablename__ = "households"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    colour: Mapped[str] = mapped_column(String(16), default="white")
    quarantine_until: Mapped[datetime | None]
    # The flat: building / unit / room ("3-2-501"); empty for households added by id only.
    building: Mapped[str] = mapped_column(String(40), default="")
    unit: Mapped[str] = mapped_column(String(40), default="")
    room: Mapped[str] = mapped_column(String(40), default="")
    colour_reason: Mapped[str] = mapped_column(String(300), default="")
    colour_since: Mapped[datetime | None]
    # Building, unit and room as text that sorts naturally (server.flatorder): lists page by it.
    flat_order: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_households_flat", "compound_id", "building", "unit", "room"),
        Index("ix_households_order", "compound_id", "flat_order", "id"),
    )


@event.listens_for(Household, "before_insert")
@event.listens_for(Household, "before_update")
def _keep_flat_order(_mapper: Any, _connection: Any, row: Household) -> None:
    row.flat_order = flat_order(row.building or "", row.unit or "", row.room or "")


class Holder(Base):
    """A resident (or visitor, staff member) who holds passes."""

    __tablename__ = "holders"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_type: Mapped[str] = mapped_column(String(40), default="image/jpeg")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A clerk deactivates a resident who moved away, saying why; undoing it clears both.
    inactive_reason: Mapped[str] = mapped_column(String(300), default="")
    inactive_since: Mapped[datetime | None]


class Pass(Base):
    __tablename__ = "passes"
    pass_id: Mapped[str] = mapped_column(ID, primary_key=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"), index=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"))
    role: Mapped[str] = mapped_column(String(16))
    kid: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime]
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")
    qr_text: Mapped[str | None] = mapped_column(Text)  # shown again on the resident's phone


class IssuerKeyRow(Base):
    """The office's Ed25519 pass-signing keys; several stay valid while the office rotates."""

    __tablename__ = "issuer_keys"
    kid: Mapped[str] = mapped_column(String(16), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(200))
    key_json: Mapped[str] = mapped_column(Text)  # private key: the database is secret
    created_at: Mapped[datetime]
    signing: Mapped[bool] = mapped_column(Boolean, default=True)  # the one new passes use
    retired: Mapped[bool] = mapped_column(Boolean, default=False)  # no longer trusted


class Certificate(Base):
    """An EU DCC document signer certificate (PEM) kiosks should trust."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    pem: Mapped[str] = mapped_column(Text)


class Kiosk(Base):
    __tablename__ = "kiosks"
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class EnrollmentCode(Base):
    __tablename__ = "enrollment_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))


class EventRow(Base):
    """An uploaded event; its id is unique per kiosk (each kiosk makes its own ids)."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    event_id: Mapped[str] = mapped_column(ID)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    compound_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    wall_time: Mapped[datetime]
    monotonic: Mapped[float] = mapped_column(Float)
    boot_id: Mapped[str] = mapped_column(ID)
    clock_trusted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str | None] = mapped_column(String(8))
    pass_id: Mapped[str | None] = mapped_column(ID)
    household_id: Mapped[str | None] = mapped_column(ID)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_events_pass", "compound_id", "pass_id", "wall_time"),
        UniqueConstraint("device_id", "event_id", name="uq_events_device_event"),
        Index("ix_events_compound_time", "compound_id", "wall_time"),  # gates page, retention
    )


class Conflict(Base):
    """Two kiosks of one compound admitted one pass in the same direction (offline)."""

    __tablename__ = "conflicts"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    compound_id: Mapped[str] = mapped_column(String(64), index=True)
    pass_id: Mapped[str] = mapped_column(ID)
    direction: Mapped[str] = mapped_column(String(8))
    first_event_id: Mapped[str] = mapped_column(ID)
    second_event_id: Mapped[str] = mapped_column(ID)
    detected_at: Mapped[datetime]
    first_device_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    second_device_id: Mapped[str] = mapped_column(String(64), default="", server_default="")

    __table_args__ = (
        UniqueConstraint("second_device_id", "second_event_id", name="uq_conflicts_second"),
    )


class Change(Base):
    """The change log kiosks download from: ``seq`` is the cursor; compound NULL means all."""

    __tablename__ = "changes"
    seq: Mapped[int] = mapped_column(AutoId, primary_key=True)
    compound_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_changes_compound_seq", "compound_id", "seq"),)


class ColourHistory(Base):
    """Each colour a household was given, from when: the board's chart of colours over time."""

    __tablename__ = "colour_history"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    compound_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(ID)
    colour: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_colour_history_compound_at", "compound_id", "at"),)


class KioskHealth(Base):
    """What the office last heard from a kiosk: when, its software version, upload backlog and
    its operating system's pending updates (None: not reported)."""

    __tablename__ = "kiosk_health"
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen: Mapped[datetime]
    version: Mapped[str] = mapped_column(String(40), default="")
    backlog: Mapped[int | None] = mapped_column(Integer)
    # The kiosk's updater (docs/updates.md): its state, the version it works on, its last error.
    update_state: Mapped[str] = mapped_column(String(16), default="", server_default="")
    update_target: Mapped[str] = mapped_column(String(64), default="", server_default="")
    update_error: Mapped[str] = mapped_column(String(40), default="", server_default="")
    os_updates: Mapped[int | None] = mapped_column(Integer)
    os_security: Mapped[int | None] = mapped_column(Integer)
    reboot_required: Mapped[bool | None] = mapped_column(Boolean)


class AlarmAck(Base):
    """An office person acknowledged a kiosk's alarm (the guard's own acks are events)."""

    __tablename__ = "alarm_acks"
    event_id: Mapped[str] = mapped_column(ID, primary_key=True)
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]


class UpdateKeyRow(Base):
    """An Ed25519 key the office signs releases with; its private half is a 0600 file beside
    the release store, never in the database (server.releases.keys)."""

    __tablename__ = "update_keys"
    kid: Mapped[str] = mapped_column(String(16), primary_key=True)
    public: Mapped[bytes] = mapped_column(LargeBinary)  # the raw 32 bytes kiosks trust
    created_at: Mapped[datetime]
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class ReleaseRow(Base):
    """A release recorded by ``kiosk-server release add``; its files are in the release store."""

    __tablename__ = "releases"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
    notes: Mapped[str] = mapped_column(Text, default="")
    kid: Mapped[str] = mapped_column(String(16))  # the update key that signed it last


class ReleaseFileRow(Base):
    """One file of a release, by name, and the store blob (its SHA-256) that holds it."""

    __tablename__ = "release_files"
    version: Mapped[str] = mapped_column(ForeignKey("releases.version"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))


class Rollout(Base):
    """A release offered in stages: one kiosk, then its compound, then every kiosk."""

    __tablename__ = "rollouts"
    version: Mapped[str] = mapped_column(ForeignKey("releases.version"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))  # kiosk | compound | all
    device_id: Mapped[str] = mapped_column(String(64))  # the first kiosk
    compound_id: Mapped[str] = mapped_column(String(64))  # the first kiosk's compound
    state: Mapped[str] = mapped_column(String(16))  # running | paused | stopped | reverted
    previous: Mapped[str] = mapped_column(String(64), default="")  # offered when reverted
    reason: Mapped[str] = mapped_column(String(300), default="")  # why it stopped
    started_at: Mapped[datetime]
    changed_at: Mapped[datetime]


class RolloutFailure(Base):
    """A kiosk said a release failed there (rolled back, or could not install it)."""

    __tablename__ = "rollout_failures"
    version: Mapped[str] = mapped_column(ForeignKey("releases.version"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(String(40), default="")
    at: Mapped[datetime]


class VehicleRow(Base):
    """A registered plate of a compound: a household's car, an invited visitor's, a service van.

    ``id`` is the vehicle_id the kiosks log as pass_id; one row per plate and compound.
    """

    __tablename__ = "vehicles"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"))
    plate: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # kiosk.vehicles.model.VehicleKind
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"), index=True)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    max_entries: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(Integer)  # the web user, if any

    __table_args__ = (UniqueConstraint("compound_id", "plate", name="uq_vehicles_plate"),)


class RiskPlateRow(Base):
    """A plate on the city's risk list: it was in a high-risk area on ``visited_on``."""

    __tablename__ = "risk_plates"
    id: Mapped[int] = mapped_column(AutoId, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"))
    plate: Mapped[str] = mapped_column(String(16))
    area: Mapped[str] = mapped_column(String(200))
    visited_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(200))  # the file's name and the import's day
    imported_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("compound_id", "plate", name="uq_risk_plates_plate"),)
