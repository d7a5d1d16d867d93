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
    COOLDOWN = "cooldown"  # short pause before the next person


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


@dataclass(frozen=True, slots=True)
class Alarm:
    alarm_id: str  # the event id of the alarm event
    reason: Reason
    raised_at: datetime
    detail: str = ""
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class KioskView:
    stage: Stage
    reason: Reason = Reason.OK  # why this stage (refusal reason, prompt)
    verdict: Verdict | None = None
    temperature_c: float | None = None
    person: PersonView | None = None
    direction: Direction = Direction.IN
    alarms: tuple[Alarm, ...] = ()
    recent_events: tuple[Event, ...] = ()
    guard_unlocked: bool = False
    online: bool = False
    unsynced_events: int = 0
    clock_trusted: bool = True
    gate_open: bool = False
    door_open: bool = False
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
