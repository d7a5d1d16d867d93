"""Proof that setup.sh provisions real arm64 Debian trixie and bookworm root file systems.

For each suite (trixie, today's Raspberry Pi OS base, with Python 3.13; bookworm, with 3.11):
takes the cached arm64 root file system (tests/rootfs_build.py builds it with mmdebstrap under
qemu-aarch64 emulation the first time); copies this checkout into a copy of it; runs setup.sh
inside it twice (the second run must change nothing); checks the unit, the user, the venv and
the config; and runs ``kiosk selftest --sim`` in it under the suite's own Python, all under
emulation; on trixie also ``kiosk demo --no-office``. It also checks what a first boot on a Pi
depends on and a laptop cannot show: the SDL that pygame loads on arm64 has KMS/DRM and finds
its Mesa libraries, pygame's own wheel would fail the screen check, and lgpio (built from source
where PyPI has no wheel for the suite's Python) loads for the kiosk user only from a folder it
can write. These are plain Debian systems: Raspberry Pi's own packages are absent, so what is
proven here is setup.sh's fallback to Debian's (tests/test_setup_script.py covers the Pi's).

Needs root, mmdebstrap, arch-test, qemu-user-static and binfmt_misc support for aarch64;
otherwise it is skipped with a message saying which is missing. The cache is /var/cache/kiosk-rootfs
(or $KIOSK_ROOTFS_CACHE). KIOSK_ROOTFS_SUITES (default "bookworm trixie") names the suites to
prove. The Debian mirror is read from this host's apt sources: the one that serves this host's
release serves the other suite too.

setup.sh's first run from scratch is most of the time under emulation, so the tree it leaves is
cached too (tests/rootfs_provisioned.py: keyed by the base, setup.sh, deploy/, pyproject.toml …
and the fleet file and arguments below, not by the kiosk's own packages). On a hit the proof
copies that tree, runs setup.sh (an update: this checkout's kiosk) and then again, which must
change nothing; on a miss it runs setup.sh twice from scratch as before and stores the tree the
first run left once every test of the suite passed. Each suite prints whether it hit and its
timings (build_s only when the base was built).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OUTCOMES
from tests.rootfs_build import (
    SUITES,
    Chroot,
    apt_mirror,
    cached_rootfs,
    missing_prerequisite,
)
from tests.rootfs_provisioned import (
    FLEET_TOML,
    RECIPE,
    SETUP_ARGS,
    ProvisionedCache,
    provisioned_path,
)

pytestmark = [pytest.mark.rootfs, pytest.mark.slow, pytest.mark.timeout(3600)]

# KIOSK_ROOTFS_SUITES="trixie" chooses the suites to prove; default both.
CHOSEN = os.environ.get("KIOSK_ROOTFS_SUITES", "bookworm trixie").split()
TIMINGS: dict[str, dict[str, float]] = {suite: {} for suite in SUITES}
CACHES: dict[str, ProvisionedCache] = {}


@pytest.fixture(scope="module", params=CHOSEN)
def chroot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Chroot]:
    reason = missing_prerequisite()
    if reason is not None:
        pytest.skip(f"arm64 root file system proof skipped: {reason}")
    suite: str = request.param
    if suite not in SUITES:
        pytest.fail(f"KIOSK_ROOTFS_SUITES names {suite!r}; the suites are {', '.join(SUITES)}")
    timings = TIMINGS[suite]
    base = cached_rootfs(apt_mirror(), suite, timings)
    cache = CACHES[suite] = ProvisionedCache(provisioned_path(base, RECIPE))
    hit = cache.hit
    started = time.monotonic()
    box = Chroot(cache.target if hit else base, tmp_path_factory.mktemp(f"rootfs-{suite}"), suite)
    timings["copy_s"] = time.monotonic() - started
    box.timings = timings
    try:
        box.copy_checkout()
        box.mount()
        yield box
    finally:
        try:
            box.unmount()
            box.remove()
        finally:
            if _every_test_passed(request, suite):
                cache.keep(timings)
            else:
                cache.discard()
        rounded = {k: round(v) for k, v in box.timings.items()}
        state = "hit" if hit else "miss"
        # Past pytest's capture: CI's log shows it whether or not a test failed.
        with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
            print(f"\nrootfs timings ({suite}, provisioned cache {state}): {json.dumps(rounded)}")


def _every_test_passed(request: pytest.FixtureRequest, suite: str) -> bool:
    """Whether each of this module's tests that takes ``chroot`` ran for ``suite`` and passed
    (or skipped, as the demo does on bookworm): an interrupted, deselected or failed one keeps
    its suite's provisioned tree out of the cache."""
    wanted = {
        name
        for name, value in vars(request.module).items()
        if name.startswith("test_") and "chroot" in inspect.signature(value).parameters
    }
    ran = {
        item.originalname
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.module is request.module
        and getattr(item, "callspec", None) is not None  # the tests without a root have none
        and item.callspec.params.get("chroot") == suite
        and item.stash.get(OUTCOMES, {}).get("call") in ("passed", "skipped")
    }
    return bool(wanted) and wanted == ran


