"""The kiosk's end of the RS-485 bus: its serial port on a real pseudo-terminal, and the
kernel's RS-485 mode (TIOCSRS485, RTS as the transceiver's DE) against a recording ioctl."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import termios
from pathlib import Path
from typing import Any

import pytest

from drivers.gate_osdp import SerialChannel
from drivers.rs485 import (
    RS485_LAYOUT,
    SER_RS485_ENABLED,
    SER_RS485_RTS_AFTER_SEND,
    SER_RS485_RTS_ON_SEND,
    SER_RS485_RX_DURING_TX,
    TIOCGRS485,
    TIOCSRS485,
    set_direction,
)
from kiosk.config import load_config
from kiosk.exc import ConfigError, HardwareError

PADDING = bytes(range(1, 21))  # what a kernel keeps after the delays (addressing mode bytes)


class FakeIoctl:
    """A port whose driver has an RS-485 mode: answers TIOCGRS485, records every call."""

    def __init__(self, flags: int = 0, refuse: int | None = None, refuse_set: bool = False):
        self.state = RS485_LAYOUT.pack(flags, 7, 9, PADDING)
        self.calls: list[tuple[int, int, bytes]] = []
        self.refuse = refuse
        self.refuse_set = refuse_set

    def __call__(self, fd: int, request: int, buffer: bytearray) -> int:
        self.calls.append((fd, request, bytes(buffer)))
        if self.refuse is not None and (self.refuse_set is (request == TIOCSRS485)):
            raise OSError(self.refuse, os.strerror(self.refuse))
        if request == TIOCGRS485:
            buffer[:] = self.state
        elif request == TIOCSRS485:
            self.state = bytes(buffer)
        return 0

    def sets(self) -> list[tuple[int, int, int, bytes]]:
        return [RS485_LAYOUT.unpack(raw) for _, req, raw in self.calls if req == TIOCSRS485]


@pytest.fixture
def pty() -> Any:
    controller, port = os.openpty()
    path = os.ttyname(port)
    os.close(port)  # the channel opens the port by its path, as on a Pi
    yield controller, path
    os.close(controller)


# --- the struct handed to the kernel -------------------------------------------------------------
@pytest.mark.skipif(
    shutil.which("cc") is None or not Path("/usr/include/linux/serial.h").exists(),
    reason="needs a C compiler and the kernel's headers (linux-libc-dev) to read the layout",
)
def test_the_struct_is_the_kernels_serial_rs485(tmp_path: Path) -> None:
    source = tmp_path / "layout.c"
    source.write_text(
        "#include <stdio.h>\n#include <stddef.h>\n#include <linux/serial.h>\n"
        '#include <asm/ioctls.h>\nint main(void) { printf("%zu %zu %zu %zu %d %d %d %d %d",'
        " sizeof(struct serial_rs485), offsetof(struct serial_rs485, delay_rts_before_send),"
        " offsetof(struct serial_rs485, delay_rts_after_send), offsetof(struct serial_rs485,"
        " padding), TIOCGRS485, TIOCSRS485, SER_RS485_ENABLED, SER_RS485_RTS_ON_SEND,"
        " SER_RS485_RTS_AFTER_SEND); return 0; }\n"
    )
    subprocess.run(["cc", "-o", str(tmp_path / "layout"), str(source)], check=True)
    got = subprocess.run([str(tmp_path / "layout")], capture_output=True, text=True, check=True)
    ours = (RS485_LAYOUT.size, 4, 8, 12, TIOCGRS485, TIOCSRS485, SER_RS485_ENABLED,
            SER_RS485_RTS_ON_SEND, SER_RS485_RTS_AFTER_SEND)  # fmt: skip
    assert tuple(map(int, got.stdout.split())) == ours


# --- kernel-rts: RTS is DE ----------------------------------------------------------------------
def test_kernel_rts_raises_rts_while_sending_and_drops_it_after() -> None:
    ioctl = FakeIoctl(flags=SER_RS485_RX_DURING_TX | SER_RS485_RTS_AFTER_SEND)
    set_direction(5, "kernel-rts", "/dev/ttyAMA0", ioctl)
    assert [(fd, req) for fd, req, _ in ioctl.calls] == [(5, TIOCGRS485), (5, TIOCSRS485)]
    [(flags, before, after, rest)] = ioctl.sets()
    assert flags == SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND
    assert (before, after) == (0, 0)  # a wait after sending would miss the controller's reply
    assert rest == PADDING  # the rest of the struct goes back as the kernel gave it


def test_kernel_rts_inverted_swaps_the_two_levels() -> None:
    ioctl = FakeIoctl(flags=SER_RS485_RTS_ON_SEND)
    set_direction(5, "kernel-rts-inverted", "/dev/ttyAMA0", ioctl)
    [(flags, _, _, _)] = ioctl.sets()
    assert flags == SER_RS485_ENABLED | SER_RS485_RTS_AFTER_SEND


def test_auto_turns_off_an_rs485_mode_left_on_and_otherwise_changes_nothing() -> None:
    left_on = FakeIoctl(flags=SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND)
    set_direction(5, "auto", "/dev/ttyAMA0", left_on)
    assert [flags & SER_RS485_ENABLED for flags, *_ in left_on.sets()] == [0]
    already_off = FakeIoctl(flags=0)
    set_direction(5, "auto", "/dev/ttyAMA0", already_off)
    assert already_off.sets() == []
    no_mode = FakeIoctl(refuse=errno.ENOTTY)  # a USB adapter's driver: nothing to turn off
    set_direction(5, "auto", "/dev/ttyUSB0", no_mode)
    assert no_mode.sets() == []


def test_none_leaves_the_port_alone() -> None:
    ioctl = FakeIoctl()
    set_direction(5, "none", "/dev/ttyUSB0", ioctl)
    assert ioctl.calls == []


@pytest.mark.parametrize("code", [errno.ENOTTY, errno.EINVAL])
@pytest.mark.parametrize("on_set", [False, True])
def test_a_port_without_rs485_mode_is_refused_saying_what_to_do(code: int, on_set: bool) -> None:
    ioctl = FakeIoctl(refuse=code, refuse_set=on_set)
    with pytest.raises(HardwareError) as refused:
        set_direction(5, "kernel-rts", "/dev/ttyS0", ioctl)
    text = str(refused.value)
    assert 'gate.rs485 = "kernel-rts"' in text and "/dev/ttyS0" in text
    assert "has no kernel RS-485 mode" in text and 'rs485 = "auto"' in text and "GPIO17" in text


# --- the serial port on a pseudo-terminal -------------------------------------------------------
def test_the_port_is_raw_at_the_configured_speed_and_carries_bytes(pty: Any) -> None:
    controller, path = pty
    channel = SerialChannel(path, 38400)
    try:
        attrs = termios.tcgetattr(channel.fd)
        assert attrs[4] == attrs[5] == termios.B38400
        assert not attrs[3] & (termios.ICANON | termios.ECHO)  # raw: no line editing, no echo
        assert channel.read(64) == b""  # non-blocking: nothing there yet
        frame = bytes([0x53, 0x01, 0x08, 0x00, 0x0D, 0x60, 0x0A, 0x0D])  # \r\n pass unchanged
        assert channel.write(frame) == len(frame)
        assert os.read(controller, 64) == frame
        os.write(controller, frame[::-1])
        assert _read_all(channel, len(frame)) == frame[::-1]
    finally:
        channel.close()


def test_a_port_the_user_may_not_open_says_which_group(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: str, flags: int, mode: int = 0o777) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(os, "open", refuse)  # as root (CI) a real port never refuses
    with pytest.raises(HardwareError, match=r"Permission denied; .*dialout.*usermod -aG dialout"):
        SerialChannel("/dev/ttyAMA0", 115200)


def test_a_missing_port_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(HardwareError, match=r"No such file.*serial_port.*enable_uart=1"):
        SerialChannel(str(tmp_path / "ttyAMA0"), 115200)


def test_flow_control_left_on_by_an_earlier_program_is_turned_off(pty: Any) -> None:
    """With CTS brought out (dtoverlay=uart0-pi5,ctsrts) and floating, nothing would be sent."""
    _, path = pty
    left = os.open(path, os.O_RDWR | os.O_NOCTTY)
    attrs = termios.tcgetattr(left)
    attrs[2] = (attrs[2] | termios.CRTSCTS) & ~termios.CLOCAL  # what `stty crtscts -clocal` leaves
    termios.tcsetattr(left, termios.TCSANOW, attrs)
    channel = SerialChannel(path, 115200)
    try:
        cflag = termios.tcgetattr(channel.fd)[2]
        assert not cflag & termios.CRTSCTS and cflag & termios.CLOCAL
    finally:
        channel.close()
        os.close(left)


def test_the_rs485_mode_is_set_on_the_ports_own_descriptor(pty: Any) -> None:
    _, path = pty
    ioctl = FakeIoctl()
    channel = SerialChannel(path, 115200, "kernel-rts", ioctl)
    try:
        assert {fd for fd, _, _ in ioctl.calls} == {channel.fd}
        assert ioctl.sets()[0][0] == SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND
    finally:
        channel.close()


def test_a_real_pty_refuses_kernel_rts_and_the_port_is_not_left_open(pty: Any) -> None:
    _, path = pty
    with pytest.raises(HardwareError, match="has no kernel RS-485 mode"):
        SerialChannel(path, 115200, "kernel-rts")
    assert path not in _open_files()
    SerialChannel(path, 115200, "auto").close()  # nothing to turn off: fine


def test_the_configured_mode_reaches_the_port(pty: Any, tmp_path: Path) -> None:
    pytest.importorskip("osdp")
    from drivers.timers import ManualTimers
    from kiosk.app import _Parts

    _, path = pty
    key = tmp_path / "gate.key"
    key.write_text("00" * 16)
    config = load_config(None, {"gate.backend": "osdp", "gate.serial_port": path,
                                "gate.key_file": str(key), "gate.rs485": "kernel-rts"})  # fmt: skip
    with pytest.raises(HardwareError, match='rs485 = "kernel-rts"'):
        _Parts(config, False, ManualTimers())._gate_controller().close()


def test_a_misspelt_mode_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r'gate\.rs485.*Did you mean "kernel-rts"'):
        load_config(None, {"gate.rs485": "kernel-rst"})


def _read_all(channel: SerialChannel, n: int) -> bytes:
    got = b""
    for _ in range(1000):
        got += channel.read(n - len(got))
        if len(got) >= n:
            break
    return got


def _open_files() -> set[str]:
    names = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile by another thread
            names.add(os.readlink(fd))
    return names
