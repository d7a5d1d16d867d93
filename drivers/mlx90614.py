"""MLX90614 contactless thermometer, read over SMBus with every reply PEC-checked.

The kiosk talks to the sensor through ``smbus2`` (``/dev/i2c-N``, the kernel's I2C_RDWR ioctl:
command byte, repeated start, LSB, MSB, PEC), not through Adafruit's ``adafruit_mlx90614`` on
Blinka. Adafruit's driver reads two bytes and ignores the Packet Error Code, so a bit flip comes
back as a plausible number and 0xFFFF as 1037.55 °C; we already did our own PEC reads through
its ``I2CDevice``. Going straight to ``smbus2`` keeps those reads and drops what only got in the
way on a Pi: Blinka's ``import board`` (which imports lgpio, which needs a writable working
directory), its refusal of any bus but 1, and the five different exceptions it raises when the
bus is missing. The emulated sensor (``drivers.mlx90614_sim``) answers the same ``i2c_rdwr``
calls with the same ``i2c_msg`` objects, and still speaks ``busio.I2C`` so tests check that
Adafruit's driver reads the same temperatures from it (docs/hardware.md, "Thermometer driver").

Every reply is refused unless it is right: a PEC mismatch, the error flag (bit 15), a value
outside what the sensor can measure, or a value frozen for many reads. Transient faults are
retried after a short pause; what stays wrong becomes a ``SensorFault`` that says which
register and what was wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import smbus2
from smbus2 import i2c_msg

from drivers.lifecycle import Device
from kiosk.exc import SensorFault

__all__ = [
    "AMBIENT",
    "DEFAULT_ADDRESS",
    "OBJECT",
    "Mlx90614Thermometer",
    "Register",
    "SMBusLike",
    "celsius_to_raw",
    "open_smbus",
    "open_thermometer",
    "raw_to_celsius",
    "smbus_pec",
]

DEFAULT_ADDRESS = 0x5A
KELVIN_PER_LSB = 0.02
ERROR_FLAG = 0x8000
RETRY_DELAY_S = 0.005  # lets the sensor's SMBus state machine reset after a NACK or a glitch
class Register:
    """A temperature register of the RAM and what the sensor can report in it (°C)."""

    def __init__(self, command: int, name: str, low_c: float, high_c: float) -> None:
        self.command, self.name, self.low_c, self.high_c = command, name, low_c, high_c

    def __str__(self) -> str:
        return f"{self.name} (RAM 0x{self.command:02X})"


# Datasheet ranges: die -40..125 °C, object -70..382.2 °C.
AMBIENT = Register(0x06, "ambient Ta", -40.0, 125.0)
OBJECT = Register(0x07, "object Tobj1", -70.0, 382.2)


def raw_to_celsius(raw: int) -> float:
    """Temperature in °C of a 15-bit register value (0.02 K per bit)."""
    return raw * KELVIN_PER_LSB - 273.15


def celsius_to_raw(celsius: float) -> int:
    """The register value the sensor reports for ``celsius``."""
    return round((celsius + 273.15) / KELVIN_PER_LSB)


def smbus_pec(data: bytes | bytearray) -> int:
    """SMBus Packet Error Code: CRC-8, polynomial x^8 + x^2 + x + 1, initial value 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def read_word_frame(address: int, command: int, lsb: int, msb: int) -> bytes:
    """The bytes an SMBus read-word PEC covers: addr+W, command, addr+R, LSB, MSB."""
    return bytes((address << 1, command, (address << 1) | 1, lsb, msb))


class SMBusLike(Protocol):
    """What the thermometer needs of a bus: ``smbus2.SMBus`` or ``EmulatedMlx90614``."""

    def i2c_rdwr(self, *messages: Any) -> None: ...

    def close(self) -> None: ...