def _setup(box: Chroot, label: str) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = box.run("bash", "/opt/src/setup.sh", *SETUP_ARGS)
    box.timings[label] = time.monotonic() - started
    assert result.returncode == 0, (
        f"setup.sh ({label}) failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    )
    return result


def test_setup_provisions_the_rootfs_and_a_second_run_changes_nothing(chroot: Chroot) -> None:
    cache = CACHES[chroot.suite]
    (chroot.root / "root/fleet.toml").write_text(FLEET_TOML)
    if cache.hit:  # the cached first run's tree: this run installs this checkout's kiosk
        first = _setup(chroot, "setup_update_run_s")
    else:
        first = _setup(chroot, "setup_first_run_s")
        assert "changed:" in first.stdout
        chroot.timings["cache_snapshot_s"] = cache.snapshot(chroot)
    assert "all checks passed" in first.stdout  # setup.sh's own self-test, simulated
    second = _setup(chroot, "setup_second_run_s")
    assert "changed:" not in second.stdout, second.stdout
    assert "no changes" in second.stdout

    root = chroot.root
    unit = (root / "etc/systemd/system/kiosk.service").read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=10",
        "Restart=always",
        "User=kiosk",
        "ExecStopPost=+/opt/kiosk/bin/kiosk-relay-off 17 dh",
    ):  # active-low board
        assert line in unit
    assert "network-online" not in unit
    assert (root / "etc/systemd/system/multi-user.target.wants/kiosk.service").is_symlink()
    groups = chroot.run("id", "-nG", "kiosk").stdout.split()
    assert {"gpio", "i2c", "video", "input", "dialout", "audio"} <= set(groups)
    assert (root / "opt/kiosk/venv/bin/kiosk").exists()
    config = (root / "etc/kiosk/kiosk.toml").read_text()
    pin = (root / "root/guard-pin").read_text().strip()
    assert 'id = "gate-north-1"' in config
    assert hashlib.sha256(pin.encode()).hexdigest() in config
    assert "i2c_arm_baudrate=100000" in (root / "boot/firmware/config.txt").read_text()
    assert (
        "RuntimeWatchdogSec=15"
        in (root / "etc/systemd/system.conf.d/kiosk-watchdog.conf").read_text()
    )
    # setup.sh ran from / (chroot's working directory), which the kiosk user cannot write:
    # its self-test still loaded lgpio, and found KMS/DRM in the SDL pygame loads.
    assert "[gpiolib] PASS: lgpio" in first.stdout, first.stdout[-4000:]
    assert "[screen] PASS" in first.stdout and "has kmsdrm" in first.stdout
    # Plain Debian has none of Raspberry Pi's packages: Debian's stand in for them.
    assert (
        "raspi-utils is not in this system's apt sources (Raspberry Pi's repository): gpiod"
        in first.stdout
    )
    assert "install ok installed" in chroot.run("dpkg-query", "-W", "-f=${Status}", "gpiod").stdout


