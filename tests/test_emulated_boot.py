"""A whole emulated arm64 machine boots the kiosk, syncs, and survives a power cut.

The kiosk image (tests/vm_image.py: the root file system after setup.sh, Debian's arm64
kernel, Mesa) boots in qemu-system-aarch64 (tests/vm_qemu.py): systemd as PID 1 arms the
machine's watchdog and starts kiosk.service, which opens the emulated GPU through SDL's KMS/DRM
driver. The kiosk syncs with a real office on this host (10.0.2.2 from inside) while its camera
(a folder of frames on the data partition) keeps showing a code that is no pass, so it logs a
refusal every few seconds: traffic. QEMU is then killed (a power cut) and the machine booted
again: the kiosk is ready again, syncing goes on, the event log passes SQLite's integrity check
and every event the office had acknowledged is in it exactly once (and at the office once).
Meanwhile the screen QEMU shows (``screendump`` of the emulated GPU's scanout) is compared
with the kiosk's own off-screen rendering of its idle screen. Both boots' times to the kiosk's
``ready`` and to its idle screen on the display are printed.

Needs what tests/test_rootfs.py needs to build the image (root, mmdebstrap, qemu-user-static,
binfmt_misc) and qemu-system-aarch64 with e2fsprogs to boot it; skipped, saying which is
missing, otherwise. The image is cached (tests/vm_image.py), made from the tree the root file
system proof caches (tests/test_rootfs.py runs first); without either, the first run makes it
(setup.sh under emulation: about 25 minutes). KIOSK_EMULATED_SUITE picks the suite (default:
trixie, what a Pi flashed today runs).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.vm_qemu import PANEL, EmulatedMachine
from tests.vm_rig import (
    SUITE,
    Disks,
    HostOffice,
    boot,
    camera_frames,
    files_from,
    host_office,
    kiosk_config,
    machine_disks,
    office_event_ids,
    ready,
)

pytestmark = [pytest.mark.rootfs, pytest.mark.slow, pytest.mark.timeout(3600)]

TRAFFIC_LIMIT_S = 300.0
# Screen match: share of pixels allowed to differ by more than PIXEL_STEP in some channel.
PIXEL_STEP, MAX_DIFFERENT = 48, 0.06
TIMES: dict[str, float] = {}
SCREENS: dict[str, list[float]] = {}  # per boot: share of pixels unlike the idle screen
MATCHED: dict[str, str] = {}  # per boot: which reference screen the capture matched


@dataclass
class Rig(Disks):
    office_db: Path
    office_url: str
    references: dict[str, np.ndarray]


# --- the office on this host ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostOffice]:
    with host_office(tmp_path_factory.mktemp("office")) as running:
        yield running


# --- the reference screen ----------------------------------------------------------------------
def reference_screens(where: Path, office_url: str) -> dict[str, np.ndarray]:
    """The idle screen as the kiosk renders it off screen, from the same configuration: as it
    is, and with the line that tells of an open alarm. A kiosk booting without NTP (QEMU's
    user network reaches no time server) raises "clock not confirmed" at its first tick, and
    that alarm stays open until a guard acknowledges it, so the idle screen after a boot shows
    the line. (The kiosk built here may have raised it too, or not, as this host's clock is
    synchronised or not: each reference sets its alarms itself.)"""
    import pygame

    from kiosk.app import build
    from kiosk.config import load_config
    from kiosk.model import Reason
    from kiosk.view import Alarm
    from ui.render import still_screen

    data = where / "reference-data"
    (data / "camera").mkdir(parents=True)
    for name, content in camera_frames().items():
        (data / name).write_bytes(content)
    path = where / "reference.toml"
    path.write_text(kiosk_config(str(data), office_url))
    app = build(load_config(path))
    try:
        app.kiosk.tick()  # the first frame: nobody there
        view, frame = app.kiosk.view(), app.kiosk.frame()
    finally:
        app.close()
    clock = Alarm("reference", Reason.CLOCK_UNTRUSTED, datetime.now(UTC))
    views = {
        "idle": dataclasses.replace(view, alarms=()),
        "idle with the alarm line": dataclasses.replace(view, alarms=(clock,)),
    }
    references = {}
    for name, shown in views.items():
        screen = still_screen(shown, PANEL, frame=frame)
        screen.draw()
        raw = pygame.image.tobytes(screen.canvas.surface, "RGB")
        references[name] = np.frombuffer(raw, dtype=np.uint8).reshape(PANEL[1], PANEL[0], 3)
        Image.fromarray(references[name]).save(where / f"reference-{name.replace(' ', '-')}.png")
    return references


def different_share(shown: np.ndarray, reference: np.ndarray) -> float:
    if shown.shape != reference.shape:
        return 1.0
    step = np.abs(shown.astype(np.int16) - reference.astype(np.int16)).max(axis=2)
    return float((step > PIXEL_STEP).mean())


# --- the rig -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, office: HostOffice) -> Rig:
    # The office fixture has already skipped where the machine cannot be built or booted.
    where = tmp_path_factory.mktemp("emulated-boot")
    disks = machine_disks(where, office, TIMES)
    references = reference_screens(where, office.url)
    return Rig(**vars(disks), office_db=office.db, office_url=office.url, references=references)


def watch_until(rig: Rig, machine: EmulatedMachine, name: str, done: Callable[[], bool]) -> bool:
    """Capture the screen every few seconds until ``done()`` and the kiosk's idle screen was
    seen (or time is up); note when it first showed, and how close it came. Whether ``done()``."""
    shares = SCREENS.setdefault(name, [])
    seen = f"{name}_to_screen_s"

    def check() -> bool | None:
        shown = machine.screendump(rig.where / f"{name}-screen.ppm")
        share, which = min((different_share(shown, ref), k) for k, ref in rig.references.items())
        shares.append(share)
        if share <= MAX_DIFFERENT and seen not in TIMES:
            TIMES[seen] = machine.since_start()
            MATCHED[name] = which
            Image.fromarray(shown).save(rig.where / f"{name}-screen-matched.png")
        return True if done() and seen in TIMES else None

    machine.poll(check, TRAFFIC_LIMIT_S, every_s=3.0)
    return done()


def office_has(rig: Rig, count: int) -> Callable[[], bool]:
    return lambda: len(office_event_ids(rig.office_db)) >= count


def kiosk_log(rig: Rig) -> Path:
    """The kiosk's event log (with its WAL), copied out of the data partition after the
    journal of the file system was replayed, as the next boot's mount would."""
    return files_from(rig.data, ["/events.db", "/events.db-wal"], rig.where / "kiosk-log") / (
        "events.db"
    )


