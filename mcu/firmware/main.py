"""Gate controller firmware for a Raspberry Pi Pico: an OSDP peripheral that owns the door.

Runs at power-up. The watchdog is fed in one place, ``step``, at the end of each pass of
the main loop: if the loop hangs, the board resets and the relay is off again. A
maintenance boot (maintenance.py) arms no watchdog, so ``kiosk mcu flash`` can copy files.
"""

import os
import sys
import time

import machine
import maintenance
import settings
from controller import Controller

# rp2 UART.txdone() ignored the shift register before 1.24: the RS-485 driver was switched
# off while the CRC was still going out.
MIN_MICROPYTHON = (1, 24, 0)


def require_micropython(version):
    """Refuse to run on a MicroPython older than ``MIN_MICROPYTHON``."""
    if tuple(version[:3]) < MIN_MICROPYTHON:
        found = ".".join(str(v) for v in version[:3])
        raise RuntimeError(
            "MicroPython " + found + " is too old for the gate controller: put 1.24 or newer "
            "on the Pico (docs/hardware.md, 'Installing the firmware')"
        )


def start(machine, cfg, now, random):
    """This boot's controller and watchdog (None on a maintenance boot)."""
    ctl = Controller(machine, cfg, now, random)
    if maintenance.take(cfg.MAINT_FILE):
        ctl.maintain(now, cfg.MAINT_MS)
        return ctl, None
    return ctl, machine.WDT(timeout=cfg.WDT_MS)


def step(ctl, wdt, now):
    """One pass of the main loop, then feed the watchdog (its only caller)."""
    ctl.tick(now)
    if wdt is not None:
        wdt.feed()


def stop(ctl):
    """The loop was interrupted (mpremote's Ctrl-C): leave the relay off."""
    ctl.relay.value(0)


def main():
    require_micropython(sys.implementation.version)
    ctl, wdt = start(machine, settings.load(), time.ticks_ms(), os.urandom)
    try:
        while True:
            step(ctl, wdt, time.ticks_ms())
    finally:
        stop(ctl)


if __name__ == "__main__":
    main()
