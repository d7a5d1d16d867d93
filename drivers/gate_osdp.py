"""The gate through the gate controller (mcu/): the kiosk is the OSDP control panel.

libosdp's ``ControlPanel`` speaks OSDP v2.2 with the secure channel (AES-128, the key in a
file) to the controller over a serial line. ``OsdpController`` owns that link and gives the
kiosk the usual parts: ``gate`` (drivers.base.Gate), ``door`` and ``exit_button``
(drivers.base.Contact, fed by the controller's events) and ``indicator``. The controller
keeps the door safe by itself when this side hangs or the cable is cut (docs/hardware.md);
this side only asks.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import termios
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.lifecycle import Device
from drivers.rs485 import Ioctl, Rs485Mode, set_direction
from kiosk.exc import ConfigError, HardwareError

__all__ = [
    "EVENT_KINDS",
    "ControllerEvent",
    "OsdpController",
    "SerialChannel",
    "load_key",
    "save_key",
]

log = logging.getLogger(__name__)

VENDOR = 0x4B434B  # the controller's osdp_MFG / osdp_MFGREP vendor code (mcu/firmware/pd.py)
MFG_MAINTENANCE = 1  # osdp_MFG command: restart into a maintenance boot (mcu/firmware)
RECORD = 8
EVENT_KINDS = {
    1: "door",
    2: "exit",
    3: "tamper",
    4: "fire",
    5: "held_open",
    6: "forced_open",
    7: "host_link",
    8: "boot",
    9: "egress",
    10: "relay",
    11: "auth_failed",
    12: "key",  # 0 no key, 1 key set (boot or osdp_KEYSET), 2 install mode, 3 key file damaged
    13: "firmware",  # 0 a new firmware gave way to the previous one, 1 on trial, 2 kept
}
_BAUDS = {9600: termios.B9600, 19200: termios.B19200, 38400: termios.B38400,
          57600: termios.B57600, 115200: termios.B115200, 230400: termios.B230400}  # fmt: skip
_OPEN_HINTS = {
    errno.EACCES: "; serial ports belong to the group dialout: put the user running the kiosk"
    " in it (setup.sh does for the kiosk user; by hand: sudo usermod -aG dialout USER)",
    errno.ENOENT: "; check [gate] serial_port: a USB adapter is listed in /dev/serial/by-id/,"
    " the Pi's own UART needs enable_uart=1 (docs/hardware.md, The bus)",
}
_OUT_TEMPORARY_ON = 5
_OUT_PERMANENT_OFF = 1
_OUT_MAX_TENTHS = 0xFFFF  # osdp_OUT's timer: 16 bits of 100 ms
_STATUS_INPUT = 0  # osdp.StatusReportType
_STATUS_OUTPUT = 1
_EVENT_MFGREP = 3  # osdp.Event
_EVENT_STATUS = 4


def load_key(path: Path) -> bytes:
    """The 16-byte secure channel base key from a file of 32 hex digits."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError as e:
        raise ConfigError(
            f"gate.key_file: cannot read {path} ({e.strerror}); "
            "make one with 'kiosk mcu flash' or 'kiosk mcu key'"
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 16:
        raise ConfigError(f"gate.key_file: {path} must hold 32 hex digits (a 128-bit key)")
    return key


def save_key(path: Path, key: bytes) -> None:
    """Replace ``path`` with ``key`` (32 hex digits, mode 600): write, sync, rename, sync.

    After a power cut the file holds the old key or the new one, never half of either.
    """
    if len(key) != 16:
        raise ValueError("a secure channel key is 16 bytes")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _osdp() -> Any:
    try:
        import osdp
    except ImportError:
        raise HardwareError(
            "libosdp is not installed: pip install 'checkpoint-kiosk[osdp]'"
        ) from None
    return osdp


class SerialChannel:
    """A raw, non-blocking serial port (or pseudo-terminal) as libosdp's byte stream.

    ``rs485`` says who drives the RS-485 transceiver's direction (drivers.rs485); ``ioctl``
    replaces fcntl.ioctl for that, in tests.
    """

    def __init__(
        self,
        path: str,
        baud: int,
        rs485: Rs485Mode = "none",
        ioctl: Ioctl | None = None,
    ) -> None:
        if baud not in _BAUDS:
            raise ConfigError(f"gate.baud: {baud} is not one of {sorted(_BAUDS)}")
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as e:
            hint = _OPEN_HINTS.get(e.errno or 0, "")
            raise HardwareError(
                f"cannot open the gate controller's port {path}: {e.strerror}{hint}"
            ) from None
        try:
            tty.setraw(self.fd)
            attrs = termios.tcgetattr(self.fd)
            attrs[4] = attrs[5] = _BAUDS[baud]
            # No modem lines: RTS may be the transceiver's DE (drivers.rs485), and CTS, brought
            # out with it by some overlays, floats; with flow control left on by an earlier
            # program (stty crtscts) nothing would be sent.
            attrs[2] = (attrs[2] | termios.CLOCAL | termios.CREAD) & ~termios.CRTSCTS
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            set_direction(self.fd, rs485, path, ioctl)
        except BaseException:
            os.close(self.fd)
            raise

    def read(self, max_bytes: int) -> bytes:
        try:
            return os.read(self.fd, max_bytes)
        except (BlockingIOError, InterruptedError):
            return b""

    def write(self, buf: bytes) -> int:
        try:
            return os.write(self.fd, buf)
        except (BlockingIOError, InterruptedError):
            return 0

    def flush(self) -> None:
        termios.tcflush(self.fd, termios.TCIFLUSH)

    def close(self) -> None:
        os.close(self.fd)


@dataclass(frozen=True, slots=True)
class ControllerEvent:
    """One event record from the controller: numbered, with the controller's time in ms."""

    seq: int
    kind: str
    value: int
    at_ms: int


class OsdpController(Device):
    """The OSDP control panel for one gate controller; its parts are the kiosk's drivers."""

    def __init__(
        self,
        port: str,
        address: int,
        key: bytes,
        *,
        baud: int = 115200,
        rs485: Rs485Mode = "none",
        max_open_s: float = 10.0,
        reconnect_s: float = 2.0,
        channel: Any = None,
        alarm_output: int = -1,
    ) -> None:
        osdp = _osdp()
        self.address = address
        self.max_open_s = max_open_s
        self.events: list[ControllerEvent] = []  # everything received, in order
        self.duplicates = 0
        self._last_seq: int | None = None
        self._relay = False
        self._inputs = [False] * 4
        self._listeners: list[Callable[[ControllerEvent], None]] = []
        self._lock = threading.Lock()
        self._channel = channel or SerialChannel(port, baud, rs485)
        info = osdp.PDInfo(
            address, _stream(osdp, self._channel), scbk=key, flags=[osdp.LibFlag.EnforceSecure]
        )
        self._cp = osdp.ControlPanel([info], log_level=osdp.LogLevel.Error)
        self._cp.set_event_handler(self._on_event)
        self._cp.start()
        self.gate = RemoteGate(self)
        self.door = RemoteContact(self, 0)
        self.exit_button = RemoteContact(self, 1)
        self.indicator = RemoteIndicator(self)
        # a booth light or siren on one of the controller's outputs (drivers.base.Beacon)
        self.beacon = RemoteBeacon(self, alarm_output) if alarm_output > 0 else None
        self.also_close: list[Callable[[], None]] = []  # e.g. a simulated controller
        self._stop = threading.Event()
        self._reconnect_s = reconnect_s
        self._watch = threading.Thread(target=self._reconnect, name="osdp-link", daemon=True)
        self._watch.start()

    # -- link ---------------------------------------------------------------------------
    @property
    def online(self) -> bool:
        """True while the controller answers over a secure channel."""
        self._check_open()
        return bool(self._cp.is_online(self.address) and self._cp.is_sc_active(self.address))

    def wait_online(self, timeout_s: float) -> bool:
        """Wait (up to ``timeout_s``) for the secure channel; False if it did not come up."""
        stop = threading.Event()
        for _ in range(max(1, int(timeout_s / 0.02))):
            if self.online:
                return True
            stop.wait(0.02)
        return self.online

    def submit(self, command: dict[str, Any]) -> None:
        """Queue one OSDP command; HardwareError when the controller is not reachable."""
        self._check_open()
        if not self.online:
            raise HardwareError(f"gate controller {self.address} is offline")
        if not self._cp.submit_command(self.address, command):
            raise HardwareError("libosdp refused the command (queue full?)")

    def change_key(self, new_key: bytes, timeout_s: float = 10.0) -> None:
        """osdp_KEYSET in the running secure session: the controller's SCBK becomes ``new_key``.

        Returns once the controller has acknowledged it (libosdp then uses the new key for
        the next session); HardwareError when it refused or did not answer in time.
        """
        done = threading.Event()
        outcome: list[int] = []

        def completed(_address: int, command: dict[str, Any], status: int) -> None:
            if command.get("command") == _command("Keyset"):
                outcome.append(status)
                done.set()

        self._cp.set_command_completion_handler(completed)
        self.submit({"command": _command("Keyset"), "type": 1, "data": bytes(new_key)})
        if not done.wait(timeout_s):
            raise HardwareError(f"gate controller {self.address} did not answer osdp_KEYSET")
        if outcome[0] != 0:
            raise HardwareError(
                f"gate controller {self.address} refused the new key (osdp_KEYSET status"
                f" {outcome[0]}); its old key stays in force"
            )

    def maintenance_boot(self, timeout_s: float = 10.0) -> None:
        """Restart the controller into its maintenance boot: no watchdog and silent on the
        bus until mpremote has copied new files (mcu/firmware/maintenance.py)."""
        self.submit({"command": _command("Manufacturer"), "vendor_code": VENDOR,
                     "data": bytes([MFG_MAINTENANCE])})  # fmt: skip
        stop = threading.Event()
        for _ in range(max(1, int(timeout_s / 0.05))):
            if not self._cp.is_online(self.address):
                return  # it stopped answering: restarted into the maintenance boot
            stop.wait(0.05)
        raise HardwareError(
            f"gate controller {self.address} still answers after the maintenance request:"
            " its firmware predates maintenance boots or refused it; see docs/hardware.md,"
            " 'Updating the firmware'"
        )

    @property
    def firmware_version(self) -> str:
        """The controller's firmware version from its osdp_PDID, e.g. "1.1.0" ("" unknown)."""
        self._check_open()
        try:
            number = self._cp.get_pd_id(self.address).firmware_version
        except (AttributeError, KeyError, UnboundLocalError):  # no osdp_PDID seen yet
            return ""
        return f"{number >> 16 & 0xFF}.{number >> 8 & 0xFF}.{number & 0xFF}"

    def send_file(self, file_id: int, data: bytes) -> None:
        """Start an osdp_FILETRANSFER of ``data`` as file ``file_id`` (libosdp sends the
        fragments between its other commands; ``file_progress`` follows it)."""

        def read(size: int, offset: int) -> bytes:
            # libosdp's binding fails on an empty answer; past the end the controller
            # refuses the extra byte (more than the size it was given)
            return data[offset : offset + size] or b"\x00"

        fops = {"open": lambda _id, _size: len(data), "read": read,
                "write": lambda _data, _offset: -1, "close": lambda _id: None}  # fmt: skip
        self._check_open()
        self._cp.register_file_ops(self.address, fops)
        self.submit({"command": _command("FileTransfer"), "id": file_id, "flags": 0})

    def end_file(self) -> None:
        """Forget the file transfer on this side (registering file ops resets libosdp's
        transfer state), so it sends nothing more of it after the controller restarted."""
        self._check_open()
        self._cp.register_file_ops(self.address, _NO_FILE)

    def file_progress(self) -> tuple[int, int] | None:
        """(bytes acknowledged, size) of the running file transfer; None when none runs."""
        self._check_open()
        status = self._cp.get_file_tx_status(self.address)
        return (int(status["offset"]), int(status["size"])) if status else None

    def subscribe(self, listener: Callable[[ControllerEvent], None]) -> None:
        """Call ``listener`` for every new event (from libosdp's thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[ControllerEvent], None]) -> None:
        """Stop calling ``listener``."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def refresh_status(self) -> None:
        """Ask the controller for its input and output status (osdp_ISTAT, osdp_OSTAT)."""
        for report in (_STATUS_INPUT, _STATUS_OUTPUT):
            self.submit({"command": _command("Status"), "type": report})

    def _reconnect(self) -> None:
        # libosdp waits minutes before it retries an offline device; a gate wants seconds.
        was_online = False
        while not self._stop.wait(self._reconnect_s):
            if self.closed:
                return
            if not self._cp.is_online(self.address):
                was_online = False
                self._cp.disable_pd(self.address)
                self._cp.enable_pd(self.address)
            elif not was_online and self.online:
                was_online = True
                with contextlib.suppress(HardwareError):
                    self.refresh_status()  # what changed while the link was down

    # -- events -------------------------------------------------------------------------
    def _on_event(self, _pd: int, event: dict[str, Any]) -> int:
        kind = event.get("event")
        if kind == _EVENT_MFGREP and event.get("vendor_code") == VENDOR:
            data = event.get("data", b"")
            for off in range(0, len(data) - RECORD + 1, RECORD):
                self._record(data[off : off + RECORD])
        elif kind == _EVENT_STATUS and event.get("report"):
            report = event["report"]
            if event.get("type") == _STATUS_OUTPUT:
                self._relay = bool(report[0])
            elif event.get("type") == _STATUS_INPUT and len(report) >= 4:
                self._inputs = [bool(b) for b in report[:4]]
        return 0

    def _record(self, raw: bytes) -> None:
        seq = raw[0] | raw[1] << 8
        kind = EVENT_KINDS.get(raw[2], f"kind{raw[2]}")
        at_ms = int.from_bytes(raw[4:8], "little")
        with self._lock:
            # A reply lost and sent again, or sent again after the link restarted: seen already.
            if (
                kind != "boot"
                and self._last_seq is not None
                and not 0 < (seq - self._last_seq) % 65536 < 32768
            ):
                self.duplicates += 1
                return
            self._last_seq = seq
            record = ControllerEvent(seq, kind, raw[3], at_ms)
            self.events.append(record)
        if kind == "relay":
            self._relay = bool(raw[3])
        elif kind == "boot":
            self._relay = False  # a controller starts with the relay off
        elif kind in ("door", "exit", "tamper", "fire"):
            self._inputs[("door", "exit", "tamper", "fire").index(kind)] = bool(raw[3])
        for listener in list(self._listeners):
            listener(record)

    def _release(self) -> None:
        self._stop.set()
        self._watch.join(5)
        self._cp.stop()
        self._channel.close()
        for closer in self.also_close:
            closer()


class RemoteGate:
    """The relay on the controller (drivers.base.Gate): commands out, status back."""

    def __init__(self, ctl: OsdpController) -> None:
        self._ctl = ctl

    @property
    def controller(self) -> OsdpController:
        """The controller behind this relay (a fleet update sends it its firmware)."""
        return self._ctl

    @property
    def is_open(self) -> bool:
        return self._ctl._relay

    def open(self, seconds: float) -> None:
        """Pulse the relay for ``seconds``; the controller enforces its own maximum too."""
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"open time must be a positive number of seconds, got {seconds}")
        tenths = math.ceil(min(seconds, self._ctl.max_open_s) * 10)
        self._ctl.submit({"command": _command("Output"), "output_no": 0,
                          "control_code": _OUT_TEMPORARY_ON, "timer_count": tenths})  # fmt: skip

    def close_gate(self) -> None:
        if self._ctl.closed or not self._relay_known_or_online():
            return  # unreachable: the controller drops the relay by itself
        self._ctl.submit({"command": _command("Output"), "output_no": 0,
                          "control_code": _OUT_PERMANENT_OFF, "timer_count": 0})  # fmt: skip

    def _relay_known_or_online(self) -> bool:
        return self._ctl.online

    def close(self) -> None:
        """Drop the relay and close the link (the gate is the last user of it)."""
        try:
            self.close_gate()
        finally:
            self._ctl.close()


