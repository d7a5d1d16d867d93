"""A small schema mechanism for TOML settings: typed, range-checked frozen dataclasses.

A settings section is a frozen dataclass whose fields carry a ``Spec`` in their metadata
(``field(metadata=spec("meaning", lo=0, hi=30, unit="s"))``). ``build_section`` turns raw
TOML values into such a dataclass, checking each value against its type annotation and its
spec, then the section's own ``check()`` for rules between keys. Every refusal is a
``ConfigError`` naming the source, the key, the problem and what to do.

Supported types: bool, int, float, str, Path, datetime.time ("HH:MM"), StrEnum, Literal
choices, ``X | None`` ("" means None) and ``tuple[X, ...]`` (a TOML list).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from kiosk.exc import ConfigError

OVERRIDES = "overrides"  # the source name of values not read from a file


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


@dataclass(frozen=True, slots=True)
class Value:
    """A raw value and the file (or 'overrides') it came from."""

    raw: Any
    source: str
    base: Path | None  # folder relative paths are resolved against


def suggest(name: str, known: list[str], *, brackets: bool = False) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        return f" Known: {', '.join(known)}."
    return f" Did you mean [{close[0]}]?" if brackets else f" Did you mean '{close[0]}'?"


def build_section(cls: type[Any], values: Mapping[str, Any], section: str) -> Any:
    """Build one section dataclass from raw values, checking each against its type and spec.

    ``values`` maps keys to raw TOML values (or ``Value`` carrying their source); every field
    must be present. Also used to apply policy overrides sent by the office.
    """
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        value = values.get(f.name)
        if value is None:
            raise ConfigError(
                f"{section}.{f.name}: no value, not even a default. Reinstall the kiosk package."
            )
        wrapped = value if isinstance(value, Value) else Value(value, OVERRIDES, None)
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
            raise ConfigError(f"{OVERRIDES}: {section}.{key}: unknown key.{suggest(key, known)}")
    hints = get_type_hints(cls)
    converted = {
        f.name: _field_value(f, hints[f.name], Value(changes[f.name], OVERRIDES, None), section)
        for f in dataclasses.fields(cls)
        if f.name in changes
    }
    result = dataclasses.replace(section_value, **converted)
    _cross_check(result, changes, section)
    return result


def _field_value(f: dataclasses.Field[Any], tp: Any, value: Value, section: str) -> Any:
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
        source = value.source if isinstance(value, Value) else OVERRIDES
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
