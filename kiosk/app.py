"""The one composition root: config in, a wired kiosk out, real or simulated back ends.

``build(config)`` picks each back end from the configuration; ``build(config, sim=True)``
forces simulated ones everywhere (synthetic camera frames decoded by the real decoder, the
configured MLX90614 driver reading an emulated sensor, gpiozero's MockFactory pins) and
exposes ``App.sim`` to play the hardware. Nothing else in the kiosk imports ``drivers``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from drivers.base import FrameSource, Thermometer
from drivers.gpio import AlarmLight, BuzzerLeds, DoorContact, PushButton, RelayGate
from drivers.qr import make_decoder
from drivers.timers import ThreadTimers, Timers
from kiosk.clock import Clock
from kiosk.config import Config, Policy, with_changes
from kiosk.exc import ConfigError, KioskError, SensorFault, StoreError, TrustListError
from kiosk.machine import Hardware, Kiosk
from kiosk.office import OfficeData
from kiosk.passes.trust import TrustList, load_trust, parse_trust_json
from kiosk.passes.verify import Verifier
from kiosk.plates.geometry import Camera as PlateCamera
from kiosk.plates.geometry import in_frame, plate_band
from kiosk.simcontrols import NetworkSwitch, SimControls
from kiosk.store import EventLog
from kiosk.vehicles.camera import PlateDecoder, PlateSource

log = logging.getLogger(__name__)

__all__ = ["App", "NetworkSwitch", "SimControls", "build"]

EVENTS_FILE = "events.db"
OFFICE_FILE = "office.db"


@dataclass
class App:
    """Everything ``build`` wired; ``close()`` drops the relay and releases it all."""

    config: Config
    kiosk: Kiosk
    hardware: Hardware
    log: EventLog
    office: OfficeData
    clock: Clock
    network: NetworkSwitch
    sim: SimControls | None = None
    closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        self.hardware.gate.close_gate()
        self.hardware.close()
        for closer in self.closers:
            closer()
        self.log.close()
        self.office.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build(
    config: Config,
    *,
    sim: bool | None = None,
    clock: Clock | None = None,
    timers: Timers | None = None,
    plate_reader: PlateSource | None = None,
) -> App:
    """Wire the kiosk. ``sim`` None: simulated only where the config says "sim"/"mock".

    ``clock`` and ``timers`` replace real time (the demo runs a simulated clock). The car gate
    ([lane] kind = "vehicle") reads plates with ``plate_reader`` (default: the OCR of
    kiosk.plates.reader).
    """
    simulate = _all_simulated(config) if sim is None else sim
    data_dir = config.device.data_dir
    timers = timers or ThreadTimers()
    if clock is None:
        clock = Clock(state_file=config.device.clock_state_file)
        if simulate:
            # A simulated kiosk believes its host's clock, as if the office had confirmed it.
            clock.observe_server_time(clock.effective_now())
    # Made whatever state their files are in; the kiosk loop retries them on its own clock.
    event_log = EventLog(data_dir / EVENTS_FILE, monotonic=clock.monotonic)
    office = OfficeData(data_dir / OFFICE_FILE, monotonic=clock.monotonic)
    parts = _Parts(config, simulate, timers)
    try:
        hardware = parts.hardware()
    except BaseException:
        parts.close()
        event_log.close()
        office.close()
        raise
    if config.lane.kind == "vehicle":
        hardware = replace(hardware, decoder=_plate_decoder(plate_reader, config, clock))
    kiosk = Kiosk(
        config,
        hardware,
        log=event_log,
        office=office,
        clock=clock,
        verifier=TrustedVerifiers(config.trust.files, office),
        policy=OfficePolicy(config.policy, office),
    )
    network = NetworkSwitch()
    controls = parts.controls(kiosk, network) if simulate else None
    return App(config, kiosk, hardware, event_log, office, clock, network, controls)


def _plate_decoder(reader: PlateSource | None, config: Config, clock: Clock) -> PlateDecoder:
    """The car gate's camera decoder: plates read in frames, confirmed over consecutive ones."""
    from kiosk.plates.confirm import PlateConfirmer

    if reader is None:
        from kiosk.plates.reader import PlateReader

        reader = PlateReader.placed(plate_camera(config))
    return PlateDecoder(reader, PlateConfirmer(), clock.monotonic)


def plate_camera(config: Config) -> PlateCamera | None:
    """The car gate's camera as ``[lane]`` says it is mounted; None when it has not been
    measured (``camera_fov_deg = 0``)."""
    lane, cam = config.lane, config.camera
    if not lane.camera_fov_deg:
        return None
    placed = PlateCamera(
        cam.width, cam.height, lane.camera_fov_deg, lane.camera_height_m, lane.camera_aim_m
    )
    if not in_frame(plate_band(placed)):
        raise ConfigError(
            f"lane.camera_fov_deg = {lane.camera_fov_deg:g}, camera_height_m = "
            f"{lane.camera_height_m:g}, camera_aim_m = {lane.camera_aim_m:g}: a camera mounted "
            'so would see no plate 2-8 m out. Measure again (docs/hardware.md, "Plate camera"), '
            "or set camera_fov_deg = 0 to have the whole frame searched."
        )
    return placed


