"""The MLX90614 back ends on the emulated chip: our PEC-checked SMBus reads (driver = "smbus2")
and Adafruit's driver checked by the kiosk (driver = "adafruit")."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import adafruit_mlx90614
import pytest
import smbus2

from drivers import mlx90614, mlx90614_adafruit, thermometers
from drivers.base import Thermometer
from drivers.mlx90614 import (
    Mlx90614Thermometer,
    celsius_to_raw,
    open_smbus,
    open_thermometer,
    raw_to_celsius,
    read_word_frame,
    smbus_pec,
)
from drivers.mlx90614_adafruit import (
    AdafruitMlx90614Thermometer,
    open_adafruit_thermometer,
    open_busio,
)
from drivers.mlx90614_sim import EmulatedMlx90614, Fault
from drivers.timers import ManualTimers
from kiosk.config import ThermometerSettings, load_config
from kiosk.exc import DeviceClosed, SensorFault
from kiosk.model import ReadingStatus, TemperatureReading
from kiosk.temperature import measure

RESOLUTION = 0.02  # one register step


@pytest.fixture
def bus() -> EmulatedMlx90614:
    bus = EmulatedMlx90614(ambient_c=21.0)
    bus.set_object(36.6)
    return bus


def test_adafruit_driver_reads_what_was_set(bus: EmulatedMlx90614) -> None:
    sensor = adafruit_mlx90614.MLX90614(bus)
    assert sensor.ambient_temperature == pytest.approx(21.0, abs=RESOLUTION)
    assert sensor.object_temperature == pytest.approx(36.6, abs=RESOLUTION)


def test_thermometer_reads_what_was_set(bus: EmulatedMlx90614) -> None:
    with Mlx90614Thermometer(bus) as thermometer:
        assert isinstance(thermometer, Thermometer)
        assert thermometer.ambient() == pytest.approx(21.0, abs=RESOLUTION)
        assert thermometer.object() == pytest.approx(36.6, abs=RESOLUTION)
        bus.set_object(None)
        assert thermometer.object() == pytest.approx(21.0, abs=RESOLUTION)


def test_pec_matches_the_datasheet_example() -> None:
    # MLX90614 datasheet, SMBus read example: SA=0x5A(0xB4), cmd 0x07, 0xB5, 0xD2 0x3A -> 0x30
    assert smbus_pec(bytes((0xB4, 0x07, 0xB5, 0xD2, 0x3A))) == 0x30
    assert read_word_frame(0x5A, 0x07, 0xD2, 0x3A) == bytes((0xB4, 0x07, 0xB5, 0xD2, 0x3A))


def test_raw_conversion_round_trips() -> None:
    assert raw_to_celsius(0x3AD2) == pytest.approx(28.01, abs=0.005)
    assert raw_to_celsius(celsius_to_raw(36.6)) == pytest.approx(36.6, abs=RESOLUTION)


def test_corruption_fools_adafruit_but_not_us(bus: EmulatedMlx90614) -> None:
    bus.inject(Fault.CORRUPT)
    assert adafruit_mlx90614.MLX90614(bus).object_temperature != pytest.approx(36.6, abs=1)
    with pytest.raises(SensorFault, match=r"RAM 0x07.*PEC mismatch"):
        Mlx90614Thermometer(bus).object()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.NACK, "no answer on the bus"),
        (Fault.CORRUPT, "PEC mismatch"),
        (Fault.ERROR_FLAG, r"error flag set \(raw 0xFFFF\)"),
    ],
)
def test_persistent_fault_is_a_sensor_fault(
    bus: EmulatedMlx90614, fault: Fault, message: str
) -> None:
    thermometer = Mlx90614Thermometer(bus, retries=2)
    bus.inject(fault)
    with pytest.raises(SensorFault, match=rf"RAM 0x06\).*failed 3 reads; last: {message}"):
        thermometer.ambient()


@pytest.mark.parametrize("fault", [Fault.NACK, Fault.CORRUPT])
def test_retries_recover_transient_faults(bus: EmulatedMlx90614, fault: Fault) -> None:
    thermometer = Mlx90614Thermometer(bus, retries=3)
    bus.inject(fault, reads=3)
    assert thermometer.object() == pytest.approx(36.6, abs=RESOLUTION)


def test_transient_fault_longer_than_retries_is_a_fault(bus: EmulatedMlx90614) -> None:
    thermometer = Mlx90614Thermometer(bus, retries=1)
    bus.inject(Fault.NACK, reads=2)
    with pytest.raises(SensorFault):
        thermometer.object()
    assert thermometer.object() == pytest.approx(36.6, abs=RESOLUTION)


def test_value_outside_sensor_range_is_refused(bus: EmulatedMlx90614) -> None:
    bus.set_ambient(130.0)  # the die cannot report above 125 °C
    with pytest.raises(SensorFault, match=r"ambient Ta.*outside the sensor's range -40\.\.125"):
        Mlx90614Thermometer(bus, retries=0).ambient()


def test_unplugged_sensor_fails_at_probe(bus: EmulatedMlx90614) -> None:
    bus.inject(Fault.UNPLUGGED)
    with pytest.raises(SensorFault, match="no MLX90614 answers at I2C address 0x5A"):
        Mlx90614Thermometer(bus)
    bus.inject(Fault.UNPLUGGED)
    assert bus.try_lock()
    assert bus.scan() == []
    bus.unlock()
    with pytest.raises(SensorFault, match="no MLX90614 answers at I2C address 0x5A"):
        Mlx90614Thermometer(bus)


def test_unplugged_after_start_is_a_fault(bus: EmulatedMlx90614) -> None:
    thermometer = Mlx90614Thermometer(bus)
    bus.inject(Fault.UNPLUGGED)
    with pytest.raises(SensorFault, match="Remote I/O error"):
        thermometer.object()
    bus.clear()
    assert thermometer.object() == pytest.approx(36.6, abs=RESOLUTION)


def test_stuck_sensor_is_detected(bus: EmulatedMlx90614) -> None:
    noisy = EmulatedMlx90614(ambient_c=21.0, noise_c=0.1, seed=3)
    noisy.set_object(36.6)
    thermometer = Mlx90614Thermometer(noisy, stuck_reads=20)
    readings = [thermometer.object() for _ in range(100)]
    assert len(set(readings)) > 1  # a live sensor never trips the check
    noisy.inject(Fault.STUCK)
    noisy.set_object(30.0)  # the person leaves; the frozen register does not follow
    with pytest.raises(SensorFault, match=r"frozen at .* for 20 reads"):
        for _ in range(20):
            thermometer.object()


def test_wrong_address_is_reported(bus: EmulatedMlx90614) -> None:
    with pytest.raises(SensorFault, match="0x5B"):
        Mlx90614Thermometer(bus, address=0x5B)


def test_use_after_close_raises(bus: EmulatedMlx90614) -> None:
    thermometer = Mlx90614Thermometer(bus)
    thermometer.close()
    thermometer.close()
    assert thermometer.closed
    with pytest.raises(DeviceClosed):
        thermometer.object()


def test_eeprom_holds_the_smbus_address_and_takes_pec_checked_writes(
    bus: EmulatedMlx90614,
) -> None:
    reply = bytearray(3)
    assert bus.try_lock()
    bus.writeto_then_readfrom(0x5A, bytes((0x2E,)), reply)
    assert reply[0] == 0x5A
    frame = bytes((0x5A << 1, 0x24, 0x34, 0x12))
    bus.writeto(0x5A, bytes((0x24, 0x34, 0x12, smbus_pec(frame))))
    bus.writeto(0x5A, bytes((0x25, 0x00, 0x00, 0x00)))  # bad PEC: ignored
    bus.unlock()
    assert bus.eeprom[0x24] == 0x1234
    assert bus.eeprom[0x25] == 0x9FB4


def test_bus_refuses_use_without_lock(bus: EmulatedMlx90614) -> None:
    with pytest.raises(RuntimeError, match="try_lock"):
        bus.readfrom_into(0x5A, bytearray(1))


def test_retries_wait_between_attempts_and_not_after_the_last(bus: EmulatedMlx90614) -> None:
    naps: list[float] = []
    thermometer = Mlx90614Thermometer(bus, retries=3, sleep=naps.append)
    assert naps == []  # the probe read at once
    bus.inject(Fault.NACK, reads=2)
    assert thermometer.object() == pytest.approx(36.6, abs=RESOLUTION)
    assert naps == [0.005, 0.005]
    naps.clear()
    bus.inject(Fault.NACK)
    with pytest.raises(SensorFault, match="failed 4 reads"):
        thermometer.ambient()
    assert naps == [0.005] * 3


def test_reads_are_one_combined_smbus_transaction(bus: EmulatedMlx90614) -> None:
    seen: list[list[tuple[int, int, bytes]]] = []

    class Recorder(EmulatedMlx90614):
        def i2c_rdwr(self, *messages: Any) -> None:
            super().i2c_rdwr(*messages)
            seen.append([(m.addr, m.flags, bytes(m)) for m in messages])

    recorder = Recorder(ambient_c=21.0)
    Mlx90614Thermometer(recorder).object()
    write, read = seen[-1]
    assert write == (0x5A, 0, bytes((0x07,)))  # command byte, then a repeated start
    assert read[:2] == (0x5A, smbus2.smbus2.I2C_M_RD) and len(read[2]) == 3  # LSB, MSB, PEC


def test_our_reads_and_adafruits_driver_agree_on_the_emulated_chip(
    bus: EmulatedMlx90614,
) -> None:
    ours = Mlx90614Thermometer(bus)
    theirs = adafruit_mlx90614.MLX90614(bus)
    for celsius in (20.0, 36.6, 39.1):
        bus.set_object(celsius)
        assert ours.object() == pytest.approx(theirs.object_temperature, abs=1e-9)
    assert ours.ambient() == pytest.approx(theirs.ambient_temperature, abs=1e-9)


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file"), r"/dev/i2c-1 does not exist.*setup\.sh"),
        (PermissionError(errno.EACCES, "Permission denied"), r"'i2c' group"),
        (OSError(errno.EIO, "I/O error"), r"cannot open /dev/i2c-1"),
    ],
)
def test_every_failure_to_open_the_bus_is_a_sensor_fault_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, error: OSError, advice: str
) -> None:
    def refuse(bus: int) -> None:
        raise error

    monkeypatch.setattr(smbus2, "SMBus", refuse)
    with pytest.raises(SensorFault, match=advice):
        open_smbus(1)


def test_a_bus_that_does_not_exist_is_a_sensor_fault() -> None:
    missing = next(n for n in range(20, 0, -1) if not Path(f"/dev/i2c-{n}").exists())
    with pytest.raises(SensorFault, match=rf"/dev/i2c-{missing} does not exist"):
        open_thermometer(missing)


def test_open_thermometer_closes_the_bus_it_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    chips: list[EmulatedMlx90614] = []
    closed: list[bool] = []

    class ClosingChip(EmulatedMlx90614):
        def close(self) -> None:
            closed.append(True)

    def fake_bus(number: int) -> EmulatedMlx90614:
        chips.append(ClosingChip(ambient_c=21.0))
        return chips[-1]

    monkeypatch.setattr(mlx90614, "open_smbus", fake_bus)
    with open_thermometer(1) as thermometer:
        assert thermometer.ambient() == pytest.approx(21.0, abs=RESOLUTION)
    assert closed == [True]
    chips.clear()
    monkeypatch.setattr(mlx90614, "open_smbus", lambda n: fake_bus(n) and _unplug(chips[-1]))
    with pytest.raises(SensorFault, match="no MLX90614 answers"):
        open_thermometer(1)
    assert closed == [True, True]  # a failed probe closes the bus too


def _unplug(chip: EmulatedMlx90614) -> EmulatedMlx90614:
    chip.inject(Fault.UNPLUGGED)
    return chip


# --- driver = "adafruit": Adafruit's driver, checked as hard as a driver without PEC allows ----
BACK_ENDS = {
    "smbus2": Mlx90614Thermometer,
    "adafruit": AdafruitMlx90614Thermometer,
}
SETTINGS = load_config(None).thermometer


def _measure(sensor: Thermometer, settings: ThermometerSettings = SETTINGS) -> TemperatureReading:
    """The kiosk's own measuring procedure, on an injected clock."""
    timers = ManualTimers()
    return measure(sensor, settings, timers.now, timers.advance)


