"""The hardware under test, real or simulated, opened from the kiosk's configuration.

``Rig`` opens each part on demand, remembers it, and ``close()`` turns every output off and
releases everything, so a check that fails half-way leaves the relay dropped and the buzzer
quiet. With ``sim=True`` the parts are the simulated back ends the simulator and CI use:
gpiozero's ``MockFactory`` pins, ``EmulatedMlx90614`` under the configured driver, and
``SimulatedCamera`` (at a car gate ``SimulatedPlateCamera``); ``fault`` breaks one of them on
purpose.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from drivers import thermometers
from drivers.base import FrameSource, GreyFrame
from drivers.gpio import BuzzerLeds, DoorContact, PushButton, RelayGate
from drivers.lifecycle import Device
from drivers.mlx90614 import CheckedThermometer
from drivers.mlx90614_sim import EmulatedMlx90614, Fault
from hw_tests.harness import Skipped, wait_until
from kiosk.config import Config, load_config
from kiosk.exc import ConfigError

__all__ = ["CAMERA_FAULTS", "DEVICE_CONFIG", "THERMOMETER_FAULTS", "FaultyCamera", "Rig"]

DEVICE_CONFIG = Path("/etc/kiosk/kiosk.toml")
THERMOMETER_FAULTS = frozenset(f.value for f in Fault if f is not Fault.NONE)
CAMERA_FAULTS = frozenset({"black", "frozen", "no_frames", "blur"})
INDICATOR_FAULTS = frozenset({"one_rhythm"})
PERSON_FAULTS = frozenset({"absent", "unconfirmed"})  # harness.SimPerson
PASS_FAULTS = frozenset({"untrusted"})  # end_to_end
FAULTS = THERMOMETER_FAULTS | CAMERA_FAULTS | INDICATOR_FAULTS | PERSON_FAULTS | PASS_FAULTS


def load_rig_config(path: Path | None) -> Config:
    """The given file, else the device's /etc/kiosk/kiosk.toml when present, else defaults."""
    if path is None and DEVICE_CONFIG.is_file():
        path = DEVICE_CONFIG
    return load_config(path)


class FaultyCamera(Device):
    """Wraps a frame source and breaks it the way real cameras break (simulation only)."""

    def __init__(self, source: FrameSource, fault: str) -> None:
        if fault not in CAMERA_FAULTS:
            raise ConfigError(f"unknown camera fault {fault!r}; use one of {sorted(CAMERA_FAULTS)}")
        self.source, self.fault = source, fault
        self._first: GreyFrame | None = None

    def read(self) -> GreyFrame | None:
        self._check_open()
        frame = self.source.read()
        if self.fault == "no_frames" or frame is None:
            return None
        if self.fault == "black":
            return np.zeros_like(frame)
        if self.fault == "blur":
            return _box_blur(frame, 15)
        if self._first is None:  # "frozen": the first frame forever
            self._first = frame.copy()
        return self._first

    def _release(self) -> None:
        self.source.close()


def _box_blur(frame: GreyFrame, size: int) -> GreyFrame:
    """A strong blur (box filter, zero outside the frame; ``size`` odd): what a camera focused
    at infinity sees up close. Running sums keep it a few ms per frame, even on a busy CI."""
    if frame.ndim == 3:  # a car gate's colour frame: each channel
        return np.stack([_box_blur(frame[:, :, c], size) for c in range(3)], axis=2)
    out: np.ndarray = frame.astype(np.float32)
    pad = size // 2
    for _ in range(2):  # rows, then (transposed) columns
        sums = np.cumsum(np.pad(out, ((0, 0), (pad + 1, pad))), axis=1)
        out = ((sums[:, size:] - sums[:, :-size]) / size).T
    return out.astype(np.uint8)


class OneRhythm(BuzzerLeds):
    """Indicators that play one rhythm for every alarm (what the indicator check must catch)."""

    def show(self, pattern: str) -> None:
        super().show("alarm" if pattern.startswith("alarm") else pattern)


