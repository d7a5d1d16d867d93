"""MLX90614 contactless thermometer, read over SMBus with every reply PEC-checked.

The kiosk talks to the sensor through ``smbus2`` (``/dev/i2c-N``, the kernel's I2C_RDWR ioctl:
command byte, repeated start, LSB, MSB, PEC), not through Adafruit's ``adafruit_mlx90614`` on
Blinka. Adafruit's driver reads two bytes and ignores the Packet Error Code, so a bit flip comes
back as a plausible number and 0xFFFF as 1037.55 °C; we already did our own PEC reads through
its ``I2CDevice``. Going straight to ``smbus2`` keeps those reads and drops what only got in the
way on a Pi: Blinka's ``import board`` (which imports lgpio, which needs a writable working
directory), its refusal of any bus but 1, and the five different exceptions it raises when the
bus is missing. That is the default, ``[thermometer] driver = "smbus2"``; ``driver =
"adafruit"`` reads through Adafruit's driver instead (``drivers.mlx90614_adafruit``), checked
by the same ``CheckedThermometer`` (docs/hardware.md, "Thermometer driver"). The emulated
sensor (``drivers.mlx90614_sim``) answers the same ``i2c_rdwr`` calls with the same
``i2c_msg`` objects, and speaks ``busio.I2C`` for Adafruit's driver.

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
    "BadRead",
    "CheckedThermometer",
    "Mlx90614Thermometer",
    "NoAnswer",
    "Register",
    "SMBusLike",
    "celsius_to_raw",
    "check_raw",
    "no_answer_fault",
    "open_smbus",
    "open_thermometer",
    "raw_to_celsius",
    "smbus_pec",
]

DEFAULT_ADDRESS = 0x5A
KELVIN_PER_LSB = 0.02
ERROR_FLAG = 0x8000
SATURATED = 0x7FFF  # the largest 15-bit value: what a pegged or half-read register shows
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


class CheckedThermometer(Device):
    """An MLX90614 whose every reading is checked, retried, and watched for freezing.

    Implements ``drivers.base.Thermometer``; a back end supplies ``_read_raw`` (one read of
    a register, raising ``BadRead``). ``retries``: extra attempts after a failed read, each
    after ``retry_delay_s`` (``sleep`` is injected by tests). ``stuck_reads``: this many
    identical object readings in a row mean the value is frozen (a live sensor's object
    reading always jitters by a few 0.02 K steps); None turns it off.
    """

    def __init__(
        self,
        address: int = DEFAULT_ADDRESS,
        retries: int = 3,
        *,
        stuck_reads: int | None = 200,
        retry_delay_s: float = RETRY_DELAY_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        self.address = address
        self.retries = retries
        self.stuck_reads = stuck_reads
        self.retry_delay_s = retry_delay_s
        self._sleep = sleep
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

    def _read_raw(self, register: Register) -> int:
        """One checked read of ``register``; raises BadRead (NoAnswer when nothing answered)."""
        raise NotImplementedError

    def _probe(self) -> None:
        """Refuse to start when nothing acknowledges the address (a bad reply is not that)."""
        problems = self._attempts(AMBIENT)
        if isinstance(problems, list) and all(isinstance(p, NoAnswer) for p in problems):
            raise no_answer_fault(self.address, str(problems[-1]))

    def _read(self, register: Register) -> int:
        self._check_open()
        problems = self._attempts(register)
        if isinstance(problems, int):
            return problems
        raise SensorFault(
            f"MLX90614 at 0x{self.address:02X}: {register} failed {len(problems)} reads; "
            f"last: {problems[-1]}. Check the sensor's wiring and its 100 kHz bus."
        )

    def _attempts(self, register: Register) -> int | list[BadRead]:
        """The raw value of the first good read, or what went wrong in each attempt."""
        problems: list[BadRead] = []
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.retry_delay_s)
            try:
                return self._read_raw(register)
            except BadRead as problem:
                problems.append(problem)
        return problems

    def _watch_frozen(self, raw: int) -> None:
        self._repeats = self._repeats + 1 if raw == self._last_object else 1
        self._last_object = raw
        if self.stuck_reads is not None and self._repeats >= self.stuck_reads:
            raise SensorFault(
                f"MLX90614 at 0x{self.address:02X}: {OBJECT} frozen at "
                f"{raw_to_celsius(raw):.2f} °C for {self._repeats} reads; power-cycle the sensor"
            )


class Mlx90614Thermometer(CheckedThermometer):
    """An MLX90614 on an SMBus, every reply PEC-checked (``[thermometer] driver = "smbus2"``).

    ``bus``: an ``smbus2.SMBus`` (see ``open_smbus``) or ``drivers.mlx90614_sim.EmulatedMlx90614``.
    ``owns_bus``: close the bus on ``close()`` (``open_thermometer`` sets it). The other
    arguments are ``CheckedThermometer``'s.
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
        self._bus = bus
        self._owns_bus = owns_bus
        super().__init__(
            address, retries, stuck_reads=stuck_reads, retry_delay_s=retry_delay_s, sleep=sleep
        )

    def _read_raw(self, register: Register) -> int:
        command = i2c_msg.write(self.address, [register.command])
        reply = i2c_msg.read(self.address, 3)
        try:
            self._bus.i2c_rdwr(command, reply)  # one transaction: repeated start, no stop
        except OSError as error:
            raise NoAnswer(f"no answer on the bus ({error})") from error
        return _validate(self.address, register, bytearray(bytes(reply)))

    def _release(self) -> None:
        if self._owns_bus:
            self._bus.close()


class BadRead(Exception):
    """One read that cannot be trusted (retried, then turned into a SensorFault)."""


class NoAnswer(BadRead):
    """Nothing acknowledged the transaction (NACK, timeout, bus error)."""


def no_answer_fault(address: int, detail: str) -> SensorFault:
    """The SensorFault for a sensor that does not answer at all, saying what to check."""
    return SensorFault(
        f"no MLX90614 answers at I2C address 0x{address:02X} ({detail}); "
        "check its wiring (SDA to GPIO 2, SCL to GPIO 3, 3.3 V), power and the "
        "address: i2cdetect -y 1 should show it"
    )


def _validate(address: int, register: Register, reply: bytearray) -> int:
    """Return the raw value of a LSB/MSB/PEC reply, or raise BadRead saying what is wrong."""
    lsb, msb, pec = reply
    expected = smbus_pec(read_word_frame(address, register.command, lsb, msb))
    if pec != expected:
        raise BadRead(f"PEC mismatch (got 0x{pec:02X}, expected 0x{expected:02X})")
    return check_raw(register, msb << 8 | lsb)


def check_raw(register: Register, raw: int) -> int:
    """Return ``raw`` if the sensor can really have reported it, else raise BadRead."""
    if raw & ERROR_FLAG:
        raise BadRead(f"error flag set (raw 0x{raw:04X})")
    if raw == SATURATED:
        raise BadRead(f"saturated value (raw 0x{raw:04X})")
    celsius = raw_to_celsius(raw)
    if not register.low_c <= celsius <= register.high_c:
        raise BadRead(
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
