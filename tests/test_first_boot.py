"""First boot on a real Pi (issue 12), proven off the Pi: a sensor that cannot be opened degrades,
the screen check fails loudly without KMS/DRM, lgpio's pipe, the webcam choice lives elsewhere
(test_drivers_cameras_real), a hung UI stops the watchdog, and the deploy files' fixes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drivers import mlx90614
from hw_tests import screen
from kiosk.app import MissingThermometer, build
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.exc import SensorFault
from kiosk.runner import KioskRunner, Pulse, StopWatch, watchdog_problem

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "setup.sh"
RELAY_OFF = ROOT / "deploy/kiosk-relay-off"


def _device_config(tmp_path: Path, **overrides: Any) -> Any:
    """A device configuration (real thermometer) whose camera and pins are simulated."""
    return load_config(
        None,
        {
            "device.data_dir": str(tmp_path),
            "camera.backend": "sim",
            "gpio.backend": "mock",
            "thermometer.backend": "mlx90614",
            **overrides,
        },
    )


def _missing_bus() -> int:
    return next(n for n in range(20, 0, -1) if not Path(f"/dev/i2c-{n}").exists())


# --- 3. a thermometer that cannot be opened: the kiosk starts, the guard measures ------------
def test_kiosk_starts_degraded_when_the_i2c_bus_is_missing(tmp_path: Path) -> None:
    bus = _missing_bus()
    with build(_device_config(tmp_path, **{"thermometer.i2c_bus": bus})) as app:
        thermometer = app.hardware.thermometer
        assert isinstance(thermometer, MissingThermometer)
        with pytest.raises(SensorFault, match=rf"/dev/i2c-{bus} does not exist.*setup\.sh"):
            thermometer.object()


class FakeLgpioError(Exception):
    """What lgpio raises (lgpio.error is no OSError)."""


def _refuse(error: Exception) -> Any:
    def open_bus(*args: object) -> None:
        raise error

    return open_bus


@pytest.mark.parametrize(
    "error",
    [FakeLgpioError("'can not open gpiochip'"), ValueError("No Hardware I2C on (scl,sda)=(3, 2)")],
)
def test_any_surprise_while_opening_the_sensor_still_starts_the_kiosk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def explode(*args: object) -> None:
        raise error

    monkeypatch.setattr(mlx90614, "open_thermometer", explode)
    with build(_device_config(tmp_path)) as app:
        name = type(error).__name__
        with pytest.raises(SensorFault, match=rf"/dev/i2c-1 could not be opened.*{name}"):
            app.hardware.thermometer.ambient()
        assert app.kiosk.view() is not None


@pytest.mark.parametrize(
    ("modules", "advice"),
    [
        ({"board": None}, r"pip install .*adafruit-blinka"),  # Blinka not installed
        (
            {
                "board": SimpleNamespace(SCL=3, SDA=2),
                "busio": SimpleNamespace(I2C=_refuse(ValueError("No Hardware I2C"))),
            },
            "I2C is off",
        ),
        (
            {
                "board": SimpleNamespace(SCL=3, SDA=2),
                "busio": SimpleNamespace(I2C=_refuse(FakeLgpioError("can not open gpiochip"))),
            },
            "folder it can write",
        ),
    ],
)
def test_kiosk_starts_degraded_when_blinka_cannot_open_the_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, modules: dict[str, Any], advice: str
) -> None:
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    with build(_device_config(tmp_path, **{"thermometer.driver": "adafruit"})) as app:
        thermometer = app.hardware.thermometer
        assert isinstance(thermometer, MissingThermometer)
        with pytest.raises(SensorFault, match=advice):
            thermometer.object()
        assert app.kiosk.view() is not None


# --- 1. the screen check: KMS/DRM in the SDL pygame loaded; never skipped ------------------
def test_the_loaded_sdl_is_found_and_lists_kmsdrm() -> None:
    import pygame

    library = screen.loaded_sdl()
    assert "SDL2" in Path(library).name, library
    drivers = screen.sdl_video_drivers(library)
    assert "dummy" in drivers
    assert "kmsdrm" in drivers, f"pygame {pygame.version.ver} ({library}) has {drivers}"


def test_selftest_fails_loudly_without_kmsdrm_even_non_interactive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        screen, "sdl_video_drivers", lambda library: ["x11", "wayland", "offscreen", "dummy"]
    )
    assert main(["selftest", "--sim", "--non-interactive", "--only", "screen"]) == 1
    out = capsys.readouterr().out
    assert "[screen] FAIL" in out and "no KMS/DRM video driver" in out and "pygame-ce" in out


def test_selftest_screen_check_passes_with_this_pygame(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selftest", "--sim", "--non-interactive", "--only", "screen"]) == 0
    assert "has kmsdrm; a 800x480 screen opened through dummy" in capsys.readouterr().out


def test_mesa_libraries_are_looked_up_by_soname(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    def cdll(name: str) -> None:
        if name == "libgbm.so.1":
            raise OSError("libgbm.so.1: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    assert screen.missing_libraries() == ["libgbm1"]


# --- 2. lgpio's notification pipe -----------------------------------------------------------
def test_gpiolib_check_explains_an_unwritable_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # lgpio's import fails like this when its pipe cannot be made (measured with lgpio 0.2.2).
    (tmp_path / "lgpio.py").write_text(
        "raise FileNotFoundError(2, 'No such file or directory', '.lgd-nfy-3')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lgpio", raising=False)
    assert main(["selftest", "--non-interactive", "--only", "gpiolib"]) == 1
    out = capsys.readouterr().out
    assert "[gpiolib] FAIL" in out and "notification pipe" in out and "LG_WD" in out


def test_setup_runs_the_selftest_as_the_kiosk_user_from_its_data_folder(tmp_path: Path) -> None:
    script = f"""
        source {SETUP}
        set +E
        DATA_DIR={tmp_path}; STEPS=1
        is_pi() {{ return 1; }}
        runuser() {{ echo "cwd=$(pwd) args=$*"; }}
        cd /
        self_test
    """
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert f"cwd={tmp_path} " in result.stdout
    assert f"LG_WD={tmp_path}" in result.stdout
    assert "selftest --non-interactive --sim" in result.stdout


# --- 7. the watchdog covers the UI thread too ------------------------------------------------
class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_silent_ui_thread_withholds_the_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Ticking()
    runner = KioskRunner(object(), 0.1, monotonic=clock)  # type: ignore[arg-type]
    monkeypatch.setattr(runner, "alive", lambda: True)
    ui = Pulse(8.0, monotonic=clock)
    watch = StopWatch(threading.Event(), ui)
    assert watchdog_problem(runner, ui) is None
    clock.now += 8.0
    assert watchdog_problem(runner, ui) is None
    clock.now += 0.5
    assert watchdog_problem(runner, ui) == (
        "UI thread silent for 8.5 s (hung in a draw or a driver?)"
    )
    assert not watch.is_set()  # the UI loop polled again: alive
    assert watchdog_problem(runner, ui) is None
    assert watchdog_problem(runner, None) is None  # no UI (--no-ui, or no screen)
    monkeypatch.setattr(runner, "alive", lambda: False)
    assert watchdog_problem(runner, ui) == "kiosk loop not ticking"


def test_the_real_ui_loop_beats_through_its_stop_flag(tmp_path: Path) -> None:
    import pygame

    from ui.app import loop, make_screen

    pygame.display.init()
    pygame.font.init()
    try:
        window = pygame.display.set_mode((800, 480))
        with build(load_config(None, {"device.data_dir": str(tmp_path)}), sim=True) as app:
            clock = Ticking()
            pulse = Pulse(8.0, monotonic=clock)
            stop = threading.Event()
            beats: list[float] = []

            class Counting(StopWatch):
                def is_set(self) -> bool:
                    beats.append(clock.now)
                    clock.now += 1.0
                    if len(beats) >= 3:
                        self.stop.set()
                    return super().is_set()

            session = make_screen(app.kiosk, app.config.ui, window, clock=lambda: 0.0)
            loop(session, stop=Counting(stop, pulse))
        assert len(beats) == 3 and pulse.last == clock.now  # beat on every poll
    finally:
        pygame.display.quit()


# --- 6. kiosk-relay-off: pinctrl, or the line found by name; never gpiochip0 --------------------
def _relay_off(
    tmp_path: Path, tools: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return subprocess.run(
        ["/bin/sh", str(RELAY_OFF), *args],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )


def test_relay_off_uses_pinctrl(tmp_path: Path) -> None:
    result = _relay_off(
        tmp_path, {"pinctrl": 'echo "pinctrl $*"', "gpioset": 'echo "gpioset $*"'}, "17", "dh"
    )
    assert result.stdout == "pinctrl set 17 op dh\n"


def test_relay_off_finds_the_line_by_name_without_pinctrl(tmp_path: Path) -> None:
    # A Pi 5 on an older kernel: the header is gpiochip4, so gpiochip0 would be the wrong chip.
    tools = {"gpiofind": '[ "$1" = GPIO17 ] && echo "gpiochip4 17"', "gpioset": 'echo "gpioset $*"'}
    assert _relay_off(tmp_path, tools, "17", "dl").stdout == "gpioset gpiochip4 17=0\n"
    missing = _relay_off(tmp_path, {"gpiofind": "exit 1", "gpioset": "echo never"}, "17", "dl")
    assert missing.returncode == 1 and "raspi-utils" in missing.stderr
    assert "never" not in missing.stdout


# --- 5, 6, 7: what setup.sh installs and writes -----------------------------------------------
def _bash(script: str) -> str:
    result = subprocess.run(
        ["bash", "-c", f"source {SETUP}\nset +E\n{script}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_setup_installs_mesa_and_raspberry_pis_gpio_packages() -> None:
    packages = _bash('echo "${APT_DEVICE[*]} ${APT_PI[*]}"').split()
    for package in (
        "libgbm1",
        "libegl1",
        "libgles2",
        "libgl1-mesa-dri",
        "python3-gpiozero",
        "python3-rpi-lgpio",
        "raspi-utils",
    ):
        assert package in packages


def test_unit_has_no_sdl1_variables_and_gives_lgpio_its_folder() -> None:
    unit = _bash("render_unit 17 True")
    assert "SDL_NOMOUSE" not in unit
    assert "Environment=LG_WD=/var/lib/kiosk" in unit and "WorkingDirectory=/var/lib/kiosk" in unit


def test_setup_prefers_raspberry_pis_gpiozero_over_pypis_in_the_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    module = venv / "lib/site-packages/gpiozero/__init__.py"
    (venv / "bin/python").write_text(f"#!/bin/sh\necho {module}\n")
    (venv / "bin/pip").write_text('#!/bin/sh\necho "pip $*"\n')
    for tool in ("python", "pip"):
        (venv / "bin" / tool).chmod(0o755)
    script = f"""
        VENV={venv}
        dpkg-query() {{ echo "$APT_VERSION"; }}
        prefer_apt_gpiozero
        echo "CHANGES=$CHANGED"
    """
    pi_os = _bash(f"APT_VERSION=2.0.1-0+rpt1\n{script}")
    assert "pip uninstall --quiet --yes gpiozero" in pi_os and "CHANGES=1" in pi_os
    debian = _bash(f"APT_VERSION=1.6.2-1\n{script}")  # too old: PyPI's stays
    assert "uninstall" not in debian and "CHANGES=0" in debian
