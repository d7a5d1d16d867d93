"""An emulated MLX90614 on an emulated I2C bus, for the simulated thermometer back end.

``EmulatedMlx90614`` answers ``smbus2.SMBus.i2c_rdwr`` with the same ``i2c_msg`` objects the
kernel would get, so the simulated kiosk runs the device's own code path down to the ioctl:
``Mlx90614Thermometer(EmulatedMlx90614())``. It also speaks the ``busio.I2C`` interface that
``adafruit_bus_device`` uses, so with ``[thermometer] driver = "adafruit"`` Adafruit's own
``adafruit_mlx90614`` driver reads the same chip:
``AdafruitMlx90614Thermometer(EmulatedMlx90614())``. Faults can be injected to see the kiosk
react to a flaky or missing sensor.
"""

from __future__ import annotations

import ctypes
import errno
import random
from enum import StrEnum
from typing import Any, Self

from drivers.mlx90614 import (
    AMBIENT,
    DEFAULT_ADDRESS,
    OBJECT,
    celsius_to_raw,
    read_word_frame,
    smbus_pec,
)

__all__ = ["EmulatedMlx90614", "Fault"]

TOBJ2 = 0x08
EEPROM = 0x20  # EEPROM commands are 0x20 | cell address
SMBUS_ADDRESS_CELL = EEPROM | 0x0E
I2C_M_RD = 0x0001  # linux/i2c.h: this message reads
# Factory EEPROM words that a driver might read (To max/min, PWM, Ta range, emissivity 1.0,
# config, SMBus address 0x5A, and an ID).
FACTORY_EEPROM = {
    0x20: 0x9993,
    0x21: 0x62E3,
    0x22: 0x0201,
    0x23: 0xF71C,
    0x24: 0xFFFF,
    0x25: 0x9FB4,
    SMBUS_ADDRESS_CELL: 0xBE00 | DEFAULT_ADDRESS,
    0x3C: 0x1A2B,
    0x3D: 0x3C4D,
    0x3E: 0x5E6F,
    0x3F: 0x7081,
}


class Fault(StrEnum):
    """Faults ``EmulatedMlx90614.inject`` can put on the bus."""

    NONE = "none"
    NACK = "nack"  # the next reads are not acknowledged (transient)
    CORRUPT = "corrupt"  # bits flip on the wire; the PEC no longer matches (transient)
    ERROR_FLAG = "error_flag"  # the sensor answers 0xFFFF with a valid PEC
    STUCK = "stuck"  # the RAM stops updating: the last values repeat forever
    UNPLUGGED = "unplugged"  # nothing answers, not even the probe


def _nack() -> OSError:
    # What Linux i2c-dev raises when the device does not acknowledge.
    return OSError(errno.EREMOTEIO, "Remote I/O error")


