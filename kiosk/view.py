"""What the screen shows and what a guard can ask for: the only contract between kiosk and ui.

The kiosk loop publishes an immutable ``KioskView`` after every step; the UI draws the newest
one and sends ``Command`` values back through ``Kiosk.submit``. The UI never waits on the gate
and the gate never waits on drawing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kiosk.model import Direction, Event, Reason, RiskColour, Role, Verdict


class Stage(StrEnum):
    IDLE = "idle"  # show your pass
    READING = "reading"  # a code is in view, decoding / verifying
    MEASURING = "measuring"  # pass accepted, step up to the thermometer
    REMEASURE = "remeasure"  # first reading high: stand still, measuring again
    OPEN = "open"  # please pass
    DENIED = "denied"  # refused, reason shown
    GUARD = "guard"  # the kiosk cannot decide: call the guard
    COOLDOWN = "cooldown"  # let through: wait until the door shuts behind the person before


@dataclass(frozen=True, slots=True)
class PersonView:
    """The current person's pass, masked for the resident screen."""

    pass_id: str
    masked_name: str  # 王*华
    role: Role
    household_id: str
    colour: RiskColour
    expires_at: datetime
    photo_png: bytes | None = None  # the photo registered at the office, if cached
    host_flat: str | None = None  # a visitor's host flat: the guard sees "visitor of 3-2-501"


class Aim(StrEnum):
    """What the viewfinder asks of a person whose code is seen but cannot be read yet."""

    HOLD_STILL = "hold_still"  # a code of a readable size, blurred or half seen
    CLOSER = "closer"  # a code too small in the picture


class Prompt(StrEnum):
    """What the resident screen asks instead of its stage's usual words, so nobody is left
    with a screen that ignores them."""

    SEE_GUARD = "see_guard"  # a refused code still held up: this pass will not do, go to the booth
    GUARD_BOOTH = "guard_booth"  # held up after "call the guard" (a fault): go to the booth
    RETRY = "retry"  # no temperature taken and the pass still held: lower it and show it again
    LOWER_PASS = "lower_pass"  # a code already decided is held up again: lower the phone
    CLOSER = "closer"  # measuring, no forehead yet: come closer, 3–5 cm, the sensor is there


class AlarmClass(StrEnum):
    """Kinds of alarm a guard tells apart by ear: each has its own buzzer pattern."""

    DOOR = "door"  # forced or held open: someone may be getting in
    HEALTH = "health"  # a fever
    PERSON = "person"  # a pass the rules flagged: quarantine, empty flat, cancelled pass ...
    DEVICE = "device"  # the kiosk itself: thermometer, log, clock, backlog

    @property
    def pattern(self) -> str:
        """The indicator pattern that plays while an alarm of this class is open."""
        return f"alarm-{self.value}"


# Most urgent first: the buzzer plays the pattern of the most urgent open alarm.
ALARM_URGENCY = (AlarmClass.DOOR, AlarmClass.HEALTH, AlarmClass.PERSON, AlarmClass.DEVICE)
_ALARM_CLASSES: dict[Reason, AlarmClass] = {
    Reason.DOOR_FORCED_OPEN: AlarmClass.DOOR,
    Reason.DOOR_HELD_OPEN: AlarmClass.DOOR,
    Reason.VEHICLE_TAILGATING: AlarmClass.DOOR,
    Reason.FEVER: AlarmClass.HEALTH,
    Reason.SENSOR_FAULT: AlarmClass.DEVICE,
    Reason.LOG_FAULT: AlarmClass.DEVICE,
    Reason.CLOCK_UNTRUSTED: AlarmClass.DEVICE,
    Reason.OFFLINE_BACKLOG: AlarmClass.DEVICE,
    Reason.OFFICE_REFUSED: AlarmClass.DEVICE,
    Reason.OFFICE_DATA: AlarmClass.DEVICE,
    Reason.OFFICE_DATA_INCOMPLETE: AlarmClass.DEVICE,
}


