"""``[gpio] door_contact = false``: nothing is wired to the door pin, so whatever it reads (a
pulled-up input with no switch reads "open") is no door. Before, the kiosk raised "door forced
open" at its first tick and "door held open" 30 s later, on every gate without a contact."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kiosk.config import load_config
from kiosk.doorway import Doorway
from kiosk.model import ClockReading, Reason

START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


class FloatingPin:
    """A door input with nothing on it: the pull-up makes it read active (door open)."""

    active = True

    def when_changed(self, callback: Callable[[bool], None] | None) -> None:
        pass

    def close(self) -> None:
        pass


class Relay:
    is_open = False

    def open(self, seconds: float) -> None:
        self.is_open = True

    def close_gate(self) -> None:
        self.is_open = False

    def close(self) -> None:
        pass


def alarms_over_a_minute(door_contact: bool) -> list[Reason]:
    gpio = dataclasses.replace(load_config(None).gpio, door_contact=door_contact)
    raised: list[Reason] = []
    doorway = Doorway(
        Relay(), FloatingPin(), FloatingPin(), gpio, lambda reason, *_: raised.append(reason)
    )
    for tenth in range(600):
        seconds = tenth / 10
        doorway.watch(ClockReading(START + timedelta(seconds=seconds), seconds, True))
    return raised


def test_a_floating_door_pin_is_no_door_without_a_contact() -> None:
    assert alarms_over_a_minute(door_contact=False) == []


def test_with_a_contact_the_same_pin_is_a_door_forced_and_held_open() -> None:
    forced_then_held = [Reason.DOOR_FORCED_OPEN, Reason.DOOR_HELD_OPEN]
    assert alarms_over_a_minute(door_contact=True) == forced_then_held
