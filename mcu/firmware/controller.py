"""Wires the board's pins and UART to the door, the signals and the OSDP peripheral."""

from time import ticks_add, ticks_diff

import events as ev
import slots
from door import Door, Input
from events import EventRing
from keys import KeyFile
from link import Framer
from micropython import const
from output import Output
from pd import Peripheral
from signals import Signals

# After the last fragment of a firmware bundle: time for its osdp_FTSTAT to reach the host
# and be taken as the end of the transfer before the board restarts into the new firmware.
_UPDATE_RESTART_MS = const(500)
# osdp_LED record, permanent part: red 200 ms on, 200 ms off, until the board is mended
_KEY_DAMAGED_LED = bytes((0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 1, 0))


class Controller:
    """Everything the main loop runs; ``machine`` is the real module or the simulated one."""

    def __init__(self, machine, cfg, now, random):
        self.machine = machine
        self.maintenance = False
        self.maintenance_end = now
        self.trial = False  # a new firmware that has not reached the host yet
        self.trial_end = now
        self.restart_at = None  # a new firmware is staged: restart into it then
        pin = machine.Pin
        self.relay = pin(cfg.RELAY_PIN, pin.OUT, value=0)  # first: the relay off

        def inp(number, active_high):
            return Input(pin(number, pin.IN, pin.PULL_UP), active_high, cfg.DEBOUNCE_MS)

        inputs = (
            inp(cfg.DOOR_PIN, cfg.DOOR_ACTIVE_HIGH),
            inp(cfg.EXIT_PIN, cfg.EXIT_ACTIVE_HIGH),
            inp(cfg.TAMPER_PIN, cfg.TAMPER_ACTIVE_HIGH),
            inp(cfg.FIRE_PIN, cfg.FIRE_ACTIVE_HIGH),
        )
        self.events = EventRing(cfg.EVENTS)
        self.events.push(ev.BOOT, machine.reset_cause(), now)
        self.door = Door(self.relay, inputs, self.events, cfg, now)
        self.signals = Signals(
            pin(cfg.GREEN_PIN, pin.OUT, value=0),
            pin(cfg.RED_PIN, pin.OUT, value=0),
            pin(cfg.BUZZER_PIN, pin.OUT, value=0),
        )
        # OSDP output 1: the booth light or siren (output 0 is the door's relay)
        self.alarm = Output(pin(cfg.ALARM_PIN, pin.OUT, value=0)) if cfg.ALARM_PIN >= 0 else None
        if not cfg.SERIAL:
            uid = machine.unique_id()
            cfg.SERIAL = uid[-4] | uid[-3] << 8 | uid[-2] << 16 | uid[-1] << 24
        self.uart = machine.UART(
            cfg.UART_ID, baudrate=cfg.BAUD, tx=pin(cfg.TX_PIN), rx=pin(cfg.RX_PIN), rxbuf=512
        )
        self.de = pin(cfg.DE_PIN, pin.OUT, value=0) if cfg.DE_PIN >= 0 else None
        self.framer = Framer(cfg.GAP_MS)
        jumper = pin(cfg.INSTALL_PIN, pin.IN, pin.PULL_UP)
        held = bool(jumper.value()) == cfg.INSTALL_ACTIVE_HIGH  # read once: at boot only
        keys = KeyFile(cfg.KEY_FILE)
        self.pd = Peripheral(cfg, self.door, self.signals, self.events, keys, random, held, now)
        self.pd.alarm = self.alarm
        if self.pd.key_damaged:
            self.signals.led.command(_KEY_DAMAGED_LED, 0, now)
        self.rx = bytearray(64)

    def maintain(self, now, ms):
        """Make this a maintenance boot: silent on the bus, the door's own rules only, for
        ``ms`` (then a normal restart), so mpremote can interrupt and copy files."""
        self.maintenance = True
        self.maintenance_end = ticks_add(now, ms)

    def on_trial(self, now, ms):
        """This is a new firmware's first boot: it is kept once the host has spoken to it in
        a secure session; if that has not happened within ``ms``, the board restarts and the
        boot selector runs the previous firmware (slots.py)."""
        self.trial = True
        self.trial_end = ticks_add(now, ms)
        self.firmware_event(1, now)

    def firmware_event(self, value, now):
        """Tell the host: 0 a trial firmware gave way, 1 this one is on trial, 2 it is kept."""
        self.events.push(ev.FIRMWARE, value, now)

    def _trial_over(self, now):
        if self.door.online:  # an authenticated command with the site's key
            slots.commit()
            self.trial = False
            self.firmware_event(2, now)
        elif ticks_diff(now, self.trial_end) >= 0:
            self.machine.reset()  # never reached the host: the previous firmware runs next

    def tick(self, now):
        """One pass: read the line, answer whole frames, run the door's timers."""
        if self.maintenance:
            self._run_timers(now)
            if ticks_diff(now, self.maintenance_end) >= 0:
                self.machine.reset()  # nobody came to flash: back to a normal boot
            return
        while self.uart.any():
            n = self.uart.readinto(self.rx) or 0
            for i in range(n):
                if self.framer.feed(self.rx[i], now):
                    self._answer(now)
        self.framer.expire(now)
        online = self.door.online
        self._run_timers(now)
        if online and not self.door.online:
            self.pd.sc.end()  # the host must authenticate afresh when it comes back
        if self.trial:
            self._trial_over(now)
        if self.restart_at is not None and ticks_diff(now, self.restart_at) >= 0:
            self.machine.reset()  # the boot selector installs the staged firmware

    def _run_timers(self, now):
        self.door.tick(now)
        self.signals.tick(now)
        if self.alarm is not None:
            self.alarm.tick(now)

    def _answer(self, now):
        fr = self.framer
        if fr.too_long:
            n = self.pd.too_long(fr.frame, fr.intact(), fr.has_mark)
        else:
            n = self.pd.handle(fr.frame, fr.length, fr.has_mark, now)
        fr.reset()
        if n:
            if self.de:
                self.de.value(1)  # RS-485: talk, then listen again as soon as it is sent
            self.uart.write(memoryview(self.pd.tx)[:n])
            self.uart.flush()
            if self.de:
                while not self.uart.txdone():  # the last stop bit, not just an empty FIFO
                    pass
                self.de.value(0)
        if self.pd.restart:
            self.machine.reset()  # the reply is out: restart into the maintenance boot
        if self.pd.staged and self.restart_at is None:
            self.restart_at = ticks_add(now, _UPDATE_RESTART_MS)
