"""The gate controller's part of a release: after the kiosk's own trial passed, its firmware goes
to the controller over the OSDP bus (drivers.gate_update, which keeps the previous firmware on the
board until the new one answers securely, and the door shut meanwhile: egress works).

A release carries the firmware as the office got it: a bundle (drivers.gate_bundle) or a folder
zipped by the office; a zipped folder is made into a bundle here, every file included.
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.status import KioskStatus
from kiosk.update.install import MCU_FOLDER
from kiosk.update.updater import tell

__all__ = ["bundle_of", "firmware_file", "send_after_trial"]

log = logging.getLogger("kiosk.update")

Send = Callable[[Any, bytes], str]  # (controller, bundle) -> the version it keeps


def firmware_file(release: Path) -> Path | None:
    """The controller firmware a release folder carries, if any."""
    folder = release / MCU_FOLDER
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    return files[0] if files else None


def bundle_of(path: Path, magic: bytes, build: Callable[[Path], bytes]) -> bytes:
    """The bytes to send: the file when it starts with the bundle's ``magic``, else ``build`` of
    the zipped folder it is (drivers.gate_bundle's, passed in: kiosk/ leaves drivers to app.py
    and the commands)."""
    data = path.read_bytes()
    if data.startswith(magic):
        return data
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp)
        return build(Path(tmp))


def send_after_trial(
    release: Path,
    controller: Any,
    status: KioskStatus,
    version: str,
    send: Send,
    bundle: Callable[[Path], bytes],
) -> Callable[[], None]:
    """The step a passed trial runs: the release's firmware to ``controller`` (None: the gate is
    not an OSDP controller, so there is nothing to send it to)."""

    def step() -> None:
        path = firmware_file(release)
        if path is None:
            return
        if controller is None:
            log.warning(
                "release %s carries controller firmware; [gate] backend is not osdp", version
            )
            return
        try:
            kept = send(controller, bundle(path))
        except (OSError, ValueError, zipfile.BadZipFile, RuntimeError) as error:
            log.error("controller firmware of %s not taken: %s", version, error)
            tell(status, "failed", version, f"controller: {error}")
            return
        log.info("gate controller runs firmware %s from release %s", kept, version)

    return step
