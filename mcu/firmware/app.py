"""Gate controller firmware for a Raspberry Pi Pico: an OSDP peripheral that owns the door.

Started by the boot selector (main.py) from the folder the board runs. The watchdog is fed
in one place, ``step``, at the end of each pass of the main loop: if the loop hangs, the
board resets and the relay is off again. A maintenance boot (maintenance.py) arms no
watchdog, so ``kiosk mcu flash`` can copy files.
"""

import os
import sys
import time

import machine
import maintenance
import settings
import slots
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


running = None  # this boot's Controller, for the REPL and the simulator


def start(machine, cfg, now, random, trial=False):
    """This boot's controller and watchdog (None on a maintenance boot); ``trial``: a new
    firmware that must reach the host within ``cfg.TRIAL_MS`` or give way (slots.py)."""
    ctl = Controller(machine, cfg, now, random)
    if slots.rolled_back():
        ctl.firmware_event(0, now)
    if trial:
        ctl.on_trial(now, cfg.TRIAL_MS)
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


def main(trial=False):
    global running
    require_micropython(sys.implementation.version)
    ctl, wdt = start(machine, settings.load(), time.ticks_ms(), os.urandom, trial)
    running = ctl
    try:
        while True:
            step(ctl, wdt, time.ticks_ms())
    finally:
        stop(ctl)
