"""What a wheel says it is: its project name and version, read from its METADATA.

A wheel given to ``release add`` is a file from somewhere (a build machine, a download), so it
is read as hostile: its size, its number of entries and the METADATA it holds are bounded, and
the bound is checked while reading, not after.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from kiosk.update.manifest import NAME_RE, VERSION_RE
from server.exc import ServerConfigError

MAX_WHEEL_BYTES = 256 << 20
MAX_ENTRIES = 20_000
MAX_METADATA_BYTES = 1 << 20
KIOSK_PROJECT = "checkpoint-kiosk"
# name-version(-build)?-python-abi-platform.whl (PEP 427), name with underscores.
FILE_RE = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl")


class WheelError(ServerConfigError):
    """A file that is not a wheel, or not the wheel it says it is."""


@dataclass(frozen=True, slots=True)
class Wheel:
    path: Path
    project: str  # normalised (PEP 503): lower case, runs of -_. as one -
    version: str


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_wheel(path: Path) -> Wheel:
    """The wheel's project and version, from its file name and its METADATA, which must agree."""
    where = f"{path}"
    match = FILE_RE.fullmatch(path.name)
    if match is None or not NAME_RE.fullmatch(path.name):
        raise WheelError(f"{where}: not a wheel file name (name-version-python-abi-platform.whl)")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise WheelError(f"{where}: cannot read ({error.strerror})") from None
    if size > MAX_WHEEL_BYTES:
        raise WheelError(f"{where}: larger than {MAX_WHEEL_BYTES >> 20} MiB; not a kiosk wheel")
    project, version = _metadata(path, where)
    if normalise(match["name"]) != project or match["version"] != version:
        raise WheelError(
            f"{where}: its file name says {match['name']} {match['version']} but its METADATA "
            f"says {project} {version}; rebuild the wheel"
        )
    return Wheel(path, project, version)


def _metadata(path: Path, where: str) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(path) as wheel:
            names = wheel.namelist()
            if len(names) > MAX_ENTRIES:
                raise WheelError(f"{where}: more than {MAX_ENTRIES} entries; not a kiosk wheel")
            found = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
            if len(found) != 1:
                raise WheelError(
                    f"{where}: needs exactly one *.dist-info/METADATA, has {len(found)}"
                )
            with wheel.open(found[0]) as stream:
                raw = stream.read(MAX_METADATA_BYTES + 1)  # never more than the bound
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise WheelError(f"{where}: not a readable wheel (zip): {error}") from None
    if len(raw) > MAX_METADATA_BYTES:
        raise WheelError(f"{where}: METADATA is larger than {MAX_METADATA_BYTES >> 10} KiB")
    try:
        headers = HeaderParser().parsestr(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise WheelError(f"{where}: METADATA is not UTF-8") from None
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version or not VERSION_RE.fullmatch(str(version).strip()):
        raise WheelError(f"{where}: METADATA has no Name, or no Version such as 1.4.0")
    return normalise(str(name).strip()), str(version).strip()
