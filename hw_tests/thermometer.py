"""Thermometer check: the MLX90614 answers with checked, plausible, live readings.

    python -m hw_tests.thermometer [--sim] [--repeat N] [--reference C]

With ``--reference C`` (a clinical thermometer's reading of the person in front of the
sensor), the check also measures that person and prints the ``calibration_offset_c`` to set.
The person is measured through the kiosk's own procedure (``kiosk.temperature.measure``, with
its ambient compensation) with the offset set to zero, so the offset printed is exactly what
makes the kiosk read the reference at this ambient temperature.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

from drivers.mlx90614 import CheckedThermometer
from drivers.timers import ManualTimers
from hw_tests.harness import CheckFailed, Options, Person, Skipped, wait_until
from hw_tests.rig import Rig
from kiosk.config import ThermometerSettings
from kiosk.exc import SensorFault
from kiosk.model import ReadingStatus, TemperatureReading
from kiosk.temperature import measure

MIN_READS = 10
AMBIENT_RANGE_C = (0.0, 45.0)  # a room a kiosk can stand in
IDLE_OBJECT_RANGE_C = (-10.0, 60.0)  # whatever the sensor sees when nobody is there
MAX_IDLE_SPREAD_C = 1.0
SIM_FOREHEAD_C = 35.9


def read_pairs(
    sensor: CheckedThermometer, count: int, pause: Callable[[], None]
) -> list[tuple[float, float]]:
    """``count`` (ambient, object) readings; a SensorFault becomes a CheckFailed."""
    pairs = []
    for _ in range(count):
        try:
            pairs.append((sensor.ambient(), sensor.object()))
        except SensorFault as fault:
            raise CheckFailed(str(fault)) from fault
        pause()
    return pairs


def judge_idle(pairs: list[tuple[float, float]]) -> str:
    """Plausible ambient and object values, jittering a little but not frozen."""
    ambient = [a for a, _ in pairs]
    objects = [o for _, o in pairs]
    for name, values, (low, high) in (
        ("ambient", ambient, AMBIENT_RANGE_C),
        ("object", objects, IDLE_OBJECT_RANGE_C),
    ):
        if not all(low <= v <= high for v in values):
            raise CheckFailed(
                f"{name} readings {min(values):.2f}..{max(values):.2f} °C are outside "
                f"{low:g}..{high:g} °C: a damaged sensor or the wrong I2C address"
            )
    spread = max(objects) - min(objects)
    if spread > MAX_IDLE_SPREAD_C:
        raise CheckFailed(
            f"object readings spread {spread:.2f} °C with nobody there: garbage on "
            "the bus? Check the 100 kHz setting and the cable length"
        )
    if spread == 0 and len(objects) >= MIN_READS:
        raise CheckFailed(
            f"{len(objects)} identical object readings ({objects[0]:.2f} °C): the "
            "sensor is frozen; power-cycle it"
        )
    return (
        f"{len(pairs)} PEC-valid reads: ambient {statistics.median(ambient):.2f} °C, "
        f"object {statistics.median(objects):.2f} °C (spread {spread:.2f})"
    )


def kiosk_reading(
    sensor: CheckedThermometer, settings: ThermometerSettings, *, sim: bool
) -> TemperatureReading:
    """What the kiosk itself reads for the person in front of the sensor, with no offset."""
    uncalibrated = replace(settings, calibration_offset_c=0.0)
    if not sim:
        return measure(sensor, uncalibrated)
    time_ = ManualTimers()  # the emulated sensor answers at once: no need to wait for real
    return measure(sensor, uncalibrated, time_.now, time_.advance)


def calibrate(rig: Rig, sensor: CheckedThermometer, person: Person, options: Options) -> str:
    """Measure a person whose temperature is known; return the offset to configure."""
    assert options.reference_c is not None
    settings = rig.config.thermometer
    ambient = sensor.ambient()

    def forehead() -> None:
        assert rig.emulator is not None
        rig.emulator.set_object(SIM_FOREHEAD_C)

    person.ask_to("hold your forehead 3-5 cm in front of the sensor", forehead)
    wait_until(
        lambda: sensor.object() > ambient + settings.presence_delta_c,
        options.timeout_s,
        "no forehead was seen in front of the sensor",
    )
    reading = kiosk_reading(sensor, settings, sim=options.sim)
    if reading.status is not ReadingStatus.OK or reading.celsius is None:
        raise CheckFailed(f"the kiosk could not measure the forehead: {reading.detail}")
    offset = round(options.reference_c - reading.celsius, 2)
    if abs(offset) > 3:
        raise CheckFailed(
            f"offset {offset:+.2f} °C is beyond ±3 °C: too far from the sensor, "
            "or a wide-angle (BAA) sensor variant? See docs/hardware.md"
        )
    return (
        f"kiosk reads {reading.celsius:.2f} °C uncalibrated at ambient "
        f"{reading.ambient_c:.1f} °C; set [thermometer] calibration_offset_c = {offset:.2f}"
    )


def check(rig: Rig, person: Person, options: Options) -> str:
    """Idle readings, then a calibration when a reference reading was given."""
    if rig.config.lane.kind == "vehicle":
        raise Skipped('the car gate ([lane] kind = "vehicle") measures nobody: no thermometer')
    sensor = rig.thermometer()
    interval = 0.0 if options.sim else rig.config.thermometer.sample_interval_s

    def pause() -> None:
        time.sleep(interval)

    result = judge_idle(read_pairs(sensor, max(options.repeat, MIN_READS), pause))
    if options.reference_c is not None:
        result += "; " + calibrate(rig, sensor, person, options)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reference",
        type=float,
        default=None,
        metavar="C",
        help="a clinical thermometer's reading of the person measured",
    )


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("thermometer", check, extend=add_arguments))
