"""The kiosk's configuration: a strict, typed TOML schema with defaults shipped next to the code.

Each ``[section]`` is a frozen dataclass; each field carries a ``Spec`` (meaning, range, unit,
secret). One generic loader checks every value against its type and spec, so adding a setting
is adding one field here and one line to ``defaults.toml``. Mistakes are refused with a
``ConfigError`` naming the file, the key, the problem and what to do.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import hmac
import math
import re
import tomllib
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.exc import ConfigError
from kiosk.model import Direction, Mode

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
OVERRIDES = "overrides"  # the source name of values passed to load_config(overrides=...)


@dataclass(frozen=True, slots=True)
class Spec:
    """What one setting means and which values it accepts beyond its type."""

    doc: str
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    secret: bool = False
    pattern: str | None = None  # a string must match this regex in full
    hint: str = ""  # what a matching string looks like
    check: Callable[[Any], str] | None = None  # returns a problem, or "" when fine


def spec(doc: str, **limits: Any) -> dict[str, Spec]:
    """Field metadata of a setting; no default in the class: defaults live in defaults.toml."""
    return {"spec": Spec(doc, **limits)}


class Problem(Exception):
    """A value was refused; carries the key (relative to its section) and the reason."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _timezone_problem(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'"
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
        metadata=spec("Pause after a decision before the next person.", lo=0, hi=30, unit="s")
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


@dataclass(frozen=True, slots=True)
class ThermometerSettings:
    """[thermometer] the forehead thermometer and the measuring procedure."""

    backend: Literal["mlx90614", "sim"] = field(metadata=spec("Thermometer back end."))
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
            "Readings taken once a forehead is in range; the median is used.", lo=1, hi=50
        )
    )
    sample_interval_s: float = field(
        metadata=spec("Time between two readings.", lo=0.02, hi=2, unit="s")
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

    def check(self) -> None:
        if self.open_s > self.max_open_s:
            raise Problem("open_s", f"{self.open_s} is longer than max_open_s ({self.max_open_s})")
        seen: dict[int, str] = {}
        for name in (f.name for f in dataclasses.fields(self) if f.name.endswith("_pin")):
            pin = getattr(self, name)
            if pin in seen:
                raise Problem(name, f"uses the same pin ({pin}) as {seen[pin]}")
            seen[pin] = name


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
    visitor_limit: Mode = field(metadata=spec("A visitor pass used more often than it allows."))
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
    timezone: str = field(metadata=spec("Time zone of curfew hours.", check=_timezone_problem))
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
            "The kiosk's clock is not known to be right (no NTP, no server time since boot)."
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


DEFAULT_PIN_SHA256 = hash_pin("1234")


@dataclass(frozen=True, slots=True)
class UiSettings:
    """[ui] the touch screen."""

    language: Literal["zh-CN", "en"] = field(metadata=spec("Language shown at start-up."))
    fullscreen: bool = field(metadata=spec("Fill the screen (off for a window while developing)."))
    width: int = field(metadata=spec("Window width.", lo=320, hi=3840, unit="px"))
    height: int = field(metadata=spec("Window height.", lo=240, hi=2160, unit="px"))
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
    speech: bool = field(metadata=spec("Speak prompts aloud."))

    def pin_matches(self, pin: str) -> bool:
        """Whether ``pin`` is the guard PIN (constant-time comparison)."""
        return hmac.compare_digest(hash_pin(pin), self.guard_pin_sha256)

    @property
    def default_pin(self) -> bool:
        """True while the guard PIN is still the shipped 1234."""
        return hmac.compare_digest(self.guard_pin_sha256, DEFAULT_PIN_SHA256)


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


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; ``source`` is the user file it was read from, if any."""

    device: DeviceSettings
    camera: CameraSettings
    thermometer: ThermometerSettings
    gpio: GpioSettings
    policy: Policy
    sync: SyncSettings
    ui: UiSettings
    log: LogSettings
    trust: TrustSettings
    source: Path | None = None


SECTIONS: dict[str, type] = {
    name: tp for name, tp in get_type_hints(Config).items() if name != "source"
}


# --- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Value:
    """A raw value and the file (or 'overrides') it came from."""

    raw: Any
    source: str
    base: Path | None  # folder relative paths are resolved against


def load_config(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read defaults.toml, then ``path`` (if any), then ``overrides``; check everything."""
    layers: dict[str, dict[str, _Value]] = {}
    _merge(layers, _read_toml(DEFAULTS_FILE), str(DEFAULTS_FILE), DEFAULTS_FILE.parent)
    if path is not None:
        _merge(layers, _read_toml(path), str(path), path.parent)
    if overrides:
        _merge(layers, _nest(overrides), OVERRIDES, None)
    sections = {
        name: build_section(cls, layers.get(name, {}), name) for name, cls in SECTIONS.items()
    }
    return Config(**sections, source=path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found. Create it (see docs/configuration.md) "
            "or give the right path with --config."
        ) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the configuration file: {e.strerror}.") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}. Fix the syntax at that line.") from e


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
    layers: dict[str, dict[str, _Value]], doc: dict[str, Any], source: str, base: Path | None
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
                raise ConfigError(f"{source}: {section}.{key}: unknown key.{_suggest(key, known)}")
            layers.setdefault(section, {})[key] = _Value(raw, source, base)


