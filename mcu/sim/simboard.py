"""Runs the gate controller firmware's own ``main()`` on the simulated ``machine``.

The host (drivers/gate_osdp_sim.py, through board.mjs) sends JSON requests, one a line: move
the clock and pass UART bytes, drive an input, stall the main loop, reset, flash files the way
mpremote does. The firmware boots
as on the board (``main.main()``: settings, controller, watchdog, the loop) and runs until
its clock reaches the host's time; there, between two passes of its loop, the host's requests
are served (``Host.serve``). Each answer carries the bytes the firmware sent and the state of
its outputs. The clock is the host's, so tests decide exactly when time passes; a watchdog
that is not fed in time resets the board, which boots ``main()`` afresh. The firmware sees
the clock as ``time.ticks_ms()`` values that start at ``ticks0`` and wrap at 2**30 as on the
board.
"""

import json
import sys

import js
import machine
from machine import Reset, board

_FIRMWARE = (
    "settings", "link", "events", "sc", "aes", "door", "signals", "keys", "maintenance", "pd",
    "controller", "main", "output", "app", "slots", "bundle", "flashfs", "transfer", "version",
)  # fmt: skip
_OUTPUTS = ("relay", "green", "red", "buzzer", "alarm")  # alarm: OSDP output 1
_INPUTS = ("door", "exit", "tamper", "fire", "install")  # install: the jumper read at boot


class _Eof(BaseException):
    """The host closed the line: the simulation ends."""


class _Module:
    """A stand-in for a built-in module (MicroPython lets sys.modules name any object)."""


def urandom(n):
    """os.urandom for the firmware, from Node's crypto.randomBytes (see board.mjs)."""
    return bytes.fromhex(js.simRandomHex(n))


def _stand_ins():
    """``time`` on the simulated clock and ``os`` with urandom, for the firmware's imports."""
    import os
    import time

    fake_os = _Module()
    for name in dir(os):
        if not name.startswith("__"):
            setattr(fake_os, name, getattr(os, name))
    fake_os.urandom = urandom
    fake_time = _Module()
    fake_time.ticks_ms = board.ticks_ms
    fake_time.ticks_diff = time.ticks_diff
    fake_time.ticks_add = time.ticks_add
    sys.modules["os"] = fake_os
    sys.modules["time"] = fake_time