@pytest.mark.parametrize("driver", sorted(BACK_ENDS))
def test_both_back_ends_measure_a_forehead_through_the_kiosk(driver: str) -> None:
    chip = EmulatedMlx90614(ambient_c=22.0, noise_c=0.03, seed=1)
    chip.set_object(36.0)
    sensor = thermometers.on_bus(driver, chip, 0x5A, 2)  # type: ignore[arg-type]
    assert type(sensor) is BACK_ENDS[driver]
    reading = _measure(sensor)
    assert reading.status is ReadingStatus.OK, reading.detail
    assert reading.object_c == pytest.approx(36.0, abs=0.1)
    assert reading.ambient_c == pytest.approx(22.0, abs=RESOLUTION)


def test_both_back_ends_read_the_same_values(bus: EmulatedMlx90614) -> None:
    ours, theirs = Mlx90614Thermometer(bus), AdafruitMlx90614Thermometer(bus)
    for celsius in (-20.0, 20.0, 36.6, 39.1, 300.0):
        bus.set_object(celsius)
        assert theirs.object() == ours.object() == pytest.approx(celsius, abs=RESOLUTION)
    assert theirs.ambient() == ours.ambient()


def test_adafruit_back_end_rejects_the_error_word_the_driver_reads_as_1037_55(
    bus: EmulatedMlx90614,
) -> None:
    sensor = AdafruitMlx90614Thermometer(bus, retries=2, sleep=lambda s: None)
    bus.inject(Fault.ERROR_FLAG)
    assert adafruit_mlx90614.MLX90614(bus).object_temperature == pytest.approx(1037.55)
    with pytest.raises(SensorFault, match=r"RAM 0x07\).*failed 3 reads.*error flag set.*wiring"):
        sensor.object()
    reading = _measure(sensor)
    assert reading.status is ReadingStatus.FAULT and "error flag" in reading.detail


