"""The kiosk's screen shows times in the compound's zone (``policy.timezone``), as the office's
pages and the curfew rule do, not in whatever zone the system image shipped with."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk import clock
from kiosk.cli import main
from ui.chrome import clock_time

MIDNIGHT_UTC = datetime(2026, 2, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def system_in_london(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Raspberry Pi OS ships set to Europe/London."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("system_in_london")
def test_screen_times_follow_the_policy_zone_and_come_back_after() -> None:
    assert clock_time(MIDNIGHT_UTC) == "00:00:00"
    with clock.local_times_in("Asia/Shanghai"):
        assert clock_time(MIDNIGHT_UTC) == "08:00:00"
    assert clock_time(MIDNIGHT_UTC) == "00:00:00"


@pytest.mark.usefixtures("system_in_london")
def test_the_demo_shows_the_policys_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo screen said 23:08 while its office pages said 07:08 for the same alarm."""
    zones: list[str] = []
    real = clock.local_times_in

    @contextmanager
    def spy(zone: str) -> Iterator[None]:
        zones.append(zone)
        with real(zone):
            yield

    monkeypatch.setattr(clock, "local_times_in", spy)
    assert main(["demo", "--data-dir", str(tmp_path), "--no-office"]) == 0
    assert zones == ["Asia/Shanghai"]