class Rig:
    """Opens the kiosk's parts (real or simulated) and closes them all, outputs off."""

    def __init__(self, config: Config, *, sim: bool, fault: str | None = None) -> None:
        if fault is not None and fault not in FAULTS:  # else the check passes, untouched
            raise ConfigError(f"unknown --fault {fault!r}; use one of {', '.join(sorted(FAULTS))}")
        self.config, self.sim, self.fault = config, sim, fault
        self.pin_factory: Any = _mock_factory() if sim else None
        self.emulator: EmulatedMlx90614 | None = None
        self.sim_camera: Any = None
        self._devices: list[Any] = []

    @classmethod
    def from_options(cls, config_path: Path | None, *, sim: bool, fault: str | None) -> Rig:
        """A rig from a config file (see ``load_rig_config``)."""
        return cls(load_rig_config(config_path), sim=sim, fault=fault)

    def _keep(self, device: Any) -> Any:
        self._devices.append(device)
        return device

    # --- parts ---------------------------------------------------------------------------
    def thermometer(self) -> CheckedThermometer:
        """The MLX90614 read by the configured driver: on the I2C bus, or an emulated one
        (with ``fault`` injected)."""
        settings = self.config.thermometer
        if not self.sim:
            return self._keep(
                thermometers.open_device(
                    settings.driver, settings.i2c_bus, settings.address, settings.retries
                )
            )
        self.emulator = EmulatedMlx90614(ambient_c=22.0, address=settings.address, noise_c=0.03)
        if self.fault in THERMOMETER_FAULTS and self.fault != Fault.STUCK:
            self.emulator.inject(self.fault)
        sensor = thermometers.on_bus(
            settings.driver, self.emulator, settings.address, settings.retries
        )
        if self.fault == Fault.STUCK:  # frozen after the probe, as a hung sensor would be
            self.emulator.inject(Fault.STUCK)
        return self._keep(sensor)

    def camera(self) -> FrameSource:
        """The configured camera, or ``SimulatedCamera`` (wrapped in a fault, if any)."""
        if self.sim:
            self.sim_camera = self._simulated_camera()
            source: FrameSource = self.sim_camera
            if self.fault in CAMERA_FAULTS:
                source = FaultyCamera(source, self.fault)
            return self._keep(source)
        return self._keep(_real_camera(self.config))

    def _simulated_camera(self) -> Any:
        """A pass held up, or at a car gate a car at the barrier (in colour, as placed)."""
        if self.config.lane.kind == "vehicle":
            from drivers.camera_plates_sim import SimulatedPlateCamera
            from kiosk.app import plate_camera

            cam = self.config.camera
            return SimulatedPlateCamera(
                (cam.width, cam.height), seed=1, placed=plate_camera(self.config), fresh=True
            )
        from drivers.camera_sim import SimulatedCamera

        return SimulatedCamera(seed=1)

    def relay(self) -> RelayGate:
        """The gate relay (starts released)."""
        self._wired_to_the_pi("relay")
        gpio = self.config.gpio
        return self._keep(
            RelayGate(gpio.relay_pin, gpio.relay_active_high, self.pin_factory, gpio.max_open_s)
        )

    def indicators(self) -> BuzzerLeds:
        """Buzzer and LEDs (start off)."""
        self._wired_to_the_pi("buzzer and LEDs")
        gpio = self.config.gpio
        kind = OneRhythm if self.fault in INDICATOR_FAULTS else BuzzerLeds
        return self._keep(
            kind(gpio.buzzer_pin, gpio.led_green_pin, gpio.led_red_pin, self.pin_factory)
        )

    def door(self) -> DoorContact:
        """The door contact; in --sim the door starts closed (magnet on the reed: low)."""
        self._wired_to_the_pi("door contact")
        door = self._keep(DoorContact(self.config.gpio.door_pin, self.pin_factory))
        if self.sim:
            # After the pull-up is set (which lifts a mock pin), then through the debounce.
            self.pin(self.config.gpio.door_pin).drive_low()
            wait_until(lambda: not door.active, 1.0, "the simulated door did not close")
        return door

    def exit_button(self) -> PushButton:
        """The request-to-exit button; in --sim it starts released (pulled high)."""
        self._wired_to_the_pi("exit button")
        if self.sim:
            self.pin(self.config.gpio.exit_button_pin).drive_high()
        return self._keep(PushButton(self.config.gpio.exit_button_pin, self.pin_factory))

    def _wired_to_the_pi(self, part: str) -> None:
        """Skip a check of a part the gate controller owns: its [gpio] pin is not the part's,
        and may be in use (GPIO17, the relay's default, is the RTS that drives the RS-485
        transceiver; made an output, the bus is dead until a reboot)."""
        if self.config.gate.backend == "osdp" and not self.sim:
            raise Skipped(
                f'[gate] backend is "osdp": the {part} is wired to the gate controller (the'
                ' "controller" check), so the Pi\'s [gpio] pins are left alone'
            )

    def pin(self, number: int) -> Any:
        """A simulated pin, to drive from outside or to read its state (--sim only)."""
        if not self.sim:
            raise RuntimeError("only simulated pins can be driven from outside")
        return self.pin_factory.pin(number)

    # --- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Outputs off first (relay dropped, buzzer and LEDs dark), then release everything."""
        for device in self._devices:
            if isinstance(device, RelayGate) and not device.closed:
                device.close_gate()
            if isinstance(device, BuzzerLeds) and not device.closed:
                device.show("idle")
        while self._devices:
            self._devices.pop().close()
        if self.pin_factory is not None:
            self.pin_factory.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _mock_factory() -> Any:
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=MockPWMPin)


def _real_camera(config: Config) -> FrameSource:
    camera = config.camera
    colour = config.lane.kind == "vehicle"  # the plate reader checks a plate's colour
    if camera.backend == "picamera2":
        from drivers.camera_picamera2 import Picamera2Camera

        return Picamera2Camera((camera.width, camera.height), fps=camera.fps, colour=colour)
    if camera.backend == "webcam":
        from drivers.camera_webcam import WebcamCamera

        return WebcamCamera((camera.width, camera.height), camera.device, colour=colour)
    if camera.backend == "folder" and camera.folder is not None:
        from drivers.camera_sim import FolderCamera

        return FolderCamera(camera.folder)
    from drivers.camera_sim import SimulatedCamera

    return SimulatedCamera()