@pytest.mark.parametrize("driver", sorted(BACK_ENDS))
def test_both_back_ends_reject_the_saturated_word(bus: EmulatedMlx90614, driver: str) -> None:
    sensor = BACK_ENDS[driver](bus, retries=0)
    bus.set_object(raw_to_celsius(0x7FFF))  # 382.19 °C: inside the datasheet range, never real
    with pytest.raises(SensorFault, match=r"saturated value \(raw 0x7FFF\)"):
        sensor.object()


def test_adafruit_back_end_rejects_a_corrupted_read_and_retries(bus: EmulatedMlx90614) -> None:
    naps: list[float] = []
    sensor = AdafruitMlx90614Thermometer(bus, retries=1, sleep=naps.append)
    bus.inject(Fault.CORRUPT, reads=1)  # one read flipped: Adafruit's driver would return it
    assert sensor.object() == pytest.approx(36.6, abs=RESOLUTION)
    assert naps == [0.005]  # the disagreeing pair was thrown away, the pause kept
    bus.inject(Fault.CORRUPT)  # every read flipped, each differently
    assert adafruit_mlx90614.MLX90614(bus).object_temperature != pytest.approx(36.6, abs=1)
    with pytest.raises(SensorFault, match=r"RAM 0x07\) failed 2 reads; last: .*wiring"):
        sensor.object()
    assert bus.transactions > 4  # both attempts read twice


