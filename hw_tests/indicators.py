"""Buzzer and LED check: plays "pass" (green, one beep) and "refuse" (red, three beeps).

    python -m hw_tests.indicators [--sim] [--yes]
"""

from __future__ import annotations

import time

from hw_tests.harness import CheckFailed, Options, Person
from hw_tests.rig import Rig

SHOW_S = 1.5


def check(rig: Rig, person: Person, options: Options) -> str:
    """Each pattern lights the right LED and beeps; everything ends dark and quiet."""
    gpio = rig.config.gpio
    indicators = rig.indicators()
    if options.sim:
        indicators.time_scale = 0.01
    for pattern, lit, dark in (("pass", gpio.led_green_pin, gpio.led_red_pin),
                               ("refuse", gpio.led_red_pin, gpio.led_green_pin)):
        indicators.show(pattern)
        if options.sim:
            _expect(rig, lit, True, pattern)
            _expect(rig, dark, False, pattern)
        if not indicators.wait(options.timeout_s):
            raise CheckFailed(f"the {pattern!r} beeps did not finish")
        time.sleep(0.0 if options.sim else SHOW_S)
    indicators.show("idle")
    for pin in (gpio.buzzer_pin, gpio.led_green_pin, gpio.led_red_pin):
        if options.sim:
            _expect(rig, pin, False, "idle")
    if not person.confirm("did you see green with one beep, then red with three beeps?"):
        raise CheckFailed(
            f"check the LEDs on GPIO {gpio.led_green_pin} (green) and {gpio.led_red_pin} (red), "
            f"their series resistors and polarity, and the buzzer on GPIO {gpio.buzzer_pin}"
        )
    return (f"green GPIO {gpio.led_green_pin}, red GPIO {gpio.led_red_pin}, "
            f"buzzer GPIO {gpio.buzzer_pin}")


def _expect(rig: Rig, pin: int, high: bool, pattern: str) -> None:
    if bool(rig.pin(pin).state) != high:
        raise CheckFailed(f"GPIO {pin} should be {'on' if high else 'off'} in {pattern!r}")


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("indicators", check))
