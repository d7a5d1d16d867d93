"""The MLX90614 back end named by ``[thermometer] driver``: "smbus2" (default) or "adafruit".

Shared by the composition root (kiosk/app.py) and the hardware checks (hw_tests/rig.py) so the
two always pick the same driver. Blinka is imported only when "adafruit" is chosen.
"""

from __future__ import annotations

from typing import Any, Literal

from drivers import mlx90614
from drivers.mlx90614 import CheckedThermometer, Mlx90614Thermometer

__all__ = ["Driver", "on_bus", "open_device"]

Driver = Literal["smbus2", "adafruit"]


def on_bus(driver: Driver, bus: Any, address: int, retries: int) -> CheckedThermometer:
    """The chosen driver on a bus already open (in simulation, an ``EmulatedMlx90614``)."""
    if driver == "adafruit":
        from drivers.mlx90614_adafruit import AdafruitMlx90614Thermometer

        return AdafruitMlx90614Thermometer(bus, address, retries)
    return Mlx90614Thermometer(bus, address, retries)


def open_device(driver: Driver, bus_number: int, address: int, retries: int) -> CheckedThermometer:
    """The chosen driver on ``/dev/i2c-<bus_number>``; every failure to open is a SensorFault."""
    if driver == "adafruit":
        from drivers.mlx90614_adafruit import open_adafruit_thermometer

        return open_adafruit_thermometer(bus_number, address, retries)
    return mlx90614.open_thermometer(bus_number, address, retries)
