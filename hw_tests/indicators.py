"""Buzzer and LED check: "pass" (green, one beep), "refuse" (red, three beeps), then the four
alarm rhythms (door, fever, flagged pass, kiosk fault), which a guard must tell apart by ear.

    python -m hw_tests.indicators [--sim] [--yes]

On the device a person listens and confirms. In --sim the check reads the rhythm off the
buzzer's mock pin: gpiozero's MockPin records how long each level lasted. A delay on a busy
machine only ever lengthens a level, so the shortest beep and gap over a few cycles are the
rhythm the driver played; each alarm must be nearest its own rhythm of the four.
"""

from __future__ import annotations

import math
import time
from itertools import pairwise
from typing import Any

from drivers.gpio import PATTERNS, BuzzerLeds
from hw_tests.harness import CheckFailed, Options, Person, wait_until
from hw_tests.rig import Rig
from kiosk.view import ALARM_URGENCY

SHOW_S = 1.5
ALARM_LISTEN_S = 3.0  # each alarm rhythm plays this long on the device
SIM_SCALE = 0.1  # rhythms in --sim play ten times faster (the shortest beep: 10 ms)
CYCLES = 3  # beeps measured per alarm rhythm in --sim
ALARMS = tuple(kind.pattern for kind in ALARM_URGENCY)  # door, health, person, device


def check(rig: Rig, person: Person, options: Options) -> str:
    """Each pattern lights the right LED and beeps; each alarm has its own rhythm; everything
    ends dark and quiet."""
    gpio = rig.config.gpio
    indicators = rig.indicators()
    if options.sim:
        indicators.time_scale = 0.01
    for pattern, lit, dark in (
        ("pass", gpio.led_green_pin, gpio.led_red_pin),
        ("refuse", gpio.led_red_pin, gpio.led_green_pin),
    ):
        indicators.show(pattern)
        if options.sim:
            _expect(rig, lit, True, pattern)
            _expect(rig, dark, False, pattern)
        if not indicators.wait(options.timeout_s):
            raise CheckFailed(f"the {pattern!r} beeps did not finish")
        time.sleep(0.0 if options.sim else SHOW_S)
    _quiet(rig, indicators)
    if not person.confirm("did you see green with one beep, then red with three beeps?"):
        raise CheckFailed(
            f"check the LEDs on GPIO {gpio.led_green_pin} (green) and {gpio.led_red_pin} (red), "
            f"their series resistors and polarity, and the buzzer on GPIO {gpio.buzzer_pin}"
        )
    _alarm_rhythms(rig, indicators, person, options)
    return (
        f"green GPIO {gpio.led_green_pin}, red GPIO {gpio.led_red_pin}, "
        f"buzzer GPIO {gpio.buzzer_pin}, {len(ALARMS)} alarm rhythms"
    )


def _alarm_rhythms(rig: Rig, indicators: BuzzerLeds, person: Person, options: Options) -> None:
    """Play door, fever, flagged pass and kiosk fault in turn; they must sound different."""
    show = indicators.show
    if options.sim:
        indicators.time_scale = SIM_SCALE
    heard: dict[str, tuple[float, float]] = {}
    for pattern in ALARMS:
        if options.sim:
            buzzer = rig.pin(rig.config.gpio.buzzer_pin)
            buzzer.clear_states()
            show(pattern)
            heard[pattern] = _measure(buzzer, pattern, options.timeout_s)
            _expect(rig, rig.config.gpio.led_green_pin, False, pattern)
        else:
            print(f"  playing {pattern} ...")
            show(pattern)
            time.sleep(ALARM_LISTEN_S)
    _quiet(rig, indicators)
    if options.sim:
        _judge(heard)
    if not person.confirm(
        "did the four alarms (door, fever, flagged pass, fault) sound different?"
    ):
        raise CheckFailed(
            f"the alarm rhythms must differ: check the buzzer on GPIO {rig.config.gpio.buzzer_pin} "
            "is an active buzzer that follows its pin (not a self-oscillating one that latches)"
        )


def _measure(buzzer: Any, pattern: str, timeout_s: float) -> tuple[float, float]:
    """The shortest beep and the shortest gap seen on ``buzzer`` over ``CYCLES`` cycles."""
    failure = f"the buzzer did not beep {CYCLES} times in {pattern!r}"
    wait_until(lambda: _cycles(buzzer) >= CYCLES, timeout_s, failure, poll_s=0.005)
    states = list(buzzer.states)
    # Each entry holds the new level and how long the level before it lasted.
    beeps = [s.timestamp for before, s in pairwise(states) if before.state]
    gaps = [s.timestamp for before, s in pairwise(states[1:]) if not before.state]
    return min(beeps) / SIM_SCALE, min(gaps) / SIM_SCALE


def _cycles(buzzer: Any) -> int:
    """Complete beep-and-gap cycles recorded on the pin so far."""
    levels = [s.state for s in buzzer.states]
    return max(0, sum(1 for a, b in pairwise(levels) if a and not b) - 1)


def _judge(heard: dict[str, tuple[float, float]]) -> None:
    """Each alarm's measured rhythm must be nearest the rhythm it asks for."""
    for pattern, (beep, gap) in heard.items():
        nearest = min(ALARMS, key=lambda p: _distance((beep, gap), _rhythm(p)))
        if nearest != pattern:
            raise CheckFailed(
                f"the alarms sound alike: {pattern!r} played {beep:.2f} s on / {gap:.2f} s off, "
                f"the rhythm of {nearest!r}"
            )


def _rhythm(pattern: str) -> tuple[float, float]:
    beeps = PATTERNS[pattern][0]
    assert beeps is not None, pattern
    return beeps[0], beeps[1]


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    # On a log scale: 0.1 s against 0.2 s differs as much as 1 s against 2 s, as to an ear.
    return sum(abs(math.log(x / y)) for x, y in zip(a, b, strict=True))


def _quiet(rig: Rig, indicators: BuzzerLeds) -> None:
    indicators.show("idle")
    gpio = rig.config.gpio
    if rig.sim:
        for pin in (gpio.buzzer_pin, gpio.led_green_pin, gpio.led_red_pin):
            _expect(rig, pin, False, "idle")


def _expect(rig: Rig, pin: int, high: bool, pattern: str) -> None:
    if bool(rig.pin(pin).state) != high:
        raise CheckFailed(f"GPIO {pin} should be {'on' if high else 'off'} in {pattern!r}")


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("indicators", check))