def _all_simulated(config: Config) -> bool:
    return (
        config.camera.backend == "sim"
        and config.thermometer.backend == "sim"
        and config.gpio.backend == "mock"
    )


class _Parts:
    """Makes the drivers; remembers what it opened so a failure half-way releases it."""

    def __init__(self, config: Config, simulate: bool, timers: Timers) -> None:
        self.config = config
        self.simulate = simulate
        self.timers = timers
        self.opened: list[Any] = []
        self.emulated: Any = None
        self.pin_factory: Any = None
        self.mcu: Any = None  # the simulated gate controller's PtyBridge, if any

    def hardware(self) -> Hardware:
        self.pin_factory = self._pin_factory()
        camera = self._keep(self._camera())
        decoder = make_decoder(self.config.camera.decoder)
        thermometer = self._keep(self._thermometer())
        if self.config.gate.backend == "osdp":
            ctl = self._keep(self._gate_controller())
            return Hardware(camera, decoder, thermometer, ctl.gate, ctl.indicator, ctl.door,
                            ctl.exit_button, beacon=ctl.beacon or self._alarm_light())  # fmt: skip
        gpio = self.config.gpio
        debounce = 0.0 if self.simulate else 0.05  # simulated contacts do not bounce
        return Hardware(
            camera=camera,
            decoder=decoder,
            thermometer=thermometer,
            gate=self._keep(
                RelayGate(
                    gpio.relay_pin,
                    gpio.relay_active_high,
                    self.pin_factory,
                    gpio.max_open_s,
                    timers=self.timers,
                )
            ),
            indicator=self._keep(
                BuzzerLeds(
                    gpio.buzzer_pin,
                    gpio.led_green_pin,
                    gpio.led_red_pin,
                    self.pin_factory,
                    time_scale=0.1 if self.simulate else 1.0,
                )
            ),
            door=self._keep(
                DoorContact(gpio.door_pin, self.pin_factory, debounce, timers=self.timers)
            ),
            exit_button=self._keep(
                PushButton(gpio.exit_button_pin, self.pin_factory, debounce, timers=self.timers)
            ),
            beacon=self._alarm_light(),
        )

    def _alarm_light(self) -> AlarmLight | None:
        """[gpio] alarm_light_pin: a booth light or siren on the Pi's own pin, if any."""
        pin = self.config.gpio.alarm_light_pin
        return self._keep(AlarmLight(pin, self.pin_factory)) if pin >= 0 else None

    def _gate_controller(self) -> Any:
        """[gate] backend "osdp": the kiosk as OSDP control panel; simulated: the firmware
        in MicroPython on a pseudo-terminal, with a throw-away key."""
        from drivers.gate_osdp import OsdpController, load_key

        gate, gpio = self.config.gate, self.config.gpio
        if not self.simulate:
            if gate.key_file is None:
                raise ConfigError(
                    'gate.key_file: [gate] backend "osdp" needs the controller\'s key file;'
                    " 'kiosk mcu flash' makes one"
                )
            return OsdpController(gate.serial_port, gate.address, load_key(gate.key_file),
                                  baud=gate.baud, rs485=gate.rs485, max_open_s=gpio.max_open_s,
                                  alarm_output=gate.alarm_output)  # fmt: skip
        import os

        from drivers.gate_osdp_sim import FirmwareVm, PtyBridge

        key = os.urandom(16)
        vm = FirmwareVm(key, {"ADDRESS": gate.address, "FIRE_OPENS": gate.fire_opens,
                              "MAX_OPEN_MS": int(gpio.max_open_s * 1000),
                              "OFFLINE_MS": int(gate.offline_s * 1000)})  # fmt: skip
        # The controller keeps the kiosk's time (the demo's is simulated); simulated time waits
        # for libosdp, which polls in real time.
        self.mcu = PtyBridge(vm, clock=self.timers.now)
        pace = getattr(self.timers, "pace", None)
        if pace is not None:
            pace(self.mcu.keep_up)
        ctl = OsdpController(self.mcu.path, gate.address, key, max_open_s=gpio.max_open_s,
                             alarm_output=gate.alarm_output)  # fmt: skip
        ctl.also_close += [self.mcu.close, vm.close]
        if not ctl.wait_online(20):
            ctl.close()
            raise KioskError("the simulated gate controller did not come online")
        return ctl

    def controls(self, kiosk: Kiosk, network: NetworkSwitch) -> SimControls:
        controls = SimControls(
            kiosk, kiosk.hw.camera, self.emulated, self.pin_factory, self.config.gpio, network
        )
        controls.mcu = self.mcu
        controls.timers = self.timers
        controls.set_door(False)  # a mock pin floats high, which would read "door open"
        return controls

    def close(self) -> None:
        for part in reversed(self.opened):
            part.close()

    def _keep(self, part: Any) -> Any:
        self.opened.append(part)
        return part

    @property
    def _plates(self) -> bool:
        """The car gate: its camera delivers colour for the plate reader."""
        return self.config.lane.kind == "vehicle"

    def _pin_factory(self) -> Any:
        if self.simulate or self.config.gpio.backend == "mock":
            from gpiozero.pins.mock import MockFactory

            return MockFactory()
        return None  # gpiozero's default: lgpio on a Pi

    def _camera(self) -> FrameSource:
        cam = self.config.camera
        backend = "sim" if self.simulate else cam.backend
        if backend == "sim" and self.config.lane.kind == "vehicle":
            from drivers.camera_plates_sim import SimulatedPlateCamera

            placed = plate_camera(self.config)
            return SimulatedPlateCamera(size=(cam.width, cam.height), placed=placed)
        if backend == "sim":
            from drivers.camera_sim import SimulatedCamera

            return SimulatedCamera(seed=0, size=(cam.width, cam.height))
        if backend == "folder":
            from drivers.camera_sim import FolderCamera

            if cam.folder is None:
                raise ConfigError('camera.folder: give the image folder for backend "folder"')
            return FolderCamera(cam.folder)
        if backend == "webcam":
            from drivers.camera_webcam import WebcamCamera

            return WebcamCamera(
                size=(cam.width, cam.height), device=cam.device, colour=self._plates
            )
        from drivers.camera_picamera2 import Picamera2Camera

        return Picamera2Camera(size=(cam.width, cam.height), fps=cam.fps, colour=self._plates)

    def _thermometer(self) -> Thermometer:
        settings = self.config.thermometer
        from drivers import thermometers

        if self.simulate or settings.backend == "sim":
            from drivers.mlx90614_sim import EmulatedMlx90614

            self.emulated = EmulatedMlx90614(ambient_c=22.0, noise_c=0.03, seed=1)
            return thermometers.on_bus(
                settings.driver, self.emulated, settings.address, settings.retries
            )
        if self.config.lane.kind == "vehicle":
            return MissingThermometer('the car gate ([lane] kind = "vehicle") measures nobody')
        # Start anyway whatever keeps the sensor from opening: every measurement then reports
        # the fault and calls the guard, which beats a kiosk that does not start at all.
        try:
            return thermometers.open_device(
                settings.driver, settings.i2c_bus, settings.address, settings.retries
            )
        except SensorFault as error:
            log.error("thermometer unavailable, the guard measures by hand: %s", error)
            return MissingThermometer(str(error))
        except Exception as error:  # a driver's surprise must not keep the gate shut
            log.exception("thermometer unavailable, the guard measures by hand")
            return MissingThermometer(
                f"the thermometer on /dev/i2c-{settings.i2c_bus} could not be opened by the "
                f"{settings.driver} driver ({type(error).__name__}: {error}); see "
                "docs/hardware.md, first boot"
            )


