"""The kiosk's configuration: a strict, typed TOML schema with defaults shipped next to the code.

Each ``[section]`` is a frozen dataclass; each field carries a ``Spec`` (meaning, range, unit,
secret). The generic loader in kiosk.schema checks every value against its type and spec, so
adding a setting is adding one field here and one line to ``defaults.toml``. Mistakes are
refused with a ``ConfigError`` naming the file, the key, the problem and what to do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.exc import ConfigError
from kiosk.model import Direction, Mode
from kiosk.schema import OVERRIDES, Problem, Spec, Value, build_section, spec, suggest, with_changes

__all__ = [
    "DEFAULTS_FILE",
    "SECTIONS",
    "CameraSettings",
    "Config",
    "DeviceSettings",
    "GateSettings",
    "GpioSettings",
    "LaneSettings",
    "LogSettings",
    "Policy",
    "Spec",
    "SyncSettings",
    "ThermometerSettings",
    "TrustSettings",
    "UiSettings",
    "UpdateSettings",
    "build_section",
    "hash_pin",
    "load_config",
    "with_changes",
]

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
# A kiosk's file is a few kilobytes: anything this big is not a configuration, and it is refused
# before a byte of it is parsed (a hostile or runaway file must not cost the Pi its memory).
MAX_CONFIG_BYTES = 1 << 20


def _timezone_problem(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'"
    return ""


def _rotation_problem(degrees: int) -> str:
    return "" if degrees % 90 == 0 else "must be 0, 90, 180 or 270"


def _matrix_problem(matrix: tuple[float, ...]) -> str:
    if len(matrix) != 6:
        return f"must be 6 numbers [a, b, c, d, e, f], not {len(matrix)} ([1, 0, 0, 0, 1, 0]: none)"
    a, b, _, d, e, _ = matrix
    if abs(a * e - b * d) < 1e-3:
        return "folds the screen onto a line (a·e − b·d is 0); run python -m hw_tests.touchscreen"
    return ""


def hash_pin(pin: str) -> str:
    """The value to put in ``ui.guard_pin_sha256`` for a given PIN."""
    return hashlib.sha256(pin.encode("utf-8")).hexdigest()


Camera = Literal["picamera2", "webcam", "sim", "folder"]
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
ID_HINT = "letters, digits, '.', '_' or '-', at most 64 characters"


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    """[device] who this kiosk is and where it keeps its state."""

    id: str = field(metadata=spec("Unique name of this kiosk.", pattern=ID_PATTERN, hint=ID_HINT))
    compound: str = field(
        metadata=spec(
            "Compound (residential community) this kiosk guards; passes must name it.",
            pattern=ID_PATTERN,
            hint=ID_HINT,
        )
    )
    direction: Direction = field(metadata=spec("Direction people pass at this kiosk at start-up."))
    data_dir: Path = field(
        metadata=spec(
            "Folder for the event log and clock state; on a device, the writable partition."
        )
    )
    cooldown_s: float = field(
        metadata=spec(
            "A code just handled is not read again until it has been out of view this long "
            "(a phone still held up is not a second pass); a different code is read at once.",
            lo=0,
            hi=30,
            unit="s",
        )
    )
    read_timeout_s: float = field(
        metadata=spec(
            "How long the kiosk waits for the next step (stepping up to the thermometer, a second "
            "code) before returning to idle.",
            lo=2,
            hi=120,
            unit="s",
        )
    )

    @property
    def clock_state_file(self) -> Path:
        """Where kiosk.clock.Clock keeps the last trusted wall time."""
        return self.data_dir / "clock.json"


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """[camera] where frames come from and how QR codes are found in them."""

    backend: Camera = field(
        metadata=spec("Frame source: Pi camera, USB webcam, simulator or a folder of images.")
    )
    decoder: Literal["zxing", "pyzbar"] = field(metadata=spec("QR decoder library."))
    width: int = field(metadata=spec("Frame width.", lo=160, hi=1920, unit="px"))
    height: int = field(metadata=spec("Frame height.", lo=120, hi=1080, unit="px"))
    fps: int = field(metadata=spec("Frames per second asked of the camera.", lo=1, hi=30))
    folder: Path | None = field(metadata=spec('Image folder for backend "folder"; "" when unused.'))
    device: str = field(
        metadata=spec(
            'Video device of backend "webcam": "auto" takes the first USB camera '
            "(/dev/v4l/by-id/usb-*-video-index0); or give a /dev path. A Pi's own /dev/video* "
            "nodes are its camera receiver, codec and ISP, never a webcam."
        )
    )

    def check(self) -> None:
        if self.device != "auto" and not self.device.startswith("/dev/"):
            raise Problem("device", f'{self.device!r}: give "auto" or a path under /dev/')


@dataclass(frozen=True, slots=True)
class ThermometerSettings:
    """[thermometer] the forehead thermometer and the measuring procedure."""

    backend: Literal["mlx90614", "sim"] = field(
        metadata=spec('Thermometer back end: the sensor on I²C, or an emulated one ("sim").')
    )
    driver: Literal["smbus2", "adafruit"] = field(
        metadata=spec(
            "Software that reads the MLX90614 (the emulated one too): smbus2 checks every "
            "reply's PEC on /dev/i2c-N; adafruit is Adafruit's adafruit_mlx90614 on Blinka "
            "(bus 1 only, no PEC: each reading is read twice and must agree). "
            'See docs/hardware.md, "Thermometer driver".'
        )
    )
    i2c_bus: int = field(metadata=spec("I²C bus number (/dev/i2c-N).", lo=0, hi=20))
    address: int = field(
        metadata=spec("I²C address of the MLX90614 (0x5A from the factory).", lo=0x03, hi=0x77)
    )
    calibration_offset_c: float = field(
        metadata=spec(
            "Added to the measured forehead value: forehead skin reads about 0.5 °C below core "
            "temperature. Calibrate per device against a clinical thermometer.",
            lo=-3,
            hi=3,
            unit="°C",
        )
    )
    samples: int = field(
        metadata=spec(
            "Readings taken once a forehead is in range; the median is used. The sensor's own "
            "factory filter (FIR, 1024 taps) already averages each output; three readings 0.1 s "
            "apart span more than one output (140 ms) and show that the head held still.",
            lo=1,
            hi=50,
        )
    )
    sample_interval_s: float = field(
        metadata=spec("Time between two readings.", lo=0.02, hi=2, unit="s")
    )
    settling_s: float = field(
        metadata=spec(
            "Readings taken this soon after a forehead first appears are not used: the sensor's "
            "filter is still moving from the wall to the forehead. The MLX90614's factory filter "
            "settles in 140 ms (datasheet) and the settled value can reach its RAM up to one "
            "refresh later, hence twice that, rounded up.",
            lo=0,
            hi=2,
            unit="s",
        )
    )
    timeout_s: float = field(
        metadata=spec(
            "Give up with 'step closer' when no steady forehead is seen in this time.",
            lo=1,
            hi=60,
            unit="s",
        )
    )
    presence_delta_c: float = field(
        metadata=spec(
            "The object must read this much above ambient to count as a forehead.",
            lo=0.5,
            hi=15,
            unit="°C",
        )
    )
    retries: int = field(
        metadata=spec(
            "Driver retries of a failed bus read; also the number of unsteady batches re-taken "
            "before the sensor is reported faulty.",
            lo=0,
            hi=10,
        )
    )
    max_bad_samples: int = field(
        metadata=spec(
            "Impossible values (NaN, 1037.55, -273.15) tolerated in one measurement; "
            "one more is a sensor fault.",
            lo=0,
            hi=50,
        )
    )
    plausible_min_c: float = field(
        metadata=spec("Lowest forehead value accepted.", lo=20, hi=45, unit="°C")
    )
    plausible_max_c: float = field(
        metadata=spec("Highest forehead value accepted.", lo=20, hi=45, unit="°C")
    )
    max_spread_c: float = field(
        metadata=spec(
            "Largest difference between the readings of one batch; more means someone moved.",
            lo=0.05,
            hi=5,
            unit="°C",
        )
    )
    ambient_coefficient: float = field(
        metadata=spec(
            "k in: estimate = object + k·(reference_ambient_c − ambient), clipped to "
            "±max_compensation_c. Skin cools in a cold entryway and reads low.",
            lo=0,
            hi=0.5,
        )
    )
    reference_ambient_c: float = field(
        metadata=spec(
            "Ambient temperature at which no compensation is applied.", lo=0, hi=40, unit="°C"
        )
    )
    max_compensation_c: float = field(
        metadata=spec("Largest ambient compensation applied either way.", lo=0, hi=3, unit="°C")
    )

    def check(self) -> None:
        if self.plausible_min_c >= self.plausible_max_c:
            raise Problem("plausible_min_c", "must be below plausible_max_c")
        if self.driver == "adafruit" and self.i2c_bus != 1:
            raise Problem(
                "i2c_bus",
                f'{self.i2c_bus}: driver "adafruit" reads bus 1 only (Blinka\'s board pins); '
                'set i2c_bus = 1 or driver = "smbus2"',
            )


@dataclass(frozen=True, slots=True)
class GpioSettings:
    """[gpio] relay, buzzer, LEDs, door contact and exit button (BCM pin numbers)."""

    backend: Literal["real", "mock"] = field(
        metadata=spec("Real pins, or gpiozero's mock pins for development.")
    )
    relay_pin: int = field(metadata=spec("Gate relay.", lo=0, hi=27))
    relay_active_high: bool = field(
        metadata=spec("True when the relay board switches on a high level.")
    )
    open_s: float = field(
        metadata=spec("How long the gate stays open for one person.", lo=1, hi=30, unit="s")
    )
    max_open_s: float = field(
        metadata=spec(
            "Hard limit the relay is held, even if the software stalls.", lo=1, hi=60, unit="s"
        )
    )
    buzzer_pin: int = field(metadata=spec("Buzzer.", lo=0, hi=27))
    led_green_pin: int = field(metadata=spec("Green LED.", lo=0, hi=27))
    led_red_pin: int = field(metadata=spec("Red LED.", lo=0, hi=27))
    door_pin: int = field(metadata=spec("Door contact (active = door open).", lo=0, hi=27))
    exit_button_pin: int = field(metadata=spec("Request-to-exit button.", lo=0, hi=27))
    door_held_open_s: float = field(
        metadata=spec("Alarm when the door stays open longer than this.", lo=5, hi=600, unit="s")
    )
    alarm_light_pin: int = field(
        metadata=spec("Booth light or siren for door and fever alarms (-1: none).", lo=-1, hi=27)
    )
    alarm_light_s: float = field(
        metadata=spec(
            "How long the booth light or siren stays on for a new alarm.", lo=1, hi=600, unit="s"
        )
    )
    loop_clear_s: float = field(
        metadata=spec(
            "Car gate: how long the vehicle loop must read clear before the vehicle counts as "
            "gone and the barrier comes down. Long enough for a trailer's drawbar (about 1 m, "
            "0.7 s at 5 km/h): shorter, the arm came down on the trailer and it was taken for a "
            "tailgater. A car following closer than this reads as the same vehicle; where no "
            "trailers come, 0.3 s tells more followers apart.",
            lo=0.1,
            hi=3.0,
            unit="s",
        )
    )
    door_contact: bool = field(
        metadata=spec(
            "A door contact or the barrier's passage output is wired to door_pin: an opening "
            "nobody went through is logged as unused and counts as no passage. Without one, "
            "every opening counts as a passage and door_pin is not read (no forced or held-open "
            "door alarms). A car gate's vehicle loop is this input: with [lane] kind = "
            '"vehicle" it must be true.'
        )
    )

    def check(self) -> None:
        if self.open_s > self.max_open_s:
            raise Problem("open_s", f"{self.open_s} is longer than max_open_s ({self.max_open_s})")
        seen: dict[int, str] = {}
        for name in (f.name for f in dataclasses.fields(self) if f.name.endswith("_pin")):
            pin = getattr(self, name)
            if pin < 0:
                continue  # not wired
            if pin in seen:
                raise Problem(name, f"uses the same pin ({pin}) as {seen[pin]}")
            seen[pin] = name


GATE_BAUDS = (9600, 19200, 38400, 57600, 115200, 230400)


def _baud_problem(baud: int) -> str:
    return "" if baud in GATE_BAUDS else f"{baud} is not one of {', '.join(map(str, GATE_BAUDS))}"


def _alarm_output_problem(output: int) -> str:
    if output in (-1, 1):
        return ""
    if output == 0:
        return "0 is the door's relay; the booth light is on output 1 (or -1 for none)"
    return f"{output} is not an output of the controller: 1, or -1 for none"


@dataclass(frozen=True, slots=True)
class GateSettings:
    """[gate] what drives the relay: the Pi's own pins, or the gate controller (mcu/) over OSDP."""

    backend: Literal["gpio", "osdp"] = field(
        metadata=spec(
            "gpio: relay, door contact and exit button on the Pi's pins ([gpio]); osdp: on the"
            " gate controller (a Pico running mcu/), which the kiosk commands over OSDP with"
            " the secure channel and which keeps the door safe when the kiosk cannot."
        )
    )
    serial_port: str = field(
        metadata=spec(
            "Serial port of the gate controller (osdp).",
            pattern=r"/\S+",
            hint="an absolute device path such as /dev/ttyUSB0",
        )
    )
    baud: int = field(
        metadata=spec("Line speed to the gate controller (osdp).", unit="baud", check=_baud_problem)
    )
    rs485: Literal["none", "auto", "kernel-rts", "kernel-rts-inverted"] = field(
        metadata=spec(
            "Who switches the RS-485 transceiver between talking and listening (osdp):"
            " \"kernel-rts\": its DE on the UART's RTS pin, driven by the kernel's RS-485 mode;"
            ' "kernel-rts-inverted": the same where DE ends up high while idle; "auto": an'
            " auto-direction transceiver or a USB RS-485 adapter switches itself (the"
            ' kernel\'s RS-485 mode is turned off); "none": leave the port as it is'
            " (docs/hardware.md, The bus)."
        )
    )
    address: int = field(metadata=spec("OSDP address of the gate controller (osdp).", lo=0, hi=126))
    key_file: Path | None = field(
        metadata=spec(
            "File with the secure channel key, 32 hex digits, mode 600 (osdp);"
            " 'kiosk mcu flash' writes it and the same key to the controller;"
            " 'kiosk mcu rotate-key' replaces both."
        )
    )
    offline_s: float = field(
        metadata=spec(
            "The controller drops the relay when the kiosk's polls stop this long"
            " ('kiosk mcu flash' writes it to the controller).",
            lo=1,
            hi=60,
            unit="s",
        )
    )
    fire_opens: bool = field(
        metadata=spec("A fire alarm on the controller's fire input holds the door unlocked.")
    )
    alarm_output: int = field(
        metadata=spec(
            "The controller's output for a booth light or siren (osdp): 1, its second output"
            " (GP19 on the Pico, docs/hardware.md), on for [gpio] alarm_light_s at a new door"
            " or fever alarm; -1: none ([gpio] alarm_light_pin may still light one on the Pi).",
            check=_alarm_output_problem,
        )
    )