class AlarmCode(StrEnum):
    """What an alarm's detail line says, as a stable code: the log keeps the code and its
    value, the UI turns both into words (``ui.strings.ALARM_DETAILS``)."""

    DOOR_FORCED = "door_forced"  # the door opened with no pass and no exit button
    DOOR_HELD = "door_held"  # value: seconds the door has been open
    FEVER = "fever"  # value: the temperature in °C, one decimal
    THERMOMETER_FAULT = "thermometer_fault"
    CAMERA_FAULT = "camera_fault"
    LOG_UNWRITABLE = "log_unwritable"
    LOG_FULL = "log_full"  # the card is full: only the exit button opens
    LOG_READ_ONLY = "log_read_only"  # the card is mounted read-only
    LOG_UNREADABLE = "log_unreadable"  # the log cannot be read (damaged pages, a newer schema)
    LOG_MOVED_ASIDE = "log_moved_aside"  # the damaged file was kept aside, a new one made
    LOG_REPLACED = "log_replaced"  # the file was deleted or replaced under the kiosk
    LOG_ROW_SET_ASIDE = "log_row_set_aside"  # value: the unreadable row's number
    OFFICE_DATA_FAULT = "office_data_fault"  # office.db cannot be used: passes go to the guard
    OFFICE_DATA_RESET = "office_data_reset"  # office.db was damaged, kept aside, made anew
    OFFICE_DATA_INCOMPLETE = "office_data_incomplete"  # not downloaded to the end: guard decides
    CLOCK_UNTRUSTED = "clock_untrusted"
    BACKLOG = "backlog"  # value: events waiting for the office
    OFFICE_REFUSED = "office_refused"  # value: the office's own words
    OFFICE_DATA = "office_data"  # value: the office's change number (cursor) where it went wrong
    QUARANTINE = "quarantine"
    EMPTY_FLAT = "empty_flat"
    REVOKED = "revoked"
    CURFEW = "curfew"
    EXIT_QUOTA = "exit_quota"
    VISITOR_LIMIT = "visitor_limit"
    ANTI_PASSBACK = "anti_passback"
    HCERT_REQUIRED = "hcert_required"
    EXIT_BUTTON = "exit_button"  # someone left by the exit button where exits are scanned
    CHECK_PERSON = "check_person"  # any other refusal the guard must look at
    TAILGATING = "tailgating"  # a second vehicle went through on one barrier opening
    CHECK_VEHICLE = "check_vehicle"  # value: the plate; an unknown or risk-listed vehicle


_ALARM_CODES: dict[Reason, AlarmCode] = {
    Reason.DOOR_FORCED_OPEN: AlarmCode.DOOR_FORCED,
    Reason.DOOR_HELD_OPEN: AlarmCode.DOOR_HELD,
    Reason.FEVER: AlarmCode.FEVER,
    Reason.SENSOR_FAULT: AlarmCode.THERMOMETER_FAULT,
    Reason.LOG_FAULT: AlarmCode.LOG_UNWRITABLE,
    Reason.CLOCK_UNTRUSTED: AlarmCode.CLOCK_UNTRUSTED,
    Reason.OFFLINE_BACKLOG: AlarmCode.BACKLOG,
    Reason.OFFICE_REFUSED: AlarmCode.OFFICE_REFUSED,
    Reason.OFFICE_DATA: AlarmCode.OFFICE_DATA,
    Reason.OFFICE_DATA_INCOMPLETE: AlarmCode.OFFICE_DATA_INCOMPLETE,
    Reason.QUARANTINE: AlarmCode.QUARANTINE,
    Reason.EMPTY_FLAT: AlarmCode.EMPTY_FLAT,
    Reason.REVOKED: AlarmCode.REVOKED,
    Reason.CURFEW: AlarmCode.CURFEW,
    Reason.EXIT_QUOTA: AlarmCode.EXIT_QUOTA,
    Reason.VISITOR_LIMIT: AlarmCode.VISITOR_LIMIT,
    Reason.ANTI_PASSBACK: AlarmCode.ANTI_PASSBACK,
    Reason.HCERT_REQUIRED: AlarmCode.HCERT_REQUIRED,
    Reason.EXIT_BUTTON: AlarmCode.EXIT_BUTTON,
    Reason.VEHICLE_TAILGATING: AlarmCode.TAILGATING,
    Reason.VEHICLE_UNKNOWN: AlarmCode.CHECK_VEHICLE,
    Reason.VEHICLE_RISK_AREA: AlarmCode.CHECK_VEHICLE,
    Reason.VEHICLE_LOOKALIKE: AlarmCode.CHECK_VEHICLE,
}


