"""Install a downloaded release beside the running one: a new virtual environment in
``ROOT/releases/<version>/venv`` (``--system-site-packages`` as setup.sh makes it, for apt's
libcamera and lgpio) with a pip of its own, which takes packages *only* from the release's
wheels (``--no-index --find-links``), with the extras the running release has (``pi``,
``plates``: kiosk.update.extras), then an import check; ``.installed`` is written last.

Each release's venv keeps its pip: the release installs the next one, and the system's Python
(Raspberry Pi OS, Debian) has no pip to lend it. A venv made without one installed, but could
install nothing after it (the emulated kiosk showed it: tests/test_emulated_update.py).

The event log, the configuration and the office cache live in the data dir and /etc, never in a
release folder, so installing or removing a release cannot touch them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.exc import KioskError
from kiosk.update.ab import Slots
from kiosk.update.download import Cache
from kiosk.update.manifest import FileKind, Manifest

__all__ = ["InstallError", "Installer"]

CHECK_MODULES = ("kiosk.cli", "sync.agent", "drivers")
MCU_FOLDER = "mcu"  # in a release's folder: its controller firmware, as the manifest names it
PIP_TIMEOUT_S = 900.0


class InstallError(KioskError):
    """A release did not install; ``short`` is the status words."""

    def __init__(self, message: str, short: str) -> None:
        super().__init__(message)
        self.short = short


def base_python() -> str:
    """The interpreter the venvs are made from (the system's, also when run from a venv)."""
    return str(getattr(sys, "_base_executable", "") or sys.executable)


@dataclass
class Installer:
    """Installs releases whose files are all in ``cache`` under ``slots``."""

    slots: Slots
    cache: Cache
    python: str = ""
    check_modules: Sequence[str] = CHECK_MODULES
    # The kiosk's extras to install with it (kiosk.update.extras: what the running release has).
    extras: Sequence[str] = ()

    def install(self, manifest: Manifest) -> None:
        """Make ``manifest``'s release whole (a no-op when it is already)."""
        version = manifest.version
        if self.slots.is_whole(version):
            return
        folder = self.slots.folder(version)
        shutil.rmtree(folder, ignore_errors=True)
        wheels = folder / "wheels"
        wheels.mkdir(parents=True)
        for file in manifest.files:
            if file.kind is not FileKind.MCU:
                _link(self.cache.path(file), wheels / file.name)
        venv = folder / "venv"
        python = self.python or base_python()
        self._run("venv", [python, "-m", "venv", "--system-site-packages", str(venv)])
        kiosk_wheel = manifest.file(FileKind.WHEEL)
        assert kiosk_wheel is not None  # the manifest's parser insists on one
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install"]
        pip += ["--quiet", "--no-index", "--no-cache-dir", "--disable-pip-version-check"]
        with_extras = f"[{','.join(self.extras)}]" if self.extras else ""
        pip += ["--find-links", str(wheels), f"{wheels / kiosk_wheel.name}{with_extras}"]
        self._run("pip", pip)
        imports = "import " + ", ".join(self.check_modules)
        self._run("import check", [str(venv / "bin" / "python"), "-c", imports])
        mcu = manifest.file(FileKind.MCU)
        if mcu is not None:  # sent to the gate controller once this release passed its trial
            (folder / MCU_FOLDER).mkdir()
            _link(self.cache.path(mcu), folder / MCU_FOLDER / mcu.name)
        shutil.rmtree(wheels)
        self.slots.mark_whole(version)

    def _run(self, step: str, argv: list[str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env=env
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise InstallError(f"{step}: {error}", f"install: {step} failed") from None
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
            raise InstallError(
                f"{step} failed (exit {done.returncode}): {' / '.join(last)}",
                f"install: {step} failed",
            )


def _link(source: Path, target: Path) -> None:
    """The cached bytes under their real name (a hard link; a copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
