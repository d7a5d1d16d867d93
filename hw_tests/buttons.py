"""Button check: the request-to-exit button reports a press and a release.

    python -m hw_tests.buttons [--sim] [--timeout S]
"""

from __future__ import annotations

from hw_tests.harness import CheckFailed, Options, Person, wait_until
from hw_tests.rig import Rig


def check(rig: Rig, person: Person, options: Options) -> str:
    """Released at the start, then pressed, then released."""
    button = rig.exit_button()
    pin = rig.config.gpio.exit_button_pin
    if button.active:
        raise CheckFailed(f"the exit button reads pressed (GPIO {pin} low) before anyone "
                          "touched it: a short to ground, or a normally-closed button")
    person.ask_to("press and hold the exit button", lambda: rig.pin(pin).drive_low())
    pressed = wait_until(lambda: button.active, options.timeout_s,
                         f"no press of the exit button on GPIO {pin} was seen")
    person.ask_to("release the exit button", lambda: rig.pin(pin).drive_high())
    wait_until(lambda: not button.active, options.timeout_s,
               f"the exit button on GPIO {pin} never read released")
    return f"GPIO {pin}: press seen after {pressed:.1f} s, then the release"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("buttons", check))
