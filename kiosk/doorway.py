"""The doorway: the relay's openings, the door contact and the exit button.

One opening is one passage. The relay drops when its time is up, or at once when the door
shuts behind the person let through; a door opened after that, or without an opening, is
forced. An opening whose time ran out with the door never opened was not used: nobody went
through (the state machine logs it as such, docs/gate-rules.md); one that began with the door
already open counts as used, since nobody can tell. A door standing open too long is an alarm.
Where no contact is wired (``[gpio] door_contact = false``) there is no door to watch: each
opening runs its time. The exit button is only latched here (it is pressed on a timer thread);
the state machine logs and opens for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from drivers.base import Contact, Gate
from kiosk.config import GpioSettings
from kiosk.model import ClockReading, Reason

__all__ = ["DOOR_GRACE_S", "NO_LOOP", "Doorway", "Loop"]

DOOR_GRACE_S = 3.0  # the door may open this long after the relay dropped
RENEW_S = 1.0  # a relay held for a vehicle on the loop is renewed this long before it drops

Alarm = Callable[[Reason, ClockReading, str, str], None]  # reason, now, detail, value
Outcome = Literal["used", "unused"]  # how an opening ended: someone went through, or nobody


@dataclass(frozen=True, slots=True)
class Loop:
    """A vehicle loop wired as the door contact, in front of a barrier (kiosk.vehicles.barrier).

    The doorway then reads it with these times, and keeps the relay on while the vehicle it
    was lifted for stands on the loop: dropped when its time ran out, the arm came down on a car
    queued there."""

    follow_s: float  # the arm comes down this long: the loop taken meanwhile is a follower
    clear_s: float  # read clear this long before the vehicle is gone (a drop-out, a drawbar)
    taken_s: float  # read taken this long before a vehicle is on it (the detector's noise)


NO_LOOP = Loop(0.0, 0.0, 0.0)  # a door contact: taken and clear at once, nobody follows


class Doorway:
    """Watches the door for the state machine and keeps each opening to one passage."""

    def __init__(
        self,
        gate: Gate,
        door: Contact,
        exit_button: Contact,
        gpio: GpioSettings,
        alarm: Alarm,
        *,
        loop: Loop | None = None,
    ) -> None:
        self._gate, self._door, self._gpio, self._alarm = gate, door, gpio, alarm
        self._hold = loop is not None
        self._loop = loop or NO_LOOP
        self._clear_since: float | None = None
        self._taken_since: float | None = None
        self._relay_until = float("-inf")
        self._used_at = float("-inf")
        self.door_open = False
        self.busy = False  # an opening not yet used up: relay on, or its passage under way
        self.passing = False  # the door opened during the current opening
        self._authorized_until = float("-inf")
        self._blind = False  # the current opening began with the door open
        self._door_since = 0.0
        self._door_held_alarmed = False
        self._exit_pressed = False
        exit_button.when_changed(self._on_exit_button)

    def open(self, now: ClockReading) -> None:
        """Energise the relay for one passage (call only after the reason is logged)."""
        self._gate.open(self._gpio.open_s)
        self._relay_until = now.monotonic + self._gpio.open_s
        self._authorized_until = self._relay_until + DOOR_GRACE_S
        self.busy, self.passing = True, False
        # The door already open (propped, a stuck loop): whether anyone went through cannot be
        # told, so the opening counts as used; logged unused, it undid a passage's history.
        self._blind = self.door_open

    def watch(self, now: ClockReading) -> Outcome | None:
        """Follow the door; how the current opening ended, when it has just ended."""
        mono = now.monotonic
        door_open = self._contact(mono)
        if door_open and not self.door_open:
            self._door_since, self._door_held_alarmed = mono, False
            self.passing = self.busy
            if not self._gate.is_open and mono > self._authorized_until:
                self._intruder(now)
        if self._hold and self.passing and door_open:
            self._keep_up(mono)
        held = mono - self._door_since
        if door_open and not self._door_held_alarmed and held > self._gpio.door_held_open_s:
            self._door_held_alarmed = True
            self._alarm(Reason.DOOR_HELD_OPEN, now, f"door open for {held:.0f} s", f"{held:.0f}")
        shut_behind = self.passing and self.door_open and not door_open
        unused = self.busy and not self.passing and not self._gate.is_open
        self.door_open = door_open
        if shut_behind:  # nobody else may follow: relock, and a door opened now is forced
            self._gate.close_gate()
            self._authorized_until = self._used_at = mono
        if shut_behind or unused:
            self.busy = self.passing = False
            return "used" if shut_behind or self._blind else "unused"
        return None

    def _keep_up(self, mono: float) -> None:
        """Renew the relay, while it is still on, before its time runs out."""
        if self._gate.is_open and mono >= self._relay_until - RENEW_S:
            self._gate.open(self._gpio.open_s)
            self._relay_until = mono + self._gpio.open_s
            self._authorized_until = self._relay_until + DOOR_GRACE_S

    def _contact(self, mono: float) -> bool:
        """The contact as the doorway takes it: open after ``taken_s`` of open, clear after
        ``clear_s`` of clear. Without one (``door_contact = false``) the pin is no door,
        whatever it reads: a pulled-up input with nothing on it reads open."""
        if not self._gpio.door_contact:
            return False
        if self._door.active:
            self._clear_since = None
            if self._taken_since is None:
                self._taken_since = mono
            return self.door_open or mono - self._taken_since >= self._loop.taken_s
        self._taken_since = None
        if self._clear_since is None:
            self._clear_since = mono
        return self.door_open and mono - self._clear_since < self._loop.clear_s

    def _intruder(self, now: ClockReading) -> None:
        """The contact taken with no opening: a follower on the last one, or forced."""
        if now.monotonic - self._used_at <= self._loop.follow_s:
            detail = "a second vehicle on one barrier opening"
            self._alarm(Reason.VEHICLE_TAILGATING, now, detail, "")
        else:
            self._alarm(Reason.DOOR_FORCED_OPEN, now, "door opened without a pass", "")

    def settling(self, mono: float) -> bool:
        """An opening under way, or a follower may still come (``follow_s`` after a passage):
        the contact must be watched at every tick, not between slow frame reads."""
        return self.busy or mono - self._used_at <= self._loop.follow_s

    def exit_pressed(self) -> bool:
        """True once for each press of the exit button since the last call."""
        pressed, self._exit_pressed = self._exit_pressed, False
        return pressed

    def _on_exit_button(self, pressed: bool) -> None:
        # Called from the contact's timer thread: only latch it; the loop acts on it.
        if pressed:
            self._exit_pressed = True
