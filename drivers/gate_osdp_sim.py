"""The gate controller's firmware running in real MicroPython, for tests and `kiosk mcu sim`.

``FirmwareVm`` starts MicroPython 1.27 (WebAssembly, under Node.js) with the files of
``mcu/firmware`` and a simulated ``machine`` module (``mcu/sim``), and drives it by
request: move the clock, pass UART bytes, press a button, reset the board.
``PtyBridge`` puts that firmware's UART on a pseudo-terminal, in real time, so any OSDP
control panel (the kiosk's ``drivers.gate_osdp``, libosdp's tools) can open it like a
serial port; it can also cut the cable and move the controller's clock on.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.lifecycle import Device
from kiosk.exc import HardwareError

__all__ = ["FIRMWARE_DIR", "MCU_DIR", "FirmwareVm", "PtyBridge", "SimulatorMissing"]

MCU_DIR = Path(__file__).resolve().parents[1] / "mcu"
FIRMWARE_DIR = MCU_DIR / "firmware"
SIM_DIR = MCU_DIR / "sim"
INPUTS = ("door", "exit", "tamper", "fire", "install")
# How far a simulated clock may run ahead of the control panel's last word to the controller:
# well inside the controller's OFFLINE_MS (5 s), so it never takes the host for lost; and,
# while the controller holds events for the panel, about one poll of a real bus.
KEEP_UP_MS = 1000
NEWS_MS = 100


class SimulatorMissing(HardwareError):
    """Node.js or the MicroPython WebAssembly package is not installed."""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise SimulatorMissing("Node.js is not installed: run ./setup.sh --sim (apt nodejs npm)")
    if not (SIM_DIR / "node_modules" / "@micropython").is_dir():
        raise SimulatorMissing(
            f"MicroPython for Node.js is not installed: run 'npm ci --prefix {SIM_DIR}'"
            " (./setup.sh --sim does it)"
        )
    return node


class FirmwareVm(Device):
    """The firmware in a MicroPython VM with simulated pins, UART, watchdog and timers.

    ``key`` is the secure channel base key on the board's flash (None: install mode);
    ``site`` becomes the board's ``config.json`` (address, timings); ``jumper``: the install
    jumper is held from the first boot on. ``files`` adds raw files to the board's flash
    (a damaged key file, say). ``ticks0`` is what the board's ``time.ticks_ms()`` reads at
    power-up (it wraps at 2**30). Every request returns the board's state; UART bytes the
    firmware wrote are in ``state["tx"]`` (hex).
    """

    def __init__(
        self,
        key: bytes | None = None,
        site: dict[str, Any] | None = None,
        *,
        jumper: bool = False,
        files: dict[str, str] | None = None,
        ticks0: int = 0,
        firmware_dir: Path = FIRMWARE_DIR,
    ) -> None:
        files = dict(files or {})
        if key is not None:
            files["scbk.hex"] = key.hex()
        if site:
            files["config.json"] = json.dumps(site)
        self._lock = threading.Lock()
        self._proc = subprocess.Popen(
            [_node(), str(SIM_DIR / "board.mjs"), str(firmware_dir), json.dumps(files)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.state: dict[str, Any] = {}
        self.request("boot", jumper=jumper, ticks0=ticks0)

    def request(self, op: str, **args: Any) -> dict[str, Any]:
        """Send one request to the board; returns its answer (the board's state)."""
        self._check_open()
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock:
            self._proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise HardwareError(f"the MicroPython VM stopped: {err.strip()[-2000:]}")
        answer: dict[str, Any] = json.loads(line)
        if not answer.get("ok"):
            raise HardwareError(f"firmware VM: {op}: {answer.get('error')}")
        if "now" in answer:
            self.state = answer
        return answer

    def step(self, now_ms: int, rx: bytes = b"") -> bytes:
        """Run the main loop up to ``now_ms`` with ``rx`` on the UART; returns what it sent."""
        return bytes.fromhex(self.request("step", now=now_ms, rx=rx.hex())["tx"])

    def advance(self, ms: int, rx: bytes = b"") -> bytes:
        """Let ``ms`` pass (the main loop keeps running); returns what the UART sent."""
        return bytes.fromhex(self.request("advance", ms=ms, rx=rx.hex())["tx"])

    def drive(self, name: str, active: bool) -> None:
        """Put an input (door, exit, tamper, fire, install) in its active or resting state."""
        if name not in INPUTS:
            raise ValueError(f"unknown input {name!r}; choose one of {', '.join(INPUTS)}")
        self.request("drive", input=name, active=active)

    def stall(self, ms: int) -> None:
        """Hang the main loop for ``ms`` (time passes, nobody feeds the watchdog)."""
        self.request("stall", ms=ms)

    def flash(self, ms: int, files: dict[str, str]) -> bool:
        """Do what mpremote does: interrupt main.py, copy ``files`` (taking ``ms``), reset.

        False when the board's watchdog reset it before the copy was done."""
        return bool(self.request("flash", ms=ms, files=files)["flashed"])

    def reset(self) -> None:
        """Press the board's reset button (or glitch its power)."""
        self.request("reset")

    def read_file(self, name: str) -> str | None:
        """A file on the board's flash, or None."""
        text: str | None = self.request("read_file", path=name)["text"]
        return text

    def run_python(self, code: str) -> Any:
        """Run MicroPython ``code`` next to the firmware's modules; returns its ``result``."""
        return self.request("exec", code=code)["result"]

    @property
    def relay(self) -> bool:
        return bool(self.state["outputs"]["relay"])

    def _release(self) -> None:
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()
        self._proc.kill()
        self._proc.wait()


class PtyBridge(Device):
    """The VM's UART on a pseudo-terminal, pumped in real time by a thread.

    The controller's clock is ``clock`` (seconds; real time unless a simulation gives its
    own) plus ``offset_ms``: ``advance(ms)`` moves it on at once (a long wait without
    waiting); ``freeze()`` stops it following ``clock``, so only ``advance`` moves it (a
    deadline checked to the millisecond on a busy machine); ``connected = False`` cuts the
    cable. On a simulated clock, ``keep_up`` holds that clock back until the control panel,
    which polls in real time, has caught up with it.
    """

    def __init__(
        self,
        vm: FirmwareVm,
        *,
        poll_s: float = 0.001,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.vm = vm
        self.connected = True
        self.offset_ms = 0
        self.sniffed = bytearray()  # every byte the control panel sent
        self.injected_replies: list[bytes] = []
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._clock = clock
        self._t0 = clock()
        self._frozen_ms: int | None = None
        self.heard_ms = 0  # the controller's time when the control panel last sent it bytes
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, name="mcu-pty", daemon=True)
        self._thread.start()

    def now_ms(self) -> int:
        if self._frozen_ms is not None:
            return self._frozen_ms + self.offset_ms
        return int((self._clock() - self._t0) * 1000) + self.offset_ms

    def freeze(self) -> None:
        """From now on the controller's clock moves only by ``advance``."""
        with self._lock:
            self._frozen_ms = self.now_ms() - self.offset_ms

    def advance(self, ms: int) -> None:
        """Move the controller's clock on by ``ms`` (its main loop runs through it)."""
        with self._lock:
            self.offset_ms += ms
            self._exchange(b"")

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """A request to the VM between two pump steps (drive an input, reset, ...)."""
        with self._lock:
            return self.vm.request(op, **args)

    def inject(self, data: bytes) -> None:
        """Put bytes on the controller's line as if a third party sent them."""
        with self._lock:
            tx = self.vm.step(self.now_ms(), data)
            self.injected_replies.append(tx)

    def _pump(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], self._poll_s)
            rx = b""
            if ready:
                try:
                    rx = os.read(self._master, 4096)
                except OSError:
                    rx = b""
            with self._lock:
                try:
                    self._exchange(rx)
                except (HardwareError, ValueError):
                    if self.vm.closed or self._stop.is_set():
                        return
                    raise

    def keep_up(self, timeout_s: float = 10.0) -> None:
        """Wait (in real time) until the control panel, which polls in real time, has caught
        up with a simulated clock: it sent the controller something within ``KEEP_UP_MS``
        (else the controller takes the host for gone), or within ``NEWS_MS`` while the
        controller holds events for it (so it hears of them about as soon as on a bus)."""
        if self.closed:
            return
        self.advance(0)  # the controller's main loop up to the clock, for its events
        pause = threading.Event()
        for _ in range(int(timeout_s / 0.002)):
            news = bool(self.vm.state.get("events_waiting"))
            if self.closed or self.now_ms() - self.heard_ms <= (NEWS_MS if news else KEEP_UP_MS):
                return
            pause.wait(0.002)
        raise HardwareError(
            f"the simulated gate controller heard nothing from its control panel for"
            f" {timeout_s:.0f} s: is libosdp still polling {self.path}?"
        )

    def _exchange(self, rx: bytes) -> None:
        now = self.now_ms()
        if self.connected:
            self.sniffed += rx
            if rx:
                self.heard_ms = now
        tx = self.vm.step(now, rx if self.connected else b"")
        if tx and self.connected:
            os.write(self._master, tx)

    def _release(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self._master)
        os.close(self._slave)
