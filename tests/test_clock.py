"""The clock with injected wall and monotonic time: trust, the monotonic floor, server time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.atomic import write_atomic
from kiosk.clock import Clock, boot_id, estimate

TRUSTED_AT = datetime(2020, 2, 10, 4, 0, tzinfo=UTC)
T0 = TRUSTED_AT.timestamp()


class FakeTime:
    """A wall clock and a monotonic clock the test moves by hand."""

    def __init__(self, wall: float, mono: float = 50.0) -> None:
        self.wall_s = wall
        self.mono_s = mono

    def wall(self) -> float:
        return self.wall_s

    def mono(self) -> float:
        return self.mono_s

    def advance(self, seconds: float) -> None:
        self.wall_s += seconds
        self.mono_s += seconds


@pytest.fixture
def ntp(tmp_path: Path) -> Path:
    flag = tmp_path / "synchronized"
    flag.touch()
    return flag


@pytest.fixture
def no_ntp(tmp_path: Path) -> Path:
    return tmp_path / "not-synchronized"


def make_clock(t: FakeTime, flag: Path, state: Path | None) -> Clock:
    return Clock(wall=t.wall, monotonic=t.mono, state_file=state, ntp_flag=flag)


def save_state(path: Path, epoch: float) -> None:
    write_atomic(path, json.dumps({"last_trusted_epoch": epoch}))


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_ntp_synchronized_clock_is_trusted_and_saved(tmp_path: Path, ntp: Path) -> None:
    state = tmp_path / "clock.json"
    reading = make_clock(FakeTime(T0), ntp, state).read()
    assert reading.trusted and reading.wall == TRUSTED_AT
    assert json.loads(state.read_text())["last_trusted_epoch"] == T0


def test_first_boot_without_network_is_untrusted(no_ntp: Path) -> None:
    reading = make_clock(FakeTime(T0), no_ntp, None).read()
    assert not reading.trusted and reading.wall == TRUSTED_AT


def test_boot_without_network_far_in_the_past_keeps_expiry(tmp_path: Path, no_ntp: Path) -> None:
    state = tmp_path / "clock.json"
    save_state(state, T0)
    t = FakeTime(wall=0.0, mono=3.0)  # the Pi booted in 1970
    clock = make_clock(t, no_ntp, state)
    t.advance(600)
    reading = clock.read()
    assert not reading.trusted
    assert reading.wall == at(T0 + 600)  # last trusted + elapsed since boot
    expired_pass = TRUSTED_AT - timedelta(hours=1)
    assert clock.effective_now() > expired_pass  # still expired


def test_untrusted_time_follows_a_wall_clock_that_is_ahead(tmp_path: Path, no_ntp: Path) -> None:
    state = tmp_path / "clock.json"
    save_state(state, T0)
    t = FakeTime(wall=T0 + 86400)
    reading = make_clock(t, no_ntp, state).read()
    assert not reading.trusted and reading.wall == at(T0 + 86400)


def test_server_time_alone_is_the_estimate_but_not_trusted(tmp_path: Path, no_ntp: Path) -> None:
    t = FakeTime(wall=0.0)
    state = tmp_path / "clock.json"
    clock = make_clock(t, no_ntp, state)
    assert not clock.read().trusted
    correction = clock.observe_server_time(TRUSTED_AT)
    assert correction == T0
    t.advance(30)
    reading = clock.read()
    assert not reading.trusted and reading.wall == at(T0 + 30)
    assert reading.span == (at(30), at(T0 + 30))  # nothing rules out either clock
    assert "office clock says 2020-02-10 04:00:30Z" in reading.doubt
    assert clock.last_trusted is None and not state.exists()  # never saved as trusted


def test_server_time_confirmed_by_the_system_clock_is_trusted(no_ntp: Path) -> None:
    t = FakeTime(wall=T0 - 5)  # e.g. a battery clock a few seconds off
    clock = make_clock(t, no_ntp, None)
    assert clock.observe_server_time(TRUSTED_AT) == pytest.approx(5)
    reading = clock.read()
    assert reading.trusted and reading.wall == TRUSTED_AT and reading.doubt == ""


def test_server_time_is_carried_on_the_monotonic_clock(no_ntp: Path) -> None:
    t = FakeTime(wall=T0 - 5)
    clock = make_clock(t, no_ntp, None)
    clock.observe_server_time(TRUSTED_AT)
    assert clock.read().trusted
    t.wall_s = 0.0  # someone sets the system clock to 1970
    t.mono_s += 10
    reading = clock.read()
    assert reading.trusted and reading.wall == at(T0 + 10)


def test_server_time_must_be_timezone_aware(no_ntp: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_clock(FakeTime(T0), no_ntp, None).observe_server_time(datetime(2020, 2, 10))


def test_clock_jumping_backwards_is_untrusted(ntp: Path) -> None:
    t = FakeTime(T0)
    clock = make_clock(t, ntp, None)
    assert clock.read().trusted
    t.advance(100)
    t.wall_s -= 3600  # set back an hour, e.g. to revive an expired pass
    reading = clock.read()
    assert not reading.trusted
    assert reading.wall == at(T0 + 100)
    t.advance(20)
    assert clock.read().wall == at(T0 + 120)  # the floor keeps moving with monotonic time


def test_small_step_back_within_tolerance_stays_trusted(ntp: Path) -> None:
    t = FakeTime(T0)
    clock = make_clock(t, ntp, None)
    clock.read()
    t.wall_s -= 2  # an ordinary NTP slew
    reading = clock.read()
    assert reading.trusted and reading.wall == at(T0 - 2)


def test_nothing_moves_the_time_back_behind_the_last_trusted_time(ntp: Path) -> None:
    t = FakeTime(T0)
    clock = make_clock(t, ntp, None)
    clock.read()
    t.wall_s -= 3600
    assert not clock.read().trusted
    clock.observe_server_time(at(T0 - 3600))  # the office agrees with the clock set back
    reading = clock.read()
    assert not reading.trusted and reading.span == (TRUSTED_AT, TRUSTED_AT)
    assert "before the last trusted time 2020-02-10 04:00:00Z: ignored" in reading.doubt


def test_saved_time_survives_a_reboot(tmp_path: Path, ntp: Path, no_ntp: Path) -> None:
    state = tmp_path / "clock.json"
    make_clock(FakeTime(T0), ntp, state).read()
    after_reboot = make_clock(FakeTime(wall=1e6, mono=2.0), no_ntp, state)
    assert after_reboot.last_trusted == TRUSTED_AT
    assert after_reboot.read().wall == TRUSTED_AT


def test_state_is_saved_at_most_once_a_minute(tmp_path: Path, ntp: Path) -> None:
    state = tmp_path / "clock.json"
    t = FakeTime(T0)
    clock = make_clock(t, ntp, state)
    clock.read()
    t.advance(59)
    clock.read()
    assert json.loads(state.read_text())["last_trusted_epoch"] == T0
    t.advance(1)
    clock.read()
    assert json.loads(state.read_text())["last_trusted_epoch"] == T0 + 60


def test_corrupt_state_file_is_ignored(tmp_path: Path, no_ntp: Path) -> None:
    state = tmp_path / "clock.json"
    state.write_text("{not json")
    clock = make_clock(FakeTime(T0), no_ntp, state)
    assert clock.last_trusted is None and clock.read().wall == TRUSTED_AT


def test_unwritable_state_does_not_stop_the_clock(tmp_path: Path, ntp: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    clock = make_clock(FakeTime(T0), ntp, blocker / "clock.json")  # parent is a file
    assert clock.read().trusted


def test_boot_id_reads_the_kernel_file(tmp_path: Path) -> None:
    path = tmp_path / "boot_id"
    path.write_text("3f1c0e4e-2b1a-4f55-9d7e-8a1b2c3d4e5f\n")
    assert boot_id(path) == "3f1c0e4e-2b1a-4f55-9d7e-8a1b2c3d4e5f"


def test_boot_id_falls_back_to_one_random_id_per_process(tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    assert boot_id(missing) == boot_id(missing)
    assert len(boot_id(missing)) == 36


# --- an office clock that is wrong (issue 9, item 3) -------------------------------------------

YEAR = 365 * 86400.0


def test_office_a_year_ahead_does_not_move_an_ntp_synchronised_kiosk(
    tmp_path: Path, ntp: Path, no_ntp: Path
) -> None:
    state = tmp_path / "clock.json"
    t = FakeTime(T0)
    clock = make_clock(t, ntp, state)
    clock.observe_server_time(at(T0 + YEAR))
    reading = clock.read()
    assert reading.trusted and reading.wall == TRUSTED_AT and reading.span[1] == TRUSTED_AT
    assert "office clock says 2021-02-09 04:00:00Z" in reading.doubt
    assert "NTP clock says 2020-02-10 04:00:00Z" in reading.doubt
    assert json.loads(state.read_text())["last_trusted_epoch"] == T0
    # Across a reboot, synchronised or not, the office's year is nowhere.
    assert make_clock(FakeTime(T0 + 60), ntp, state).read().wall == at(T0 + 60)
    offline = make_clock(FakeTime(wall=0.0, mono=2.0), no_ntp, state)
    assert offline.last_trusted == at(T0 + 60)
    assert offline.read().span == (at(T0 + 60), at(T0 + 60))


def test_office_a_year_behind_is_ignored_by_an_untrusted_kiosk(
    tmp_path: Path, no_ntp: Path
) -> None:
    state = tmp_path / "clock.json"
    save_state(state, T0)
    clock = make_clock(FakeTime(T0), no_ntp, state)  # fake-hwclock: the saved time
    clock.observe_server_time(at(T0 - YEAR))
    reading = clock.read()
    assert not reading.trusted and reading.span == (TRUSTED_AT, TRUSTED_AT)
    assert reading.wall == TRUSTED_AT
    assert "office clock says 2019-02-10 04:00:00Z, before the last trusted" in reading.doubt


def test_office_a_year_ahead_widens_an_untrusted_kiosks_interval(
    tmp_path: Path, no_ntp: Path
) -> None:
    state = tmp_path / "clock.json"
    save_state(state, T0)
    clock = make_clock(FakeTime(T0), no_ntp, state)
    clock.observe_server_time(at(T0 + YEAR))
    reading = clock.read()
    assert not reading.trusted and reading.wall == at(T0 + YEAR)
    assert reading.span == (TRUSTED_AT, at(T0 + YEAR))
    assert json.loads(state.read_text())["last_trusted_epoch"] == T0  # not saved as trusted


@pytest.mark.parametrize(
    ("system", "server", "floor", "ntp", "expected"),
    [
        # (wall, earliest, latest, trusted)
        (100.0, None, None, True, (100.0, 100.0, 100.0, True)),
        (100.0, 1e9, None, True, (100.0, 100.0, 100.0, True)),  # NTP keeps its own time
        (100.0, None, 5000.0, True, (5000.0, 5000.0, 5000.0, False)),  # set back behind floor
        (100.0, None, None, False, (100.0, 100.0, 100.0, False)),
        (100.0, None, 50.0, False, (100.0, 50.0, 100.0, False)),  # ahead of the floor: maybe
        (100.0, 110.0, None, False, (110.0, 110.0, 110.0, True)),  # two clocks agree
        (0.0, 5000.0, 4990.0, False, (5000.0, 5000.0, 5000.0, True)),  # agrees with floor
        (0.0, 9e8, 5000.0, False, (9e8, 5000.0, 9e8, False)),  # office far ahead: evidence
        (6000.0, 10.0, 5000.0, False, (6000.0, 5000.0, 6000.0, False)),  # office behind floor
    ],
)
def test_estimate_weighs_the_evidence(
    system: float,
    server: float | None,
    floor: float | None,
    ntp: bool,
    expected: tuple[float, float, float, bool],
) -> None:
    found = estimate(system, server, floor, ntp=ntp, tolerance=30.0)
    assert (found.wall, found.earliest, found.latest, found.trusted) == expected
    assert found.trusted or found.doubt  # an untrusted reading always says why


epochs = st.floats(0, 4e9, allow_nan=False)


@given(epochs, st.none() | epochs, st.none() | epochs, st.booleans())
def test_estimate_never_goes_behind_the_floor_and_brackets_its_guess(
    system: float, server: float | None, floor: float | None, ntp: bool
) -> None:
    found = estimate(system, server, floor, ntp=ntp, tolerance=300.0)
    assert found.earliest <= found.wall <= found.latest
    if floor is not None:
        assert found.earliest >= floor - 300.0  # trusted may slew back within the tolerance
        if not found.trusted:
            assert found.earliest >= floor
    if found.trusted:
        assert found.earliest == found.latest
        # Trusted means NTP, or the office confirmed by a second clock: never the office alone.
        if not ntp:
            assert server is not None and found.wall == server
            witnesses = [system] if floor is None else [system, floor]
            assert any(abs(server - w) <= 300.0 for w in witnesses)
    else:
        assert found.doubt


@given(epochs, epochs, st.none() | epochs, st.booleans())
def test_an_office_time_nobody_confirms_only_widens_what_the_kiosk_knows(
    system: float, server: float, floor: float | None, ntp: bool
) -> None:
    alone = estimate(system, None, floor, ntp=ntp, tolerance=300.0)
    told = estimate(system, server, floor, ntp=ntp, tolerance=300.0)
    if alone.trusted:  # NTP: the office changes nothing but the doubt
        assert (told.wall, told.earliest, told.latest) == (alone.wall, alone.earliest, alone.latest)
    elif not told.trusted:  # neither admits an expired pass nor refuses a valid one
        assert told.earliest <= alone.earliest and told.latest >= alone.latest
