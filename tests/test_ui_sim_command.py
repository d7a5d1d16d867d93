"""``kiosk sim`` without a desktop says so and points at the scripted demo; options are checked."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.commands.sim import overrides, screen_size


def test_without_a_display_it_suggests_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("DISPLAY", ":0")
    assert main(["sim"]) == 2
    err = capsys.readouterr().err
    assert "no desktop" in err and "kiosk demo --screenshots DIR" in err


def test_no_desktop_variables_means_no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.app import has_display

    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()


def test_screen_size_parses_and_refuses() -> None:
    assert screen_size("1080x1920") == (1080, 1920)
    for bad in ("800", "800x", "big", "10x10", "800x-480"):
        with pytest.raises(argparse.ArgumentTypeError, match="like 800x480"):
            screen_size(bad)


def test_bad_size_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["sim", "--size", "huge"])
    assert stop.value.code == 2
    assert "'huge' is not a screen size" in capsys.readouterr().err


def test_simulator_runs_windowed_on_a_scratch_folder(tmp_path: Path) -> None:
    args = argparse.Namespace(language="en", size=(1024, 600), speech=False)
    values = overrides(args, tmp_path)
    assert values == {
        "ui.fullscreen": False,
        "device.data_dir": str(tmp_path),
        "ui.language": "en",
        "ui.width": 1024,
        "ui.height": 600,
    }


def test_kiosk_loop_ticks_until_stopped() -> None:
    import threading

    from kiosk.commands.sim import tick_until

    stop = threading.Event()

    class Kiosk:
        ticks = 0

        def tick(self) -> None:
            self.ticks += 1
            if self.ticks == 3:
                stop.set()

    kiosk = Kiosk()
    tick_until(kiosk, stop, period_s=0)
    assert kiosk.ticks == 3