@dataclass(frozen=True, slots=True)
class Policy:
    """[policy] the community's rules; read by kiosk.rules. Modes: hard, soft or off."""

    fever_threshold_c: float = field(
        metadata=spec(
            "Estimated core temperature at or above which a person is refused.",
            lo=36.5,
            hi=39,
            unit="°C",
        )
    )
    remeasure: bool = field(
        metadata=spec("Measure once more after a first high reading before refusing.")
    )
    quarantine: Mode = field(
        metadata=spec(
            "Red/orange household leaving before its quarantine ends (entering is always allowed)."
        )
    )
    empty_flat: Mode = field(metadata=spec("A pass for a green (empty flat) household."))
    monitored: Mode = field(metadata=spec("A pass for a yellow (monitored) household."))
    anti_passback: Mode = field(metadata=spec("The same direction twice in a row with one pass."))
    visitor_limit: Mode = field(
        metadata=spec("A visitor entering with a pass used as often as it allows.")
    )
    curfew: Mode = field(
        metadata=spec(
            "Curfew hours: residents may come home but not leave; visitors and delivery may leave "
            "but not enter; staff are exempt."
        )
    )
    curfew_start: time = field(metadata=spec("Start of curfew, local time HH:MM."))
    curfew_end: time = field(
        metadata=spec("End of curfew, local time HH:MM (may be after midnight).")
    )
    timezone: str = field(
        metadata=spec(
            "Time zone of curfew hours and of every time the kiosk's screen shows (as the "
            "office's pages do), whatever the system's own zone.",
            check=_timezone_problem,
        )
    )
    exit_quota: Mode = field(metadata=spec("Limit how many residents of one household may go out."))
    exit_quota_members: int = field(
        metadata=spec("Exits allowed per household per period.", lo=1, hi=20)
    )
    exit_quota_days: int = field(
        metadata=spec("Length of the exit-quota period.", lo=1, hi=30, unit="days")
    )
    visitor_hcert: Mode = field(
        metadata=spec("Visitors entering must also show a valid EU Digital COVID Certificate.")
    )
    untrusted_clock: Mode = field(
        metadata=spec(
            "The kiosk's clock is not known to be right (no NTP, and no second clock confirms "
            "the office's time). Pass validity and quarantine ends are checked against every "
            "plausible time whatever this mode (docs/gate-rules.md)."
        )
    )
    exit_button: Literal["egress", "alarm"] = field(
        metadata=spec(
            "The request-to-exit button always opens: it is the way out, also when the event log "
            "cannot be written. egress: an ordinary, logged exit. alarm: this compound enforces "
            "exit rules at an exit lane with a scan, so a press also raises an alarm."
        )
    )

    vehicle_risk: Literal["refuse", "guard", "off"] = field(
        metadata=spec(
            "The car gate: a plate on the city's risk list (reported in a high-risk area within "
            "vehicle_risk_days) entering. refuse: the barrier stays down; guard: the guard "
            "decides; off: the list is not used. Leaving is never stopped by it."
        )
    )
    vehicle_risk_days: int = field(
        metadata=spec(
            "A risk-list report counts this many days after the visit it reports.",
            lo=1,
            hi=60,
            unit="days",
        )
    )

    def check(self) -> None:
        if self.curfew_start == self.curfew_end:
            raise Problem("curfew_end", "equals curfew_start, so curfew would never apply")


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """[sync] the office server."""

    server_url: str = field(
        metadata=spec(
            "Base URL of the office server; empty runs offline only.",
            pattern=r"(https?://\S+)?",
            hint="empty, or a URL starting with https://",
        )
    )
    ca_file: Path | None = field(
        metadata=spec('CA certificate to trust for the server; "" for the system store.')
    )
    credential_file: Path | None = field(
        metadata=spec('File holding this kiosk\'s API credential; "" when offline.')
    )
    interval_s: float = field(metadata=spec("Time between two syncs.", lo=5, hi=3600, unit="s"))
    timeout_s: float = field(
        metadata=spec("Network timeout of one request.", lo=1, hi=120, unit="s")
    )
    batch_size: int = field(metadata=spec("Events uploaded per request.", lo=1, hi=5000))
    max_backoff_s: float = field(
        metadata=spec(
            "Longest wait between retries while the server is down.", lo=5, hi=86400, unit="s"
        )
    )
    max_reply_kib: int = field(
        metadata=spec(
            "Largest office reply the kiosk reads; a larger one is refused while it arrives.",
            lo=1024,
            hi=262144,
            unit="KiB",
        )
    )