class EmulatedMlx90614:
    """An I2C bus (``smbus2.SMBus``-like and ``busio.I2C``-like) with one emulated MLX90614.

    ``ambient_c``: the die temperature. ``noise_c``: standard deviation of Gaussian noise on
    each object read (a live sensor always jitters a little), from a seeded RNG.
    """

    def __init__(
        self,
        ambient_c: float = 22.0,
        *,
        address: int = DEFAULT_ADDRESS,
        noise_c: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.address = address
        self.eeprom = dict(FACTORY_EEPROM)
        self.noise_c = noise_c
        self._rng = random.Random(seed)
        self._ambient_c = ambient_c
        self._object_c: float | None = None
        self._fault = Fault.NONE
        self._fault_reads = 0
        self._frozen: dict[int, int] = {}
        self._locked = False
        self._corrupted = 0
        self.transactions = 0

    # --- controls -------------------------------------------------------------------------
    def set_ambient(self, celsius: float) -> None:
        """Set the die (room) temperature."""
        self._ambient_c = celsius

    def set_object(self, celsius: float | None) -> None:
        """Put a forehead at ``celsius`` in front of the sensor; None = nobody (reads ambient)."""
        self._object_c = celsius

    def inject(self, fault: Fault | str, reads: int | None = None) -> None:
        """Inject ``fault``; transient ones (NACK, CORRUPT) last ``reads`` reads (None: until
        cleared), the others until ``clear()``."""
        self._fault = Fault(fault)
        self._fault_reads = -1 if reads is None else reads
        self._frozen = {}

    def clear(self) -> None:
        """Remove any injected fault."""
        self.inject(Fault.NONE)

    # --- smbus2.SMBus interface -------------------------------------------------------------
    def i2c_rdwr(self, *messages: Any) -> None:
        """One combined transaction of ``smbus2.i2c_msg`` messages (what the I2C_RDWR ioctl
        does): a one-byte write then a read is an SMBus read-word with repeated start."""
        if not messages:
            return
        self._address(messages[0].addr)
        out = b""
        for message in messages:
            if message.addr != self.address:
                raise _nack()
            if message.flags & I2C_M_RD:
                data = self._reply(out[0]) if out else b""
                data = (data + b"\xff" * message.len)[: message.len]
                ctypes.memmove(message.buf, data, message.len)
            else:
                out = bytes(message)
                if len(out) == 4 and out[0] & 0xE0 == EEPROM:
                    self._write_eeprom(out)

    def close(self) -> None:
        """Close the bus (nothing to do for an emulation)."""

    # --- busio.I2C interface ---------------------------------------------------------------
    def try_lock(self) -> bool:
        """Take the bus; False when someone else holds it."""
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self) -> None:
        """Release the bus."""
        self._locked = False

    def scan(self) -> list[int]:
        """Addresses that acknowledge."""
        self._require_lock()
        return [] if self._fault is Fault.UNPLUGGED else [self.address]

    def writeto(
        self, address: int, buffer: bytes | bytearray, *, start: int = 0, end: int | None = None
    ) -> None:
        """Write bytes; an SMBus write-word (command, LSB, MSB, PEC) to an EEPROM cell."""
        self._select(address)
        data = bytes(buffer[start:end])
        if len(data) == 4 and data[0] & 0xE0 == EEPROM:
            self._write_eeprom(data)

    def readfrom_into(
        self, address: int, buffer: bytearray, *, start: int = 0, end: int | None = None
    ) -> None:
        """A read without a command: the bus floats high (0xFF)."""
        self._select(address)
        end = len(buffer) if end is None else end
        buffer[start:end] = b"\xff" * (end - start)

    def writeto_then_readfrom(
        self,
        address: int,
        buffer_out: bytes | bytearray,
        buffer_in: bytearray,
        *,
        out_start: int = 0,
        out_end: int | None = None,
        in_start: int = 0,
        in_end: int | None = None,
    ) -> None:
        """SMBus read-word: send the command, read LSB, MSB, PEC (then 0xFF)."""
        self._select(address)
        command = buffer_out[out_start]
        reply = self._reply(command)
        in_end = len(buffer_in) if in_end is None else in_end
        wanted = in_end - in_start
        buffer_in[in_start:in_end] = (reply + b"\xff" * wanted)[:wanted]

    def deinit(self) -> None:
        """Release the bus (nothing to do for an emulation)."""
        self._locked = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.deinit()

    # --- the emulated chip ----------------------------------------------------------------
    def _require_lock(self) -> None:
        if not self._locked:
            raise RuntimeError("I2C bus used without try_lock()")

    def _select(self, address: int) -> None:
        """Address the chip through busio (which must hold the lock)."""
        self._require_lock()
        self._address(address)

    def _address(self, address: int) -> None:
        """Start a transaction; raise the NACK OSError when nobody answers."""
        self.transactions += 1
        if address != self.address or self._fault is Fault.UNPLUGGED:
            raise _nack()
        if self._fault is Fault.NACK and self._spend_fault():
            raise _nack()

    def _spend_fault(self) -> bool:
        """Use up one read of a transient fault; True while it is still active."""
        if self._fault_reads == 0:
            self._fault = Fault.NONE
            return False
        self._fault_reads -= 1
        return True

    def _reply(self, command: int) -> bytes:
        word = self._word(command)
        lsb, msb = word & 0xFF, word >> 8
        pec = smbus_pec(read_word_frame(self.address, command, lsb, msb))
        reply = bytes((lsb, msb, pec))
        if self._fault is Fault.CORRUPT and self._spend_fault():
            # PEC computed before the flips. Noise flips a different bit each time: the MSB
            # bit walks 0..6, so two corrupted reads of one value never agree.
            flip = 1 << self._corrupted % 7
            self._corrupted += 1
            reply = bytes((lsb ^ 0x40, msb ^ flip, pec))
        return reply

    def _word(self, command: int) -> int:
        if self._fault is Fault.ERROR_FLAG:
            return 0xFFFF
        if self._fault is Fault.STUCK:
            return self._frozen.setdefault(command, self._live_word(command))
        return self._live_word(command)

    def _live_word(self, command: int) -> int:
        if command == AMBIENT.command:
            return celsius_to_raw(self._ambient_c)
        if command in (OBJECT.command, TOBJ2):
            return celsius_to_raw(self._scene_c() + self._rng.gauss(0.0, self.noise_c))
        return self.eeprom.get(command, 0x0000)

    def _scene_c(self) -> float:
        return self._ambient_c if self._object_c is None else self._object_c

    def _write_eeprom(self, data: bytes) -> None:
        command, lsb, msb, pec = data
        # The chip ignores a write whose PEC (over addr+W, command, LSB, MSB) is wrong.
        if pec == smbus_pec(bytes((self.address << 1, command, lsb, msb))):
            self.eeprom[command] = msb << 8 | lsb
