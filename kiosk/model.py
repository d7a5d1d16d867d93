"""Values shared by the kiosk's parts: credentials, readings, history, decisions, events.

Everything here is immutable data; no module in this file does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

Celsius = NewType("Celsius", float)
Seconds = NewType("Seconds", float)


class Role(StrEnum):
    RESIDENT = "resident"
    VISITOR = "visitor"
    STAFF = "staff"
    DELIVERY = "delivery"


class RiskColour(StrEnum):
    """Household risk colours used by community offices in 2020."""

    RED = "red"  # back from Wuhan: home quarantine
    ORANGE = "orange"  # back from Hubei: home quarantine
    YELLOW = "yellow"  # back from another city: monitored
    GREEN = "green"  # empty flat: a pass for it raises an alert
    WHITE = "white"  # normal


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class CredentialKind(StrEnum):
    PASS = "pass"  # the project's own KP1: pass
    HCERT = "hcert"  # EU Digital COVID Certificate, HC1:


class Reason(StrEnum):
    """Stable reason codes. The log stores the code; the UI turns it into words."""

    OK = "ok"
    # Parsing and verifying a credential.
    UNKNOWN_FORMAT = "unknown_format"  # no known prefix
    BAD_ENCODING = "bad_encoding"  # base45 or zlib is broken
    BAD_COSE = "bad_cose"  # not a COSE_Sign1 structure
    BAD_HEADER = "bad_header"  # a COSE header breaks RFC 9052 (a label twice, wrong type, crit)
    UNKNOWN_CRITICAL = "unknown_critical"  # crit names a header this kiosk does not understand
    BAD_CLAIMS = "bad_claims"  # CWT claims missing or of the wrong type
    UNKNOWN_KEY = "unknown_key"  # kid not in the trust list
    KEY_NOT_VALID = "key_not_valid"  # signer key outside its validity window
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    WRONG_COMPOUND = "wrong_compound"
    # Household and gate rules.
    QUARANTINE = "quarantine"  # red/orange household leaving before quarantine end
    MONITORED = "monitored"  # yellow household: allowed, recorded
    EMPTY_FLAT = "empty_flat"  # green household: nobody should live there
    ANTI_PASSBACK = "anti_passback"
    VISITOR_LIMIT = "visitor_limit"
    CURFEW = "curfew"
    EXIT_QUOTA = "exit_quota"
    HCERT_REQUIRED = "hcert_required"
    # Temperature.
    FEVER = "fever"
    REMEASURE = "remeasure"  # first high reading: measure once more
    NO_FOREHEAD = "no_forehead"  # nobody in front of the sensor before the timeout
    SENSOR_FAULT = "sensor_fault"
    LOG_FAULT = "log_fault"  # the event log cannot be written: the gate stays shut
    # Kiosk state and guard actions.
    CLOCK_UNTRUSTED = "clock_untrusted"
    GUARD_OVERRIDE = "guard_override"
    DOOR_HELD_OPEN = "door_held_open"
    DOOR_FORCED_OPEN = "door_forced_open"
    OFFLINE_BACKLOG = "offline_backlog"
    OFFICE_REFUSED = "office_refused"  # the office refuses every upload (e.g. an older office)
    OFFICE_DATA = "office_data"  # the office's downloads cannot (all) be used: loop, size, items
    # office.db new or reset, not yet downloaded to the end: passes go to the guard
    OFFICE_DATA_INCOMPLETE = "office_data_incomplete"
    VISITOR_REGISTERED = "visitor_registered"
    EXIT_BUTTON = "exit_button"
    OPENING_UNUSED = "opening_unused"  # the gate opened and nobody went through: no passage
    # The car gate (kiosk.vehicles).
    VEHICLE_UNKNOWN = "vehicle_unknown"  # a plate the office has not registered: the guard
    VEHICLE_RISK_AREA = "vehicle_risk_area"  # on the city's risk list within the risk window
    VEHICLE_WINDOW = "vehicle_window"  # outside the visitor's or service vehicle's time window
    VEHICLE_TAILGATING = "vehicle_tailgating"  # a second vehicle through one barrier opening
    VEHICLE_REGISTERED = "vehicle_registered"  # the guard registered an unknown plate as a visitor
    # Read as a car let in, but another registered car one look-alike character away (8 for B,
    # 5 for S) would not be: which of the two is at the barrier is the guard's to see.
    VEHICLE_LOOKALIKE = "vehicle_lookalike"


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REMEASURE = "remeasure"  # ask the person to stand still and measure again
    GUARD = "guard"  # the kiosk cannot decide (sensor fault): the guard must


class Mode(StrEnum):
    """How a rule acts when it fires: deny, or allow and raise an alert."""

    HARD = "hard"
    SOFT = "soft"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class PassClaims:
    """Claims of a KP1 pass (see docs/pass-format.md)."""

    issuer: str
    pass_id: str
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    compounds: tuple[str, ...]
    household_id: str
    role: Role
    holder_name: str
    visitor_uses: int | None = None  # None: unlimited
    host_flat: str | None = None  # a visitor's host, as people write the flat: "3-2-501"


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential whose signature has been checked."""

    kind: CredentialKind
    kid: bytes
    claims: PassClaims | None = None  # for PASS
    hcert: dict[str, Any] | None = None  # decoded HC1 payload (claim -260, key 1)
    hcert_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of parsing and verifying one QR text; never raises."""

    reason: Reason
    credential: Credential | None = None
    detail: str = ""

    @property
    def valid(self) -> bool:
        return self.reason is Reason.OK


class ReadingStatus(StrEnum):
    OK = "ok"
    NO_FOREHEAD = "no_forehead"
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class TemperatureReading:
    """Outcome of one measuring procedure: an estimate of core temperature, or why not."""

    status: ReadingStatus
    celsius: Celsius | None = None  # compensated and calibrated estimate
    object_c: Celsius | None = None  # robust raw object value
    ambient_c: Celsius | None = None
    samples: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class HouseholdStatus:
    colour: RiskColour = RiskColour.WHITE
    quarantine_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class History:
    """What the local log says about a pass and its household, incl. unsynced events."""

    last_direction: Direction | None = None  # last admitted direction in this compound
    admitted_uses: int = 0  # admissions with this pass so far
    household_exits: tuple[datetime, ...] = ()  # recent admitted exits of the household
    # Someone left by the exit button (nobody identified) after this pass's last passage: it
    # may have been its holder, so coming back in is no anti-passback violation.
    unidentified_exit_since: bool = False


@dataclass(frozen=True, slots=True)
class ClockReading:
    """The time to use, how sure the kiosk is, and the interval of times that are plausible.

    A trusted reading's interval is just ``wall``; an untrusted one spans what the clocks say
    (never before the last trusted time). ``doubt`` says which clock says what.
    """

    wall: datetime  # timezone-aware UTC
    monotonic: float
    trusted: bool
    earliest: datetime | None = None  # None: ``wall``
    latest: datetime | None = None  # None: ``wall``
    doubt: str = ""

    @property
    def span(self) -> tuple[datetime, datetime]:
        """(earliest, latest) plausible time."""
        return (self.earliest or self.wall, self.latest or self.wall)


@dataclass(frozen=True, slots=True)
class Decision:
    """A gate decision: verdict, the reason for it and any soft-rule alerts."""

    verdict: Verdict
    reason: Reason
    alerts: tuple[Reason, ...] = ()
    detail: str = ""

    @property
    def opens_gate(self) -> bool:
        return self.verdict is Verdict.ALLOW


class EventKind(StrEnum):
    DECISION = "decision"
    ALARM = "alarm"
    ALARM_ACK = "alarm_ack"
    GUARD_ACTION = "guard_action"
    VISITOR = "visitor"
    SYSTEM = "system"  # boot, clock correction, config change


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the event log. ``event_id`` is random and made when the event happens."""

    event_id: str
    kind: EventKind
    wall_time: datetime
    monotonic: float
    boot_id: str
    clock_trusted: bool
    device_id: str
    compound_id: str
    reason: Reason
    verdict: Verdict | None = None
    direction: Direction | None = None
    pass_id: str | None = None
    household_id: str | None = None
    temperature_c: float | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Passage:
    """Someone let through at another kiosk of the compound, as the office passes it on."""

    device_id: str
    event_id: str
    compound_id: str
    wall_time: datetime
    direction: Direction
    pass_id: str | None = None
    household_id: str | None = None