def test_unattended_security_updates_are_set_up_for_the_reboot_window(chroot: Chroot) -> None:
    box = _installed(chroot)
    # apt reads our settings as written: only Debian's security archive (no Raspberry Pi
    # archive in these sources), updates at 02:xx, a reboot at 03:00 when one is needed.
    dump = box.run("apt-config", "dump", "Unattended-Upgrade", "APT::Periodic").stdout
    patterns = re.findall(r'Origins-Pattern:: "([^"]*)"', dump)
    assert patterns == ["origin=Debian,codename=${distro_codename}-security,label=Debian-Security"]
    for line in ('Automatic-Reboot "true"', 'Automatic-Reboot-Time "03:00"',
                 'APT::Periodic::Unattended-Upgrade "1"'):  # fmt: skip
        assert line in dump, dump
    timer = box.root / "etc/systemd/system/apt-daily-upgrade.timer.d/kiosk.conf"
    assert "OnCalendar=*-*-* 02:00" in timer.read_text()
    started = time.monotonic()
    dry = box.run("unattended-upgrade", "--dry-run", "--debug")
    box.timings["unattended_dry_run_s"] = time.monotonic() - started
    assert dry.returncode == 0, dry.stdout[-3000:] + dry.stderr[-3000:]
    assert "Allowed origins are: origin=Debian,codename=" in dry.stdout + dry.stderr, dry.stdout


def test_the_kiosk_user_counts_pending_updates_without_root(chroot: Chroot) -> None:
    box = _installed(chroot)
    started = time.monotonic()
    result = box.run(
        "runuser", "-u", "kiosk", "--", "/opt/kiosk/venv/bin/python", "-c",
        "from sync.osupdates import simulate_upgrade; print(simulate_upgrade())",
    )  # fmt: skip
    box.timings["count_updates_s"] = time.monotonic() - started
    assert result.stdout.startswith("Pending(updates="), result.stdout + result.stderr


def test_selftest_runs_under_emulation_as_the_kiosk_user(chroot: Chroot) -> None:
    if not (chroot.root / "opt/kiosk/venv/bin/kiosk").exists():
        pytest.skip("setup.sh did not finish in the previous test")
    started = time.monotonic()
    # From the data folder, as the unit runs it (lgpio's pipe goes there; see the lgpio test).
    result = chroot.run(
        "bash",
        "-c",
        "cd /var/lib/kiosk && runuser -u kiosk -- /opt/kiosk/venv/bin/kiosk selftest --sim",
        env={"HOME": "/var/lib/kiosk"},
    )
    chroot.timings["selftest_s"] = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    # The venv runs on the suite's own Python: 3.13 on trixie, where lgpio has no wheel.
    version = chroot.run(
        "/opt/kiosk/venv/bin/python", "-c", "import sys; print(*sys.version_info[:2])"
    ).stdout.split()
    assert tuple(map(int, version)) == SUITES[chroot.suite], version


def test_the_demo_plays_its_day_on_trixie(chroot: Chroot) -> None:
    # The whole kiosk (state machine, QR decoding, sensor reads, event log) on Python 3.13;
    # without the office, whose server extra a kiosk does not install.
    box = _installed(chroot)
    if box.suite != "trixie":
        pytest.skip("the demo runs on trixie only, to keep the emulated run short")
    started = time.monotonic()
    result = box.run(
        "bash",
        "-c",
        "cd /var/lib/kiosk && runuser -u kiosk -- /opt/kiosk/venv/bin/kiosk demo --no-office",
        env={"HOME": "/var/lib/kiosk"},
    )
    box.timings["demo_s"] = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "A resident comes home" in result.stdout and "not yet at the office" in result.stdout


