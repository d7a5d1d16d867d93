"""Who drives an RS-485 transceiver's driver-enable (DE) line on the kiosk's side of the bus.

RS-485 is half duplex: the transceiver may drive the pair only while this side sends, and must
let go before the controller answers. Three wirings, one ``[gate] rs485`` value each
(docs/hardware.md, "The bus"):

- ``"kernel-rts"``: DE on the UART's RTS pin, switched by the kernel's RS-485 mode
  (``TIOCSRS485``): RTS at its "on" level from the first bit out until the last stop bit has
  left the shift register, then back. ``"kernel-rts-inverted"`` for boards where that level
  comes out the other way round.
- ``"auto"``: an auto-direction transceiver or a USB RS-485 adapter switches by itself; the
  kernel's RS-485 mode is switched off where a device tree left it on, so RTS stays still.
- ``"none"``: the port is left as it is (a USB-serial cable on the bench, a pseudo-terminal).

pyserial has the same ioctl inside ``serial.Serial`` (``rs485_mode``), but only on a port that
pyserial opened, and it turns every refusal into a ValueError without the errno; here the
ioctl comes in as an argument, so tests record the calls, and a refusal names what to do.
"""

from __future__ import annotations

import errno
import fcntl
import struct
from collections.abc import Callable
from typing import Any, Literal

from kiosk.exc import HardwareError

__all__ = ["RS485_LAYOUT", "TIOCGRS485", "TIOCSRS485", "Ioctl", "Rs485Mode", "set_direction"]

Rs485Mode = Literal["none", "auto", "kernel-rts", "kernel-rts-inverted"]

# include/uapi/asm-generic/ioctls.h (arm, arm64 and x86 use the generic numbers)
TIOCGRS485 = 0x542E
TIOCSRS485 = 0x542F
# include/uapi/linux/serial.h, struct serial_rs485: __u32 flags, __u32 delay_rts_before_send,
# __u32 delay_rts_after_send, then a union of 5 * __u32 (padding, or the addressing mode's
# bytes): 32 bytes. Only the first three are ours; the rest is kept as the kernel gave it.
RS485_LAYOUT = struct.Struct("=3I20s")
SER_RS485_ENABLED = 1 << 0
SER_RS485_RTS_ON_SEND = 1 << 1
SER_RS485_RTS_AFTER_SEND = 1 << 2
SER_RS485_RX_DURING_TX = 1 << 4

# A call like fcntl.ioctl(fd, request, buffer, True): fills or reads ``buffer`` in place.
Ioctl = Callable[[int, int, bytearray], Any]


def set_direction(fd: int, mode: Rs485Mode, port: str, ioctl: Ioctl | None = None) -> None:
    """Put the open serial port ``fd`` into ``mode``; HardwareError when the port refuses it."""
    if mode == "none":
        return
    call = ioctl or _ioctl
    current = bytearray(RS485_LAYOUT.size)
    try:
        call(fd, TIOCGRS485, current)
    except OSError as e:
        if mode == "auto" and e.errno in (errno.ENOTTY, errno.EINVAL):
            return  # no RS-485 mode on this port: nothing to switch off
        raise _refused(port, mode, e) from None
    flags, _before, _after, rest = RS485_LAYOUT.unpack(current)
    wanted = _flags(flags, mode)
    if mode == "auto" and wanted == flags:
        return
    # No delays: the kernel already waits for the shift register to empty before it drops
    # RTS, and the controller answers within a character time, so any wait would lose its reply.
    request = bytearray(RS485_LAYOUT.pack(wanted, 0, 0, rest))
    try:
        call(fd, TIOCSRS485, request)
    except OSError as e:
        raise _refused(port, mode, e) from None


def _flags(flags: int, mode: str) -> int:
    """The flags word for ``mode``; bits this module does not own are kept."""
    ours = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND | SER_RS485_RTS_AFTER_SEND
    kept = flags & ~ours & ~SER_RS485_RX_DURING_TX  # half duplex: do not hear our own frames
    if mode == "auto":
        return flags & ~SER_RS485_ENABLED
    if mode == "kernel-rts":
        return kept | SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND
    return kept | SER_RS485_ENABLED | SER_RS485_RTS_AFTER_SEND  # kernel-rts-inverted


def _refused(port: str, mode: str, e: OSError) -> HardwareError:
    if e.errno in (errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP):
        return HardwareError(
            f'gate.rs485 = "{mode}": {port} has no kernel RS-485 mode ({e.strerror}). Use the'
            ' Pi\'s own UART with RTS on GPIO17 (docs/hardware.md, "The bus"), or, for an'
            ' auto-direction transceiver or a USB RS-485 adapter, set rs485 = "auto".'
        )
    return HardwareError(f'gate.rs485 = "{mode}": {port} refused RS-485 mode ({e.strerror})')


def _ioctl(fd: int, request: int, buffer: bytearray) -> Any:
    return fcntl.ioctl(fd, request, buffer, True)
