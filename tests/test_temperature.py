"""The measuring procedure against a scripted thermometer and a fake clock: no real waiting."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from kiosk.clock import Clock
from kiosk.config import ThermometerSettings, load_config
from kiosk.exc import SensorFault
from kiosk.model import Celsius, ReadingStatus, TemperatureReading
from kiosk.temperature import Measurement, compensation, measure

# 5 samples (the shipped 3 leave less room to show the batch rules), 0.1 s apart, 8 s timeout,
# +0.5 °C offset. These tests are about the batch: the sensor's settling is off here and has its
# own table below.
SETTINGS = dataclasses.replace(load_config(None).thermometer, settling_s=0.0, samples=5)
ROOM = 25.0  # the reference ambient: no compensation


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


Step = tuple[float, float] | Exception  # (ambient, object) or what the driver raises


class ScriptedThermometer:
    """Plays back one step per object() call; the last step repeats."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = list(steps)
        self.reads = 0
        self._current: Step = self.steps[0]

    def ambient(self) -> float:
        index = min(self.reads, len(self.steps) - 1)
        self._current = self.steps[index]
        if isinstance(self._current, Exception):
            raise self._current
        return self._current[0]

    def object(self) -> float:
        self.reads += 1
        assert not isinstance(self._current, Exception)
        return self._current[1]

    def close(self) -> None:
        pass


def run(steps: Iterable[Step], **changes: Any) -> tuple[TemperatureReading, FakeTime]:
    settings: ThermometerSettings = dataclasses.replace(SETTINGS, **changes)
    clock = FakeTime()
    reading = measure(ScriptedThermometer(steps), settings, clock, clock.sleep)
    return reading, clock


def forehead(object_c: float, n: int = 1, ambient: float = ROOM) -> list[Step]:
    return [(ambient, object_c)] * n


NOBODY = (ROOM, ROOM + 0.3)


def test_normal_forehead_gives_calibrated_estimate() -> None:
    reading, _ = run(forehead(36.3, 5))
    assert reading == TemperatureReading(
        ReadingStatus.OK, Celsius(36.8), Celsius(36.3), Celsius(ROOM), samples=5
    )


def test_fever_is_reported_as_measured_plus_offset() -> None:
    reading, _ = run(forehead(37.3, 5))
    assert reading.status is ReadingStatus.OK and reading.celsius == 37.8


def test_median_ignores_a_single_high_sample() -> None:
    reading, _ = run([*forehead(36.0, 2), *forehead(36.4), *forehead(36.0, 2)])
    assert reading.object_c == 36.0


def test_cold_entryway_is_compensated_upwards() -> None:
    reading, _ = run(forehead(35.8, 5, ambient=15.0))
    assert reading.celsius == pytest.approx(35.8 + 1.0 + 0.5)


@pytest.mark.parametrize(
    ("ambient", "expected"),
    [(25.0, 0.0), (15.0, 1.0), (0.0, 1.5), (-10.0, 1.5), (35.0, -1.0), (45.0, -1.5)],
)
def test_compensation_is_linear_and_clipped(ambient: float, expected: float) -> None:
    assert compensation(SETTINGS, ambient) == pytest.approx(expected)


def test_compensation_can_be_turned_off() -> None:
    reading, _ = run(forehead(35.8, 5, ambient=5.0), ambient_coefficient=0.0)
    assert reading.celsius == pytest.approx(36.3)


def test_garbage_readings_are_dropped() -> None:
    garbage: list[Step] = [(ROOM, 1037.55), (ROOM, float("nan")), (ROOM, -273.15)]
    reading, _ = run([*forehead(36.5, 2), *garbage, *forehead(36.5, 3)])
    assert reading.status is ReadingStatus.OK and reading.samples == 5


def test_too_many_garbage_readings_are_a_fault() -> None:
    reading, _ = run([(ROOM, 1037.55)])
    assert reading.status is ReadingStatus.FAULT
    assert "4 impossible readings" in reading.detail and "1037.55" in reading.detail


def test_impossible_ambient_is_garbage_too() -> None:
    reading, _ = run([(float("nan"), 36.5)])
    assert reading.status is ReadingStatus.FAULT


def test_sensor_fault_mid_measurement_is_reported_with_its_message() -> None:
    reading, _ = run([*forehead(36.5, 2), SensorFault("I2C read failed after 3 tries")])
    assert reading.status is ReadingStatus.FAULT
    assert reading.detail == "SensorFault: I2C read failed after 3 tries"


def test_any_driver_error_becomes_a_fault_not_an_exception() -> None:
    reading, _ = run([RuntimeError("bus closed")])
    assert (reading.status, reading.detail) == (ReadingStatus.FAULT, "RuntimeError: bus closed")


