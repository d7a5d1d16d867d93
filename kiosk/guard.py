"""What a guard can do at the kiosk: unlock with the PIN, open with a reason, acknowledge
alarms, register a visitor without a pass, switch the direction. Every action is logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.model import (
    ClockReading,
    Decision,
    EventKind,
    History,
    Mode,
    Reason,
    RiskColour,
    TemperatureReading,
    Verdict,
)
from kiosk.rules import temperature_decision  # the same fever rule as passes
from kiosk.view import (
    AcknowledgeAlarm,
    Command,
    CommandResult,
    GuardOpen,
    LockGuard,
    RegisterVisitor,
    SetDirection,
    SetLanguage,
    Stage,
    UnlockGuard,
)

if TYPE_CHECKING:
    from kiosk.machine import Kiosk, Session

__all__ = ["LANGUAGES", "GuardDesk"]

LANGUAGES = ("zh-CN", "en")
MAX_PIN_TRIES = 5
PIN_LOCKOUT_S = 60.0
PHONE = re.compile(r"\+?[0-9][0-9 -]{4,19}")
QUARANTINE_COLOURS = frozenset({RiskColour.RED, RiskColour.ORANGE})


class GuardDesk:
    """Carries out UI commands for a ``Kiosk`` (called with the kiosk's lock held)."""

    def __init__(self, kiosk: Kiosk) -> None:
        self._kiosk = kiosk
        self._unlocked_until = float("-inf")
        self._now = float("-inf")
        self._wrong_pins = 0
        self._locked_out_until = float("-inf")

    @property
    def unlocked(self) -> bool:
        return self._now < self._unlocked_until

    def expire(self, mono: float) -> None:
        """Lock the guard screen once it has been left alone for ``ui.guard_lock_s``."""
        self._now = mono

    def handle(self, command: Command, now: ClockReading) -> CommandResult:
        self._now = now.monotonic
        handler = self._handlers().get(type(command))
        if handler is None:
            return CommandResult(False, detail=f"unknown command {type(command).__name__}")
        if type(command) not in (UnlockGuard, SetLanguage) and not self.unlocked:
            return CommandResult(False, detail="the guard screen is locked: enter the PIN")
        result = handler(command, now)
        if result.ok and self.unlocked:
            self._unlocked_until = now.monotonic + self._kiosk.config.ui.guard_lock_s
        return result

    def _handlers(self) -> dict[type, Callable[[Any, ClockReading], CommandResult]]:
        return {
            UnlockGuard: self._unlock,
            LockGuard: self._lock,
            GuardOpen: self._open,
            AcknowledgeAlarm: lambda c, now: self._kiosk.alarms.acknowledge(c.alarm_id, now),
            RegisterVisitor: self._register_visitor,
            SetDirection: self._set_direction,
            SetLanguage: self._set_language,
        }

    def _unlock(self, command: UnlockGuard, now: ClockReading) -> CommandResult:
        mono = now.monotonic
        if mono < self._locked_out_until:
            wait = self._locked_out_until - mono
            return CommandResult(False, detail=f"too many wrong PINs; try again in {wait:.0f} s")
        ui = self._kiosk.config.ui
        if not ui.pin_matches(command.pin):
            self._wrong_pins += 1
            if self._wrong_pins >= MAX_PIN_TRIES:
                self._wrong_pins, self._locked_out_until = 0, mono + PIN_LOCKOUT_S
            return CommandResult(False, detail="wrong PIN")
        self._wrong_pins = 0
        self._unlocked_until = mono + ui.guard_lock_s
        extra = {"default_pin": "true"} if ui.default_pin else {}
        return CommandResult(True, extra=extra)

    def _lock(self, command: LockGuard, now: ClockReading) -> CommandResult:
        self._unlocked_until = float("-inf")
        return CommandResult(True)

    def _open(self, command: GuardOpen, now: ClockReading) -> CommandResult:
        reason = command.reason.strip()
        if not reason:
            return CommandResult(False, Reason.GUARD_OVERRIDE, "say why the gate is opened")
        kiosk = self._kiosk
        decision = Decision(Verdict.ALLOW, Reason.GUARD_OVERRIDE, detail=reason)
        session = kiosk.session
        if session is not None and session.visitor is not None:
            session = None  # a visitor in registration is logged by its own event
        event = kiosk.conclude(
            session, decision, now, kind=EventKind.GUARD_ACTION, data={"reason": reason}
        )
        if event is None:
            return CommandResult(False, Reason.GUARD_OVERRIDE, "the event log cannot be written")
        return CommandResult(True, Reason.GUARD_OVERRIDE, extra={"event_id": event.event_id})

    def _register_visitor(self, command: RegisterVisitor, now: ClockReading) -> CommandResult:
        problem = visitor_problem(command)
        if problem:
            return CommandResult(False, Reason.VISITOR_REGISTERED, problem)
        kiosk = self._kiosk
        if kiosk.stage not in (Stage.IDLE, Stage.COOLDOWN, Stage.DENIED):
            return CommandResult(False, detail=f"someone is at the gate ({kiosk.stage})")
        from kiosk.machine import Session

        household = kiosk.office.household(command.household_id)
        session = Session("", None, None, household, History(), visitor=command)
        kiosk.session = session
        kiosk.start_measuring(session, now, Stage.MEASURING)
        return CommandResult(True, Reason.VISITOR_REGISTERED, "measuring the visitor")

    def visitor_decision(
        self, session: Session, reading: TemperatureReading, now: ClockReading
    ) -> Decision:
        """A pass-less visitor: the destination's quarantine, then the same temperature rule."""
        policy = self._kiosk._policy()
        before = Decision(Verdict.ALLOW, Reason.VISITOR_REGISTERED)
        if session.household.colour in QUARANTINE_COLOURS and policy.quarantine is not Mode.OFF:
            detail = f"household {session.visitor.household_id if session.visitor else ''}"
            if policy.quarantine is Mode.HARD:
                return Decision(Verdict.DENY, Reason.QUARANTINE, detail=f"{detail} in quarantine")
            before = Decision(Verdict.ALLOW, Reason.VISITOR_REGISTERED, (Reason.QUARANTINE,))
        decision = temperature_decision(before, reading, session.attempt, policy)
        if decision.verdict is Verdict.ALLOW:
            reason = Reason.VISITOR_REGISTERED
            return Decision(Verdict.ALLOW, reason, decision.alerts, decision.detail)
        return decision

    @staticmethod
    def visitor_data(command: RegisterVisitor) -> dict[str, Any]:
        return {
            "phone": command.phone,
            "purpose": command.reason,
            "destination": command.household_id,
        }

    def _set_direction(self, command: SetDirection, now: ClockReading) -> CommandResult:
        kiosk = self._kiosk
        kiosk.direction = command.direction
        direction = command.direction.value
        data = {"direction": direction, "detail": f"guard set the lane direction to {direction}"}
        event = kiosk.make_event(EventKind.SYSTEM, Reason.OK, now, data=data)
        kiosk.record(event)
        return CommandResult(True)

    def _set_language(self, command: SetLanguage, now: ClockReading) -> CommandResult:
        if command.language not in LANGUAGES:
            return CommandResult(False, detail=f"language must be one of {', '.join(LANGUAGES)}")
        self._kiosk.language = command.language
        return CommandResult(True)


def visitor_problem(command: RegisterVisitor) -> str:
    """What is wrong with a visitor registration, or "" when it is complete."""
    if not PHONE.fullmatch(command.phone.strip()):
        return "give the visitor's phone number (digits, 5 to 20)"
    if not command.reason.strip():
        return "say why the visitor comes"
    if not command.household_id.strip():
        return "say which household the visitor visits"
    return ""