DEFAULT_PIN_SHA256 = hash_pin("1234")


@dataclass(frozen=True, slots=True)
class UiSettings:
    """[ui] the touch screen."""

    language: Literal["zh-CN", "en"] = field(metadata=spec("Language shown at start-up."))
    fullscreen: bool = field(metadata=spec("Fill the screen (off for a window while developing)."))
    width: int = field(
        metadata=spec("Window width (the panel's, before rotation).", lo=320, hi=3840, unit="px")
    )
    height: int = field(
        metadata=spec("Window height (the panel's, before rotation).", lo=240, hi=3840, unit="px")
    )
    rotation: int = field(
        metadata=spec(
            "How far the panel is mounted turned clockwise from its native position: 0, 90, 180 "
            "or 270. The picture and the touches are turned back (see docs/hardware.md).",
            lo=0,
            hi=270,
            unit="°",
            check=_rotation_problem,
        )
    )
    touch_matrix: tuple[float, ...] = field(
        metadata=spec(
            "Touch calibration [a, b, c, d, e, f] on normalised touch positions: x' = a·x + b·y "
            "+ c, y' = d·x + e·y + f (as libinput's). python -m hw_tests.touchscreen proposes it.",
            check=_matrix_problem,
        )
    )
    panel_mm: float = field(
        metadata=spec(
            "Width of the picture on the panel's glass as the resident sees it, after rotation "
            '(the 7" Raspberry Pi displays: 154). Lines a resident reads are never drawn '
            'physically smaller than on the 7" 800×480 panel, so they stay readable from 1.5 m.',
            lo=50,
            hi=2000,
            unit="mm",
        )
    )
    guard_pin_sha256: str = field(
        repr=False,
        metadata=spec(
            "SHA-256 (hex) of the guard PIN. Set it with: printf %s 'NEWPIN' | sha256sum. "
            "The shipped default is the hash of 1234; setup.sh replaces it.",
            secret=True,
            pattern=r"[0-9a-f]{64}",
            hint="64 lower-case hex digits (printf %s 'NEWPIN' | sha256sum)",
        ),
    )
    guard_lock_s: float = field(
        metadata=spec("Guard screen locks itself after this idle time.", lo=10, hi=3600, unit="s")
    )
    speech: bool = field(
        metadata=spec(
            'Speak verdicts aloud ("体温正常，请通行") with espeak-ng through aplay; quietly '
            "off without espeak-ng, aplay or a sound card."
        )
    )
    sensor_side: Literal["left", "right", "above", "below"] = field(
        metadata=spec(
            "Where the thermometer sits, seen from the person facing the screen: the "
            "'come closer' picture points there."
        )
    )

    def pin_matches(self, pin: str) -> bool:
        """Whether ``pin`` is the guard PIN (constant-time comparison)."""
        return hmac.compare_digest(hash_pin(pin), self.guard_pin_sha256)

    @property
    def default_pin(self) -> bool:
        """True while the guard PIN is still the shipped 1234."""
        return hmac.compare_digest(self.guard_pin_sha256, DEFAULT_PIN_SHA256)


