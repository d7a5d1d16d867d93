"""What the screen itself remembers between frames: the page, typed digits, choices, a message.

None of this is kiosk state: the kiosk's state arrives in each ``KioskView``. This is only
what a touch screen needs (which guard page is open, the PIN typed so far, the visitor form).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.model import Reason
from kiosk.view import (
    Command,
    CommandResult,
    GuardOpen,
    KioskView,
    LockGuard,
    RegisterVisitor,
    UnlockGuard,
)
from ui import strings
from ui.mask import mask_phones_in

BACKSPACE = "←"

PIN_MAX = 12
PHONE_MAX = 15
HOUSEHOLD_MAX = 24
TOAST_S = 4.0


class Page(StrEnum):
    RESIDENT = "resident"
    PIN = "pin"
    ALARMS = "alarms"
    EVENTS = "events"
    PERSON = "person"
    OPEN = "open"
    VISITOR = "visitor"
    SETTINGS = "settings"


GUARD_TABS = (Page.ALARMS, Page.EVENTS, Page.PERSON, Page.OPEN, Page.VISITOR, Page.SETTINGS)


class Field(StrEnum):
    PHONE = "phone"
    HOUSEHOLD = "household"


@dataclass(frozen=True, slots=True)
class Toast:
    """A short message after a guard action (done, or why not)."""

    text: str
    ok: bool
    until: float


@dataclass
class UiState:
    """The touch screen's own memory; changed only by touches and command results."""

    language: str = strings.DEFAULT_LANGUAGE
    home_language: str = strings.DEFAULT_LANGUAGE  # the lane's own; a resident's choice is not
    page: Page = Page.RESIDENT
    pin: str = ""
    phone: str = ""
    household: str = ""
    focus: Field = Field.PHONE
    visit_reason: str | None = None
    plate_fix: tuple[str, str] | None = (
        None  # the car gate: (plate read, as the guard corrected it)
    )
    open_reason: str | None = None
    scroll: int = 0  # first row shown on a list page
    toast: Toast | None = None
    pin_error: str = ""  # why the last PIN failed, shown beside the keypad until a key
    guard_hold_left: int | None = None  # the guard corner is held: whole seconds still to hold
    last_touch: float = 0.0

    def go(self, page: Page) -> None:
        """Open ``page`` and start its list from the top."""
        self.page = page
        self.scroll = 0

    def shown_page(self, view: KioskView) -> Page:
        """The page to draw: guard pages need the kiosk to say the guard is unlocked."""
        if self.page in GUARD_TABS and not view.guard_unlocked:
            return Page.PIN
        if self.page is Page.PIN and view.guard_unlocked:
            return Page.ALARMS
        return self.page

    def type_into(self, key: str) -> None:
        """One key of the on-screen keypad into the PIN or the focused visitor field."""
        if self.page is Page.PIN:
            self.pin = _edit(self.pin, key, PIN_MAX, digits_only=True)
            self.pin_error = ""
        elif self.focus is Field.PHONE:
            self.phone = _edit(self.phone, key, PHONE_MAX, digits_only=True)
        else:
            self.household = _edit(self.household, key, HOUSEHOLD_MAX, digits_only=False)

    def say(self, text: str, ok: bool, now: float) -> None:
        self.toast = Toast(text, ok, now + TOAST_S)

    def after(self, command: Command, result: CommandResult, now: float) -> None:
        """Update the screen after the kiosk answered ``command``."""
        if isinstance(command, UnlockGuard):
            self.pin = ""
            self.pin_error = "" if result.ok else strings.text(self.language, "pin_wrong")
            if result.ok:
                self.go(Page.ALARMS)
            return
        if isinstance(command, LockGuard):
            self.go(Page.RESIDENT)
            return
        if not result.ok:
            self.say(self.failure(result), False, now)
            return
        if isinstance(command, GuardOpen):
            self.open_reason = None
            self.say(strings.text(self.language, "opened"), True, now)
        elif isinstance(command, RegisterVisitor):
            self.phone = self.household = ""
            self.visit_reason = self.plate_fix = None
            self.focus = Field.PHONE
            self.say(strings.text(self.language, "registered"), True, now)

    def failure(self, result: CommandResult) -> str:
        """Why a command was refused, in words (the detail may quote a phone number: masked)."""
        words = strings.text(self.language, "failed")
        if result.reason is not Reason.OK:
            words += ": " + strings.reason_words(self.language, result.reason).title
        if result.detail:
            words += " — " + mask_phones_in(result.detail)
        return words


def _edit(value: str, key: str, limit: int, *, digits_only: bool) -> str:
    if key == BACKSPACE:
        return value[:-1]
    if digits_only and not key.isdigit():
        return value
    return (value + key)[:limit]
