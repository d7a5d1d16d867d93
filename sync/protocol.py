"""The kiosk-office wire protocol: plain dataclasses and checked JSON, shared by both ends.

No web framework is imported here, so the kiosk needs only the standard library and requests.
docs/sync-protocol.md describes the exchange; this module is its single source of truth.

Every ``*_from_json`` raises ``ProtocolError`` naming the field and the problem; the server turns
that into a 400 reply and the kiosk into a logged fault, never a crash.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from kiosk.exc import SyncError
from kiosk.model import Direction, Event, EventKind, Passage, Reason, RiskColour, Verdict
from kiosk.plates.formats import normalize
from kiosk.status import KioskStatus, StatusKey
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind

__all__ = [
    "API_PREFIX",
    "MAX_BATCH",
    "PROTOCOL",
    "SERVER_TIME_HEADER",
    "STATUS_HEADER",
    "Delta",
    "EnrollReply",
    "EnrollRequest",
    "ErrorCode",
    "ErrorReply",
    "HouseholdChange",
    "KioskStatus",
    "PhotoChange",
    "ProtocolError",
    "Refusal",
    "RiskPlateChange",
    "SetAside",
    "StatusKey",
    "UploadReply",
    "UploadRequest",
    "VehicleChange",
    "event_from_json",
    "event_to_json",
    "format_time",
    "parse_time",
    "passage_from_json",
    "passage_to_json",
]

PROTOCOL = "kiosk-sync/1"
API_PREFIX = "/api/v1"
SERVER_TIME_HEADER = "X-Server-Time"
# Kiosk -> office on every request: "version=0.1.0; backlog=3; update=trial; ..." with the keys
# of kiosk.status.StatusKey (the office's gates page; docs/updates.md).
STATUS_HEADER = "X-Kiosk-Status"
MAX_BATCH = 5000  # events per upload request; the server refuses more with 413
MAX_DATA_CHARS = 4096  # an event's free-form ``data`` as JSON text
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
DEVICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # as kiosk.config's device id
EVENT_FIELDS = frozenset(Event.__dataclass_fields__)
FIRST_YEAR, LAST_YEAR = 1970, 2999  # times on the wire
# A plate in kiosk.plates' normal form: a province's character, letters, digits, a suffix.
PLATE_RE = re.compile(r"[0-9A-Z\u4e00-\u9fff]{2,12}")
NOTE_CHARS = 200  # a vehicle's note, a risk entry's area and source
MAX_DATA_DEPTH = 16  # nesting of an event's ``data``


class ProtocolError(SyncError, ValueError):
    """A message does not follow the protocol; ``field`` names the offending part."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class ErrorCode(StrEnum):
    """Stable codes in error replies (``{"error": code, "message": words}``)."""

    BAD_JSON = "bad_json"  # 400: the body is not JSON
    INVALID = "invalid_request"  # 400: JSON, but a field is missing or of the wrong type
    BATCH_TOO_LARGE = "batch_too_large"  # 413: split the batch
    UNAUTHORIZED = "unauthorized"  # 401: no or unknown credential
    KIOSK_REVOKED = "kiosk_revoked"  # 403: the office locked this kiosk out
    DEVICE_MISMATCH = "device_mismatch"  # 403: events of another device
    WRONG_COMPOUND = "wrong_compound"  # per event in an upload reply: not the kiosk's compound
    CODE_INVALID = "enrollment_code_invalid"  # 403: unknown, used or expired code
    DEVICE_TAKEN = "device_taken"  # 409: another kiosk already holds this device id
    NOT_FOUND = "not_found"  # 404
    INTERNAL = "internal_error"  # 500