@dataclass(frozen=True, slots=True)
class LaneSettings:
    """[lane] what passes this kiosk's gate: people with passes, or vehicles by their plates."""

    kind: Literal["person", "vehicle"] = field(
        metadata=spec(
            "person: a pass is read and the forehead measured, the gate relay opens a door or "
            "turnstile. vehicle: licence plates are read from the camera's frames, the gate "
            "relay lifts a barrier and door_pin is the vehicle loop behind it (a second "
            'vehicle on one opening is a tailgating alarm). See docs/hardware.md, "The car gate".'
        )
    )
    camera_fov_deg: float = field(
        metadata=spec(
            "Car gate: the plate camera lens's horizontal field of view, as mounted with "
            "camera_height_m and camera_aim_m. Measured, the reader searches only the rows "
            "where plates 2-8 m away appear, and the far plates' small window at full "
            "resolution (faster, reads further); 0: placement not measured, the whole frame is "
            'searched. See docs/hardware.md, "Plate camera".',
            lo=0,
            hi=120,
            unit="°",
        )
    )
    camera_height_m: float = field(
        metadata=spec(
            "Car gate: height of the plate camera's lens above the road.", lo=0.3, hi=3, unit="m"
        )
    )
    camera_aim_m: float = field(
        metadata=spec(
            "Car gate: how far in front of the lens the camera's axis comes down to plate "
            "height (0.5 m above the road).",
            lo=1,
            hi=20,
            unit="m",
        )
    )

    def check(self) -> None:
        if 0 < self.camera_fov_deg < 10:
            raise Problem(
                "camera_fov_deg",
                f"{self.camera_fov_deg:g}°: no plate camera sees that narrow; give the lens's "
                "horizontal field of view (10-120°), or 0 if it has not been measured",
            )