class RemoteBeacon:
    """A booth light or siren on the controller's output ``output`` (drivers.base.Beacon),
    switched with a timed osdp_OUT, so the controller turns it off on time by itself."""

    def __init__(self, ctl: OsdpController, output: int) -> None:
        self._ctl = ctl
        self.output = output

    def light_for(self, seconds: float) -> None:
        """On now, off again after ``seconds`` (a newer call starts the time again)."""
        tenths = min(_OUT_MAX_TENTHS, max(1, math.ceil(seconds * 10)))
        try:
            self._ctl.submit({"command": _command("Output"), "output_no": self.output,
                              "control_code": _OUT_TEMPORARY_ON,
                              "timer_count": tenths})  # fmt: skip
        except HardwareError as e:  # the alarm itself is on the screen and in the log
            log.warning("booth light on the gate controller not switched on: %s", e)

    def close(self) -> None:
        pass


class RemoteContact:
    """Door contact or exit button wired to the controller (drivers.base.Contact)."""

    def __init__(self, ctl: OsdpController, index: int) -> None:
        self._ctl = ctl
        self._index = index
        self._callback: Callable[[bool], None] | None = None
        ctl.subscribe(self._on_event)

    @property
    def active(self) -> bool:
        return self._ctl._inputs[self._index]

    def when_changed(self, callback: Callable[[bool], None] | None) -> None:
        self._callback = callback

    def _on_event(self, event: ControllerEvent) -> None:
        if event.kind == ("door", "exit")[self._index] and self._callback is not None:
            self._callback(bool(event.value))

    def close(self) -> None:
        self._callback = None


