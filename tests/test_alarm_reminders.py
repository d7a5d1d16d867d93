"""Alarms are loud once: a new alarm plays its class's pattern, then the buzzer rests (the red
lamp blinks) and plays again only every ``REMIND_S`` until the guard acknowledges, and never
over a verdict the lane is sounding. A buzzer that never stops teaches guards not to hear it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.alarms import QUIET, REMIND_S, Alarms, Noted
from kiosk.model import ClockReading, Event, EventKind, Reason
from kiosk.view import AlarmClass

START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


class Lamp:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def show(self, pattern: str) -> None:
        self.shown.append(pattern)

    def close(self) -> None:
        pass

    def sounded(self, pattern: str) -> int:
        return self.shown.count(pattern)


class Journal:
    def __init__(self) -> None:
        self.n = 0

    def note(
        self, kind: EventKind, reason: Reason, now: ClockReading, data: dict[str, Any]
    ) -> Noted:
        self.n += 1
        event = Event(
            f"e{self.n}",
            kind,
            now.wall,
            now.monotonic,
            "boot",
            True,
            "kiosk-01",
            "demo",
            reason,
            data=data,
        )
        return Noted(event, True)


def at(seconds: float) -> ClockReading:
    return ClockReading(START + timedelta(seconds=seconds), seconds, True)


def watch(alarms: Alarms, start: float, end: float, free: bool = True) -> None:
    """The kiosk loop's ticks (10 a second) from ``start`` to ``end``."""
    t = start
    while t < end:
        alarms.remind(at(t), free)
        t += 0.1


def test_a_new_alarm_sounds_once_then_every_few_minutes_until_acknowledged() -> None:
    lamp = Lamp()
    alarms = Alarms(Journal(), lamp)
    door = AlarmClass.DOOR.pattern
    alarm = alarms.raise_once(Reason.DOOR_FORCED_OPEN, at(0.0))
    assert alarm is not None and lamp.shown == [door]
    watch(alarms, 0.1, REMIND_S - 0.5)
    assert lamp.sounded(door) == 1  # quiet for minutes, however often the loop ticks
    alarms.show_lamp(at(60.0))  # a resident passed: the lamp goes back to the alarm state
    assert lamp.shown[-1] == QUIET and lamp.sounded(door) == 1
    watch(alarms, REMIND_S - 0.5, REMIND_S + 1.0)
    assert lamp.sounded(door) == 2  # reminded once
    watch(alarms, REMIND_S + 1.0, 2 * REMIND_S - 1.0)
    assert lamp.sounded(door) == 2
    assert alarms.acknowledge(alarm.alarm_id, at(2 * REMIND_S)).ok
    assert lamp.shown[-1] == "idle"
    watch(alarms, 2 * REMIND_S, 4 * REMIND_S)
    assert lamp.sounded(door) == 2


def test_a_reminder_waits_for_the_lane_and_a_second_alarm_sounds_at_once() -> None:
    lamp = Lamp()
    alarms = Alarms(Journal(), lamp)
    alarms.raise_once(Reason.SENSOR_FAULT, at(0.0))
    watch(alarms, 0.1, REMIND_S + 5.0, free=False)  # a verdict is showing all along
    assert lamp.sounded(AlarmClass.DEVICE.pattern) == 1
    alarms.remind(at(REMIND_S + 5.0), True)
    assert lamp.sounded(AlarmClass.DEVICE.pattern) == 2
    alarms.raise_once(Reason.DOOR_FORCED_OPEN, at(REMIND_S + 6.0))  # new: loud now
    assert lamp.shown[-1] == AlarmClass.DOOR.pattern


class Light:
    def __init__(self) -> None:
        self.lit: list[float] = []

    def light_for(self, seconds: float) -> None:
        self.lit.append(seconds)

    def close(self) -> None:
        pass


def test_a_new_door_or_fever_alarm_lights_the_booth_once() -> None:
    light = Light()
    alarms = Alarms(Journal(), Lamp(), beacon=light, beacon_s=20.0)
    alarms.raise_once(Reason.QUARANTINE, at(0.0))  # a flagged pass: the buzzer's chirp only
    assert light.lit == []
    alarms.raise_once(Reason.DOOR_FORCED_OPEN, at(1.0))
    alarms.raise_once(Reason.DOOR_FORCED_OPEN, at(2.0))  # the same door, still open: not new
    watch(alarms, 2.0, 3 * REMIND_S)
    assert light.lit == [20.0]
    alarms.raise_once(Reason.FEVER, at(3 * REMIND_S))
    assert light.lit == [20.0, 20.0]