@dataclass(frozen=True, slots=True)
class LogSettings:
    """[log] the local event log."""

    retention_days: int = field(
        metadata=spec("Synced events older than this are purged.", lo=1, hi=3650, unit="days")
    )


@dataclass(frozen=True, slots=True)
class TrustSettings:
    """[trust] keys of the pass issuers and health-certificate signers."""

    files: tuple[Path, ...] = field(metadata=spec("Issuer key files (JSON trust list or PEM)."))


BUSY_HOURS_RE = r"(\d\d:\d\d-\d\d:\d\d(, *\d\d:\d\d-\d\d:\d\d)*)?"


@dataclass(frozen=True, slots=True)
class UpdateSettings:
    """[updates] fleet updates (releases from the office, installed beside the running one) and
    the operating system's own security updates (setup.sh configures them)."""

    root: Path | None = field(
        metadata=spec(
            'Folder of the installed releases and the "current" link (setup.sh makes it); '
            '"" turns fleet updates off.'
        )
    )
    check_s: float = field(
        metadata=spec(
            "Time between two questions to the office for a release.", lo=1, hi=86400, unit="s"
        )
    )
    bandwidth_kib: int = field(
        metadata=spec(
            "Download rate limit of a release; 0 for none.", lo=0, hi=100000, unit="KiB/s"
        )
    )
    busy_hours: str = field(
        metadata=spec(
            "Local times no release is switched to, e.g. 07:00-09:30,17:00-19:30.",
            pattern=BUSY_HOURS_RE,
            hint="HH:MM-HH:MM ranges separated by commas, or empty",
        )
    )
    trial_s: float = field(
        metadata=spec(
            "How long a new release has to pass its health check.", lo=10, hi=3600, unit="s"
        )
    )
    selftest: str = field(
        metadata=spec(
            "The self-test checks (kiosk selftest --only) a new release runs on trial, "
            "non-interactively: what would need a person (a pass held up) is skipped.",
            pattern=r"[a-z_]*(,[a-z_]+)*",
            hint="check names separated by commas, e.g. gpiolib,camera",
        )
    )
    # The operating system's own security updates, which setup.sh configures.
    unattended: bool = field(
        metadata=spec(
            "setup.sh has unattended-upgrades install security updates (Debian's, and "
            "Raspberry Pi's archive where the system uses it) every night, in the hour before "
            "reboot_window. Run setup.sh again after changing a key of this section."
        )
    )
    reboot_window: time = field(
        metadata=spec(
            "When an installed update needs a reboot (a new kernel, libc), the system reboots "
            "at this local time of the system's own time zone, HH:MM: choose a quiet hour. "
            "The office's gates page shows a kiosk waiting for it."
        )
    )
    automatic_reboot: bool = field(
        metadata=spec(
            "Reboot by itself at reboot_window when an update needs it; false: wait for a "
            "person to reboot (the gates page says 'reboot waiting')."
        )
    )


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; ``source`` is the user file it was read from, if any."""

    device: DeviceSettings
    camera: CameraSettings
    thermometer: ThermometerSettings
    gpio: GpioSettings
    gate: GateSettings
    policy: Policy
    sync: SyncSettings
    ui: UiSettings
    lane: LaneSettings
    log: LogSettings
    trust: TrustSettings
    updates: UpdateSettings
    source: Path | None = None


SECTIONS: dict[str, type] = {
    name: tp for name, tp in get_type_hints(Config).items() if name != "source"
}


# --- loading -----------------------------------------------------------------------------------


def load_config(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read defaults.toml, then ``path`` (if any), then ``overrides``; check everything."""
    layers: dict[str, dict[str, Value]] = {}
    _merge(layers, _read_toml(DEFAULTS_FILE), str(DEFAULTS_FILE), DEFAULTS_FILE.parent)
    if path is not None:
        _merge(layers, _read_toml(path), str(path), path.parent)
    if overrides:
        _merge(layers, _nest(overrides), OVERRIDES, None)
    sections = {
        name: build_section(cls, layers.get(name, {}), name) for name, cls in SECTIONS.items()
    }
    config = Config(**sections, source=path)
    _check_together(config)
    return config