class MissingThermometer:
    """Stands in for a thermometer that could not be opened: every read is a SensorFault."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def ambient(self) -> float:
        raise SensorFault(self.problem)

    def object(self) -> float:
        raise SensorFault(self.problem)

    def close(self) -> None:
        pass


class TrustedVerifiers:
    """A Verifier for the configured trust files plus the office's trust list.

    Rebuilt only when the office sends a new list; revocations are read live from the office
    data, so a revocation counts from the next scan.
    """

    def __init__(self, files: tuple[Path, ...], office: OfficeData) -> None:
        self._base = load_trust(files) if files else TrustList()
        self._office = office
        self._lock = threading.Lock()
        self._seen: str | None = None
        self._verifier = Verifier(self._base, office.revoked)

    def __call__(self) -> Verifier:
        text = self._office.trust_json()
        with self._lock:
            if text != self._seen:
                self._seen = text
                self._verifier = Verifier(self._trust(text), self._office.revoked)
            return self._verifier

    def _trust(self, text: str | None) -> TrustList:
        if not text:
            return self._base
        try:
            return self._base | parse_trust_json(json.loads(text), "office trust list")
        except (TrustListError, ValueError) as error:
            # A bad list from the office must not lock everyone out: keep the local files.
            log.error("ignoring the office trust list: %s", error)
            return self._base


class OfficePolicy:
    """The configured [policy] with the office's overrides applied (re-read when they change)."""

    def __init__(self, policy: Policy, office: OfficeData) -> None:
        self._base = policy
        self._office = office
        self._seen: str | None = None
        self._policy = policy

    def __call__(self) -> Policy:
        try:
            text = self._office.policy_json()
        except StoreError:
            return self._policy  # the office data cannot be read: the last policy known
        if text != self._seen:
            self._seen = text
            self._policy = self._apply(text)
        return self._policy

    def _apply(self, text: str | None) -> Policy:
        if not text:
            return self._base
        try:
            changed: Policy = with_changes(self._base, json.loads(text), "policy")
            return changed
        except (KioskError, ValueError) as error:
            log.error("ignoring the office's policy overrides: %s", error)
            return self._base
