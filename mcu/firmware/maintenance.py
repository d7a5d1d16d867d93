"""The maintenance boot: one boot without the watchdog, for ``kiosk mcu flash``.

A running controller has its watchdog armed (it cannot be stopped on the RP2040), so when
mpremote interrupts ``main.py`` to copy files the board resets half-way through the copy.
An authenticated osdp_MFG asks for a maintenance boot instead: a flag file is written and
the board restarts; the next boot finds the flag, removes it (one boot only) and runs
without the watchdog and without answering on the bus, the relay off, the exit button and
a fire alarm still obeyed, until mpremote interrupts it or ``MAINT_MS`` passes (then it
restarts normally).
"""

import os


def request(path):
    """Ask for a maintenance boot next time (written before the board restarts)."""
    with open(path, "w") as f:
        f.write("1")


def take(path):
    """True once after ``request``: the flag is removed as it is read."""
    try:
        os.remove(path)
    except OSError:
        return False
    return True