def _check_together(config: Config) -> None:
    """What one section allows only with a value of another."""
    if config.lane.kind == "vehicle" and not config.gpio.door_contact:
        raise ConfigError(
            f"{config.source or OVERRIDES}: "
            'lane.kind = "vehicle" with gpio.door_contact = false: a car gate needs its vehicle '
            "loop on door_pin, to bring the barrier down once the car has passed, count one "
            "vehicle per opening and see a second one under the arm. Wire the loop detector "
            'and set gpio.door_contact = true (docs/hardware.md, "Vehicle loop").'
        )


def _read_toml(path: Path) -> dict[str, Any]:
    text = _decode(path, _read_bounded(path))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}. Fix the syntax at that line.") from e
    except RecursionError:
        # tomllib recurses once per level of [[ ]] or { } nesting; a kiosk's file nests two.
        raise ConfigError(
            f"{path}: arrays or tables nested too deeply to read. A kiosk configuration "
            "nests at most two levels; remove the extra brackets."
        ) from None
    except ValueError as e:
        # Integers longer than Python converts (sys.get_int_max_str_digits(), 4,300 digits).
        raise ConfigError(f"{path}: a number is too long to read ({e}). Fix that value.") from None


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refused once it passes MAX_CONFIG_BYTES (read no further)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found. Create it (see docs/configuration.md) "
            "or give the right path with --config."
        ) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the configuration file: {e.strerror}.") from e
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_CONFIG_BYTES // 1024} KiB; a kiosk configuration is a "
            "few kilobytes. Check that --config names the right file."
        )
    return data


