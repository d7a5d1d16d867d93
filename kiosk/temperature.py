"""Forehead measuring: wait for a forehead, take steady samples, estimate core temperature.

The kiosk loop must never block for long, so a ``Measurement`` is advanced by ``step(now)``,
which takes at most one sample (one ambient + one object read) per call and returns the
``TemperatureReading`` once done. ``measure()`` is the blocking convenience built on it.

Procedure:
1. Presence: the object must read at least ``presence_delta_c`` above ambient; anything less
   is the wall or the air, and resets the batch (a person stepping back and forth "flickers").
   Readings within ``settling_s`` of a forehead's first appearance are dropped: the sensor's
   filter is still ramping from the wall, and a half-settled value would spread the batch and
   force a re-take.
2. Values no MLX90614 can report for a real scene (NaN, 1037.55 after a bus glitch, -273.15)
   are dropped; more than ``max_bad_samples`` of them is a sensor fault.
3. Values outside the plausible forehead range (a hand, a hot cup) reset the batch.
4. ``samples`` consecutive good readings make a batch. If they spread by more than
   ``max_spread_c`` the person moved: the batch is re-taken, at most ``retries`` times, then
   it is a fault (a sensor that never settles needs the guard).
5. Estimate = median(object) + compensation + ``calibration_offset_c``, where
   compensation = k·(reference_ambient_c − ambient), clipped to ±max_compensation_c.
   Why: forehead skin cools in a cold entryway and reads low; a linear term around a reference
   ambient is the usual first-order correction. Calibrate k per site against a clinical
   thermometer; k = 0 turns compensation off.
6. No result within ``timeout_s`` → NO_FOREHEAD ("step closer"). A ``SensorFault`` (after the
   driver's own retries) or any other driver error → FAULT with the message in ``detail``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

from drivers.base import Thermometer
from kiosk.clock import Clock
from kiosk.config import ThermometerSettings
from kiosk.model import Celsius, ReadingStatus, TemperatureReading

# What an MLX90614 can report at all (datasheet ranges); outside is a glitch, not a scene.
OBJECT_RANGE_C = (-70.0, 380.0)
AMBIENT_RANGE_C = (-40.0, 125.0)
# A loop ticking at the sample interval is a little early now and then; without this
# allowance such a tick would be skipped and the sampling rate halved.
JITTER = 0.1


def compensation(settings: ThermometerSettings, ambient_c: float) -> float:
    """Ambient compensation in °C to add to the forehead value (see the module docstring)."""
    raw = settings.ambient_coefficient * (settings.reference_ambient_c - ambient_c)
    limit = settings.max_compensation_c
    return max(-limit, min(limit, raw))


def estimate(settings: ThermometerSettings, object_c: float, ambient_c: float) -> float:
    """Estimated core temperature from a robust forehead value and the ambient temperature."""
    return object_c + compensation(settings, ambient_c) + settings.calibration_offset_c


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return math.isfinite(value) and bounds[0] <= value <= bounds[1]


class Measurement:
    """One run of the procedure, fed by ``step(now)`` with a monotonic time in seconds."""

    def __init__(
        self, thermometer: Thermometer, settings: ThermometerSettings, started: float
    ) -> None:
        self._thermometer = thermometer
        self._settings = settings
        self._deadline = started + settings.timeout_s
        self._next_at = started
        self._batch: list[tuple[float, float]] = []  # (object, ambient)
        self._bad = 0
        self._retakes = 0
        self._seen_forehead = False
        self._present_since: float | None = None  # first reading of the forehead now in range
        self._last = ""
        self.result: TemperatureReading | None = None

    @property
    def forehead_seen(self) -> bool:
        """A forehead is in range now (its readings are settling or being batched)."""
        return self._present_since is not None

    @property
    def deadline(self) -> float:
        """When the procedure gives up with NO_FOREHEAD."""
        return self._deadline

    @property
    def wake_at(self) -> float:
        """When ``step`` next has something to do."""
        return min(self._next_at, self._deadline)

    def step(self, now: float) -> TemperatureReading | None:
        """Take at most one sample; return the reading once the procedure is over."""
        if self.result is not None:
            return self.result
        if now >= self._deadline:
            return self._finish(ReadingStatus.NO_FOREHEAD, self._timeout_detail())
        if now < self._next_at - JITTER * self._settings.sample_interval_s:
            return None
        self._next_at = now + self._settings.sample_interval_s
        try:
            ambient, obj = self._thermometer.ambient(), self._thermometer.object()
        except Exception as e:  # never raise: a broken driver means "call the guard"
            return self._finish(ReadingStatus.FAULT, f"{type(e).__name__}: {e}")
        return self._take(obj, ambient, now)

    def _take(self, obj: float, ambient: float, now: float) -> TemperatureReading | None:
        self._last = f"object {obj:.2f} °C, ambient {ambient:.2f} °C"
        if not (_within(obj, OBJECT_RANGE_C) and _within(ambient, AMBIENT_RANGE_C)):
            self._bad += 1
            if self._bad > self._settings.max_bad_samples:
                detail = f"{self._bad} impossible readings, last {self._last}"
                return self._finish(ReadingStatus.FAULT, detail)
            return None
        s = self._settings
        if obj - ambient < s.presence_delta_c or not s.plausible_min_c <= obj <= s.plausible_max_c:
            self._batch.clear()  # nobody there, or not a forehead: start again
            self._present_since = None
            return None
        self._seen_forehead = True
        if self._present_since is None:
            self._present_since = now
        if now - self._present_since < s.settling_s - 1e-9:
            return None  # the sensor is still settling on the forehead
        self._batch.append((obj, ambient))
        return self._batch_done() if len(self._batch) >= s.samples else None

    def _batch_done(self) -> TemperatureReading | None:
        objects = [o for o, _ in self._batch]
        spread = max(objects) - min(objects)
        if spread <= self._settings.max_spread_c:
            return self._finish_ok(objects, [a for _, a in self._batch])
        self._batch.clear()
        self._retakes += 1
        if self._retakes > self._settings.retries:
            detail = f"readings never settled: spread {spread:.2f} °C in {self._retakes} batches"
            return self._finish(ReadingStatus.FAULT, detail)
        return None

    def _finish_ok(self, objects: list[float], ambients: list[float]) -> TemperatureReading:
        obj, ambient = statistics.median(objects), statistics.median(ambients)
        celsius = round(estimate(self._settings, obj, ambient), 2)
        self.result = TemperatureReading(
            ReadingStatus.OK,
            celsius=Celsius(celsius),
            object_c=Celsius(round(obj, 2)),
            ambient_c=Celsius(round(ambient, 2)),
            samples=len(objects),
        )
        return self.result

    def _finish(self, status: ReadingStatus, detail: str) -> TemperatureReading:
        self.result = TemperatureReading(status, samples=len(self._batch), detail=detail)
        return self.result

    def _timeout_detail(self) -> str:
        if self._seen_forehead:
            return f"forehead moved away before {self._settings.samples} steady readings"
        return f"no forehead in front of the sensor ({self._last or 'no reading'})"


def measure(
    thermometer: Thermometer,
    settings: ThermometerSettings,
    clock: Callable[[], float] | Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TemperatureReading:
    """Run the whole procedure, blocking until done (at most ``settings.timeout_s``); never raises.

    ``clock`` is a monotonic time source in seconds (or a ``kiosk.clock.Clock``, whose monotonic
    source is used) and ``sleep`` waits; tests pass fakes.
    """
    if isinstance(clock, Clock):
        clock = clock.monotonic
    measurement = Measurement(thermometer, settings, clock())
    while (reading := measurement.step(clock())) is None:
        sleep(max(0.0, measurement.wake_at - clock()))
    return reading
