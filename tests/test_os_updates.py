"""The kiosk counts its system's pending updates rarely, in the background, and reports them
with the reboot flag in every sync request's status without waiting for a count."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sync.osupdates import OsUpdates, Pending, count_pending

# apt-get --simulate upgrade on a bookworm Raspberry Pi OS, shortened.
SIMULATION = """\
Reading package lists...
Building dependency tree...
The following packages will be upgraded:
  libssl3 openssl raspi-firmware tzdata
4 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.
Inst libssl3 [3.0.15-1~deb12u1] (3.0.16-1~deb12u1 Debian-Security:12/stable-security [arm64])
Inst openssl [3.0.15-1~deb12u1] (3.0.16-1~deb12u1 Debian-Security:12/stable-security [arm64])
Inst raspi-firmware [1:1.20250305-1] (1:1.20250430-1 Raspberry Pi Foundation:stable [arm64])
Inst tzdata (2025b-0+deb12u1 Debian:12.11/stable [all])
Conf libssl3 (3.0.16-1~deb12u1 Debian-Security:12/stable-security [arm64])
Conf openssl (3.0.16-1~deb12u1 Debian-Security:12/stable-security [arm64])
"""


def test_the_updates_and_the_security_fixes_among_them_are_counted() -> None:
    assert count_pending(SIMULATION) == Pending(updates=4, security=2)
    assert count_pending("0 upgraded, 0 newly installed, 0 to remove.\n") == Pending(0, 0)


class Manual:
    """A background that runs nothing until told: the count is started, not waited for."""

    def __init__(self) -> None:
        self.started: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.started.append(work)

    def finish(self) -> None:
        self.started.pop(0)()


def reporter(
    tmp_path: Path, counts: list[Pending | None], now: list[float]
) -> tuple[OsUpdates, Manual]:
    background = Manual()
    updates = OsUpdates(
        count=lambda: counts.pop(0),
        reboot_flag=tmp_path / "reboot-required",
        clock=lambda: now[0],
        every_s=3600.0,
        start=background,
    )
    return updates, background


def test_the_status_never_waits_for_a_count_and_counts_rarely(tmp_path: Path) -> None:
    now = [100.0]
    updates, background = reporter(tmp_path, [Pending(5, 1), Pending(0, 0)], now)
    assert updates.status() == {"reboot_required": "no"}  # counting, not yet counted
    assert updates.status() == {"reboot_required": "no"} and len(background.started) == 1
    background.finish()
    now[0] += 3599.0
    assert updates.status() == {"reboot_required": "no", "os_updates": "5", "os_security": "1"}
    assert background.started == []  # within the hour: no second count
    now[0] += 1.0
    updates.status()
    background.finish()
    assert updates.status()["os_updates"] == "0"


def test_the_reboot_flag_is_reported_as_soon_as_it_appears(tmp_path: Path) -> None:
    updates, _ = reporter(tmp_path, [], [0.0])
    (tmp_path / "reboot-required").write_text("*** System restart required ***\n")
    assert updates.status()["reboot_required"] == "yes"


def test_a_failed_count_keeps_the_last_one_and_counts_again_later(tmp_path: Path) -> None:
    now = [0.0]
    updates, background = reporter(tmp_path, [Pending(3, 3), None, Pending(1, 0)], now)
    updates.status()
    background.finish()
    now[0] = 3600.0
    updates.status()
    background.finish()  # apt failed (logged): the last count stands
    assert updates.status()["os_updates"] == "3"
    now[0] = 7200.0
    updates.status()
    background.finish()
    assert updates.status()["os_updates"] == "1"


def test_a_count_that_raises_does_not_stop_later_counts(tmp_path: Path) -> None:
    now = [0.0]
    updates, background = reporter(tmp_path, [], now)  # pop from an empty list: IndexError
    updates.status()
    background.finish()
    now[0] = 3600.0
    updates.status()
    assert len(background.started) == 1


def test_a_slow_count_is_not_started_again_while_it_runs(tmp_path: Path) -> None:
    now = [0.0]
    updates, background = reporter(tmp_path, [Pending(1, 1)], now)
    updates.status()
    now[0] = 7200.0  # apt still busy two intervals later (a loaded Pi, a slow card)
    updates.status()
    assert len(background.started) == 1
    background.finish()
    assert updates.status()["os_updates"] == "1"
