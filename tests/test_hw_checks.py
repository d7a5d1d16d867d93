"""Every hardware check passes against the simulated back ends and fails on a broken part."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hw_tests import (
    buttons,
    camera,
    door,
    end_to_end,
    indicators,
    relay,
    thermometer,
    touchscreen,
)
from hw_tests.harness import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from hw_tests.runner import main
from hw_tests.suite import CHECKS, summary
from hw_tests.suite import main as suite_main
from kiosk.cli import main as kiosk_main

ROOT = Path(__file__).resolve().parents[1]
MODULES = {
    "thermometer": thermometer,
    "camera": camera,
    "relay": relay,
    "indicators": indicators,
    "door": door,
    "buttons": buttons,
    "touchscreen": touchscreen,
    "end_to_end": end_to_end,
}


def run(name: str, *args: str) -> int:
    extend = thermometer.add_arguments if name == "thermometer" else None
    return main(name, MODULES[name].check, ["--sim", *args], extend=extend)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_check_passes_in_simulation(name: str) -> None:
    assert run(name) == EXIT_OK


@pytest.mark.parametrize(
    ("name", "fault", "words"),
    [
        ("thermometer", "unplugged", "no MLX90614 answers"),
        ("thermometer", "corrupt", "PEC mismatch"),
        ("thermometer", "error_flag", "error flag"),
        ("thermometer", "stuck", "frozen"),
        ("camera", "black", "black"),
        ("camera", "frozen", "identical"),
        ("camera", "no_frames", "frames"),
        ("camera", "blur", "blurred"),
        ("relay", "unconfirmed", "no click heard"),
        ("indicators", "unconfirmed", "check the LEDs"),
        ("indicators", "one_rhythm", "the alarms sound alike"),
        ("door", "absent", "never read open"),
        ("buttons", "absent", "no press"),
        ("touchscreen", "absent", "was not tapped"),
        ("end_to_end", "untrusted", "no valid pass"),
    ],
)
def test_broken_part_fails_its_check(
    name: str, fault: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A fault that still delivers frames is judged as soon as they arrive: a generous timeout
    # keeps a loaded machine from turning "blurred" into "no frames". The others must wait it out.
    timeout = "30" if name == "camera" and fault != "no_frames" else "0.3"
    assert run(name, "--fault", fault, "--timeout", timeout) == EXIT_FAILED
    assert words in capsys.readouterr().out


def _adafruit_config(tmp_path: Path) -> str:
    path = tmp_path / "kiosk.toml"
    path.write_text('[thermometer]\ndriver = "adafruit"\n', encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (None, "°C"),
        ("unplugged", "no MLX90614 answers"),
        ("corrupt", "two reads disagree"),
        ("error_flag", "error flag"),
        ("stuck", "frozen"),
    ],
)
def test_thermometer_check_reads_through_adafruits_driver(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str | None, words: str
) -> None:
    broken = ["--fault", fault] if fault else []
    expected = EXIT_FAILED if fault else EXIT_OK
    assert run("thermometer", "--config", _adafruit_config(tmp_path), *broken) == expected
    assert words in capsys.readouterr().out


def test_calibration_prints_the_offset_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("thermometer", "--reference", "36.6") == EXIT_OK
    # The simulated forehead reads 35.9 °C (plus sensor noise) at 22 °C ambient, which the
    # kiosk compensates by 0.1 x (25 - 22) = +0.3 °C: 36.6 needs about +0.40, not +0.70.
    found = re.search(r"calibration_offset_c = (-?\d+\.\d\d)", capsys.readouterr().out)
    assert found is not None
    assert float(found.group(1)) == pytest.approx(0.40, abs=0.05)


@pytest.mark.parametrize("ambient_c", [15.0, 22.0, 32.0])
def test_calibrated_kiosk_reads_the_reference_at_any_ambient(ambient_c: float) -> None:
    from dataclasses import replace

    from drivers.timers import ManualTimers
    from hw_tests.harness import Options, SimPerson
    from hw_tests.rig import Rig
    from kiosk.config import load_config
    from kiosk.temperature import measure

    rig = Rig(load_config(None), sim=True)
    sensor = rig.thermometer()
    assert rig.emulator is not None
    rig.emulator.set_ambient(ambient_c)
    options = Options(sim=True, reference_c=36.6, timeout_s=1.0)
    printed = thermometer.calibrate(rig, sensor, SimPerson(), options)
    found = re.search(r"calibration_offset_c = (-?\d+\.\d\d)", printed)
    assert found is not None
    # The kiosk, set up with that offset, measures the same person at the same ambient.
    settings = replace(rig.config.thermometer, calibration_offset_c=float(found.group(1)))
    time_ = ManualTimers()
    reading = measure(sensor, settings, time_.now, time_.advance)
    rig.close()
    assert reading.celsius == pytest.approx(36.6, abs=0.1)


def test_rig_drops_the_relay_when_a_check_fails_with_the_gate_open() -> None:
    from hw_tests.rig import Rig
    from kiosk.config import load_config

    rig = Rig(load_config(None), sim=True)
    pin = rig.pin(17)
    relay = rig.relay()
    relay.open(5.0)
    assert pin.state
    rig.close()
    assert not pin.state


def test_end_to_end_drops_the_relay_when_it_fails_with_the_gate_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hw_tests.harness import CheckFailed, Options, SimPerson
    from hw_tests.rig import Rig
    from kiosk.app import build
    from kiosk.config import load_config

    pins: list[object] = []

    def build_and_watch_the_relay(*args: object, **kwargs: object) -> object:
        app = build(*args, **kwargs)  # type: ignore[arg-type]
        assert app.sim is not None
        pins.append(app.sim.pin_factory.pin(app.config.gpio.relay_pin))
        return app

    monkeypatch.setattr(end_to_end, "build", build_and_watch_the_relay)
    rig = Rig(load_config(None), sim=True)
    # The person denies the gate unlocked: the check fails while the relay is still on.
    with pytest.raises(CheckFailed, match="did not open"):
        end_to_end.check(rig, SimPerson("unconfirmed"), Options(sim=True, timeout_s=5))
    (relay_pin,) = pins
    assert not relay_pin.state  # type: ignore[attr-defined]


def test_end_to_end_goes_through_the_kiosk_and_logs_the_decision(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run("end_to_end") == EXIT_OK
    assert "1 decision logged, gate opened and locked again" in capsys.readouterr().out


def test_fault_without_sim_is_refused() -> None:
    with pytest.raises(SystemExit, match="--fault only works with --sim"):
        main("relay", relay.check, ["--fault", "absent"])


def test_suite_runs_everything_and_summarises(capsys: pytest.CaptureFixture[str]) -> None:
    assert suite_main(["--sim"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "all checks passed" in out
    assert all(name in out for name in CHECKS)


def test_suite_reports_the_failed_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        suite_main(["--sim", "--only", "door,relay", "--fault", "absent", "--timeout", "0.2"])
        == EXIT_FAILED
    )
    assert "FAILED: door" in capsys.readouterr().out


def test_suite_refuses_an_unknown_check() -> None:
    assert suite_main(["--sim", "--only", "kettle"]) == EXIT_USAGE


def test_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text("[gpio]\nrelay_pn = 17\n")
    assert suite_main(["--sim", "--config", str(bad)]) == EXIT_USAGE


def test_summary_lists_skips_as_not_failures() -> None:
    from hw_tests.runner import Outcome

    text = summary([Outcome("door", "skip", "needs a person", 0.0)])
    assert "SKIP" in text and "all checks passed" in text


@pytest.mark.parametrize("name", ["relay", "indicators", "door", "buttons"])
def test_with_the_gate_controller_the_pis_gpio_checks_leave_the_pins_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """The relay check drove GPIO17 as an output on a kiosk whose relay is on the controller:
    GPIO17 is the RTS that switches the RS-485 transceiver, and the bus died until a reboot."""
    config = tmp_path / "kiosk.toml"
    config.write_text('[gate]\nbackend = "osdp"\n')
    # Not simulated: on this machine a real pin factory would fail if a pin were opened.
    assert suite_main(["--config", str(config), "--only", name, "--yes"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f'[{name}] SKIP: [gate] backend is "osdp"' in out, out


def test_non_interactive_device_run_skips_checks_needing_a_person() -> None:
    from hw_tests.harness import Skipped, TerminalPerson

    person = TerminalPerson(yes=True, interactive=False, timeout_s=1)
    with pytest.raises(Skipped):
        person.ask_to("open the door", lambda: None)
    assert person.confirm("did it click?")


@pytest.mark.parametrize("driver", ["smbus2", "adafruit"])
def test_kiosk_selftest_reads_the_thermometer_with_either_driver(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], driver: str
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[thermometer]\ndriver = "{driver}"\n', encoding="utf-8")
    args = ["selftest", "--sim", "--only", "thermometer", "--config", str(config)]
    assert kiosk_main(args) == EXIT_OK
    assert "all checks passed" in capsys.readouterr().out


def test_kiosk_selftest_calibrates_as_the_docs_say(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/hardware.md and docs/configuration.md give this command; it was a usage error."""
    args = ["selftest", "--sim", "--only", "thermometer", "--reference", "36.6"]
    assert kiosk_main(args) == EXIT_OK
    assert "calibration_offset_c = " in capsys.readouterr().out


