"""Relay check: the gate relay clicks on and off N times and ends released.

    python -m hw_tests.relay [--sim] [--repeat N] [--yes]

Without --yes the person at the kiosk is asked whether they heard the clicks (and the lock).
"""

from __future__ import annotations

import time

from hw_tests.harness import CheckFailed, Options, Person
from hw_tests.rig import Rig

CLICK_S = 0.4


def check(rig: Rig, person: Person, options: Options) -> str:
    """Click the relay ``repeat`` times; the line must follow and end at "off"."""
    relay = rig.relay()
    gpio = rig.config.gpio
    hold = 0.0 if options.sim else CLICK_S
    for n in range(options.repeat):
        relay.open(gpio.max_open_s)
        if not relay.is_open:
            raise CheckFailed(f"click {n + 1}: the relay output did not switch on")
        if options.sim:
            _expect_level(rig, gpio.relay_pin, gpio.relay_active_high, "on")
        time.sleep(hold)
        relay.close_gate()
        if options.sim:
            _expect_level(rig, gpio.relay_pin, not gpio.relay_active_high, "off")
        time.sleep(hold)
    if relay.is_open:
        raise CheckFailed("the relay stayed on after close_gate()")
    if not person.confirm(f"did the relay (GPIO {gpio.relay_pin}) click {options.repeat} times?"):
        raise CheckFailed(
            f"no click heard: check the relay board's supply, the signal wire on GPIO "
            f"{gpio.relay_pin} and gpio.relay_active_high (now {gpio.relay_active_high})"
        )
    return f"{options.repeat} clicks on GPIO {gpio.relay_pin}; relay released"


def _expect_level(rig: Rig, pin: int, high: bool, what: str) -> None:
    state = bool(rig.pin(pin).state)
    if state != high:
        raise CheckFailed(f"GPIO {pin} is {'high' if state else 'low'} with the relay {what}")


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("relay", check))
