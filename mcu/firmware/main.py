"""Gate controller firmware for a Raspberry Pi Pico: an OSDP peripheral that owns the door.

Runs at power-up. The watchdog is fed in one place, ``step``, at the end of each pass of
the main loop: if the loop hangs, the board resets and the relay is off again.
"""

import os
import time

import machine
import settings
from controller import Controller


def step(ctl, wdt, now):
    """One pass of the main loop, then feed the watchdog (its only caller)."""
    ctl.tick(now)
    wdt.feed()


def main():
    cfg = settings.load()
    ctl = Controller(machine, cfg, time.ticks_ms(), os.urandom)
    wdt = machine.WDT(timeout=cfg.WDT_MS)
    while True:
        step(ctl, wdt, time.ticks_ms())


if __name__ == "__main__":
    main()
