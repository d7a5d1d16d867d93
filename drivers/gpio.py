"""Gate relay, buzzer and LEDs, door contact and push button through gpiozero.

Every class takes ``pin_factory=None`` like gpiozero itself: None is the Pi's default
factory (lgpio), and the simulator and tests pass ``gpiozero.pins.mock.MockFactory()``.
"""

from __future__ import annotations

import atexit
import math
import threading
from collections.abc import Callable
from typing import Any

from gpiozero import LED, Buzzer, DigitalInputDevice, DigitalOutputDevice, OutputDevice
from gpiozero.exc import ZombieThread

from drivers.lifecycle import Device
from drivers.timers import Cancellable, ThreadTimers, Timers

__all__ = ["PATTERNS", "AlarmLight", "BuzzerLeds", "DoorContact", "PushButton", "RelayGate"]

Pin = int | str


class RelayGate(Device):
    """The gate relay (``drivers.base.Gate``); fail-secure.

    The relay is off at start (``initial_value=False``), after ``close_gate()``, after
    ``close()``, and ``seconds`` after ``open(seconds)`` even when the caller stalls: a
    timer drops it, independent of the kiosk loop. ``open`` never holds the gate for
    more than ``max_open_s``.

    On a crash: an atexit handler drops the relay on any interpreter exit, and gpiozero
    then releases the line. A killed process (SIGKILL, power loss of the Pi alone) runs no
    handler: the released GPIO line floats, so the relay board MUST default to off on a
    floating input -- a pull-down on the input of an active-high board (a pull-up on an
    active-low one). See docs/hardware.md.
    """

    def __init__(
        self,
        pin: Pin,
        active_high: bool = True,
        pin_factory: Any = None,
        max_open_s: float = 10.0,
        *,
        timers: Timers | None = None,
    ) -> None:
        if not 0 < max_open_s <= 60:
            raise ValueError(f"max_open_s must be in (0, 60] seconds, got {max_open_s}")
        self.max_open_s = max_open_s
        self._timers = timers or ThreadTimers()
        self._lock = threading.Lock()
        self._drop_timer: Cancellable | None = None
        self._opened = 0  # counts opens, so a late timer of an earlier open drops nothing
        self._relay = OutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
        )
        atexit.register(self.close_gate)

    @property
    def is_open(self) -> bool:
        """True while the relay is energised."""
        self._check_open()
        return bool(self._relay.value)

    def open(self, seconds: float) -> None:
        """Energise the relay for ``seconds`` (at most ``max_open_s``), then drop it."""
        self._check_open()
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"open time must be a positive number of seconds, got {seconds}")
        with self._lock:
            self._cancel_drop()
            self._relay.on()
            self._opened += 1
            opened = self._opened
            self._drop_timer = self._timers.call_later(
                min(seconds, self.max_open_s), lambda: self._expire(opened)
            )

    def _expire(self, opened: int) -> None:
        if opened == self._opened:
            self.close_gate()

    def close_gate(self) -> None:
        """Drop the relay now (safe to call at any time, also after close())."""
        with self._lock:
            self._cancel_drop()
            if not self._relay.closed:
                self._relay.off()

    def _cancel_drop(self) -> None:
        if self._drop_timer is not None:
            self._drop_timer.cancel()
            self._drop_timer = None

    def _release(self) -> None:
        self.close_gate()
        self._relay.close()
        atexit.unregister(self.close_gate)


Pattern = tuple[tuple[float, float, int | None] | None, str, str]
# pattern -> (buzzer (on_s, off_s, times; times None = until changed) or None,
#             green LED, red LED: "on", "off" or "blink")
# The alarm classes (kiosk.view.AlarmClass) differ in rhythm, so a guard out of sight of the
# screen knows by ear whether a door was forced (fast), someone has a fever (even), a flagged
# pass was shown (a chirp) or the kiosk itself needs help (slow). Each plays for a few seconds
# and stops; kiosk.alarms plays it again every few minutes until the alarm is acknowledged,
# with the red LED blinking in between ("alarm-quiet").
PATTERNS: dict[str, Pattern] = {
    "idle": (None, "off", "off"),
    "pass": ((0.15, 0.1, 1), "on", "off"),
    "refuse": ((0.15, 0.1, 3), "off", "on"),
    "alarm": ((0.4, 0.2, 6), "off", "blink"),
    "alarm-door": ((0.1, 0.1, 20), "off", "blink"),
    "alarm-health": ((0.5, 0.5, 5), "off", "blink"),
    "alarm-person": ((0.15, 1.2, 4), "off", "blink"),
    "alarm-device": ((1.0, 3.0, 4), "off", "blink"),
    "alarm-quiet": (None, "off", "blink"),
}


def pattern_of(name: str) -> Pattern:
    """(beeps, green, red) of an indicator pattern; a ValueError naming the known ones."""
    try:
        return PATTERNS[name]
    except KeyError:
        raise ValueError(
            f"unknown indicator pattern {name!r}; choose one of: {', '.join(PATTERNS)}"
        ) from None