# --- small checked readers ------------------------------------------------------------------

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def format_time(when: datetime) -> str:
    """A timezone-aware time as ISO 8601 UTC text ending in Z."""
    if when.tzinfo is None:
        raise ValueError("times on the wire must be timezone-aware")
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: Any, where: str) -> datetime:
    """An ISO 8601 time with an offset, as UTC."""
    if not isinstance(value, str):
        raise ProtocolError(where, f"expected an ISO 8601 time text, got {_kind(value)}")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(where, f"{value[:40]!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise ProtocolError(where, f"{value[:40]!r} has no UTC offset (add Z)")
    # Years 1 and 9999 overflow as soon as a zone or a window is applied; a Pi without a
    # battery clock starts at 1970, so that is the earliest time a kiosk can honestly send.
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise ProtocolError(where, f"{value[:40]!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return when.astimezone(UTC)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(where, f"expected a JSON object, got {_kind(value)}")
    return value


def _typed(doc: Mapping[str, Any], name: str, kind: type[T], where: str) -> T:
    if name not in doc:
        raise ProtocolError(f"{where}.{name}", "is missing")
    value = doc[name]
    # bool is an int in Python but not on the wire.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ProtocolError(f"{where}.{name}", f"expected {kind.__name__}, got {_kind(value)}")
    return value


def _optional(doc: Mapping[str, Any], name: str, kind: type[T], where: str) -> T | None:
    return None if doc.get(name) is None else _typed(doc, name, kind, where)


def _number(doc: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> float:
    value = doc.get(name)
    if value is None and optional:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{where}.{name}", f"expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ProtocolError(f"{where}.{name}", "is too large for a number") from None
    if not math.isfinite(number):
        raise ProtocolError(f"{where}.{name}", "must be a finite number")
    return number


def _enum(enum: type[E], value: Any, where: str) -> E:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        raise ProtocolError(where, f"{value!r} is not one of: {choices}") from None


def _ident(value: Any, where: str, pattern: re.Pattern[str] = ID_RE) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ProtocolError(where, f"{str(value)[:40]!r} is not a valid id")
    return value


def _no_unknown(doc: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ProtocolError(where, f"unknown field(s): {', '.join(unknown)}")


# --- events ---------------------------------------------------------------------------------


def event_to_json(event: Event) -> dict[str, Any]:
    """One event as a JSON object; the inverse of ``event_from_json``."""
    return {
        "event_id": event.event_id,
        "kind": event.kind.value,
        "wall_time": format_time(event.wall_time),
        "monotonic": event.monotonic,
        "boot_id": event.boot_id,
        "clock_trusted": event.clock_trusted,
        "device_id": event.device_id,
        "compound_id": event.compound_id,
        "reason": event.reason.value,
        "verdict": None if event.verdict is None else event.verdict.value,
        "direction": None if event.direction is None else event.direction.value,
        "pass_id": event.pass_id,
        "household_id": event.household_id,
        "temperature_c": event.temperature_c,
        "data": dict(event.data),
    }


def event_from_json(value: Any, where: str = "event") -> Event:
    """Check and build one Event."""
    doc = _object(value, where)
    _no_unknown(doc, EVENT_FIELDS, where)
    verdict, direction = doc.get("verdict"), doc.get("direction")
    temperature = _number(doc, "temperature_c", where, optional=True)
    if not math.isnan(temperature) and not -50.0 <= temperature <= 100.0:
        raise ProtocolError(f"{where}.temperature_c", f"{temperature} is not a body temperature")
    return Event(
        event_id=_ident(doc.get("event_id"), f"{where}.event_id"),
        kind=_enum(EventKind, doc.get("kind"), f"{where}.kind"),
        wall_time=parse_time(doc.get("wall_time"), f"{where}.wall_time"),
        monotonic=_number(doc, "monotonic", where),
        boot_id=_ident(doc.get("boot_id"), f"{where}.boot_id"),
        clock_trusted=_typed(doc, "clock_trusted", bool, where),
        device_id=_ident(doc.get("device_id"), f"{where}.device_id", DEVICE_RE),
        compound_id=_ident(doc.get("compound_id"), f"{where}.compound_id", DEVICE_RE),
        reason=_enum(Reason, doc.get("reason"), f"{where}.reason"),
        verdict=None if verdict is None else _enum(Verdict, verdict, f"{where}.verdict"),
        direction=None if direction is None else _enum(Direction, direction, f"{where}.direction"),
        pass_id=_optional_id(doc, "pass_id", where),
        household_id=_optional_id(doc, "household_id", where),
        temperature_c=None if math.isnan(temperature) else temperature,
        data=_data(doc.get("data", {}), f"{where}.data"),
    )


def _optional_id(doc: Mapping[str, Any], name: str, where: str) -> str | None:
    value = doc.get(name)
    return None if value is None else _ident(value, f"{where}.{name}")


def _data(value: Any, where: str) -> dict[str, Any]:
    import json  # local: only this check needs the text form

    doc = dict(_object(value, where))
    if _depth(doc) > MAX_DATA_DEPTH:
        raise ProtocolError(where, f"nested deeper than {MAX_DATA_DEPTH} levels")
    text = json.dumps(doc, ensure_ascii=False)
    if len(text) > MAX_DATA_CHARS:
        raise ProtocolError(where, f"longer than {MAX_DATA_CHARS} characters as JSON")
    _unicode(text, where)
    return doc


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (iteratively: no recursion to exhaust)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _unicode(text: str, where: str) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate from a JSON \\ud800 escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ProtocolError(where, f"not valid Unicode ({error.reason} at {error.start})") from None


def passage_to_json(passage: Passage) -> dict[str, Any]:
    """A passage at another kiosk, as the delta carries it."""
    return {
        "device_id": passage.device_id,
        "event_id": passage.event_id,
        "compound_id": passage.compound_id,
        "wall_time": format_time(passage.wall_time),
        "direction": passage.direction.value,
        "pass_id": passage.pass_id,
        "household_id": passage.household_id,
    }


def _opening_ref(value: Any, where: str) -> tuple[str, str]:
    doc = _object(value, where)
    _no_unknown(doc, frozenset({"device_id", "event_id"}), where)
    return _ident(doc.get("device_id"), f"{where}.device_id"), _ident(
        doc.get("event_id"), f"{where}.event_id"
    )


def passage_from_json(value: Any, where: str) -> Passage:
    doc = _object(value, where)
    return Passage(
        device_id=_ident(doc.get("device_id"), f"{where}.device_id", DEVICE_RE),
        event_id=_ident(doc.get("event_id"), f"{where}.event_id"),
        compound_id=_ident(doc.get("compound_id"), f"{where}.compound_id", DEVICE_RE),
        wall_time=parse_time(doc.get("wall_time"), f"{where}.wall_time"),
        direction=_enum(Direction, doc.get("direction"), f"{where}.direction"),
        pass_id=_optional_id(doc, "pass_id", where),
        household_id=_optional_id(doc, "household_id", where),
    )


# --- enrollment -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnrollRequest:
    """A kiosk trades a one-time code from the office for its own credential."""

    code: str
    device_id: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "device_id": self.device_id}

    @classmethod
    def from_json(cls, value: Any) -> EnrollRequest:
        doc = _object(value, "body")
        _no_unknown(doc, frozenset({"code", "device_id"}), "body")
        code = _typed(doc, "code", str, "body")
        if not 4 <= len(code) <= 128:
            raise ProtocolError("body.code", "must be 4 to 128 characters")
        _unicode(code, "body.code")
        return cls(code, _ident(doc.get("device_id"), "body.device_id", DEVICE_RE))


@dataclass(frozen=True, slots=True)
class EnrollReply:
    device_id: str
    compound_id: str
    token: str  # the kiosk's bearer credential; the server keeps only its hash
    server_time: datetime
    # The office's Ed25519 update keys (raw 32 bytes each) releases are signed with; an office
    # without releases sends none and an older office leaves the field out.
    update_keys: tuple[bytes, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "compound_id": self.compound_id,
            "token": self.token,
            "server_time": format_time(self.server_time),
            "update_keys": update_keys_to_json(self.update_keys),
        }

    @classmethod
    def from_json(cls, value: Any) -> EnrollReply:
        doc = _object(value, "reply")
        return cls(
            _ident(doc.get("device_id"), "reply.device_id", DEVICE_RE),
            _ident(doc.get("compound_id"), "reply.compound_id", DEVICE_RE),
            _typed(doc, "token", str, "reply"),
            parse_time(doc.get("server_time"), "reply.server_time"),
            update_keys_from_json(doc.get("update_keys", []), "reply.update_keys"),
        )


MAX_UPDATE_KEYS = 16


def update_keys_to_json(keys: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(k).decode("ascii") for k in keys]


def update_keys_from_json(value: Any, where: str) -> tuple[bytes, ...]:
    """Base64 raw Ed25519 public keys (32 bytes each), at most MAX_UPDATE_KEYS."""
    if not isinstance(value, list) or len(value) > MAX_UPDATE_KEYS:
        raise ProtocolError(where, f"expected a list of at most {MAX_UPDATE_KEYS} keys")
    keys = []
    for i, item in enumerate(value):
        try:
            raw = base64.b64decode(item if isinstance(item, str) else "!", validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ProtocolError(f"{where}[{i}]", "is not a base64 Ed25519 public key (32 bytes)")
        keys.append(raw)
    return tuple(keys)


# --- upload -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """A batch of events from one kiosk; each event's ``device_id`` must be the sender's."""

    device_id: str
    events: tuple[Event, ...]

    def to_json(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "events": [event_to_json(e) for e in self.events]}

    @classmethod
    def from_json(cls, value: Any, *, max_batch: int = MAX_BATCH) -> UploadRequest:
        """Check a batch; a batch over ``max_batch`` raises BatchTooLarge before the events."""
        doc = _object(value, "body")
        _no_unknown(doc, frozenset({"device_id", "events"}), "body")
        device = _ident(doc.get("device_id"), "body.device_id", DEVICE_RE)
        items = _typed(doc, "events", list, "body")
        if len(items) > max_batch:
            raise BatchTooLarge(len(items), max_batch)
        events = tuple(event_from_json(e, f"body.events[{i}]") for i, e in enumerate(items))
        return cls(device, events)


class BatchTooLarge(ProtocolError):
    """More events in one request than the server takes."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("body.events", f"{size} events; at most {limit} per request")
        self.size = size
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Refusal:
    """One event of a batch the server will never store, and why (the rest were taken)."""

    event_id: str
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, value: Any, where: str) -> Refusal:
        doc = _object(value, where)
        return cls(
            _ident(doc.get("event_id"), f"{where}.event_id"),
            _typed(doc, "code", str, where),
            _typed(doc, "message", str, where),
        )


@dataclass(frozen=True, slots=True)
class UploadReply:
    """Which ids the server stored now and which it already had: both are acknowledged.

    ``refused`` events are not stored and never will be (an older office omits the field).
    """

    stored: tuple[str, ...]
    known: tuple[str, ...]
    conflicts: tuple[str, ...]  # stored ids flagged as offline anti-passback conflicts
    server_time: datetime
    refused: tuple[Refusal, ...] = ()

    @property
    def acknowledged(self) -> tuple[str, ...]:
        return self.stored + self.known

    def to_json(self) -> dict[str, Any]:
        return {
            "stored": list(self.stored),
            "known": list(self.known),
            "conflicts": list(self.conflicts),
            "refused": [r.to_json() for r in self.refused],
            "server_time": format_time(self.server_time),
        }

    @classmethod
    def from_json(cls, value: Any) -> UploadReply:
        doc = _object(value, "reply")
        refused = _typed(doc, "refused", list, "reply") if "refused" in doc else []
        return cls(
            _ids(doc, "stored"),
            _ids(doc, "known"),
            _ids(doc, "conflicts"),
            parse_time(doc.get("server_time"), "reply.server_time"),
            tuple(Refusal.from_json(r, f"reply.refused[{i}]") for i, r in enumerate(refused)),
        )


def _ids(doc: Mapping[str, Any], name: str) -> tuple[str, ...]:
    items = _typed(doc, name, list, "reply")
    return tuple(_ident(v, f"reply.{name}[{i}]") for i, v in enumerate(items))


# --- download ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HouseholdChange:
    household_id: str
    colour: RiskColour
    quarantine_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        until = self.quarantine_until
        return {
            "household_id": self.household_id,
            "colour": self.colour.value,
            "quarantine_until": None if until is None else format_time(until),
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> HouseholdChange:
        doc = _object(value, where)
        until = doc.get("quarantine_until")
        return cls(
            _ident(doc.get("household_id"), f"{where}.household_id"),
            _enum(RiskColour, doc.get("colour"), f"{where}.colour"),
            None if until is None else parse_time(until, f"{where}.quarantine_until"),
        )


@dataclass(frozen=True, slots=True)
class PhotoChange:
    """A holder's photo for the guard view, with the passes that show it (base64 JPEG/PNG)."""

    holder_id: str
    name: str
    household_id: str
    pass_ids: tuple[str, ...]
    photo_b64: str | None  # None: the photo was removed
    content_type: str = "image/jpeg"

    def to_json(self) -> dict[str, Any]:
        return {
            "holder_id": self.holder_id,
            "name": self.name,
            "household_id": self.household_id,
            "pass_ids": list(self.pass_ids),
            "photo_b64": self.photo_b64,
            "content_type": self.content_type,
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> PhotoChange:
        doc = _object(value, where)
        passes = _typed(doc, "pass_ids", list, where)
        return cls(
            _ident(doc.get("holder_id"), f"{where}.holder_id"),
            _typed(doc, "name", str, where),
            _ident(doc.get("household_id"), f"{where}.household_id"),
            tuple(_ident(p, f"{where}.pass_ids[{i}]") for i, p in enumerate(passes)),
            _optional(doc, "photo_b64", str, where),
            _typed(doc, "content_type", str, where),
        )


def _opt_time(doc: Mapping[str, Any], name: str, where: str) -> datetime | None:
    value = doc.get(name)
    return None if value is None else parse_time(value, f"{where}.{name}")


def _opt_format(when: datetime | None) -> str | None:
    return None if when is None else format_time(when)


def _plate(doc: Mapping[str, Any], where: str) -> str:
    """A plate exactly as the car gate's reader gives it: one that is not ("京A1234O", an O
    where the reader reads 0) could never match a read, so a risk-list entry would be void."""
    value = doc.get("plate")
    if not isinstance(value, str) or not PLATE_RE.fullmatch(value) or normalize(value) != value:
        raise ProtocolError(f"{where}.plate", f"{str(value)[:40]!r} is not a plate in normal form")
    return value


def _text(doc: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> str:
    if optional and doc.get(name) is None:
        return ""
    value = _typed(doc, name, str, where)
    if len(value) > NOTE_CHARS:
        raise ProtocolError(f"{where}.{name}", f"longer than {NOTE_CHARS} characters")
    _unicode(value, f"{where}.{name}")
    return value


@dataclass(frozen=True, slots=True)
class VehicleChange:
    """A registered vehicle as the office holds it now, or its removal (``removed``)."""

    vehicle: Vehicle
    removed: bool = False

    def to_json(self) -> dict[str, Any]:
        v = self.vehicle
        return {
            "vehicle_id": v.vehicle_id,
            "plate": v.plate,
            "kind": v.kind.value,
            "household_id": v.household_id,
            "valid_from": _opt_format(v.valid_from),
            "valid_until": _opt_format(v.valid_until),
            "max_entries": v.max_entries,
            "note": v.note,
            "removed": self.removed,
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> VehicleChange:
        doc = _object(value, where)
        entries = _optional(doc, "max_entries", int, where)
        if entries is not None and not 0 <= entries <= 10_000:
            raise ProtocolError(f"{where}.max_entries", f"{entries} is not a number of entries")
        vehicle = Vehicle(
            vehicle_id=_ident(doc.get("vehicle_id"), f"{where}.vehicle_id"),
            plate=_plate(doc, where),
            kind=_enum(VehicleKind, doc.get("kind"), f"{where}.kind"),
            household_id=_optional_id(doc, "household_id", where),
            valid_from=_opt_time(doc, "valid_from", where),
            valid_until=_opt_time(doc, "valid_until", where),
            max_entries=entries,
            note=_text(doc, "note", where, optional=True),
        )
        return cls(vehicle, bool(_optional(doc, "removed", bool, where)))


@dataclass(frozen=True, slots=True)
class RiskPlateChange:
    """A plate on the city's risk list, or its removal (``removed``)."""

    report: RiskReport
    removed: bool = False

    def to_json(self) -> dict[str, Any]:
        r = self.report
        return {
            "plate": r.plate,
            "area": r.area,
            "visited_on": r.visited_on.isoformat(),
            "source": r.source,
            "removed": self.removed,
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> RiskPlateChange:
        doc = _object(value, where)
        report = RiskReport(
            plate=_plate(doc, where),
            area=_text(doc, "area", where),
            visited_on=_day(doc.get("visited_on"), f"{where}.visited_on"),
            source=_text(doc, "source", where, optional=True),
        )
        return cls(report, bool(_optional(doc, "removed", bool, where)))


def _day(value: Any, where: str) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise ProtocolError(where, f"expected a day as YYYY-MM-DD, got {str(value)[:40]!r}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ProtocolError(where, f"{value!r} is not a day as YYYY-MM-DD") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ProtocolError(where, f"{value!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return day


@dataclass(frozen=True, slots=True)
class SetAside:
    """One item of a delta the kiosk cannot use (a colour or direction from a newer office, a
    photo that is not base64): kept with the reason, while the rest of the page is applied."""

    where: str  # "delta.households[3]"
    problem: str
    item: Any  # the item as the office sent it


@dataclass(frozen=True, slots=True)
class Delta:
    """Office changes after cursor ``since``: apply them in one transaction, then keep ``cursor``.

    ``revoked`` maps pass ids to their new state (True: revoked, False: revocation lifted).
    ``trust`` is a whole ``kiosk-trust/1`` document (issuer keys and health-certificate signers)
    and ``policy`` the whole set of policy overrides: each replaces the previous one when present.
    ``passages`` are people let through at the compound's other kiosks, oldest first: the
    kiosk counts them with its own log for anti-passback, visitor uses and exit quotas.
    ``vehicles`` and ``risk_plates`` are the vehicle registry's and the city risk list's changes
    (an older office sends neither).
    ``more`` says another page follows: ask again at once with the new cursor.
    ``set_aside`` are the page's items that did not parse; the page's frame (protocol, cursor,
    ``more``) must, or the whole page is refused.
    """

    since: int
    cursor: int
    server_time: datetime
    revoked: dict[str, bool] = field(default_factory=dict)
    households: tuple[HouseholdChange, ...] = ()
    photos: tuple[PhotoChange, ...] = ()
    trust: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    more: bool = False
    passages: tuple[Passage, ...] = ()
    set_aside: tuple[SetAside, ...] = ()
    # (device id, event id) of passages passed on before, that their kiosk has since said
    # nobody went through (Reason.OPENING_UNUSED): they count for nothing any more.
    unused: tuple[tuple[str, str], ...] = ()
    # The whole set of update keys to trust (docs/updates.md), when it changed; None: unchanged.
    update_keys: tuple[bytes, ...] | None = None
    vehicles: tuple[VehicleChange, ...] = ()
    risk_plates: tuple[RiskPlateChange, ...] = ()

    @property
    def empty(self) -> bool:
        return (
            not (self.revoked or self.households or self.photos or self.passages or self.unused)
            and not (self.vehicles or self.risk_plates)
            and (self.trust is None and self.policy is None and not self.set_aside)
            and self.update_keys is None
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL,
            "since": self.since,
            "cursor": self.cursor,
            "server_time": format_time(self.server_time),
            "revoked": dict(self.revoked),
            "households": [h.to_json() for h in self.households],
            "photos": [p.to_json() for p in self.photos],
            "trust": self.trust,
            "policy": self.policy,
            "more": self.more,
            "passages": [passage_to_json(p) for p in self.passages],
            "unused": [{"device_id": d, "event_id": e} for d, e in self.unused],
            "vehicles": [v.to_json() for v in self.vehicles],
            "risk_plates": [r.to_json() for r in self.risk_plates],
            **(
                {}
                if self.update_keys is None
                else {"update_keys": update_keys_to_json(self.update_keys)}
            ),
        }

    @classmethod
    def from_json(cls, value: Any) -> Delta:
        doc = _object(value, "delta")
        if doc.get("protocol") != PROTOCOL:
            raise ProtocolError("delta.protocol", f"{doc.get('protocol')!r} is not {PROTOCOL!r}")
        aside: list[SetAside] = []
        return cls(
            since=_typed(doc, "since", int, "delta"),
            cursor=_typed(doc, "cursor", int, "delta"),
            server_time=parse_time(doc.get("server_time"), "delta.server_time"),
            revoked=_revoked(_object(doc.get("revoked", {}), "delta.revoked"), aside),
            households=_each(doc, "households", HouseholdChange.from_json, aside),
            photos=_each(doc, "photos", PhotoChange.from_json, aside),
            trust=None if doc.get("trust") is None else dict(_object(doc["trust"], "delta.trust")),
            policy=_policy(doc.get("policy")),
            more=_typed(doc, "more", bool, "delta"),
            passages=_each(doc, "passages", passage_from_json, aside, optional=True),
            unused=_each(doc, "unused", _opening_ref, aside, optional=True),
            vehicles=_each(doc, "vehicles", VehicleChange.from_json, aside, optional=True),
            risk_plates=_each(doc, "risk_plates", RiskPlateChange.from_json, aside, optional=True),
            set_aside=tuple(aside),
            update_keys=None
            if doc.get("update_keys") is None
            else update_keys_from_json(doc["update_keys"], "delta.update_keys"),
        )


def _each(
    doc: Mapping[str, Any],
    name: str,
    parse: Callable[[Any, str], T],
    aside: list[SetAside],
    *,
    optional: bool = False,
) -> tuple[T, ...]:
    """The items of list ``name`` that parse; the others go to ``aside`` with the reason."""
    items = [] if optional and name not in doc else _typed(doc, name, list, "delta")
    parsed: list[T] = []
    for index, item in enumerate(items):
        where = f"delta.{name}[{index}]"
        try:
            parsed.append(parse(item, where))
        except ProtocolError as error:
            aside.append(SetAside(where, error.problem, item))
    return tuple(parsed)


def _revoked(doc: Mapping[str, Any], aside: list[SetAside]) -> dict[str, bool]:
    revoked: dict[str, bool] = {}
    for pass_id, state in doc.items():
        where = f"delta.revoked[{str(pass_id)[:40]!r}]"
        if not isinstance(state, bool):
            aside.append(SetAside(where, f"expected true or false, got {_kind(state)}", state))
        elif not ID_RE.fullmatch(pass_id):
            aside.append(SetAside(where, "is not a valid pass id", state))
        else:
            revoked[pass_id] = state
    return revoked


def _policy(value: Any) -> dict[str, Any] | None:
    return None if value is None else dict(_object(value, "delta.policy"))


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """The body of every 4xx/5xx reply."""

    error: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"error": self.error, "message": self.message}

    @classmethod
    def from_body(cls, body: bytes, status: int) -> ErrorReply:
        """Best effort: a proxy's HTML error page still gives a usable reply."""
        import json

        try:
            doc = json.loads(body)
            return cls(str(doc["error"]), str(doc.get("message", "")))
        except (ValueError, KeyError, TypeError):
            text = body[:200].decode("utf-8", "replace").strip()
            return cls(f"http_{status}", text or f"HTTP {status}")
