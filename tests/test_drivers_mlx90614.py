"""The MLX90614 back end: our PEC-checked SMBus reads and Adafruit's driver on the emulated chip."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import adafruit_mlx90614
import pytest
import smbus2

from drivers import mlx90614
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
from drivers.mlx90614_sim import EmulatedMlx90614, Fault
from kiosk.exc import DeviceClosed, SensorFault

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
