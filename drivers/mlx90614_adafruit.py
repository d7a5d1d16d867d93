"""The MLX90614 read through Adafruit's ``adafruit_mlx90614`` driver (``driver = "adafruit"``).

Adafruit's driver reads two bytes per register and drops the Packet Error Code, so nothing on
the wire proves a reading right: a flipped bit is a plausible temperature and the error word
0xFFFF is 1037.55 °C. The kiosk therefore checks harder here than on the smbus2 path: every
reading is read twice and the two must agree within ``agree_c``, and each must pass the same
checks (error flag, saturated 0x7FFF, the sensor's range) with the same retries, pause and
frozen-value watch (``CheckedThermometer``). What it cannot catch is a bit that flips the same
way on both reads; that is why smbus2 (with PEC) stays the default (docs/hardware.md).

On the device the bus is Blinka's ``busio.I2C`` (imported only when this back end is chosen);
in simulation it is ``drivers.mlx90614_sim.EmulatedMlx90614``, which speaks ``busio.I2C``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.mlx90614 import (
    DEFAULT_ADDRESS,
    KELVIN_PER_LSB,
    OBJECT,
    RETRY_DELAY_S,
    BadRead,
    CheckedThermometer,
    NoAnswer,
    Register,
    check_raw,
    no_answer_fault,
    raw_to_celsius,
)
from kiosk.exc import SensorFault

__all__ = ["AGREE_C", "AdafruitMlx90614Thermometer", "open_adafruit_thermometer", "open_busio"]

AGREE_C = 0.2  # two reads a few ms apart: a live sensor moves by a step or two, noise by more
VENV = "/opt/kiosk/venv"


class AdafruitMlx90614Thermometer(CheckedThermometer):
    """An MLX90614 read by ``adafruit_mlx90614.MLX90614`` on a ``busio.I2C``-like bus.

    ``i2c``: Blinka's ``busio.I2C`` (see ``open_busio``) or an ``EmulatedMlx90614``.
    ``agree_c``: how far the two reads of one reading may differ. ``owns_bus``: deinit the
    bus on ``close()``. The other arguments are ``CheckedThermometer``'s.
    """

    def __init__(
        self,
        i2c: Any,
        address: int = DEFAULT_ADDRESS,
        retries: int = 3,
        *,
        agree_c: float = AGREE_C,
        stuck_reads: int | None = 200,
        retry_delay_s: float = RETRY_DELAY_S,
        sleep: Callable[[float], None] = time.sleep,
        owns_bus: bool = False,
    ) -> None:
        self._i2c = i2c
        self._owns_bus = owns_bus
        self.agree_c = agree_c
        driver = _adafruit_driver()
        try:  # Adafruit's I2CDevice probes the address: ValueError when nothing answers
            self._chip = driver.MLX90614(i2c, address)
        except (ValueError, OSError) as error:
            raise no_answer_fault(address, str(error)) from error
        super().__init__(
            address, retries, stuck_reads=stuck_reads, retry_delay_s=retry_delay_s, sleep=sleep
        )

    def _read_raw(self, register: Register) -> int:
        first = check_raw(register, self._read_once(register))
        second = check_raw(register, self._read_once(register))
        if abs(first - second) * KELVIN_PER_LSB > self.agree_c:
            raise BadRead(
                f"two reads disagree ({raw_to_celsius(first):.2f} and "
                f"{raw_to_celsius(second):.2f} °C; "
                "no PEC on this driver, so a flipped bit shows this way)"
            )
        return second

    def _read_once(self, register: Register) -> int:
        """The register's raw word as Adafruit's driver returns it (it gives °C; undo that)."""
        try:
            if register is OBJECT:
                celsius = self._chip.object_temperature
            else:
                celsius = self._chip.ambient_temperature
        except OSError as error:
            raise NoAnswer(f"no answer on the bus ({error})") from error
        return round((celsius + 273.15) / KELVIN_PER_LSB)

    def _release(self) -> None:
        if self._owns_bus:
            self._i2c.deinit()


def _adafruit_driver() -> Any:
    """The ``adafruit_mlx90614`` module; it imports Blinka's ``micropython`` and ``busio``."""
    try:
        import adafruit_mlx90614
    except ImportError as error:
        raise _blinka_missing(error) from error
    return adafruit_mlx90614


def _blinka_missing(error: ImportError) -> SensorFault:
    return SensorFault(
        f'driver = "adafruit" needs Adafruit\'s MLX90614 driver and Blinka ({error}): run '
        f"{VENV}/bin/pip install adafruit-circuitpython-mlx90614 adafruit-blinka, "
        'or set [thermometer] driver = "smbus2"'
    )


def open_busio(bus_number: int = 1) -> Any:
    """Blinka's ``busio.I2C`` on the Pi's SDA/SCL pins; every failure is a SensorFault
    saying what to do. Blinka opens bus 1 only (``board.SCL``/``board.SDA``)."""
    if bus_number != 1:
        raise SensorFault(
            f'[thermometer] driver = "adafruit" reads I2C bus 1 only (Blinka\'s board pins), '
            f'not i2c_bus = {bus_number}: set i2c_bus = 1 or driver = "smbus2"'
        )
    try:
        import board  # Blinka: imports lgpio on a Pi, which needs a writable working folder
        import busio

        return busio.I2C(board.SCL, board.SDA)
    except ImportError as error:
        raise _blinka_missing(error) from error
    except PermissionError as error:
        raise SensorFault(
            "no permission to open /dev/i2c-1: the kiosk user must be in the 'i2c' group "
            "(setup.sh adds it; id kiosk shows it); then restart the kiosk"
        ) from error
    except (ValueError, FileNotFoundError) as error:
        raise SensorFault(
            f"Blinka cannot open I2C bus 1 ({error}): I2C is off. Run setup.sh (it enables "
            "I2C) and reboot; ls /dev/i2c-* lists the buses"
        ) from error
    except Exception as error:  # lgpio.error and the like: not OSErrors
        raise SensorFault(
            f"Blinka cannot open I2C bus 1 ({type(error).__name__}: {error}); start the kiosk "
            'from a folder it can write (lgpio needs one), or set driver = "smbus2"'
        ) from error


def open_adafruit_thermometer(
    bus_number: int, address: int = DEFAULT_ADDRESS, retries: int = 3
) -> AdafruitMlx90614Thermometer:
    """The MLX90614 on Blinka's I2C bus 1, read by Adafruit's driver (it releases the bus)."""
    i2c = open_busio(bus_number)
    try:
        return AdafruitMlx90614Thermometer(i2c, address, retries, owns_bus=True)
    except BaseException:
        i2c.deinit()
        raise
