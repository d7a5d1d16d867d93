"""An update installs the kiosk with the extras the running release has: a Pi's kiosk came with
``[pi]`` (lgpio, and the gate controller's libosdp through ``osdp``), a car gate's with
``plates``. Installed as the bare wheel, a kiosk with an OSDP gate controller lost its door at
its first update."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from kiosk.update.ab import Slots
from kiosk.update.download import Cache
from kiosk.update.extras import extras_in_use
from kiosk.update.install import Installer, InstallError
from kiosk.update.manifest import FileKind, Manifest, describe

# The kiosk's Requires-Dist lines as its wheel's metadata has them (pyproject.toml's extras).
REQUIRES = [
    "numpy>=1.24",
    'lgpio>=0.2; extra == "pi"',
    'checkpoint-kiosk[osdp]; extra == "pi"',
    'libosdp>=3.2; extra == "osdp"',
    'mpremote>=1.22; extra == "osdp"',
    'rapidocr==2.1.0; extra == "plates"',
    'onnxruntime>=1.17; extra == "plates"',
    'fastapi>=0.115; extra == "server"',
    'checkpoint-kiosk[server]; extra == "dev"',
    'pytest>=8; extra == "dev"',
]


def in_use(*installed: str) -> tuple[str, ...]:
    return extras_in_use(REQUIRES, lambda name: name in {"numpy", *installed})


def test_a_pi_kiosk_with_a_gate_controller_keeps_pi_and_osdp() -> None:
    assert in_use("lgpio", "libosdp", "mpremote") == ("pi", "osdp")


def test_a_car_gate_keeps_the_plate_reader() -> None:
    assert in_use("lgpio", "libosdp", "mpremote", "rapidocr", "onnxruntime") == (
        "pi",
        "osdp",
        "plates",
    )


def test_an_extra_counts_only_when_all_it_needs_is_there() -> None:
    assert in_use("lgpio", "libosdp") == ()  # no mpremote: osdp incomplete, so pi too
    assert in_use("rapidocr") == ()


def test_the_offices_and_developers_extras_never_come_along() -> None:
    assert in_use("fastapi", "pytest") == ()


def test_the_installer_asks_pip_for_the_kiosk_with_those_extras(tmp_path: Path) -> None:
    asked: list[list[str]] = []

    class Recording(Installer):
        def _run(self, step: str, argv: list[str]) -> None:
            asked.append(argv)
            if step == "pip":
                raise InstallError("stop here", "install: pip failed")

    cache = Cache(tmp_path / "cache")
    cache.folder.mkdir()
    wheel = tmp_path / "checkpoint_kiosk-1.1-py3-none-any.whl"
    wheel.write_bytes(b"a wheel")
    entry = describe(wheel, FileKind.WHEEL)
    cache.path(entry).write_bytes(wheel.read_bytes())
    installer = Recording(Slots(tmp_path / "app"), cache, python="python3", extras=("pi", "osdp"))
    with contextlib.suppress(InstallError):
        installer.install(Manifest("1.1", datetime.now(UTC), "", (entry,)))
    [pip] = [argv for argv in asked if "install" in argv]
    assert pip[-1].endswith("checkpoint_kiosk-1.1-py3-none-any.whl[pi,osdp]"), pip