class RemoteIndicator:
    """LEDs and buzzer on the controller (drivers.base.Indicator) via osdp_LED / osdp_BUZ.

    The patterns are the gpio back end's (``drivers.gpio.PATTERNS``), in OSDP's 100 ms units.
    """

    def __init__(self, ctl: OsdpController) -> None:
        self._ctl = ctl
        self.pattern = "idle"

    def show(self, pattern: str) -> None:
        from drivers.gpio import pattern_of

        beeps, green, red = pattern_of(pattern)
        self.pattern = pattern
        if not self._ctl.online:
            return  # the controller shows its own state while the link is down
        colour = 2 if green != "off" else 1 if red != "off" else 0  # OSDP: 1 red, 2 green
        blink = "blink" in (green, red)
        self._ctl.submit({"command": _command("LED"), "reader": 0, "led_number": 0,
                          "control_code": 1, "on_count": 5 if blink else 1,
                          "off_count": 5 if blink else 0, "on_color": colour, "off_color": 0,
                          "temporary": False})  # fmt: skip
        if beeps is None:
            buzz = {"control_code": 1, "on_count": 0, "off_count": 0, "rep_count": 0}
        else:
            on_s, off_s, times = beeps
            buzz = {"control_code": 2, "on_count": max(1, round(on_s * 10)),
                    "off_count": round(off_s * 10), "rep_count": times or 0}  # fmt: skip
        self._ctl.submit({"command": _command("Buzzer"), "reader": 0, **buzz})

    def close(self) -> None:
        pass


_NO_FILE = {"open": lambda _id, _size: -1, "read": lambda _size, _offset: b"\x00",
            "write": lambda _data, _offset: -1, "close": lambda _id: None}  # fmt: skip


def _stream(osdp: Any, channel: Any) -> Any:
    """libosdp wants a subclass of its ``Channel``; this one hands the calls on."""

    class _Stream(osdp.Channel):
        def read(self, max_bytes: int) -> bytes:
            return bytes(channel.read(max_bytes))

        def write(self, buf: bytes) -> int:
            return int(channel.write(buf))

        def flush(self) -> None:
            channel.flush()

    return _Stream()


def _command(name: str) -> int:
    return int(getattr(_osdp().Command, name))