def test_nobody_in_front_times_out_as_no_forehead() -> None:
    reading, clock = run([NOBODY])
    assert reading.status is ReadingStatus.NO_FOREHEAD
    assert "no forehead" in reading.detail
    assert clock.now == pytest.approx(1000.0 + SETTINGS.timeout_s)


def test_flicker_restarts_the_batch() -> None:
    thermometer = ScriptedThermometer(
        [*forehead(36.0, 3), NOBODY, *forehead(36.6, 4), NOBODY, *forehead(36.6, 5)]
    )
    clock = FakeTime()
    reading = measure(thermometer, SETTINGS, clock, clock.sleep)
    assert reading.object_c == 36.6 and reading.samples == 5
    assert thermometer.reads == 3 + 1 + 4 + 1 + 5


def test_person_who_leaves_mid_batch_is_told_to_step_closer() -> None:
    reading, _ = run([*forehead(36.5, 3), NOBODY])
    assert reading.status is ReadingStatus.NO_FOREHEAD
    assert "moved away" in reading.detail


def test_hand_or_hot_cup_is_not_a_forehead() -> None:
    reading, _ = run([(ROOM, 55.0)])
    assert reading.status is ReadingStatus.NO_FOREHEAD


def test_unsteady_readings_are_retaken_then_a_fault() -> None:
    wobble: list[Step] = [(ROOM, 35.0), (ROOM, 36.5)]
    reading, _ = run(wobble * 50)
    assert reading.status is ReadingStatus.FAULT
    assert "never settled" in reading.detail and "3 batches" in reading.detail


def test_one_unsteady_batch_is_retaken() -> None:
    reading, _ = run([(ROOM, 35.0), *forehead(36.5, 4), *forehead(36.5, 5)])
    assert reading.status is ReadingStatus.OK and reading.celsius == 37.0


def test_step_samples_at_most_once_per_interval() -> None:
    thermometer = ScriptedThermometer(forehead(36.5, 5))
    measurement = Measurement(thermometer, SETTINGS, started=0.0)
    assert measurement.step(0.0) is None
    assert measurement.step(0.05) is None
    assert thermometer.reads == 1
    results = [measurement.step(t / 10) for t in range(1, 5)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None and results[3].celsius == 37.0
    assert measurement.step(99.0) is results[3]  # done stays done
    assert thermometer.reads == 5


def test_measure_accepts_the_kiosk_clock() -> None:
    t = FakeTime()
    clock = Clock(wall=t, monotonic=t, ntp_flag=Path("/nonexistent"))
    reading = measure(ScriptedThermometer(forehead(36.5, 5)), SETTINGS, clock, t.sleep)
    assert reading.celsius == 37.0


# --- the sensor's settling ------------------------------------------------------------------

SETTLING = dict(settling_s=0.3)  # the shipped value: 3 readings at 0.1 s fall inside it
HALF = 31.0  # the object register halfway from the wall to the forehead


@pytest.mark.parametrize(
    ("steps", "object_c", "reads"),
    [
        # the forehead arrives mid-ramp: the half-settled value and the next two are dropped
        ([NOBODY, (ROOM, HALF), *forehead(36.3, 7)], 36.3, 1 + 3 + 5),
        # two ramp values, one below presence: settling starts at the first forehead value
        ([NOBODY, (ROOM, 27.5), (ROOM, HALF), *forehead(36.3, 7)], 36.3, 2 + 3 + 5),
        # a forehead that steps away and back settles again
        ([(ROOM, HALF), *forehead(36.3, 2), NOBODY, (ROOM, HALF), *forehead(36.6, 7)], 36.6, 12),
    ],
    ids=["mid-ramp", "slow-ramp", "back-and-forth"],
)
def test_unsettled_sensor_samples_are_not_used(
    steps: list[Step], object_c: float, reads: int
) -> None:
    thermometer = ScriptedThermometer(steps)
    clock = FakeTime()
    settings = dataclasses.replace(SETTINGS, **SETTLING)
    reading = measure(thermometer, settings, clock, clock.sleep)
    assert reading.status is ReadingStatus.OK and reading.object_c == object_c
    assert thermometer.reads == reads  # no re-take forced by a half-settled value


@pytest.mark.parametrize(
    ("steps", "status", "detail"),
    [
        ([(ROOM, HALF), *[(ROOM, math.nan)] * 4], ReadingStatus.FAULT, "impossible readings"),
        ([(ROOM, HALF), SensorFault("no ACK from 0x5A")], ReadingStatus.FAULT, "no ACK"),
        ([(ROOM, HALF), *forehead(36.3, 3), NOBODY], ReadingStatus.NO_FOREHEAD, "moved away"),
    ],
    ids=["garbage-while-settling", "bus-fault-while-settling", "left-while-settling"],
)
def test_faults_while_settling_are_still_reported(
    steps: list[Step], status: ReadingStatus, detail: str
) -> None:
    reading, _ = run(steps, **SETTLING)
    assert reading.status is status and detail in reading.detail