def test_boots_to_the_kiosk_syncs_and_survives_a_power_cut(rig: Rig) -> None:
    first = boot(rig, "boot1")
    try:
        ready(first, "boot1", TIMES)
        log = first.log()
        # systemd (PID 1) pats the emulated machine's watchdog (RuntimeWatchdogSec, setup.sh).
        assert "Using hardware watchdog 'i6300ESB timer'" in log, log[-3000:]
        assert "no screen yet" not in log, log[-3000:]  # SDL's kmsdrm opened the DRM device
        # Traffic: the office acknowledges refusals as the kiosk makes them.
        assert watch_until(rig, first, "boot1", office_has(rig, 4)), first.log()[-4000:]
    finally:
        first.power_cut()  # mid-traffic: a refusal every round of the camera folder
    acked = office_event_ids(rig.office_db)
    second = boot(rig, "boot2")
    try:
        ready(second, "boot2", TIMES)
        # Syncing goes on after the cut: new refusals reach the office.
        grown = watch_until(rig, second, "boot2", office_has(rig, len(acked) + 3))
        assert grown, f"no events from the second boot:\n{second.log()[-4000:]}"
    finally:
        second.power_cut()
    rounded = {k: round(v, 1) for k, v in TIMES.items()}
    print(f"\nemulated boot ({SUITE}): {json.dumps(rounded)}")

    from kiosk.store import EventLog

    path = kiosk_log(rig)
    with EventLog(path) as events:
        assert events.integrity_check() == "ok"
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT event_id, synced FROM events").fetchall()
    log_ids = [event_id for event_id, _ in rows]
    # Re-sent after the cut where the kiosk had not heard the answer, and marked as had.
    synced = {event_id for event_id, flag in rows if flag == 1}
    at_office = office_event_ids(rig.office_db)
    assert len(acked) >= 4
    for event_id in acked:
        assert log_ids.count(event_id) == 1, f"acknowledged event {event_id} not once in the log"
        assert at_office.count(event_id) == 1, f"event {event_id} not once at the office"
        assert event_id in synced, f"acknowledged event {event_id} still waits to be sent"


def test_the_screen_shows_the_kiosks_idle_screen(rig: Rig) -> None:
    """What QEMU's monitor captures of the emulated GPU's scanout is the kiosk's idle screen as
    the kiosk renders it off screen, on both boots; the boot-to-screen times are printed."""
    if not SCREENS:
        pytest.skip("the boot test did not run")
    for name in ("boot1", "boot2"):
        shares = SCREENS.get(name, [1.0])
        assert f"{name}_to_screen_s" in TIMES, (
            f"{name}: the screen never matched the kiosk's idle screen (best: {min(shares):.1%} "
            f"of pixels differ; {rig.where}/{name}-screen.ppm and reference-*.png)"
        )
    seen = (f"{name} {TIMES[f'{name}_to_screen_s']:.0f} s ({MATCHED[name]})" for name in MATCHED)
    print(f"\nemulated boot ({SUITE}) to the kiosk's screen: " + ", ".join(seen))
