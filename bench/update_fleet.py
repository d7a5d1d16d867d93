"""Kiosks on this machine for the update tests and bench.update: fake kiosk releases and a
systemd stand-in.

A fake release is a real wheel named checkpoint-kiosk with the version asked for and a ``kiosk``
console script; its only module is a .pth file that puts this checkout and the test's own
site-packages on the path, so the release's venv runs this code under its own version number
(built in milliseconds, no dependency wheels). A "broken network" release also points HTTP at a
closed port, so it starts, but fails the health check's round trip to the office.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.update.ab import AB, Slots, install_guard
from kiosk.update.download import Cache
from kiosk.update.install import Installer
from kiosk.update.keys import keys_file
from kiosk.update.manifest import FileKind, Manifest, describe
from sync.client import enroll

REPO = Path(__file__).resolve().parents[1]
WHEEL_FILE = "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
BROKEN_NETWORK = (
    'import os; os.environ.update(HTTP_PROXY="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9",'
    ' NO_PROXY="", no_proxy="")'
)


def fake_kiosk_wheel(
    folder: Path,
    version: str,
    *,
    broken_network: bool = False,
    payload: dict[str, str] | None = None,
) -> Path:
    """A checkpoint-kiosk wheel of ``version`` that runs this checkout (see the docstring);
    ``payload`` adds files (name: text) that are carried, never imported (a wheel's bulk)."""
    info = f"checkpoint_kiosk-{version}.dist-info"
    paths = dict.fromkeys(
        [str(REPO), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    )
    lines = [*paths, *([BROKEN_NETWORK] if broken_network else [])]
    files = {
        "checkpoint_kiosk_release.pth": "\n".join(lines) + "\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: checkpoint-kiosk\nVersion: {version}\n",
        f"{info}/WHEEL": WHEEL_FILE,
        f"{info}/entry_points.txt": "[console_scripts]\nkiosk = kiosk.cli:main\n",
        **{f"checkpoint_kiosk_payload/{name}": text for name, text in (payload or {}).items()},
    }
    record = [f"{name},sha256={_digest(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    path = folder / f"checkpoint_kiosk-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return path


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class KioskBox:
    """One kiosk: its A/B root, data dir and config, enrolled at the office, with ``version``
    installed as setup.sh would; ``start()`` runs it as systemd does (guard, then current)."""

    def __init__(
        self, folder: Path, device_id: str, office_url: str, code: str, wheel: Path
    ) -> None:
        self.folder, self.device_id = folder, device_id
        self.root, self.data = folder / "app", folder / "data"
        self.config = folder / "kiosk.toml"
        self.config.write_text(
            f'[device]\nid = "{device_id}"\ndata_dir = "{self.data}"\n'
            '[camera]\nbackend = "sim"\n[thermometer]\nbackend = "sim"\n[gpio]\nbackend = "mock"\n'
            f'[sync]\nserver_url = "{office_url}"\ncredential_file = "{folder / "credential"}"\n'
            f'interval_s = 5.0\n[updates]\nroot = "{self.root}"\ncheck_s = 1.0\n'
            'bandwidth_kib = 0\nbusy_hours = ""\ntrial_s = 20.0\nselftest = ""\n'
        )
        enroll(office_url, code, device_id, folder / "credential", keys_file=keys_file(self.data))
        self._install_first(wheel)
        self.starts = 0
        self.log = folder / "journal.txt"
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._supervise, daemon=True)

    def _install_first(self, wheel: Path) -> None:
        version = wheel.name.split("-")[1]
        entry = describe(wheel, FileKind.WHEEL)
        cache = Cache(self.data / "update" / "cache")
        cache.folder.mkdir(parents=True)
        shutil.copyfile(wheel, cache.path(entry))
        manifest = Manifest(version, datetime.now(UTC), "", (entry,))
        slots = Slots(self.root)
        Installer(slots, cache).install(manifest)
        slots.point_at(version)
        install_guard(self.root)
        AB(self.root).settle()

    def start(self) -> KioskBox:
        self._thread.start()
        return self

    def _supervise(self) -> None:
        """systemd's part: ExecStartPre (the guard), ExecStart (current), Restart=always."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        with self.log.open("ab") as journal:
            while not self._stop.is_set():
                subprocess.run(
                    [sys.executable, str(self.root / "ab.py")], stdout=journal, stderr=journal
                )
                kiosk = self.root / "current" / "venv" / "bin" / "kiosk"
                argv = [str(kiosk), "run", "--config", str(self.config), "--no-ui", "--sim"]
                self._proc = subprocess.Popen(
                    argv, stdout=journal, stderr=journal, env=env, cwd=self.folder
                )
                self.starts += 1
                self._proc.wait()
                self._stop.wait(0.2)  # RestartSec, shortened

    def stop(self) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._thread.join(timeout=30)

    def state(self) -> dict[str, Any]:
        return AB(self.root).state()

    def running(self) -> str | None:
        return Slots(self.root).current()

    def wait_for(
        self, what: str, test: Callable[[dict[str, Any]], bool], timeout: float = 90.0
    ) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if test(self.state()):
                return
            time.sleep(0.2)
        journal = self.log.read_text(errors="replace")[-3000:]
        raise AssertionError(f"{self.device_id}: {what} not reached: {self.state()}\n{journal}")
