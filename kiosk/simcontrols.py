"""Playing the simulated hardware by hand or by script (``kiosk sim``, ``kiosk demo``, tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from drivers.frames import FrameStyle
from drivers.timers import ThreadTimers, Timers
from kiosk.config import GpioSettings

if TYPE_CHECKING:
    from kiosk.machine import Kiosk

__all__ = ["STEADY", "NetworkSwitch", "SimControls"]

# A phone held still in front of the camera, slightly turned: what a patient resident does
# after a moment of aiming. Random presentations are the decoder benchmark's business.
STEADY = FrameStyle(
    medium="phone", code_px=300, rotation_deg=4.0, tilt=0.08, tilt_dir_deg=30.0, noise=4.0
)


class NetworkSwitch:
    """Whether the network is up; the sync agent asks ``online`` before each request.

    On a real kiosk it is always on; the simulator cuts it to show offline behaviour.
    """

    def __init__(self, online: bool = True) -> None:
        self._online = threading.Event()
        self._listeners: list[Callable[[bool], None]] = []
        if online:
            self._online.set()

    def subscribe(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(online)`` on every change (e.g. ``SyncAgent.set_network``)."""
        self._listeners.append(listener)

    @property
    def online(self) -> bool:
        return self._online.is_set()

    def set(self, online: bool) -> None:
        if online:
            self._online.set()
        else:
            self._online.clear()
        for listener in self._listeners:
            listener(online)


class SimControls:
    """The simulated camera, thermometer, door, exit button and network of one kiosk."""

    def __init__(
        self,
        kiosk: Kiosk,
        camera: Any,
        thermometer_bus: Any,
        pin_factory: Any,
        gpio: GpioSettings,
        network: NetworkSwitch,
    ) -> None:
        self.kiosk = kiosk
        self.camera = camera  # drivers.camera_sim.SimulatedCamera
        self.bus = thermometer_bus  # drivers.mlx90614_sim.EmulatedMlx90614
        self.pin_factory = pin_factory  # gpiozero.pins.mock.MockFactory
        self.gpio = gpio
        self.network = network

    def present_pass(self, text: str | None, style: FrameStyle | None = None) -> None:
        """Hold a QR text up to the camera, held steady unless ``style`` says how (None: away)."""
        self.camera.present(text, style or STEADY)

    def present_plate(self, plate: str | None, distance_m: float = 4.0) -> None:
        """A car carrying ``plate`` stops at the barrier (None: the lane is empty); the car
        gate's camera is drivers.camera_plates_sim.SimulatedPlateCamera."""
        self.camera.present(plate, distance_m)

    def set_forehead(self, celsius: float | None) -> None:
        """Put a forehead of ``celsius`` in front of the thermometer (None: nobody)."""
        self.bus.set_object(celsius)

    def set_ambient(self, celsius: float) -> None:
        self.bus.set_ambient(celsius)

    mcu: Any = None  # with [gate] backend "osdp": the simulated controller's PtyBridge
    timers: Timers = ThreadTimers()  # the kiosk's clock, which the controller keeps too

    def set_door(self, open: bool) -> None:
        """Open or close the door (the reed switch: closed = magnet = pin low)."""
        if self.mcu is not None:
            self.mcu.call("drive", input="door", active=open)
            self._wait_contact(self.kiosk.hw.door, open)
            return
        pin = self.pin_factory.pin(self.gpio.door_pin)
        if open:
            pin.drive_high()
        else:
            pin.drive_low()
        self.kiosk.hw.door.active  # noqa: B018 -- reading settles the (zero) debounce now

    def press_exit_button(self) -> None:
        """Press and release the request-to-exit button."""
        if self.mcu is not None:
            for pressed in (True, False):
                self.mcu.call("drive", input="exit", active=pressed)
                self._wait_contact(self.kiosk.hw.exit_button, pressed)
            return
        pin = self.pin_factory.pin(self.gpio.exit_button_pin)
        button = self.kiosk.hw.exit_button
        pin.drive_low()
        button.active  # noqa: B018 -- settle: the kiosk latches the press
        pin.drive_high()
        button.active  # noqa: B018

    def _wait_contact(self, contact: Any, active: bool, timeout_s: float = 5.0) -> None:
        # The controller reports an input in an osdp_ISTATR, then as a numbered event on the
        # next poll: wait until the kiosk has the state and the controller has no event left.
        # Time passes meanwhile on the kiosk's clock, which the controller debounces on.
        for _ in range(int(timeout_s / 0.01)):
            if contact.active == active and not self.mcu.call("state")["events_waiting"]:
                return
            self.timers.sleep(0.01)

    def unplug_sensor(self, unplugged: bool) -> None:
        self.inject_sensor_fault("unplugged" if unplugged else None)

    def inject_sensor_fault(self, name: str | None) -> None:
        """A drivers.mlx90614_sim.Fault name ("nack", "corrupt", "stuck", ...), None clears."""
        if name is None:
            self.bus.clear()
        else:
            self.bus.inject(name)

    def set_network(self, online: bool) -> None:
        """Cut or restore the network the sync agent uses."""
        self.network.set(online)
        self.kiosk.set_link_status(online)

    @property
    def network_online(self) -> bool:
        return self.network.online
