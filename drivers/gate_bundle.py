"""Firmware bundles for the gate controller: what `kiosk mcu update` sends over OSDP.

The format is the controller's (mcu/firmware/bundle.py, mcu/README.md "Firmware bundles"):
a magic line, a one-line JSON manifest naming every file of the new firmware with its size
and SHA-256, then the bytes of the files the board may lack. Built with ``previous`` (the
firmware folder the controller runs now), a bundle carries only the files that changed;
the controller takes the others from its running firmware after checking their hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BOOT_FILES",
    "MAGIC",
    "Bundle",
    "BundleError",
    "build_bundle",
    "bundle_version",
    "firmware_version",
]

MAGIC = b"KCKFW1\n"
# The boot selector and what it imports before any firmware folder: `kiosk mcu flash` only.
BOOT_FILES = frozenset({"main.py", "slots.py", "bundle.py", "flashfs.py"})
_VERSION = re.compile(r"^VERSION = \((\d+), (\d+), (\d+)\)", re.MULTILINE)
_NAME = re.compile(r"[a-z0-9_]{1,32}\.py")


class BundleError(ValueError):
    """A firmware folder or bundle that cannot be sent (what is wrong, and what to do)."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """A bundle's bytes, the version it installs, and how many of its files it carries."""

    data: bytes
    version: str
    files: int
    carried: int


def firmware_version(folder: Path) -> str:
    """The version in ``folder``/version.py, e.g. "1.2.0"."""
    try:
        text = (folder / "version.py").read_text(encoding="utf-8")
    except OSError as e:
        raise BundleError(f"{folder}: no readable version.py ({e.strerror}); give a firmware"
                          " folder like mcu/firmware") from None  # fmt: skip
    found = _VERSION.search(text)
    if found is None or not all(0 <= int(n) <= 255 for n in found.groups()):
        raise BundleError(f"{folder}/version.py: no 'VERSION = (major, minor, build)' of 0..255")
    return ".".join(found.groups())


def build_bundle(folder: Path, previous: Path | None = None) -> Bundle:
    """The bundle that installs the firmware in ``folder``; with ``previous`` (the folder the
    controller runs), files unchanged since then stay out of it."""
    version = firmware_version(folder)
    entries, bodies = [], []
    for path in sorted(folder.glob("*.py")):
        if path.name in BOOT_FILES:
            continue
        if not _NAME.fullmatch(path.name):
            raise BundleError(f"{path}: the controller takes lower-case names a-z, 0-9, _ only")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        carried = previous is None or _digest(previous / path.name) != digest
        entries.append([path.name, len(data), digest, int(carried)])
        if carried:
            bodies.append(data)
    if not any(e[0] == "app.py" for e in entries):
        raise BundleError(f"{folder}: no app.py; give a firmware folder like mcu/firmware")
    manifest = {"version": [int(n) for n in version.split(".")], "files": entries}
    head = MAGIC + json.dumps(manifest, separators=(",", ":")).encode() + b"\n"
    return Bundle(head + b"".join(bodies), version, len(entries), len(bodies))


def bundle_version(data: bytes) -> str:
    """The version a bundle installs, read from its manifest."""
    if not data.startswith(MAGIC):
        raise BundleError("not a gate controller firmware bundle (it must start with KCKFW1)")
    line = data[len(MAGIC) : data.find(b"\n", len(MAGIC))]
    try:
        return ".".join(str(int(n)) for n in json.loads(line)["version"])
    except (ValueError, KeyError, TypeError):
        raise BundleError("the bundle's manifest is unreadable") from None


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
