"""MLX90614 contactless thermometer through Adafruit's ``adafruit_mlx90614`` driver.

The Adafruit driver reads two bytes per register and ignores the SMBus Packet Error Code, so
a bit flip on the bus comes back as a plausible-looking number, and a read of 0xFFFF as
1037.55 °C. This back end keeps the Adafruit driver for the probe and the bus device, but
reads each register as LSB, MSB, PEC through that same ``I2CDevice`` and refuses anything
it cannot vouch for: a PEC mismatch, the error flag (bit 15), a value outside what the
sensor can measure, or a value frozen for many reads. Transient faults are retried; what
stays wrong becomes a ``SensorFault`` that says which register and what was wrong.
"""

from __future__ import annotations

from typing import Any

from drivers.lifecycle import Device
from kiosk.exc import SensorFault

__all__ = [
    "AMBIENT",
    "DEFAULT_ADDRESS",
    "OBJECT",
    "Mlx90614Thermometer",
    "Register",
    "celsius_to_raw",
    "open_i2c",
    "raw_to_celsius",
    "smbus_pec",
]

DEFAULT_ADDRESS = 0x5A
KELVIN_PER_LSB = 0.02
ERROR_FLAG = 0x8000


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


class Mlx90614Thermometer(Device):
    """An MLX90614 on an I2C bus (busio-like), implementing ``drivers.base.Thermometer``.

    ``i2c``: a ``busio.I2C`` (see ``open_i2c``) or ``drivers.mlx90614_sim.EmulatedMlx90614``.
    ``retries``: extra attempts after a failed read before giving up.
    ``stuck_reads``: this many identical object readings in a row mean the value is frozen
    (a live sensor's object reading always jitters by a few 0.02 K steps); None turns it off.
    ``driver_module``: the ``adafruit_mlx90614`` module (imported when None).
    """

    def __init__(
        self,
        i2c: Any,
        address: int = DEFAULT_ADDRESS,
        retries: int = 3,
        *,
        stuck_reads: int | None = 200,
        driver_module: Any = None,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        self.address = address
        self.retries = retries
        self.stuck_reads = stuck_reads
        self._i2c = i2c
        self._device = _open_sensor(i2c, address, driver_module)
        self._last_object: int | None = None
        self._repeats = 0

    def ambient(self) -> float:
        """Sensor die temperature in °C; raises SensorFault."""
        return raw_to_celsius(self._read(AMBIENT))

    def object(self) -> float:
        """Object (forehead) temperature in °C; raises SensorFault."""
        raw = self._read(OBJECT)
        self._watch_frozen(raw)
        return raw_to_celsius(raw)

    def _read(self, register: Register) -> int:
        self._check_open()
        problems = []
        for _ in range(self.retries + 1):
            try:
                return self._read_checked(register)
            except _BadRead as problem:
                problems.append(str(problem))
        raise SensorFault(
            f"MLX90614 at 0x{self.address:02X}: {register} failed {len(problems)} reads; "
            f"last: {problems[-1]}. Check the sensor's wiring and its 100 kHz bus."
        )

    def _read_checked(self, register: Register) -> int:
        reply = bytearray(3)
        try:
            with self._device as device:
                device.write_then_readinto(bytes((register.command,)), reply)
        except OSError as error:
            raise _BadRead(f"no answer on the bus ({error})") from error
        return _validate(self.address, register, reply)

    def _watch_frozen(self, raw: int) -> None:
        self._repeats = self._repeats + 1 if raw == self._last_object else 1
        self._last_object = raw
        if self.stuck_reads is not None and self._repeats >= self.stuck_reads:
            raise SensorFault(
                f"MLX90614 at 0x{self.address:02X}: {OBJECT} frozen at "
                f"{raw_to_celsius(raw):.2f} °C for {self._repeats} reads; power-cycle the sensor"
            )

    def _release(self) -> None:
        # The bus may be shared with other devices; whoever opened it deinitialises it.
        self._device = None


class _BadRead(Exception):
    """One read that cannot be trusted (internal; retried, then turned into SensorFault)."""


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


def _open_sensor(i2c: Any, address: int, driver_module: Any) -> Any:
    """Probe the sensor with Adafruit's driver and return its ``I2CDevice``."""
    if driver_module is None:
        import adafruit_mlx90614

        driver_module = adafruit_mlx90614
    try:
        sensor = driver_module.MLX90614(i2c, address)
    except (ValueError, OSError) as error:
        # I2CDevice's probe raises ValueError("No I2C device at address ...").
        raise SensorFault(
            f"no MLX90614 answers at I2C address 0x{address:02X} ({error}); "
            "check wiring, power and the address (i2cdetect -y 1)"
        ) from error
    # The same locked device Adafruit's driver reads through, so bus locking stays theirs.
    return sensor._device


def open_i2c(bus_number: int = 1, frequency: int = 100_000) -> Any:
    """Open the Pi's I2C bus through Blinka (``pip install adafruit-blinka``).

    Only bus 1 (board.SCL/board.SDA, GPIO 3/2) is wired on the kiosk. The MLX90614 needs
    the standard 100 kHz; it misbehaves at 400 kHz.
    """
    if bus_number != 1:
        raise ValueError(f"only I2C bus 1 (board.SCL/board.SDA) is supported, got {bus_number}")
    try:
        import board
        import busio
    except (ImportError, NotImplementedError, RuntimeError) as error:
        raise SensorFault(
            f"cannot open the I2C bus: install adafruit-blinka on the Pi ({error})"
        ) from error
    return busio.I2C(board.SCL, board.SDA, frequency=frequency)
