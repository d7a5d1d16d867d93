"""A fleet update and a rollback on the whole emulated arm64 machine, in one boot.

The kiosk image (tests/vm_image.py) boots under QEMU (tests/vm_qemu.py) as in
tests/test_emulated_boot.py, enrolled with a real office on this host (10.0.2.2 from inside) that
has an update key; the kiosk trusts it as enrollment leaves it (``update/keys.json``). Then:

1. The office records a release: a wheel of this checkout under a new version and the arm64
   wheels it depends on (packed from the image's own kiosk venv: tests/vm_release.py), and starts
   its rollout at this kiosk. Inside the machine the kiosk's updater downloads it, checks the
   signature and hashes, installs it beside the running one with ``pip --no-index`` (nothing
   but the release's wheels), switches in a quiet moment, exits; systemd runs the update guard
   and starts the new version, which passes its health check (self-test of the camera, the
   screen's frames, a round trip to the office, the event log) and reports ``running``.
2. A second release whose camera self-test fails (a bad threshold: every frame counts as black)
   is sent: the kiosk switches, the check fails, the previous version comes back by itself, the
   office hears ``rolled_back`` and stops the rollout.

Asserted on the office's record of the kiosk, the rollout, the journal (the console) and, after
the power is cut, the machine's /opt/kiosk/app/current and ab.json. The times from "release
sent" to "running" and to "rolled back" are printed.

Same prerequisites and cache as tests/test_emulated_boot.py; skipped, saying what is missing.
The emulated machine has no I2C thermometer and no GPIO chip, so its self-test on trial checks
the camera (the folder of frames on its data partition) only.
"""

from __future__ import annotations

import base64
import json
import re
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.models import KioskHealth, Rollout
from server.releases import keys, rollout
from server.releases.store import Store, add_release, release_folder
from tests.vm_qemu import EmulatedMachine
from tests.vm_release import checkout_wheel, installed_wheels, kiosk_requirements
from tests.vm_rig import (
    DEVICE,
    SUITE,
    Disks,
    HostOffice,
    boot,
    files_from,
    host_office,
    link_target,
    machine_disks,
    ready,
)

pytestmark = [pytest.mark.rootfs, pytest.mark.slow, pytest.mark.timeout(3600)]

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
BASE = tomllib.loads(PYPROJECT.read_text())["project"]["version"]  # what setup.sh installed
GOOD, BAD = f"{BASE}.post1", f"{BASE}.post2"
# Release 2's bug: the camera check takes every frame for a capped lens.
BAD_EDIT = {"hw_tests/camera.py": ("BLACK_MAX = 24", "BLACK_MAX = 255")}
# Poll the office every 5 s; no bandwidth limit, no busy hours (a CI run may fall in them); the
# machine's self-test on trial is its camera (no I2C thermometer, no GPIO chip to check).
UPDATES = """
[updates]
check_s = 5.0
bandwidth_kib = 0
busy_hours = ""
selftest = "camera"
"""
# A refusal holds the lane until REFUSAL_S (9 s) after the code left: one code every 9 frames
# at 1 per second is a lane that is never quiet, and the updater rightly waits. One every 25 s
# leaves quiet moments between the refusals.
IDLE_FRAMES = 24
KIOSK_EXTRAS = ("pi",)  # as setup.sh installs the kiosk on a Pi
APP = "/opt/kiosk/app"
# Download, pip install of the kiosk and its 32 dependency wheels, restart, trial: under TCG.
UPDATE_LIMIT_S = 1500.0
TIMES: dict[str, float] = {}