class Host:
    """The host's side of the simulated board: boots the firmware and serves requests."""

    def __init__(self):
        self.boots = 0
        self.cfg = None
        self.path0 = list(sys.path)  # a boot selector adds the firmware's folder
        self.pending = None  # a request answered when the firmware next waits for the host
        self.copying = ({}, 0)  # files mpremote copies once main.py has stopped, and how long
        self.flashed = False

    def run(self):
        req = self.read()
        if req.get("op") != "boot":
            raise ValueError("the first request must be boot")
        _stand_ins()
        board.ticks0 = req.get("ticks0", 0)
        board.wait = self.serve
        self.world_at_rest(bool(req.get("jumper")))
        self.pending = "boot"
        cause = machine.PWRON_RESET
        while True:
            try:
                self.boot(cause)
                self.main.main()
                raise RuntimeError("main() returned")
            except Reset as r:
                cause = r.cause
            except KeyboardInterrupt:  # mpremote stopped main.py to copy files
                cause = self.copy()
            except _Eof:
                return
            except Exception as e:  # the firmware crashed: on a board, main.py has ended
                sys.print_exception(e)
                cause = self.halted(e)

    def world_at_rest(self, jumper):
        """Door shut, nothing pressed, no alarm; the install jumper as asked."""
        import settings

        cfg = settings.load()
        for role in _INPUTS[:4]:
            high = getattr(cfg, role.upper() + "_ACTIVE_HIGH")
            board.drive(getattr(cfg, role.upper() + "_PIN"), 0 if high else 1)
        board.drive(cfg.INSTALL_PIN, 1 if jumper == cfg.INSTALL_ACTIVE_HIGH else 0)

    @property
    def ctl(self):
        """The firmware's Controller, once its main() has built it (app.running)."""
        app = sys.modules.get("app")
        return getattr(app, "running", None)

    def boot(self, cause):
        board.power_cycle(cause)
        for name in _FIRMWARE:
            sys.modules.pop(name, None)
        sys.path[:] = self.path0
        import main
        import settings

        self.main = main
        self.cfg = settings.load()
        self.boots += 1

    # -- requests ------------------------------------------------------------------------
    def read(self):
        line = js.simHost.next()
        if not line:
            raise _Eof()
        return json.loads(line)

    def answer(self, fields):
        fields["ok"] = True
        js.simHost.answer(json.dumps(fields))

    def fail(self, e):
        js.simHost.answer(json.dumps({"ok": False, "error": type(e).__name__ + ": " + str(e)}))

    def serve(self):
        """The firmware waits for the host between two passes: answer, act, until time moves."""
        if self.ctl is None:
            return  # still booting: main() reads the clock before its loop
        if self.pending:
            fields = self.state()
            if self.pending == "flash":
                fields["flashed"] = self.flashed
            self.pending = None
            self.answer(fields)
        while True:
            req = self.read()
            try:
                if self.handle(req):
                    return
            except Exception as e:
                sys.print_exception(e)
                self.pending = None
                self.fail(e)

    def handle(self, req):
        """One request; True when the firmware is to run on (the answer comes later)."""
        op = req["op"]
        if op in ("step", "advance"):
            if req.get("rx"):
                board.uart.rx.extend(bytes.fromhex(req["rx"]))
            board.target = req["now"] if op == "step" else board.clock + req["ms"]
            board.extra_pass = True  # at least one pass, even when no time passes
            self.pending = op
            return True
        if op == "reset":
            self.pending = op
            raise Reset(req.get("cause", machine.PWRON_RESET))
        if op == "flash":  # mpremote's Ctrl-C: main() stops, its ``finally`` runs
            self.pending = op
            self.copying = (req.get("files", {}), req["ms"])
            raise KeyboardInterrupt()
        if op == "stall":
            self.pending = op
            self.stall(req["ms"])
            self.pending = None
        elif op == "drive":
            self.drive(req["input"], bool(req["active"]))
        elif op == "read_file":
            self.answer({"text": self.read_file(req["path"])})
            return False
        elif op == "exec":  # tests: run MicroPython code next to the firmware, return ``result``
            scope = {}
            exec(req["code"], scope)
            self.answer({"result": scope.get("result")})
            return False
        elif op != "state":
            raise ValueError("unknown op " + op)
        self.answer(self.state())
        return False

    def stall(self, ms):
        """The main loop hangs for ``ms``: time passes, interrupts run, nobody feeds the dog."""
        end = board.clock + ms
        while board.clock < end:
            board.move_to(min(end, board.clock + machine.SLICE))

    def copy(self):
        """mpremote copies files onto the stopped board, then resets it; returns the reset's
        cause. The watchdog main() armed still runs: if it bites first, nothing is written."""
        files, ms = self.copying
        self.flashed = False
        try:
            self.stall(ms)
        except Reset as r:
            return r.cause
        for name, text in files.items():
            with open(name, "w") as f:
                f.write(text)
        self.flashed = True
        return machine.WDT_RESET  # mpremote's reset: machine.reset()

    def drive(self, role, active):
        if role not in _INPUTS:
            raise ValueError("unknown input " + role)
        high = getattr(self.cfg, role.upper() + "_ACTIVE_HIGH")
        board.drive(self.pin(role), 1 if active == high else 0)

    def read_file(self, path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return None

    def halted(self, error):
        """The firmware has stopped: every request fails until the board is reset."""
        sys.modules.pop("app", None)
        stopped = RuntimeError("the firmware stopped: " + type(error).__name__ + ": " + str(error))
        if self.pending:
            self.pending = None
            self.fail(stopped)
        while True:
            req = self.read()
            if req["op"] == "reset":
                self.pending = "reset"
                return req.get("cause", machine.PWRON_RESET)
            self.fail(stopped)

    # -- what the host sees ----------------------------------------------------------------
    def pin(self, role):
        return getattr(self.cfg, role.upper() + "_PIN")

    def waiting(self):
        """The event records waiting for the host: [seq, kind, value]."""
        ring = self.ctl.events
        raw = bytearray(ring.count * 8)
        ring.copy_out(ring.count, raw, 0)
        return [[raw[i] | raw[i + 1] << 8, raw[i + 2], raw[i + 3]] for i in range(0, len(raw), 8)]

    def firmware(self):
        """The running firmware's version, whether it is on trial, and the boot state."""
        import slots

        version = sys.modules["version"].VERSION if "version" in sys.modules else None
        return {"version": list(version or ()), "trial": self.ctl.trial, "slots": slots.load()}

    def state(self):
        pd = self.ctl.pd
        door = self.ctl.door
        tx = board.sent
        board.sent = bytearray()
        return {
            "now": board.clock,
            "ticks": (board.ticks0 + board.clock) & machine.TICKS_MASK,
            "tx": bytes(tx).hex(),
            "outputs": {r: board.energised(self.pin(r)) for r in _OUTPUTS},
            "switched_on": {r: board.rises.get(self.pin(r), 0) for r in _OUTPUTS},
            "inputs": {
                "door": door.door.active,
                "exit": door.exit.active,
                "tamper": door.tamper.active,
                "fire": door.fire.active,
            },
            "online": door.online,
            "secure": pd.sc.active,
            "install_mode": pd.install_mode,
            "key_damaged": pd.key_damaged,
            "mac_failures": pd.mac_failures,
            "decrypt_failures": pd.decrypt_failures,
            "check_errors": pd.check_errors,
            "refused": pd.refused,
            "handshakes": pd.handshakes,
            "seq": pd.seq,
            "forced": door.forced,
            "frames_dropped": self.ctl.framer.dropped,
            "events_waiting": self.ctl.events.count,
            "events": self.waiting(),
            "events_lost": self.ctl.events.lost,
            "boots": self.boots,
            "reset_cause": board.cause,
            "watchdog": board.wdt is not None,
            "maintenance": self.ctl.maintenance,
            "firmware": self.firmware(),
            "address": self.cfg.ADDRESS,
        }


def serve():
    """Run the simulated board until the host closes the line (called by board.mjs)."""
    Host().run()