def _decode(path: Path, data: bytes) -> str:
    """The file's text: UTF-8 as TOML requires (a byte-order mark, as some editors add, is fine)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[e.start]:02X}). "
            f"Save the file as UTF-8{_guess_encoding(data)}."
        ) from None


def _guess_encoding(data: bytes) -> str:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return " (it reads as GBK/GB18030, which Chinese Windows editors write by default)"


def _nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Accept {"section": {"key": v}} and {"section.key": v} alike."""
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        section, dot, name = key.partition(".")
        if dot:
            nested.setdefault(section, {})[name] = value
        elif isinstance(value, Mapping):
            nested.setdefault(section, {}).update(value)
        else:
            nested[key] = value
    return nested


def _merge(
    layers: dict[str, dict[str, Value]], doc: dict[str, Any], source: str, base: Path | None
) -> None:
    for section, table in doc.items():
        if section not in SECTIONS:
            raise ConfigError(f"{source}: {_unknown_section(section, table)}")
        if not isinstance(table, dict):
            raise ConfigError(
                f"{source}: '{section}' must be a [{section}] table, not a single value. "
                f"Write it as [{section}] followed by its keys."
            )
        known = [f.name for f in dataclasses.fields(SECTIONS[section])]
        for key, raw in table.items():
            if key not in known:
                raise ConfigError(f"{source}: {section}.{key}: unknown key.{suggest(key, known)}")
            layers.setdefault(section, {})[key] = Value(raw, source, base)


def _unknown_section(name: str, value: Any) -> str:
    if not isinstance(value, dict):
        owners = [
            s for s, cls in SECTIONS.items() if name in {f.name for f in dataclasses.fields(cls)}
        ]
        where = f" Did you mean to put it under [{owners[0]}]?" if owners else ""
        return f"'{name}': every setting belongs in a [section].{where}"
    return f"[{name}]: unknown section.{suggest(name, list(SECTIONS), brackets=True)}"