def test_adafruit_back_end_is_fooled_without_the_agreement_check(
    bus: EmulatedMlx90614,
) -> None:
    # Two corrupted reads, both plausible (40.2 and 45.3 °C): only their disagreement tells.
    sensor = AdafruitMlx90614Thermometer(bus, retries=0, agree_c=1000.0)
    bus.inject(Fault.CORRUPT)
    assert sensor.object() != pytest.approx(36.6, abs=1)
    bus.clear()
    checked = AdafruitMlx90614Thermometer(bus, retries=0)
    bus.inject(Fault.CORRUPT)
    with pytest.raises(SensorFault, match=r"two reads disagree \(-?[\d.]+ and -?[\d.]+ °C"):
        checked.object()


def test_adafruit_back_end_retries_nacks_and_reports_an_unplugged_sensor(
    bus: EmulatedMlx90614,
) -> None:
    sensor = AdafruitMlx90614Thermometer(bus, retries=3, sleep=lambda s: None)
    bus.inject(Fault.NACK, reads=3)
    assert sensor.ambient() == pytest.approx(21.0, abs=RESOLUTION)
    bus.inject(Fault.UNPLUGGED)
    with pytest.raises(SensorFault, match=r"no answer on the bus.*Remote I/O error"):
        sensor.object()
    with pytest.raises(SensorFault, match="no MLX90614 answers at I2C address 0x5A"):
        AdafruitMlx90614Thermometer(bus)