class Mlx90614Thermometer(Device):
    """An MLX90614 on an SMBus, implementing ``drivers.base.Thermometer``.

    ``bus``: an ``smbus2.SMBus`` (see ``open_smbus``) or ``drivers.mlx90614_sim.EmulatedMlx90614``.
    ``retries``: extra attempts after a failed read, each after ``retry_delay_s`` (``sleep``
    is injected by tests). ``stuck_reads``: this many identical object readings in a row mean
    the value is frozen (a live sensor's object reading always jitters by a few 0.02 K steps);
    None turns it off. ``owns_bus``: close the bus on ``close()`` (``open_thermometer`` sets it).
    """

    def __init__(
        self,
        bus: SMBusLike,
        address: int = DEFAULT_ADDRESS,
        retries: int = 3,
        *,
        stuck_reads: int | None = 200,
        retry_delay_s: float = RETRY_DELAY_S,
        sleep: Callable[[float], None] = time.sleep,
        owns_bus: bool = False,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        self.address = address
        self.retries = retries
        self.stuck_reads = stuck_reads
        self.retry_delay_s = retry_delay_s
        self._sleep = sleep
        self._bus = bus
        self._owns_bus = owns_bus
        self._last_object: int | None = None
        self._repeats = 0
        self._probe()

    def ambient(self) -> float:
        """Sensor die temperature in °C; raises SensorFault."""
        return raw_to_celsius(self._read(AMBIENT))

    def object(self) -> float:
        """Object (forehead) temperature in °C; raises SensorFault."""
        raw = self._read(OBJECT)
        self._watch_frozen(raw)
        return raw_to_celsius(raw)

    def _probe(self) -> None:
        """Refuse to start when nothing acknowledges the address (a bad reply is not that)."""
        problems = self._attempts(AMBIENT)
        if isinstance(problems, list) and all(isinstance(p, _NoAnswer) for p in problems):
            raise SensorFault(
                f"no MLX90614 answers at I2C address 0x{self.address:02X} ({problems[-1]}); "
                "check its wiring (SDA to GPIO 2, SCL to GPIO 3, 3.3 V), power and the "
                "address: i2cdetect -y 1 should show it"
            )

    def _read(self, register: Register) -> int:
        self._check_open()
        problems = self._attempts(register)
        if isinstance(problems, int):
            return problems
        raise SensorFault(
            f"MLX90614 at 0x{self.address:02X}: {register} failed {len(problems)} reads; "
            f"last: {problems[-1]}. Check the sensor's wiring and its 100 kHz bus."
        )

    def _attempts(self, register: Register) -> int | list[_BadRead]:
        """The raw value of the first good read, or what went wrong in each attempt."""
        problems: list[_BadRead] = []
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.retry_delay_s)
            try:
                return self._read_checked(register)
            except _BadRead as problem:
                problems.append(problem)
        return problems

    def _read_checked(self, register: Register) -> int:
        command = i2c_msg.write(self.address, [register.command])
        reply = i2c_msg.read(self.address, 3)
        try:
            self._bus.i2c_rdwr(command, reply)  # one transaction: repeated start, no stop
        except OSError as error:
            raise _NoAnswer(f"no answer on the bus ({error})") from error
        return _validate(self.address, register, bytearray(bytes(reply)))

    def _watch_frozen(self, raw: int) -> None:
        self._repeats = self._repeats + 1 if raw == self._last_object else 1
        self._last_object = raw
        if self.stuck_reads is not None and self._repeats >= self.stuck_reads:
            raise SensorFault(
                f"MLX90614 at 0x{self.address:02X}: {OBJECT} frozen at "
                f"{raw_to_celsius(raw):.2f} °C for {self._repeats} reads; power-cycle the sensor"
            )

    def _release(self) -> None:
        if self._owns_bus:
            self._bus.close()


class _BadRead(Exception):
    """One read that cannot be trusted (internal; retried, then turned into SensorFault)."""


class _NoAnswer(_BadRead):
    """Nothing acknowledged the transaction (NACK, timeout, bus error)."""


def _validate(address: int, register: Register, reply: bytearray) -> int:
    """Return the raw value of a LSB/MSB/PEC reply, or raise _BadRead saying what is wrong."""
    lsb, msb, pec = reply
    expected = smbus_pec(read_word_frame(address, register.command, lsb, msb))
    if pec != expected:
        raise _BadRead(f"PEC mismatch (got 0x{pec:02X}, expected 0x{expected:02X})")
    raw = msb << 8 | lsb
    if raw & ERROR_FLAG:
        raise _BadRead(f"error flag set (raw 0x{raw:04X})")
    celsius = raw_to_celsius(raw)
    if not register.low_c <= celsius <= register.high_c:
        raise _BadRead(
            f"{celsius:.2f} °C is outside the sensor's range "
            f"{register.low_c:g}..{register.high_c:g} °C"
        )
    return raw


def open_smbus(bus_number: int = 1) -> Any:
    """Open ``/dev/i2c-<bus_number>`` with ``smbus2``; every failure is a SensorFault saying
    what to do.

    There is no speed argument: on Linux the bus clock is fixed when the I2C controller is set
    up, by ``dtparam=i2c_arm_baudrate=100000`` in config.txt (setup.sh writes it; the MLX90614
    misbehaves at 400 kHz). Whatever speed a program asks for (Blinka's ``busio.I2C``
    ``frequency`` too) is ignored.
    """
    device = f"/dev/i2c-{bus_number}"
    try:
        return smbus2.SMBus(bus_number)
    except FileNotFoundError as error:
        raise SensorFault(
            f"{device} does not exist: I2C is off or [thermometer] i2c_bus = {bus_number} is "
            "wrong. Run setup.sh (it enables I2C) and reboot; ls /dev/i2c-* lists the buses"
        ) from error
    except PermissionError as error:
        raise SensorFault(
            f"no permission to open {device}: the kiosk user must be in the 'i2c' group "
            "(setup.sh adds it; id kiosk shows it); then restart the kiosk"
        ) from error
    except OSError as error:
        raise SensorFault(f"cannot open {device}: {error}") from error


def open_thermometer(
    bus_number: int, address: int = DEFAULT_ADDRESS, retries: int = 3
) -> Mlx90614Thermometer:
    """The MLX90614 on ``/dev/i2c-<bus_number>`` (the thermometer closes the bus)."""
    bus = open_smbus(bus_number)
    try:
        return Mlx90614Thermometer(bus, address, retries, owns_bus=True)
    except BaseException:
        bus.close()
        raise
