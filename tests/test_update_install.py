"""The installer with real virtual environments: a release it installs can install the next.

The system's Python on Raspberry Pi OS (and Debian) has no pip, and the release that runs is
the one whose updater installs the next release; so each release's venv needs a pip of its own.
Seen on the emulated kiosk (tests/test_emulated_update.py): the first update installed, the
second failed with "No module named pip".
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.update_fleet import fake_kiosk_wheel
from kiosk.update.ab import Slots
from kiosk.update.download import Cache
from kiosk.update.install import Installer
from kiosk.update.manifest import FileKind, Manifest, describe

pytestmark = pytest.mark.slow  # makes a venv with pip: seconds


def test_an_installed_release_has_a_pip_of_its_own_to_install_the_next(tmp_path: Path) -> None:
    wheel = fake_kiosk_wheel(tmp_path, "1.1")
    entry = describe(wheel, FileKind.WHEEL)
    cache = Cache(tmp_path / "cache")
    cache.folder.mkdir()
    shutil.copyfile(wheel, cache.path(entry))
    slots = Slots(tmp_path / "app")
    Installer(slots, cache).install(Manifest("1.1", datetime.now(UTC), "", (entry,)))
    venv = slots.folder("1.1") / "venv"
    shown = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "--version"], capture_output=True, text=True
    )
    # Where pip comes from: the venv's own site-packages, not the system's (which a Pi lacks).
    assert shown.returncode == 0, shown.stderr
    assert str(venv.resolve()) in shown.stdout, shown.stdout
