"""What the emulated-machine tests share: an office on this host that the guest reaches as
10.0.2.2, the kiosk's configuration and camera, the two disks of one machine (the boot disk with
this checkout's packages and the kiosk's config, the data partition with its credential and
camera frames), booting it and reading files back off a disk after a power cut.

tests/test_emulated_boot.py (boot, sync, power cut) and tests/test_emulated_update.py (a release,
then a rollback) build on it; tests/vm_image.py makes the image, tests/vm_qemu.py runs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from server.local import Office
from tests.rootfs_build import apt_mirror, cached_rootfs, missing_prerequisite
from tests.vm_image import KIOSK_CONFIG, VmImage, cached_image, data_disk, write_file
from tests.vm_qemu import EmulatedMachine, missing_qemu

__all__ = [
    "BOOT_LIMIT_S",
    "COMPOUND",
    "DEVICE",
    "SUITE",
    "Disks",
    "HostOffice",
    "boot",
    "camera_frames",
    "files_from",
    "host_office",
    "kiosk_config",
    "link_target",
    "machine_disks",
    "office_event_ids",
    "ready",
]

SUITE = os.environ.get("KIOSK_EMULATED_SUITE", "trixie")  # what a Pi flashed today runs
DEVICE, COMPOUND = "gate-emu-1", "C01"
NOT_A_PASS = "KP1:EMULATED-BOOT-TRAFFIC"  # refused at once (bad encoding): no forehead needed
FRAME = (320, 240)
# "Nobody there" frames for each frame with the code, at 1 fps: the refusal stays on screen
# REFUSAL_S (9 s) after the code left the view, then the idle screen shows for a few seconds.
IDLE_FRAMES = 16
BOOT_LIMIT_S = 600.0  # TCG on a 2-core CI machine
DATA_DIR = "/var/lib/kiosk"
# A PIN of its own, as setup.sh gives each kiosk (the default one puts a warning on screen).
GUARD_PIN_SHA256 = hashlib.sha256(b"271828").hexdigest()
# Opening the screen (Mesa compiles its shaders) and the first draw take tens of seconds under
# TCG, past the unit's 10 s watchdog: the emulated machine gives the kiosk a TCG-sized one.
# The kiosk's own checks (loop ticking, UI polling) are unchanged.
TCG_DROP_IN = "/etc/systemd/system/kiosk.service.d/emulated-machine.conf"
TCG_WATCHDOG = b"[Service]\nWatchdogSec=120\n"


# --- the office on this host ---------------------------------------------------------------------
@dataclass(frozen=True)
class HostOffice:
    """A real office in a folder of this host, serving on loopback, with the kiosk enrolled."""

    hand: Office
    folder: Path
    url: str  # as the guest reaches it (QEMU's user network: 10.0.2.2 is this host)
    token: str

    @property
    def db(self) -> Path:
        return self.folder / "office.db"


@contextmanager
def host_office(folder: Path) -> Iterator[HostOffice]:
    """The office with compound COMPOUND and kiosk DEVICE enrolled; skips the test where no
    machine can be built or booted here (saying what is missing)."""
    from server.app import create_app
    from server.local import ServerThread

    reason = missing_prerequisite() or missing_qemu()
    if reason is not None:
        pytest.skip(f"emulated machine skipped: {reason}")
    hand = Office.open(folder)
    hand.add_compound(COMPOUND)
    token = hand.enroll_kiosk(DEVICE, COMPOUND)
    server = ServerThread(create_app(hand.sessions)).start()
    try:
        yield HostOffice(hand, folder, f"http://10.0.2.2:{server.port}", token)
    finally:
        server.stop()


def office_event_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT event_id FROM events WHERE device_id = ?", (DEVICE,))
        return [row[0] for row in rows]


# --- the kiosk's configuration and camera --------------------------------------------------------
def kiosk_config(data_dir: str, office_url: str, extra: str = "") -> str:
    """kiosk.toml of the emulated kiosk; ``extra`` adds sections (TOML) at the end."""
    return f"""\
[device]
id = "{DEVICE}"
compound = "{COMPOUND}"
data_dir = "{data_dir}"

[camera]
backend = "folder"
folder = "{data_dir}/camera"
# Emulated instructions are many times slower than a Pi's: fewer, smaller frames keep the
# kiosk loop within its watchdog limit (a tick older than 5 frame periods + 1 s is a hang).
width = {FRAME[0]}
height = {FRAME[1]}
fps = 1

[thermometer]
backend = "sim"

