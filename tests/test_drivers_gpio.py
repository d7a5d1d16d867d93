"""Gate relay, buzzer/LEDs and contacts on gpiozero's MockFactory, with time moved by hand."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.base import Contact, Gate, Indicator
from drivers.gpio import AlarmLight, BuzzerLeds, DoorContact, PushButton, RelayGate
from drivers.timers import ManualTimers
from kiosk.exc import DeviceClosed


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()


@pytest.fixture
def timers() -> ManualTimers:
    return ManualTimers()


def _states(factory: MockFactory, pin: int) -> list[bool]:
    return [state.state for state in factory.pin(pin).states]


def test_relay_starts_off_and_opens(factory: MockFactory, timers: ManualTimers) -> None:
    with RelayGate(17, pin_factory=factory, timers=timers) as gate:
        assert isinstance(gate, Gate)
        assert not gate.is_open
        assert factory.pin(17).state is False
        gate.open(3)
        assert gate.is_open
        assert factory.pin(17).state is True


def test_relay_drops_by_itself_after_its_time(factory: MockFactory, timers: ManualTimers) -> None:
    gate = RelayGate(17, pin_factory=factory, timers=timers)
    gate.open(3)
    timers.advance(2.9)
    assert gate.is_open
    timers.advance(0.2)
    assert not gate.is_open
    assert _states(factory, 17) == [False, True, False]


def test_open_is_bounded_by_max_open(factory: MockFactory, timers: ManualTimers) -> None:
    gate = RelayGate(17, pin_factory=factory, max_open_s=5, timers=timers)
    gate.open(600)
    timers.advance(5)
    assert not gate.is_open


def test_reopening_extends_and_a_stale_timer_drops_nothing(
    factory: MockFactory, timers: ManualTimers
) -> None:
    gate = RelayGate(17, pin_factory=factory, timers=timers)
    gate.open(3)
    timers.advance(2)
    gate.open(3)
    timers.advance(2)
    assert gate.is_open
    timers.advance(1)
    assert not gate.is_open
    assert timers.pending == 0


def test_close_gate_drops_at_once(factory: MockFactory, timers: ManualTimers) -> None:
    gate = RelayGate(17, pin_factory=factory, timers=timers)
    gate.open(3)
    gate.close_gate()
    assert not gate.is_open
    assert timers.pending == 0


def test_close_leaves_the_relay_off(factory: MockFactory, timers: ManualTimers) -> None:
    gate = RelayGate(17, pin_factory=factory, timers=timers)
    gate.open(3)
    gate.close()
    assert gate.closed
    assert factory.pin(17).state is False
    with pytest.raises(DeviceClosed):
        gate.open(1)
    timers.advance(10)  # nothing left to fire on a closed device


def test_active_low_board_is_off_when_high(factory: MockFactory, timers: ManualTimers) -> None:
    gate = RelayGate(27, active_high=False, pin_factory=factory, timers=timers)
    assert factory.pin(27).state is True
    gate.open(1)
    assert factory.pin(27).state is False
    timers.advance(1)
    assert factory.pin(27).state is True


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf")])
def test_bad_open_time_is_refused(
    factory: MockFactory, timers: ManualTimers, seconds: float
) -> None:
    gate = RelayGate(17, pin_factory=factory, timers=timers)
    with pytest.raises(ValueError, match="positive number of seconds"):
        gate.open(seconds)
    assert not gate.is_open


def test_relay_drops_with_real_timer_thread(factory: MockFactory) -> None:
    gate = RelayGate(17, pin_factory=factory)
    gate.open(0.01)
    timer = gate._drop_timer
    assert timer is not None
    timer.join(5)  # type: ignore[attr-defined]
    assert not gate.is_open


@pytest.fixture
def indicator(factory: MockFactory) -> Iterator[BuzzerLeds]:
    with BuzzerLeds(5, 6, 13, pin_factory=factory, time_scale=0.001) as indicator:
        yield indicator


def test_pass_is_one_beep_and_green(indicator: BuzzerLeds, factory: MockFactory) -> None:
    assert isinstance(indicator, Indicator)
    indicator.show("pass")
    assert indicator.wait(5)
    assert _states(factory, 5) == [False, True, False]
    assert factory.pin(6).state is True
    assert factory.pin(13).state is False


def test_refuse_is_three_beeps_and_red(indicator: BuzzerLeds, factory: MockFactory) -> None:
    indicator.show("refuse")
    indicator.wait(5)
    assert _states(factory, 5) == [False] + [True, False] * 3
    assert factory.pin(6).state is False
    assert factory.pin(13).state is True


def test_an_alarm_beeps_a_few_times_and_idle_silences_all(
    indicator: BuzzerLeds, factory: MockFactory
) -> None:
    indicator.show("alarm")
    assert indicator.wait(10) is True  # a few beeps, then quiet: kiosk.alarms repeats them
    indicator.show("alarm-quiet")
    assert indicator.wait(0.05) is True and factory.pin(5).state is False
    indicator.show("idle")
    for pin in (5, 6, 13):
        assert factory.pin(pin).state is False


def test_unknown_pattern_names_the_choices(indicator: BuzzerLeds) -> None:
    with pytest.raises(ValueError, match="idle, pass, refuse, alarm"):
        indicator.show("party")


def test_indicator_refuses_use_after_close(factory: MockFactory) -> None:
    indicator = BuzzerLeds(5, 6, 13, pin_factory=factory)
    indicator.close()
    with pytest.raises(DeviceClosed):
        indicator.show("pass")


def test_door_reports_open_after_debounce(factory: MockFactory, timers: ManualTimers) -> None:
    door = DoorContact(22, pin_factory=factory, timers=timers)
    pin = factory.pin(22)
    pin.drive_low()  # door shut: magnet closes the reed switch
    timers.advance(1)
    seen: list[bool] = []
    door.when_changed(seen.append)
    assert isinstance(door, Contact)
    assert door.active is False
    pin.drive_high()
    timers.advance(0.04)
    assert door.active is False
    timers.advance(0.02)
    assert door.active is True
    assert seen == [True]


def test_door_bounce_gives_one_change(factory: MockFactory, timers: ManualTimers) -> None:
    door = DoorContact(22, pin_factory=factory, timers=timers)
    pin = factory.pin(22)
    pin.drive_low()
    timers.advance(1)
    seen: list[bool] = []
    door.when_changed(seen.append)
    for _ in range(5):  # contact chatter, 5 ms apart
        pin.drive_high()
        timers.advance(0.005)
        pin.drive_low()
        timers.advance(0.005)
    pin.drive_high()
    timers.advance(0.1)
    assert seen == [True]
    pin.drive_low()
    timers.advance(0.01)
    pin.drive_high()  # a glitch back to the settled level changes nothing
    timers.advance(0.1)
    assert seen == [True]


def test_door_starts_open_with_pull_up_and_no_magnet(factory: MockFactory) -> None:
    assert DoorContact(22, pin_factory=factory, timers=ManualTimers()).active is True


def test_button_is_active_when_pressed_to_ground(
    factory: MockFactory, timers: ManualTimers
) -> None:
    with PushButton(26, pin_factory=factory, timers=timers) as button:
        seen: list[bool] = []
        button.when_changed(seen.append)
        assert button.active is False
        factory.pin(26).drive_low()
        timers.advance(0.05)
        factory.pin(26).drive_high()
        timers.advance(0.05)
        assert seen == [True, False]
    with pytest.raises(DeviceClosed):
        _ = button.active


def test_the_alarm_light_is_on_for_its_time_then_off(factory: MockFactory) -> None:
    light = AlarmLight(16, pin_factory=factory)
    light.light_for(0.05)
    assert factory.pin(16).state is True
    deadline = time.monotonic() + 5
    while light.lit and time.monotonic() < deadline:
        time.sleep(0.01)
    assert factory.pin(16).state is False
    light.close()
