"""Runs the gate controller firmware against the simulated ``machine``, one request at a time.

The host (drivers/gate_osdp_sim.py, through board.mjs) sends JSON requests: move the clock
and pass UART bytes, drive an input, stall the main loop, reset. Each answer carries the
bytes the firmware sent and the state of its outputs. The clock is the host's, so tests
decide exactly when time passes; the firmware sees it as ``time.ticks_ms()`` values that
start at ``ticks0`` and wrap at 2**30 as on the board.
"""

import json
import sys

import machine
from machine import board

_FIRMWARE = (
    "settings", "link", "events", "sc", "aes", "door", "signals", "keys", "maintenance", "pd",
    "controller", "main",
)  # fmt: skip
_OUTPUTS = ("relay", "green", "red", "buzzer")
_INPUTS = ("door", "exit", "tamper", "fire")
_SLICE = 5  # ms: the main loop runs at least this often when the clock is moved on
_TICKS_MASK = 0x3FFFFFFF  # ticks_ms() wraps at 2**30 on the rp2 port (and in this VM)


class _Random:
    """A xorshift generator standing in for os.urandom (the WebAssembly build has none)."""

    def __init__(self, seed):
        self.x = seed or 1

    def __call__(self, n):
        out = bytearray(n)
        for i in range(n):
            x = self.x
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            self.x = x
            out[i] = x & 0xFF
        return bytes(out)


class Sim:
    def __init__(self, seed, ticks0=0):
        self.random = _Random(seed)
        self.boots = 0
        self.now = 0
        self.ticks0 = ticks0
        import settings

        cfg = settings.load()
        for role in _INPUTS:  # the world at rest: door shut, nothing pressed, no alarm
            high = getattr(cfg, role.upper() + "_ACTIVE_HIGH")
            board.drive(getattr(cfg, role.upper() + "_PIN"), 0 if high else 1)
        self.boot(machine.PWRON_RESET)

    def boot(self, cause):
        board.power_cycle(cause)
        for name in _FIRMWARE:
            sys.modules.pop(name, None)
        import main
        import settings

        self.main = main
        self.cfg = settings.load()
        self.boots += 1
        self.ctl, self.wdt = main.start(machine, self.cfg, self.ticks(), self.random)

    def ticks(self):
        """What ``time.ticks_ms()`` would read now."""
        return (self.ticks0 + self.now) & _TICKS_MASK

    def pin(self, role):
        return getattr(self.cfg, role.upper() + "_PIN")

    def run_until(self, now, rx):
        """The main loop runs from the current time to ``now``; ``rx`` arrives at the start."""
        if rx:
            board.uart.rx.extend(rx)
        while True:
            self.now = min(now, self.now + _SLICE) if now > self.now else self.now
            board.clock = self.now
            board.run_timers()
            if board.watchdog_expired():
                self.boot(machine.WDT_RESET)
            try:
                self.main.step(self.ctl, self.wdt, self.ticks())
            except machine.Reset:
                self.boot(machine.WDT_RESET)
            if self.now >= now:
                break

    def stall(self, ms):
        """The main loop hangs for ``ms``: time passes, interrupts run, nobody feeds the dog."""
        end = self.now + ms
        while self.now < end:
            self.now = min(end, self.now + _SLICE)
            board.clock = self.now
            board.run_timers()
            if board.watchdog_expired():
                self.boot(machine.WDT_RESET)
                return True
        return False

    def flash(self, ms, files):
        """What mpremote does: interrupt main.py (Ctrl-C), copy ``files`` for ``ms``, reset.

        Returns False when the watchdog reset the board before the copy was done (then
        nothing was written: the board boots the old files)."""
        self.main.stop(self.ctl)
        if self.stall(ms):
            return False
        for name, text in files.items():
            with open(name, "w") as f:
                f.write(text)
        self.boot(machine.WDT_RESET)  # mpremote reset: machine.reset()
        return True

    def waiting(self):
        """The event records waiting for the host: [seq, kind, value]."""
        ring = self.ctl.events
        raw = bytearray(ring.count * 8)
        ring.copy_out(ring.count, raw, 0)
        return [[raw[i] | raw[i + 1] << 8, raw[i + 2], raw[i + 3]] for i in range(0, len(raw), 8)]

    def state(self):
        pd = self.ctl.pd
        door = self.ctl.door
        tx = board.sent
        board.sent = bytearray()
        return {
            "now": self.now,
            "ticks": self.ticks(),
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
            "watchdog": board.wdt is not None,
            "maintenance": self.ctl.maintenance,
            "reset_cause": board.cause,
            "address": self.cfg.ADDRESS,
        }


_sim = None


def handle(line):
    """Serve one JSON request; returns the JSON answer."""
    global _sim
    try:
        req = json.loads(line)
        op = req["op"]
        if op == "boot":
            _sim = Sim(req.get("seed", 1), req.get("ticks0", 0))
        elif op == "step":
            _sim.run_until(req["now"], bytes.fromhex(req.get("rx", "")))
        elif op == "advance":
            _sim.run_until(_sim.now + req["ms"], bytes.fromhex(req.get("rx", "")))
        elif op == "stall":
            _sim.stall(req["ms"])
        elif op == "flash":
            flashed = _sim.flash(req["ms"], req.get("files", {}))
            answer = _sim.state()
            answer.update(ok=True, flashed=flashed)
            return json.dumps(answer)
        elif op == "drive":
            role = req["input"]
            if role not in _INPUTS:
                raise ValueError("unknown input " + role)
            high = getattr(_sim.cfg, role.upper() + "_ACTIVE_HIGH")
            board.drive(_sim.pin(role), 1 if bool(req["active"]) == high else 0)
        elif op == "reset":
            _sim.boot(req.get("cause", machine.PWRON_RESET))
        elif op == "read_file":
            try:
                with open(req["path"]) as f:
                    return json.dumps({"ok": True, "text": f.read()})
            except OSError:
                return json.dumps({"ok": True, "text": None})
        elif op == "exec":  # tests: run MicroPython code next to the firmware, return ``result``
            scope = {}
            exec(req["code"], scope)
            return json.dumps({"ok": True, "result": scope.get("result")})
        elif op != "state":
            raise ValueError("unknown op " + op)
        answer = _sim.state()
        answer["ok"] = True
        return json.dumps(answer)
    except Exception as e:
        sys.print_exception(e)
        return json.dumps({"ok": False, "error": type(e).__name__ + ": " + str(e)})