[gpio]
backend = "mock"
door_contact = false  # nothing drives the mock door pin: no contact is wired

[ui]
speech = false  # the emulated machine has no sound card
guard_pin_sha256 = "{GUARD_PIN_SHA256}"

[sync]
server_url = "{office_url}"
credential_file = "{data_dir}/credential.json"
{extra}"""


def camera_frames(idle_frames: int = IDLE_FRAMES) -> dict[str, bytes]:
    """Nobody there, and now and then the code that is no pass (one refusal per round of
    ``idle_frames`` + 1 frames)."""
    from drivers.frames import render_frame
    from kiosk.simcontrols import STEADY

    rng = np.random.default_rng(0)
    held = dataclasses.replace(STEADY, code_px=160)  # a phone a little further off
    frames = {
        f"camera/{i:03d}-nobody.png": render_frame(None, STEADY, rng, FRAME)
        for i in range(idle_frames)
    }
    frames[f"camera/{idle_frames:03d}-code.png"] = render_frame(NOT_A_PASS, held, rng, FRAME)
    files = {}
    for name, frame in frames.items():
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG")
        files[name] = buffer.getvalue()
    return files


# --- the machine's disks, booting it, reading it back -------------------------------------------
@dataclass
class Disks:
    """One emulated kiosk: the image it boots, its two disks, and the folder they are in."""

    image: VmImage
    where: Path
    root: Path
    data: Path


def machine_disks(
    where: Path,
    office: HostOffice,
    times: dict[str, float],
    config_extra: str = "",
    data_files: Mapping[str, bytes] | None = None,
    idle_frames: int = IDLE_FRAMES,
) -> Disks:
    """The cached image (built when missing) made into a boot disk with this checkout and the
    kiosk's config, and a data partition with its credential, camera (``camera_frames``) and
    ``data_files``."""
    import time

    started = time.monotonic()
    image = cached_image(cached_rootfs(apt_mirror(), SUITE), where / "build", times)
    times["image_ready_s"] = time.monotonic() - started
    credential = {
        "server_url": office.url,
        "device_id": DEVICE,
        "compound_id": COMPOUND,
        "token": office.token,
    }
    files = {"credential.json": json.dumps(credential).encode(), **camera_frames(idle_frames)}
    data = data_disk(where, image.kiosk_uid, {**files, **(data_files or {})})
    root = image.boot_disk(where)
    config = kiosk_config(DATA_DIR, office.url, config_extra).encode()
    write_file(root, KIOSK_CONFIG, config, uid=0, gid=image.kiosk_uid, mode=0o640)
    write_file(root, TCG_DROP_IN, TCG_WATCHDOG, uid=0, gid=0, mode=0o644)
    return Disks(image, where, root, data)


def boot(disks: Disks, name: str) -> EmulatedMachine:
    return EmulatedMachine(disks.image, disks.root, disks.data, disks.where, name).start()


def ready(machine: EmulatedMachine, name: str, times: dict[str, float]) -> None:
    """Wait until systemd has started the kiosk (it says so once it told systemd READY=1)."""
    machine.wait_for(rf"kiosk {DEVICE} ready at compound {COMPOUND}", BOOT_LIMIT_S)
    times[f"{name}_to_kiosk_ready_s"] = machine.since_start()


def replay_journal(disk: Path) -> None:
    """Replay an ext4 image's journal as the next boot's mount would (the machine is off)."""
    subprocess.run(["e2fsck", "-y", "-E", "journal_only", str(disk)], capture_output=True)


def files_from(disk: Path, paths: list[str], out: Path) -> Path:
    """Copy ``paths`` out of an ext4 image (the machine is off) into ``out``, after replaying
    the file system's journal as the next boot's mount would; a missing file stays missing."""
    replay_journal(disk)
    out.mkdir(exist_ok=True)
    for path in paths:
        subprocess.run(
            ["debugfs", "-R", f"dump {path} {out / Path(path).name}", str(disk)],
            capture_output=True,
            check=False,
        )
    return out


def link_target(disk: Path, path: str) -> str:
    """Where the symbolic link ``path`` in an ext4 image points ("" when it is no link), after
    replaying the journal: a power cut leaves the last changes there (debugfs alone found no
    file system to open on the emulated kiosk's root after one)."""
    replay_journal(disk)
    shown = subprocess.run(
        ["debugfs", "-R", f"stat {path}", str(disk)], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r'Fast link dest: "([^"]*)"', shown)
    return found[1] if found else ""
