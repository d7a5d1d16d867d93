"""The kiosk on a real card that fills up or turns read-only (issue 17, item 1).

The data folder is a small ext4 file system on a loop device, as on the Pi's card: filled to
the last block before the kiosk starts (SQLite cannot make its ``-shm`` file; touching it there
used to kill the process with SIGBUS), mounted read-only at boot, or remounted read-only by the
kernel after an error while the kiosk runs. Each time the kiosk starts, the exit button opens,
passes go to the guard, an alarm says what is wrong; when room or the mount comes back, the
kiosk carries on without a restart. Needs root (loop devices, mount): CI runs it as root.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.kept import FILE as KEPT_FILE
from kiosk.model import Direction, Reason
from kiosk.view import AlarmCode, Stage
from tests.test_demo_command import run_until_beating
from tests.test_exit_button import Lane
from tests.test_log_degraded import codes, shown

CARD_MB = 8


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to loop-mount an ext4 card: run pytest as root, as CI does"
    for tool in ("mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"needs {tool} (setup.sh --sim --test installs e2fsprogs and mount)"
    if not Path("/dev/loop-control").exists():
        return "needs loop devices (/dev/loop-control)"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))


def run(*command: str | Path) -> None:
    subprocess.run([str(c) for c in command], check=True, capture_output=True, timeout=60)


@pytest.fixture
def card(tmp_path: Path) -> Iterator[Path]:
    """An empty 8 MB ext4 file system, mounted; the kernel remounts it read-only on an error."""
    image = tmp_path / "card.img"
    with image.open("wb") as file:
        file.truncate(CARD_MB << 20)
    run("mkfs.ext4", "-q", "-F", "-m", "0", image)
    point = tmp_path / "card"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-o", "loop,errors=remount-ro", str(image), str(point)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if mounted.returncode != 0:  # a container without CAP_SYS_ADMIN or free loop devices
        pytest.skip(f"cannot loop-mount an ext4 image here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False, capture_output=True, timeout=60)


def fill(folder: Path, leave: int = 0) -> Path:
    """Write a file until the file system has not one block left, then give back ``leave``
    bytes; returns it."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
        os.fsync(fd)
    except OSError as error:
        assert error.errno == errno.ENOSPC, error
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, filler.stat().st_size - leave)
        os.sync()
    return filler


def used_card(card: Path) -> None:
    """The card as a kiosk leaves it: office data, a log with an exit, nothing open."""
    lane = Lane(card)
    try:
        assert lane.press_exit().gate_open
    finally:
        lane.app.close()


def exits_and_refuses(lane: Lane) -> None:
    """The exit button opens; a pass does not (the guard is called)."""
    assert shown(lane, "resident") is Stage.GUARD
    assert not lane.app.hardware.gate.is_open
    assert lane.press_exit().gate_open
    lane.player.run(lane.app.config.gpio.max_open_s + 1)


def carries_on(lane: Lane) -> None:
    """The log took the exit kept in memory and lets passes through again."""
    lane.player.run(6)  # the log is tried again every 5 s
    assert lane.app.log.fault is None
    assert any(
        (e.reason, e.direction) == (Reason.EXIT_BUTTON, Direction.OUT)
        for e in lane.app.log.recent(20)
    )
    lane.player.run(lane.app.config.device.cooldown_s + 1)
    assert lane.pass_through("resident").stage is Stage.OPEN


def test_a_full_card_at_boot_keeps_the_exit_and_recovers_when_room_returns(card: Path) -> None:
    used_card(card)
    filler = fill(card)
    lane = Lane(card, install=False)
    try:
        lane.player.run(0.1)
        assert AlarmCode.LOG_FULL in codes(lane)
        exits_and_refuses(lane)
        filler.unlink()
        carries_on(lane)
    finally:
        lane.app.close()


def test_an_exit_on_a_full_card_outlives_a_restart_in_the_runtime_folder(
    card: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "run"  # /run/kiosk, the unit's RuntimeDirectory
    runtime.mkdir()
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    used_card(card)  # one exit logged
    filler = fill(card)
    lane = Lane(card, install=False)
    try:
        assert lane.press_exit().gate_open
    finally:
        lane.app.close()  # restarted before anyone frees room
    assert (runtime / KEPT_FILE).exists()
    filler.unlink()
    lane = Lane(card, install=False)
    try:
        lane.player.run(0.1)
        exits = [e for e in lane.app.log.recent(20) if e.reason is Reason.EXIT_BUTTON]
        assert len(exits) == 2
        assert not (runtime / KEPT_FILE).exists()
    finally:
        lane.app.close()


OPEN = """
import sys
from pathlib import Path
from kiosk.exc import StoreError
from kiosk.store import EventLog
from tests.test_store_eventlog import event
log = EventLog(Path(sys.argv[1]))
try:
    for minute in range(100):
        log.append(event(minute))
    print("appended")
except StoreError as error:
    print(error.kind)
"""


def test_a_card_with_a_few_blocks_left_at_boot_is_a_fault_not_a_crash(card: Path) -> None:
    """With 40 KiB left SQLite could make its -shm file but not use its pages: the process
    died of SIGBUS, and systemd restarted it into the same death."""
    used_card(card)
    fill(card, leave=40 << 10)
    started = subprocess.run(
        [sys.executable, "-c", OPEN, str(card / "events.db")],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, f"the kiosk's log died: {started.returncode} {started.stderr}"
    assert started.stdout.split() == ["full"]


def test_a_card_mounted_read_only_at_boot_keeps_the_exit_and_recovers_when_writable(
    card: Path,
) -> None:
    used_card(card)
    run("mount", "-o", "remount,ro", card)
    lane = Lane(card, install=False)
    try:
        lane.player.run(0.1)
        assert AlarmCode.LOG_READ_ONLY in codes(lane)
        exits_and_refuses(lane)
        run("mount", "-o", "remount,rw", card)
        carries_on(lane)
    finally:
        lane.app.close()


def test_a_card_the_kernel_turns_read_only_while_running_keeps_the_exit(card: Path) -> None:
    used_card(card)
    lane = Lane(card, install=False)
    try:
        assert lane.pass_through("resident").stage is Stage.OPEN
        found = subprocess.check_output(["findmnt", "-n", "-o", "SOURCE", str(card)], text=True)
        device = Path(found.strip())
        Path(f"/sys/fs/ext4/{device.name}/trigger_fs_error").write_text("kiosk test\n")
        lane.player.run(lane.app.config.device.cooldown_s + 1)
        exits_and_refuses(lane)
        assert AlarmCode.LOG_UNWRITABLE in codes(lane)
    finally:
        lane.app.close()


@pytest.mark.slow
def test_kiosk_run_starts_and_beats_on_a_full_card(tmp_path: Path, card: Path) -> None:
    used_card(card)
    fill(card)
    messages, err = run_until_beating(tmp_path, card)  # READY=1, then the loop's WATCHDOG=1
    assert b"STOPPING=1" in messages and "full" in err
    assert "Traceback" not in err