def test_adafruits_driver_and_blinka_are_installed_and_read_the_emulated_sensor(
    chroot: Chroot,
) -> None:
    # [thermometer] driver = "adafruit" on arm64: the core dependency pulled Blinka in (its
    # sysv_ipc from a wheel), and the self-test reads the emulated chip through Adafruit's driver.
    box = _installed(chroot)
    (box.root / "var/lib/kiosk/adafruit.toml").write_text('[thermometer]\ndriver = "adafruit"\n')
    result = box.run(
        "bash",
        "-c",
        "cd /var/lib/kiosk && runuser -u kiosk -- "
        "/opt/kiosk/venv/bin/kiosk selftest --sim --only thermometer "
        "--config /var/lib/kiosk/adafruit.toml",
        env={"HOME": "/var/lib/kiosk"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    probe = box.run(
        "/opt/kiosk/venv/bin/python",
        "-c",
        "import adafruit_mlx90614, busio, sysv_ipc; print('imported')",
    )
    assert "imported" in probe.stdout, probe.stdout + probe.stderr


def _installed(chroot: Chroot) -> Chroot:
    if not (chroot.root / "opt/kiosk/venv/bin/kiosk").exists():
        pytest.skip("setup.sh did not finish in the first test")
    return chroot


SDL_PROBE = """
import json, pygame
from hw_tests.screen import loaded_sdl, missing_libraries, sdl_video_drivers
library = loaded_sdl()
print(json.dumps({"pygame": pygame.version.ver, "sdl": library,
                  "drivers": sdl_video_drivers(library), "missing": missing_libraries()}))
"""


def test_the_sdl_pygame_loads_on_arm64_has_kmsdrm_and_its_mesa_libraries(chroot: Chroot) -> None:
    box = _installed(chroot)
    result = box.run("/opt/kiosk/venv/bin/python", "-c", SDL_PROBE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    print(f"\narm64 SDL: {found}")
    # The wheel's own SDL, in the venv of the release systemd starts (/opt/kiosk/venv links there).
    assert found["sdl"].startswith("/opt/kiosk/app/releases/setup/venv/"), found
    assert "kmsdrm" in found["drivers"], found
    assert found["missing"] == [], found
    packages = ["libgbm1", "libegl1", "libgles2", "libgl1-mesa-dri", "python3-gpiozero"]
    status = box.run("dpkg-query", "-W", "-f=${Package} ${Status}\n", *packages)
    assert status.stdout.count("install ok installed") == len(packages), status.stdout


def test_screen_check_fails_loudly_with_pygames_own_wheel(chroot: Chroot) -> None:
    # pygame's (not pygame-ce's) aarch64 wheel bundles an SDL without KMS/DRM: put it first on
    # the path and the non-interactive self-test must fail, not skip.
    box = _installed(chroot)
    fetched = box.run(
        "/opt/kiosk/venv/bin/pip",
        "install",
        "--quiet",
        "--no-deps",
        "--target",
        "/opt/classic-pygame",
        "pygame==2.6.1",
    )
    assert fetched.returncode == 0, fetched.stderr
    result = box.run(
        "/opt/kiosk/venv/bin/kiosk",
        "selftest",
        "--sim",
        "--non-interactive",
        "--only",
        "screen",
        env={"PYTHONPATH": "/opt/classic-pygame"},
    )
    print(f"\n{result.stdout}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pygame 2.6.1" in result.stdout and "no KMS/DRM video driver" in result.stdout


def test_lgpio_needs_a_folder_the_kiosk_user_can_write(chroot: Chroot) -> None:
    box = _installed(chroot)
    selftest = [
        "/opt/kiosk/venv/bin/kiosk",
        "selftest",
        "--sim",
        "--non-interactive",
        "--only",
        "gpiolib",
    ]
    # From / (not writable by kiosk), as setup.sh used to run it: lgpio's import fails.
    stuck = box.run("runuser", "-u", "kiosk", "--", *selftest)
    assert stuck.returncode == 1 and "notification pipe in /" in stuck.stdout, stuck.stdout
    # What setup.sh and the unit do now: LG_WD (and the working directory) is the data folder.
    fixed = box.run(
        "bash",
        "-c",
        f"cd /var/lib/kiosk && runuser -u kiosk -- env LG_WD=/var/lib/kiosk {' '.join(selftest)}",
    )
    assert fixed.returncode == 0 and "[gpiolib] PASS" in fixed.stdout, fixed.stdout


def test_apt_mirror_is_read_from_deb822_and_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\n"
    )
    assert apt_mirror(tmp_path) == "http://mirror.example/debian"
    one_line = "deb [arch=amd64] http://other.example/d bookworm main\n"
    (tmp_path / "sources.list").write_text(one_line)
    assert apt_mirror(tmp_path) == "http://other.example/d"
    # A trixie host's mirror serves bookworm too; another vendor's "nodistro" is no Debian.
    (tmp_path / "sources.list").write_text("deb http://node.example/n nodistro main\n")
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/trixie-host\nSuites: trixie trixie-updates\n"
    )
    assert apt_mirror(tmp_path) == "http://mirror.example/trixie-host"