def test_an_unknown_fault_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped --fault left the part whole and the check passed, as if the fault was caught."""
    assert suite_main(["--sim", "--only", "relay", "--fault", "absnet"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown --fault 'absnet'" in err and "absent" in err


@pytest.mark.parametrize("repeat", ["0", "1000000000"])
def test_a_repeat_out_of_range_is_a_usage_error(repeat: str) -> None:
    """A billion relay clicks ran for hours before anyone noticed the extra zeros."""
    with pytest.raises(SystemExit, match="--repeat must be 1 to 1000"):
        suite_main(["--sim", "--only", "relay", "--repeat", repeat])


def test_kiosk_selftest_command_runs_the_suite() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "selftest", "--sim", "--only", "relay,door"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


CAR_GATE = """\
[lane]
kind = "vehicle"
camera_fov_deg = 30

[camera]
width = 1280
height = 720
"""


@pytest.fixture
def car_gate(tmp_path: Path) -> Path:
    pytest.importorskip("rapidocr", reason="the 'plates' extra (rapidocr) is not installed")
    path = tmp_path / "car-gate.toml"
    path.write_text(CAR_GATE, encoding="utf-8")
    return path


def test_a_car_gate_s_checks_read_a_plate_and_lift_the_barrier(
    car_gate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only = "thermometer,camera,end_to_end"
    assert suite_main(["--sim", "--config", str(car_gate), "--only", only]) == EXIT_OK
    out = capsys.readouterr().out
    assert '[thermometer] SKIP: the car gate ([lane] kind = "vehicle") measures nobody' in out
    assert re.search(r"\[camera\] PASS: 8 frames 1280x720, .*; read plate 京A12345", out), out
    assert "[end_to_end] PASS: 京A12345 read, 1 decision logged, barrier lifted" in out


def test_a_car_gate_s_update_trial_passes_without_a_thermometer(
    car_gate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # [updates] selftest's checks on a device with no MLX90614: a car gate has none, and a
    # failing thermometer check rolled every release back at every car gate
    args = ["--config", str(car_gate), "--only", "thermometer", "--non-interactive"]
    assert suite_main(args) == EXIT_OK
    assert "[thermometer] SKIP" in capsys.readouterr().out


@pytest.mark.parametrize(("fault", "words"), [("black", "black"), ("frozen", "identical"),
                                              ("blur", "refocused for 3-8 m")])  # fmt: skip
def test_a_car_gate_s_broken_camera_fails_its_check(
    car_gate: Path, capsys: pytest.CaptureFixture[str], fault: str, words: str
) -> None:
    args = ["--sim", "--config", str(car_gate), "--only", "camera", "--fault", fault]
    assert suite_main([*args, "--timeout", "30"]) == EXIT_FAILED
    assert words in capsys.readouterr().out


def test_a_car_gate_s_end_to_end_check_needs_the_plate_of_the_car_on_a_device(
    car_gate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(car_gate), "--non-interactive"]
    assert main("end_to_end", end_to_end.check, args, extend=end_to_end.add_arguments) == EXIT_OK
    assert "[end_to_end] SKIP: at a car gate give --plate" in capsys.readouterr().out
    args = ["--sim", "--config", str(car_gate), "--plate", "京A 1234"]
    assert main("end_to_end", end_to_end.check, args, extend=end_to_end.add_arguments) == (
        EXIT_FAILED
    )
    assert "'京A 1234' is not a mainland plate" in capsys.readouterr().out


def test_a_car_gate_s_end_to_end_check_fails_when_the_barrier_stays_down(
    car_gate: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the car is registered, but the kiosk reads another plate: no opening, the check says so
    real_present = end_to_end.SimControls.present_plate

    def another_car(sim: object, plate: str | None, *more: float) -> None:
        real_present(sim, plate and "沪B99999", *more)  # type: ignore[arg-type]

    monkeypatch.setattr(end_to_end.SimControls, "present_plate", another_car)
    args = ["--sim", "--config", str(car_gate), "--timeout", "3"]
    assert main("end_to_end", end_to_end.check, args, extend=end_to_end.add_arguments) == (
        EXIT_FAILED
    )
    out = capsys.readouterr().out
    assert "the barrier did not lift for 京A12345" in out and "vehicle_unknown" in out, out