def _unknown_section(name: str, value: Any) -> str:
    if not isinstance(value, dict):
        owners = [
            s for s, cls in SECTIONS.items() if name in {f.name for f in dataclasses.fields(cls)}
        ]
        where = f" Did you mean to put it under [{owners[0]}]?" if owners else ""
        return f"'{name}': every setting belongs in a [section].{where}"
    return f"[{name}]: unknown section.{_suggest(name, list(SECTIONS), brackets=True)}"


def _suggest(name: str, known: list[str], *, brackets: bool = False) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        return f" Known: {', '.join(known)}."
    return f" Did you mean [{close[0]}]?" if brackets else f" Did you mean '{close[0]}'?"


def build_section(cls: type[Any], values: Mapping[str, Any], section: str) -> Any:
    """Build one section dataclass from raw values, checking each against its type and spec.

    ``values`` maps keys to raw TOML values (or ``_Value`` carrying their source); every field
    must be present. Also used to apply policy overrides sent by the office.
    """
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = values.get(f.name)
        if value is None:
            raise ConfigError(
                f"{DEFAULTS_FILE}: {section}.{f.name}: missing. Reinstall the kiosk package."
            )
        wrapped = value if isinstance(value, _Value) else _Value(value, OVERRIDES, None)
        kwargs[f.name] = _field_value(f, hints[f.name], wrapped, section)
    result = cls(**kwargs)
    _cross_check(result, values, section)
    return result


def with_changes(section_value: Any, changes: Mapping[str, Any], section: str) -> Any:
    """A copy of a section with some keys changed, checked like a file (office policy overrides)."""
    cls = type(section_value)
    known = [f.name for f in dataclasses.fields(cls)]
    for key in changes:
        if key not in known:
            raise ConfigError(f"{OVERRIDES}: {section}.{key}: unknown key.{_suggest(key, known)}")
    hints = get_type_hints(cls)
    converted = {
        f.name: _field_value(f, hints[f.name], _Value(changes[f.name], OVERRIDES, None), section)
        for f in dataclasses.fields(cls)
        if f.name in changes
    }
    result = dataclasses.replace(section_value, **converted)
    _cross_check(result, changes, section)
    return result


def _field_value(f: dataclasses.Field[Any], tp: Any, value: _Value, section: str) -> Any:
    spec: Spec = f.metadata["spec"]
    try:
        converted = convert(tp, value.raw, value.base)
        _check_spec(spec, converted)
    except Problem as p:
        shown = "(secret)" if spec.secret else _toml(value.raw)
        raise ConfigError(
            f"{value.source}: {section}.{f.name} = {shown}: {_sentence(p.message)} "
            f"Fix it, or delete the line to use the default."
        ) from None
    return converted