class BuzzerLeds(Device):
    """Buzzer plus green and red LEDs (``drivers.base.Indicator``).

    ``show(pattern)`` replaces whatever pattern was playing; beeping and blinking run on
    gpiozero's background threads so ``show`` returns at once. ``time_scale`` shortens
    every duration (tests, demos).
    """

    def __init__(
        self,
        buzzer_pin: Pin,
        green_pin: Pin,
        red_pin: Pin,
        pin_factory: Any = None,
        *,
        time_scale: float = 1.0,
    ) -> None:
        self.time_scale = time_scale
        self.pattern = "idle"
        self._buzzer = Buzzer(buzzer_pin, pin_factory=pin_factory)
        self._green = LED(green_pin, pin_factory=pin_factory)
        self._red = LED(red_pin, pin_factory=pin_factory)

    def show(self, pattern: str) -> None:
        """Play ``pattern``: "pass", "refuse", "alarm" or "idle"."""
        self._check_open()
        beeps, green, red = pattern_of(pattern)
        self.pattern = pattern
        self._light(self._green, green)
        self._light(self._red, red)
        if beeps is None:
            self._buzzer.off()
        else:
            on_s, off_s, times = beeps
            self._buzzer.blink(on_s * self.time_scale, off_s * self.time_scale, n=times)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until a finite pattern has finished beeping; False if still beeping."""
        thread = self._buzzer._blink_thread  # gpiozero keeps no public handle on it
        if thread is None:
            return True
        try:
            thread.join(timeout)
        except ZombieThread:  # gpiozero's join raises when the timeout runs out
            return False
        return True

    def _light(self, led: LED, how: str) -> None:
        if how == "blink":
            led.blink(0.5 * self.time_scale, 0.5 * self.time_scale)
        else:
            led.value = how == "on"

    def _release(self) -> None:
        for device in (self._buzzer, self._green, self._red):
            device.close()


class AlarmLight(Device):
    """A booth light or siren on a relay or transistor (``drivers.base.Beacon``): switched on for
    a while when a new door or fever alarm is raised, on gpiozero's background thread."""

    def __init__(self, pin: Pin, pin_factory: Any = None) -> None:
        self._out = DigitalOutputDevice(pin, pin_factory=pin_factory)

    def light_for(self, seconds: float) -> None:
        """On now, off again after ``seconds`` (a newer call starts the time again)."""
        self._check_open()
        self._out.blink(on_time=seconds, off_time=0, n=1, background=True)

    @property
    def lit(self) -> bool:
        return bool(self._out.value)

    def _release(self) -> None:
        self._out.close()


class _DebouncedInput(Device):
    """A pulled-up input read through a software debounce.

    gpiozero's ``bounce_time`` is done by the pin library and ``MockFactory`` ignores it,
    so the debounce lives here where the simulator and tests exercise it: a new level
    counts once it has held for ``debounce_s`` on the ``timers`` clock.
    """

    _active_level: bool  # pin level (True = high) that means "active"

    def __init__(
        self,
        pin: Pin,
        pin_factory: Any = None,
        debounce_s: float = 0.05,
        *,
        timers: Timers | None = None,
    ) -> None:
        self.debounce_s = debounce_s
        self._timers = timers or ThreadTimers()
        self._lock = threading.RLock()
        self._callback: Callable[[bool], None] | None = None
        self._input = DigitalInputDevice(pin, pull_up=True, pin_factory=pin_factory)
        self._active = self._raw()
        self._pending_since: float | None = None
        self._input.when_activated = self._on_edge
        self._input.when_deactivated = self._on_edge

    @property
    def active(self) -> bool:
        """The debounced state: door open / button pressed."""
        self._check_open()
        self._settle()
        return self._active

    def when_changed(self, callback: Callable[[bool], None] | None) -> None:
        """Call ``callback(active)`` on every debounced change (from a timer thread)."""
        self._check_open()
        self._callback = callback

    def _raw(self) -> bool:
        # pull_up=True makes gpiozero's is_active mean "pin low".
        high = not self._input.is_active
        return high == self._active_level

    def _on_edge(self) -> None:
        with self._lock:
            self._pending_since = self._timers.now()
        self._timers.call_later(self.debounce_s, self._settle)

    def _settle(self) -> None:
        with self._lock:
            since = self._pending_since
            if since is None or self._timers.now() - since < self.debounce_s:
                return
            self._pending_since = None
            level = self._raw()
            if level == self._active:
                return
            self._active = level
            callback = self._callback
        if callback is not None:
            callback(level)

    def _release(self) -> None:
        self._callback = None
        self._input.close()


class DoorContact(_DebouncedInput):
    """A reed switch between the pin and ground, pulled up: door closed = magnet = low.

    ``active`` is True while the door is open. Held-open and forced-open alarms are the
    kiosk state machine's business; this only reports the state and its changes.
    """

    _active_level = True


class PushButton(_DebouncedInput):
    """A push button between the pin and ground, pulled up: ``active`` while pressed."""

    _active_level = False
