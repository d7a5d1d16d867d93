"""Write a kiosk's /etc/kiosk/kiosk.toml from an optional base file plus setup.sh's answers.

Run by setup.sh with the system python3 (stdlib only, before or without the venv):

    python3 deploy/devconfig.py [--base fleet.toml] --set device.id=gate-3 \\
        --guard-pin-sha256 HEX --output kiosk.toml

``--set`` values are written as TOML strings: every key setup.sh sets is a string or a path.
The base file's own values and types are kept; the result is checked afterwards with
``kiosk config check``, which knows the schema.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

HEADER = (
    "# Written by setup.sh. Only the keys that differ from kiosk/defaults.toml are needed;\n"
    "# docs/configuration.md explains each one. Check edits with:\n"
    "#   /opt/kiosk/venv/bin/kiosk config check --config /etc/kiosk/kiosk.toml\n"
)
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_value(value: Any) -> str:
    """One value in TOML syntax: strings, numbers, booleans and lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise ValueError(f"cannot write {type(value).__name__} value {value!r} (dates, tables)")


def render(settings: dict[str, dict[str, Any]]) -> str:
    """``{section: {key: value}}`` as a TOML document with one table per section."""
    parts = [HEADER]
    for section, values in settings.items():
        if not isinstance(values, dict):
            raise ValueError(f"top-level key {section!r} must be a [section] table")
        parts.append(f"\n[{section}]\n")
        parts.extend(f"{_key(k)} = {toml_value(v)}\n" for k, v in values.items())
    return "".join(parts)


def _key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key)


def apply(settings: dict[str, dict[str, Any]], assignment: str) -> None:
    """Apply one ``section.key=value`` assignment (value taken as a string)."""
    name, sep, value = assignment.partition("=")
    section, dot, key = name.partition(".")
    if not (sep and dot and section and key):
        raise ValueError(f"--set {assignment!r}: write it as section.key=value")
    settings.setdefault(section, {})[key] = value


def build(base: Path | None, assignments: list[str], pin_sha256: str) -> str:
    """The device configuration: base file, then assignments, then the guard PIN hash."""
    settings: dict[str, dict[str, Any]] = {}
    if base is not None:
        with base.open("rb") as f:
            settings = tomllib.load(f)
    for assignment in assignments:
        apply(settings, assignment)
    if not re.fullmatch(r"[0-9a-f]{64}", pin_sha256):
        raise ValueError("--guard-pin-sha256 must be 64 lower-case hex digits")
    settings.setdefault("ui", {})["guard_pin_sha256"] = pin_sha256
    return render(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=None, help="fleet TOML to start from")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--guard-pin-sha256", required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        text = build(args.base, args.set, args.guard_pin_sha256)
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
        print(f"devconfig: {args.base or ''}: {error}", file=sys.stderr)
        return 2
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