def _cross_check(result: Any, values: Mapping[str, Any], section: str) -> None:
    check = getattr(result, "check", None)
    if check is None:
        return
    try:
        check()
    except Problem as p:
        value = values.get(p.key)
        source = value.source if isinstance(value, _Value) else OVERRIDES
        raise ConfigError(
            f"{source}: {section}.{p.key}: {p.message}. Fix one of the two values."
        ) from None


def _sentence(message: str) -> str:
    return message if message.endswith((".", "?")) else f"{message}."


def _toml(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return repr(raw) if not isinstance(raw, str) else f'"{raw}"'


# --- converting one value ----------------------------------------------------------------------


def convert(tp: Any, raw: Any, base: Path | None = None) -> Any:
    """Turn a raw TOML value into the field's type or raise Problem(key="", message)."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _optional(tp, raw, base)
    if origin is Literal:
        return _choice(raw, [str(a) for a in get_args(tp)], lambda s: s)
    if origin is tuple:
        if not isinstance(raw, list):
            raise Problem("", f'must be a list like ["a", "b"], not {_kind(raw)}')
        return tuple(convert(get_args(tp)[0], item, base) for item in raw)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _choice(raw, [str(m.value) for m in tp], tp)
    return _SCALARS[tp](raw, base)


def _optional(tp: Any, raw: Any, base: Path | None) -> Any:
    """``X | None``: an empty string means "not set"."""
    if raw == "":
        return None
    inner = [a for a in get_args(tp) if a is not type(None)]
    return convert(inner[0], raw, base)


def _choice(raw: Any, choices: list[str], make: Callable[[str], Any]) -> Any:
    if not isinstance(raw, str):
        raise Problem("", f"must be one of {_quoted(choices)}, not {_kind(raw)}")
    if raw not in choices:
        close = difflib.get_close_matches(raw, choices, n=1, cutoff=0.5)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        raise Problem("", f"must be one of {_quoted(choices)}.{hint}")
    return make(raw)


def _quoted(choices: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in choices)


def _kind(raw: Any) -> str:
    names = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
    }
    return names.get(type(raw), f"a {type(raw).__name__}")


def _to_bool(raw: Any, _base: Path | None) -> bool:
    if not isinstance(raw, bool):
        raise Problem("", f"must be true or false, not {_kind(raw)}")
    return raw


def _to_int(raw: Any, _base: Path | None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise Problem("", f"must be a whole number, not {_kind(raw)}")
    return raw


def _to_float(raw: Any, _base: Path | None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise Problem("", f"must be a number, not {_kind(raw)}")
    if not math.isfinite(raw):
        raise Problem("", "must be a finite number")
    return float(raw)


def _to_str(raw: Any, _base: Path | None) -> str:
    if not isinstance(raw, str):
        raise Problem("", f"must be text in quotes, not {_kind(raw)}")
    return raw


def _to_path(raw: Any, base: Path | None) -> Path:
    if not _to_str(raw, base):
        raise Problem("", "must not be empty")
    path = Path(raw).expanduser()
    return path if path.is_absolute() or base is None else base / path


_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _to_time(raw: Any, base: Path | None) -> time:
    match = _TIME.fullmatch(_to_str(raw, base))
    if match is None:
        raise Problem("", 'must be a 24-hour time "HH:MM", e.g. "22:00"')
    return time(int(match[1]), int(match[2]))


_SCALARS: dict[Any, Callable[[Any, Path | None], Any]] = {
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    str: _to_str,
    Path: _to_path,
    time: _to_time,
}


def _check_spec(spec: Spec, value: Any) -> None:
    if spec.lo is not None and spec.hi is not None and not spec.lo <= value <= spec.hi:
        raise Problem(
            "", f"out of range: must be between {_num(spec.lo)} and {_num(spec.hi)}{_unit(spec)}"
        )
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        raise Problem("", f"must be {spec.hint}")
    problem = spec.check(value) if spec.check else ""
    if problem:
        raise Problem("", problem)


def _num(x: float) -> str:
    return f"{x:g}"


def _unit(spec: Spec) -> str:
    return f" {spec.unit}" if spec.unit else ""
