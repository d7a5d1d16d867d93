"""Properties of the measuring procedure over arbitrary sensor output: it never raises, never
passes a garbage value, and always ends within the timeout."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.exc import SensorFault
from kiosk.model import ReadingStatus
from kiosk.temperature import AMBIENT_RANGE_C, measure
from tests.test_temperature import SETTINGS, FakeTime, ScriptedThermometer, Step

readings = st.floats(allow_nan=True, allow_infinity=True, width=32)
steps = st.one_of(
    st.tuples(readings, readings),
    st.tuples(st.floats(15, 30), st.floats(30, 40)),  # mostly-sane people
    st.just(SensorFault("I2C NACK")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, min_size=1, max_size=120))
def test_any_sensor_output_gives_a_reading_in_time(script: list[Step]) -> None:
    clock = FakeTime()
    reading = measure(ScriptedThermometer(script), SETTINGS, clock, clock.sleep)
    assert clock.now <= 1000.0 + SETTINGS.timeout_s + SETTINGS.sample_interval_s
    if reading.status is ReadingStatus.OK:
        assert reading.celsius is not None and reading.object_c is not None
        assert reading.ambient_c is not None
        assert SETTINGS.plausible_min_c <= reading.object_c <= SETTINGS.plausible_max_c
        assert AMBIENT_RANGE_C[0] <= reading.ambient_c <= AMBIENT_RANGE_C[1]
        offset = SETTINGS.calibration_offset_c
        assert (
            abs(reading.celsius - reading.object_c - offset) <= SETTINGS.max_compensation_c + 0.01
        )
        assert math.isfinite(reading.celsius)
    else:
        assert reading.celsius is None and reading.detail