def test_adafruit_back_end_detects_a_frozen_sensor(bus: EmulatedMlx90614) -> None:
    noisy = EmulatedMlx90614(ambient_c=21.0, noise_c=0.03, seed=3)
    sensor = AdafruitMlx90614Thermometer(noisy, stuck_reads=20)
    noisy.inject(Fault.STUCK)
    with pytest.raises(SensorFault, match=r"frozen at .* for 20 reads"):
        for _ in range(20):
            sensor.object()


class FakeLgpioError(Exception):
    """lgpio.error is an Exception, not an OSError."""


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (ValueError("No I2C device"), r"I2C is off\. Run setup\.sh"),
        (FileNotFoundError(errno.ENOENT, "/dev/i2c-1"), r"I2C is off\. Run setup\.sh"),
        (PermissionError(errno.EACCES, "Permission denied"), r"'i2c' group"),
        (FakeLgpioError("can not open gpiochip"), r"FakeLgpioError.*folder it can write"),
    ],
)
def test_every_failure_of_blinka_to_open_the_bus_is_a_sensor_fault_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, error: Exception, advice: str
) -> None:
    def refuse(scl: object, sda: object) -> None:
        raise error

    monkeypatch.setitem(sys.modules, "board", SimpleNamespace(SCL=3, SDA=2))
    monkeypatch.setitem(sys.modules, "busio", SimpleNamespace(I2C=refuse))
    with pytest.raises(SensorFault, match=advice):
        open_adafruit_thermometer(1)


@pytest.mark.parametrize("module", ["board", "adafruit_mlx90614"])
def test_missing_blinka_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, bus: EmulatedMlx90614, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled module does: ImportError
    fault = r"/opt/kiosk/venv/bin/pip install .*adafruit-blinka.*driver = \"smbus2\""
    with pytest.raises(SensorFault, match=fault):
        if module == "board":
            open_busio(1)
        else:
            AdafruitMlx90614Thermometer(bus)


def test_blinka_reads_bus_1_only() -> None:
    with pytest.raises(SensorFault, match=r'bus 1 only.*i2c_bus = 2.*driver = "smbus2"'):
        open_busio(2)


def test_open_adafruit_thermometer_releases_the_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[bool] = []

    class Blinka(EmulatedMlx90614):
        def deinit(self) -> None:
            released.append(True)

    chip = Blinka(ambient_c=21.0)
    monkeypatch.setattr(mlx90614_adafruit, "open_busio", lambda number: chip)
    with open_adafruit_thermometer(1) as sensor:
        assert sensor.ambient() == pytest.approx(21.0, abs=RESOLUTION)
    assert released == [True]
    chip.inject(Fault.UNPLUGGED)
    with pytest.raises(SensorFault, match="no MLX90614 answers"):
        open_adafruit_thermometer(1)
    assert released == [True, True]  # a failed probe releases the bus too


@pytest.mark.parametrize("driver", sorted(BACK_ENDS))
def test_open_device_opens_the_chosen_driver(monkeypatch: pytest.MonkeyPatch, driver: str) -> None:
    chip = EmulatedMlx90614(ambient_c=21.0)
    monkeypatch.setattr(mlx90614, "open_smbus", lambda number: chip)
    monkeypatch.setattr(mlx90614_adafruit, "open_busio", lambda number: chip)
    with thermometers.open_device(driver, 1, 0x5A, 2) as sensor:  # type: ignore[arg-type]
        assert type(sensor) is BACK_ENDS[driver]
        assert sensor.ambient() == pytest.approx(21.0, abs=RESOLUTION)
