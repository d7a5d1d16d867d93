"""What a guard can do at the kiosk: unlock with the PIN, open with a reason, acknowledge
alarms, register a visitor without a pass, switch the direction. Every action is logged.

The desk checks the PIN and the command, then asks the ``Lane`` it serves to act; the state
machine implements ``Lane`` and stands above this module (nothing here imports it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.config import UiSettings
from kiosk.model import ClockReading, Direction, Event, Reason
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

__all__ = ["LANGUAGES", "GuardDesk", "Lane", "visitor_data", "visitor_problem"]

LANGUAGES = ("zh-CN", "en")
MAX_PIN_TRIES = 5
PIN_LOCKOUT_S = 60.0
PHONE = re.compile(r"\+?[0-9][0-9 -]{4,19}")


class Lane(Protocol):
    """What the guard desk may ask of the gate it serves."""

    @property
    def stage(self) -> Stage: ...

    def open_for_guard(self, reason: str, now: ClockReading) -> Event | None:
        """Log the guard's reason and open; None when the log cannot be written."""

    def measure_visitor(self, visitor: RegisterVisitor, now: ClockReading) -> str:
        """Start on a visitor registered by hand (measure them; at the car gate, let the
        unknown vehicle in as theirs); what stands in the way, or ""."""

    def turn(self, direction: Direction, now: ClockReading) -> None:
        """Switch the lane's direction (logged)."""

    def set_language(self, language: str) -> None: ...


AcknowledgeFn = Callable[[str, ClockReading], CommandResult]


class GuardDesk:
    """Carries out UI commands for a ``Lane`` (called with the lane's lock held)."""

    def __init__(self, ui: UiSettings, lane: Lane, acknowledge: AcknowledgeFn) -> None:
        self._ui = ui
        self._lane = lane
        self._acknowledge = acknowledge
        self._unlocked_until = float("-inf")
        self._now = float("-inf")
        self._wrong_pins = 0
        self._locked_out_until = float("-inf")

    @property
    def unlocked(self) -> bool:
        return self._now < self._unlocked_until

    @property
    def locked_out_s(self) -> int:
        """Whole seconds until a PIN is taken again after too many wrong ones (0: now)."""
        left = self._locked_out_until - self._now
        return math.ceil(left - 1e-9) if left > 0 else 0

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
            self._unlocked_until = now.monotonic + self._ui.guard_lock_s
        return result

    def _handlers(self) -> dict[type, Callable[[Any, ClockReading], CommandResult]]:
        return {
            UnlockGuard: self._unlock,
            LockGuard: self._lock,
            GuardOpen: self._open,
            AcknowledgeAlarm: lambda c, now: self._acknowledge(c.alarm_id, now),
            RegisterVisitor: self._register_visitor,
            SetDirection: self._set_direction,
            SetLanguage: self._set_language,
        }

    def _unlock(self, command: UnlockGuard, now: ClockReading) -> CommandResult:
        mono = now.monotonic
        if mono < self._locked_out_until:
            wait = self._locked_out_until - mono
            return CommandResult(False, detail=f"too many wrong PINs; try again in {wait:.0f} s")
        ui = self._ui
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
        event = self._lane.open_for_guard(reason, now)
        if event is None:
            return CommandResult(False, Reason.GUARD_OVERRIDE, "the event log cannot be written")
        return CommandResult(True, Reason.GUARD_OVERRIDE, extra={"event_id": event.event_id})

    def _register_visitor(self, command: RegisterVisitor, now: ClockReading) -> CommandResult:
        problem = visitor_problem(command)
        if problem:
            return CommandResult(False, Reason.VISITOR_REGISTERED, problem)
        stage = self._lane.stage
        if stage not in (Stage.IDLE, Stage.DENIED, Stage.GUARD):
            return CommandResult(False, detail=f"someone is at the gate ({stage})")
        problem = self._lane.measure_visitor(command, now)
        if problem:
            return CommandResult(False, Reason.VISITOR_REGISTERED, problem)
        return CommandResult(True, Reason.VISITOR_REGISTERED, "registered")

    def _set_direction(self, command: SetDirection, now: ClockReading) -> CommandResult:
        self._lane.turn(command.direction, now)
        return CommandResult(True)

    def _set_language(self, command: SetLanguage, now: ClockReading) -> CommandResult:
        if command.language not in LANGUAGES:
            return CommandResult(False, detail=f"language must be one of {', '.join(LANGUAGES)}")
        self._lane.set_language(command.language)
        return CommandResult(True)


def visitor_data(command: RegisterVisitor) -> dict[str, Any]:
    """What the log keeps of a visitor registered by hand."""
    return {"phone": command.phone, "purpose": command.reason, "destination": command.household_id}


def visitor_problem(command: RegisterVisitor) -> str:
    """What is wrong with a visitor registration, or "" when it is complete."""
    if not PHONE.fullmatch(command.phone.strip()):
        return "give the visitor's phone number (digits, 5 to 20)"
    if not command.reason.strip():
        return "say why the visitor comes"
    if not command.household_id.strip():
        return "say which household the visitor visits"
    return ""