def alarm_code(reason: Reason) -> AlarmCode:
    """The detail code of an alarm raised for ``reason`` when the raiser names none."""
    return _ALARM_CODES.get(reason, AlarmCode.CHECK_PERSON)


def alarm_class(reason: Reason) -> AlarmClass:
    """The class of an alarm raised for ``reason`` (a flagged pass unless listed)."""
    return _ALARM_CLASSES.get(reason, AlarmClass.PERSON)


def alarm_pattern(alarms: tuple[Alarm, ...] | list[Alarm]) -> str:
    """The indicator pattern for these open alarms: the most urgent class, or "idle"."""
    classes = {alarm_class(a.reason) for a in alarms if not a.acknowledged}
    for kind in ALARM_URGENCY:
        if kind in classes:
            return kind.pattern
    return "idle"


@dataclass(frozen=True, slots=True)
class Alarm:
    """An open alarm: what (reason, code and value), where (place), since when, who (when known).

    ``detail`` is the engineer's English note kept in the log; screens show ``code`` and
    ``value`` in words instead (the code defaults to the reason's).
    """

    alarm_id: str  # the event id of the alarm event
    reason: Reason
    raised_at: datetime
    detail: str = ""
    acknowledged: bool = False
    place: str = ""  # the kiosk (gate) it was raised at
    person: PersonView | None = None  # the pass holder it is about, if any
    code: AlarmCode | None = None
    value: str = ""  # the code's one parameter, language-neutral: "38.4", "45", "512"
    logged: bool = True  # False: the event log refused the alarm event

    def __post_init__(self) -> None:
        if self.code is None:
            object.__setattr__(self, "code", alarm_code(self.reason))

    @property
    def kind(self) -> AlarmClass:
        return alarm_class(self.reason)


@dataclass(frozen=True, slots=True)
class KioskView:
    stage: Stage
    reason: Reason = Reason.OK  # why this stage (refusal reason, prompt)
    verdict: Verdict | None = None
    temperature_c: float | None = None
    person: PersonView | None = None
    vehicle_lane: bool = False  # the car gate ([lane] kind = "vehicle"): the driver's screen
    plate: str | None = None  # the car gate: the plate read, while it is being decided or shown
    unregistered_plate: str | None = None  # the car gate: the plate the visitor form registers
    direction: Direction = Direction.IN
    alarms: tuple[Alarm, ...] = ()
    recent_events: tuple[Event, ...] = ()
    guard_unlocked: bool = False
    online: bool | None = None  # None: no contact with the office yet since start-up
    unsynced_events: int = 0
    clock_trusted: bool = True
    gate_open: bool = False
    door_open: bool = False
    aim: Aim | None = None  # a code in view that cannot be read yet: how to hold it
    prompt: Prompt | None = None  # asked instead of the stage's usual words
    countdown_s: int | None = None  # whole seconds left: the gate open, or measuring's limit
    pin_locked_s: int = 0  # too many wrong PINs: whole seconds until the pad takes one again
    default_pin: bool = False  # the guard PIN is still the shipped one: every guard page says so
    sequence: int = 0  # increases with every published view


class Command:
    """Base of everything the UI (or the simulator panel) can ask the kiosk to do."""


@dataclass(frozen=True, slots=True)
class UnlockGuard(Command):
    pin: str


@dataclass(frozen=True, slots=True)
class LockGuard(Command):
    pass


@dataclass(frozen=True, slots=True)
class GuardOpen(Command):
    reason: str  # required, logged


@dataclass(frozen=True, slots=True)
class AcknowledgeAlarm(Command):
    alarm_id: str


@dataclass(frozen=True, slots=True)
class RegisterVisitor(Command):
    phone: str
    reason: str
    household_id: str
    plate: str = ""  # the car gate: the plate as the guard corrected it ("": as it was read)


@dataclass(frozen=True, slots=True)
class SetDirection(Command):
    direction: Direction


@dataclass(frozen=True, slots=True)
class SetLanguage(Command):
    language: str  # "zh-CN" or "en"


@dataclass(frozen=True, slots=True)
class CommandResult:
    ok: bool
    reason: Reason = Reason.OK
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)
