"""Door contact check: the reed switch reports the door opening and closing.

    python -m hw_tests.door [--sim] [--timeout S]
"""

from __future__ import annotations

from hw_tests.harness import CheckFailed, Options, Person, wait_until
from hw_tests.rig import Rig


def check(rig: Rig, person: Person, options: Options) -> str:
    """Closed at the start, then open, then closed again, each within the timeout."""
    door = rig.door()
    pin = rig.config.gpio.door_pin
    if door.active:
        raise CheckFailed(f"the door reads open (GPIO {pin} high): close it, or the magnet is "
                          "too far from the reed switch, or a wire is loose")
    person.ask_to("open the door", lambda: rig.pin(pin).drive_high())
    opened = wait_until(lambda: door.active, options.timeout_s,
                        f"the door contact on GPIO {pin} never read open")
    person.ask_to("close the door", lambda: rig.pin(pin).drive_low())
    closed = wait_until(lambda: not door.active, options.timeout_s,
                        f"the door contact on GPIO {pin} never read closed again")
    return f"GPIO {pin}: opened after {opened:.1f} s, closed after {closed:.1f} s"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("door", check))