@dataclass
class Fleet:
    """The office, its release store and the machine's disks."""

    office: HostOffice
    store: Store
    disks: Disks
    dependencies: list[Path]

    def send(self, version: str, edits: dict[str, tuple[str, str]] | None = None) -> float:
        """Record the release and start its rollout at the kiosk; when it was sent."""
        wheel = checkout_wheel(self.disks.where, version, edits)
        with self.office.hand.session() as s:
            now = datetime.now(UTC)
            add_release(
                s, self.store, wheel, dependencies=self.dependencies, notes=version, now=now
            )
            rollout.start(s, version, DEVICE, now)
        return time.monotonic()

    def to_every_kiosk(self, version: str) -> None:
        """Take the rollout to its last stage (the next one starts only then)."""
        for _ in ("compound", "all"):
            with self.office.hand.session() as s:
                rollout.advance(s, version, datetime.now(UTC))

    def reported(self) -> tuple[str, str, str, str]:
        """(version, update state, target, error) as the kiosk last reported them."""
        with self.office.hand.session() as s:
            row = s.get(KioskHealth, DEVICE)
            if row is None:
                return ("", "", "", "")
            return row.version, row.update_state, row.update_target, row.update_error

    def rollout_state(self, version: str) -> tuple[str, str]:
        with self.office.hand.session() as s:
            row = s.get(Rollout, version)
            assert row is not None
            return row.state, row.reason


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with host_office(tmp_path_factory.mktemp("office")) as office:
        store = Store(release_folder(office.hand.sessions.kw["bind"]))
        with office.hand.session() as s:
            keys.new_key(s, store.root, datetime.now(UTC))
            trusted = [base64.b64encode(k).decode() for k in keys.trusted_public_keys(s)]
        where = tmp_path_factory.mktemp("emulated-update")
        files = {"update/keys.json": json.dumps(trusted).encode()}  # as `kiosk enroll` leaves it
        disks = machine_disks(where, office, TIMES, UPDATES, files, IDLE_FRAMES)
        tree = disks.image.tree
        sites = sorted(tree.glob(f"{APP[1:]}/releases/setup/venv/lib/python3*/site-packages"))
        system = tree / "usr/lib/python3/dist-packages"
        # The image's kiosk runs with [pi] (setup.sh): the updater installs the next with it.
        dependencies = installed_wheels(
            sites[-1], system, kiosk_requirements(), where / "deps", extras=KIOSK_EXTRAS
        )
        yield Fleet(office, store, disks, dependencies)


def wait(machine: EmulatedMachine, what: str, done: Callable[[], bool]) -> None:
    if not machine.poll(lambda: True if done() else None, UPDATE_LIMIT_S, every_s=3.0):
        raise AssertionError(f"{what}: not after {UPDATE_LIMIT_S:.0f} s\n{machine.log()[-6000:]}")


def test_a_release_runs_and_a_broken_one_rolls_back_by_itself(fleet: Fleet) -> None:
    machine = boot(fleet.disks, "boot")
    try:
        ready(machine, "boot", TIMES)
        wait(machine, "the kiosk's first report", lambda: fleet.reported()[0] != "")
        assert fleet.reported()[0] == BASE  # setup.sh's install runs

        sent = fleet.send(GOOD)
        wait(machine, f"{GOOD} running", lambda: fleet.reported()[:2] == (GOOD, "running"))
        TIMES["good_sent_to_running_s"] = time.monotonic() - sent
        log = machine.log()
        assert f"kiosk update guard: trial {GOOD}" in log  # systemd restarted it, on trial
        assert f"release {GOOD} passed its health check" in log
        fleet.to_every_kiosk(GOOD)

        sent = fleet.send(BAD, BAD_EDIT)
        wait(machine, "rollout stopped", lambda: fleet.rollout_state(BAD)[0] == "stopped")
        TIMES["bad_sent_to_rollout_stopped_s"] = time.monotonic() - sent
        # The previous version is back by itself: the guard finds the rollback, systemd
        # starts GOOD again, and GOOD reports the failure (BAD may have said it first).
        machine.wait_for(rf"kiosk update guard: rolled_back {re.escape(GOOD)}", UPDATE_LIMIT_S)
        back = (GOOD, "rolled_back", BAD)
        wait(machine, f"{GOOD} back, reporting", lambda: fleet.reported()[:3] == back)
        TIMES["bad_sent_to_previous_back_s"] = time.monotonic() - sent
        assert "camera" in fleet.reported()[3], fleet.reported()
        assert DEVICE in fleet.rollout_state(BAD)[1]
    finally:
        machine.power_cut()
        print(
            f"\nemulated update ({SUITE}): {json.dumps({k: round(v, 1) for k, v in TIMES.items()})}"
        )

    root = fleet.disks.root
    assert link_target(root, f"{APP}/current") == f"releases/{GOOD}"
    out = files_from(root, [f"{APP}/ab.json"], fleet.disks.where / "app")
    journal = json.loads((out / "ab.json").read_text())
    assert journal["phase"] == "rolled_back", journal
    assert (journal["version"], journal["failed"]) == (GOOD, BAD), journal
    assert journal["why"].startswith("selftest:") and "camera" in journal["why"], journal
