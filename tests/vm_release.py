"""Real releases for the emulated kiosk: a wheel of this checkout under another version, and the
arm64 wheels of what it depends on, taken from the image.

``checkout_wheel`` zips this checkout's packages (as setuptools' package discovery finds them,
every file but bytecode) with the METADATA, entry points and RECORD pyproject.toml makes; an
``edits`` entry changes one file's text, which is how a test builds a release with a bug in it.

The image's kiosk venv already holds every dependency, built for the guest's Python and
aarch64 (setup.sh installed them). A release carries its dependency wheels, because the updater
installs into a fresh venv with ``pip --no-index`` and nothing else, so ``installed_wheels``
packs those installed distributions back into wheels from their RECORD files, as a maintainer's
``pip download --platform`` would have brought them, without reaching a package index. Console
scripts of dependencies (outside site-packages) are left out: the kiosk runs none of them.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import re
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.vm_image import PACKAGES

__all__ = ["checkout_wheel", "installed_wheels", "kiosk_requirements"]

ROOT = Path(__file__).resolve().parents[1]
KIOSK = "checkpoint-kiosk"
WHEEL = (
    "Wheel-Version: 1.0\nGenerator: tests.vm_release\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
)
# Written by pip at install time; a wheel has none of them (RECORD is made anew).
INSTALL_ONLY = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def kiosk_requirements() -> list[str]:
    """Requires-Dist lines of the kiosk, from pyproject.toml (extras with their marker)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        lines += [f'{r}; extra == "{extra}"' for r in requirements]
    return lines


def checkout_wheel(
    folder: Path, version: str, edits: Mapping[str, tuple[str, str]] | None = None
) -> Path:
    """A checkpoint-kiosk wheel of this checkout as ``version``; ``edits`` maps a file in the
    wheel (``hw_tests/camera.py``) to the (old, new) text replaced in it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    files: dict[str, bytes] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    for name, (old, new) in (edits or {}).items():
        text = files[name].decode()
        if old not in text:
            raise AssertionError(f"{name} has no {old!r} to change: update the test's edit")
        files[name] = text.replace(old, new, 1).encode()
    info = f"checkpoint_kiosk-{version}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {KIOSK}",
        f"Version: {version}",
        f"Requires-Python: {project['requires-python']}",
        *(f"Provides-Extra: {extra}" for extra in project["optional-dependencies"]),
        *(f"Requires-Dist: {line}" for line in kiosk_requirements()),
    ]
    scripts = [f"{name} = {target}" for name, target in project["scripts"].items()]
    files[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{info}/entry_points.txt"] = ("[console_scripts]\n" + "\n".join(scripts) + "\n").encode()
    files[f"{info}/WHEEL"] = WHEEL.encode()
    return _zip(folder / f"checkpoint_kiosk-{version}-py3-none-any.whl", files, info)


def installed_wheels(
    site: Path,
    system: Path,
    requirements: Iterable[str],
    out: Path,
    extras: Iterable[str] = (),
) -> list[Path]:
    """Wheels of the distributions in ``site`` (a venv's site-packages of the guest) that
    ``requirements`` need with the kiosk's ``extras`` (the updater installs the release with
    the extras the running one has: kiosk/update/extras.py), directly or through others, with
    the guest's markers; what only ``system`` (the guest's dist-packages, from apt) has needs no
    wheel: the venv sees it."""
    requirements = list(requirements)
    dists = {
        canonicalize_name(d.metadata["Name"]): d
        for d in importlib.metadata.distributions(path=[str(site)])
    }
    from_apt = {
        canonicalize_name(d.metadata["Name"])
        for d in importlib.metadata.distributions(path=[str(system)])
    }
    environment = _guest_environment(site)
    needed: dict[str, importlib.metadata.Distribution] = {}

    def wanted(lines: Iterable[str], extras: set[str]) -> list[Requirement]:
        found = [Requirement(line) for line in lines]
        return [
            r
            for r in found
            if r.marker is None
            or any(r.marker.evaluate(environment | {"extra": e}) for e in extras)
        ]

    todo = wanted(requirements, {"", *extras})
    kiosk_extras = set(extras)
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name == KIOSK:  # an extra naming others (pi: checkpoint-kiosk[osdp])
            todo += wanted(requirements, set(requirement.extras) - kiosk_extras)
            kiosk_extras |= set(requirement.extras)
            continue
        if name in needed or (name in from_apt and name not in dists):
            continue
        if name not in dists:
            raise AssertionError(f"{requirement} is not installed in {site}")
        needed[name] = dists[name]
        todo += wanted(dists[name].requires or [], {"", *requirement.extras})
    out.mkdir(parents=True, exist_ok=True)
    return [_repack(site, dist, out) for dist in needed.values()]


def _guest_environment(site: Path) -> dict[str, str]:
    python = re.fullmatch(r"python(\d+\.\d+)", site.parent.name)
    if python is None:
        raise AssertionError(f"{site} is not a venv's lib/pythonX.Y/site-packages")
    environment = {key: str(value) for key, value in default_environment().items()}
    environment.update(
        python_version=python[1],
        python_full_version=f"{python[1]}.0",
        platform_machine="aarch64",
        sys_platform="linux",
        platform_system="Linux",
        os_name="posix",
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return environment


def _repack(site: Path, dist: importlib.metadata.Distribution, out: Path) -> Path:
    """One installed distribution as the wheel it was installed from (its first tag)."""
    files: dict[str, bytes] = {}
    info = ""
    for entry in dist.files or []:
        name = entry.as_posix()
        if name.startswith("../") or "__pycache__" in name or name.endswith(".pyc"):
            continue
        folder, _, leaf = name.partition("/")
        if folder.endswith(".dist-info"):
            info = folder
            if leaf in INSTALL_ONLY:
                continue
        files[name] = (site / name).read_bytes()
    tags = re.findall(r"^Tag: (\S+)", files.get(f"{info}/WHEEL", b"").decode(), re.MULTILINE)
    if not info or not tags:
        raise AssertionError(f"{dist.metadata['Name']} in {site}: no RECORD or no WHEEL tag")
    # The compressed tag set (py2.py3-none-any): pip reads every tag the file name lists.
    parts = zip(*(tag.split("-") for tag in tags), strict=True)
    tag = "-".join(".".join(dict.fromkeys(part)) for part in parts)
    project, version = info.removesuffix(".dist-info").rsplit("-", 1)
    return _zip(out / f"{project}-{version}-{tag}.whl", files, info)


def _zip(path: Path, files: Mapping[str, bytes], info: str) -> Path:
    """Write a wheel of ``files`` with its RECORD (PEP 376 hashes) last."""
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    record.append(f"{info}/RECORD,,")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
