"""The touchscreen check works out how a panel hangs from corner taps: every rotation, a
mirrored or swapped controller and a skewed one, and proposes lines the config accepts."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
import pygame

from hw_tests import touchscreen
from hw_tests.harness import EXIT_FAILED, EXIT_OK, SimPerson
from hw_tests.runner import main
from hw_tests.touchfit import fit_matrix, proposal, tidy
from hw_tests.touchscreen import SimulatedHand, TouchScreen, measure
from kiosk.config import load_config
from ui.mounting import IDENTITY, ROTATIONS, Mounting

CONTROLLERS = {
    "aligned": IDENTITY,
    "mirrored": (-1.0, 0.0, 1.0, 0.0, 1.0, 0.0),
    "swapped": (0.0, 1.0, 0.0, 1.0, 0.0, 0.0),
    "skewed": (1.08, -0.06, -0.03, 0.05, 0.93, 0.04),
}


@pytest.fixture
def screen(request: pytest.FixtureRequest) -> Iterator[TouchScreen]:
    width, height = getattr(request, "param", (720, 1280))
    shown = TouchScreen(pygame, width, height, fullscreen=False)
    yield shown
    shown.close()


@pytest.mark.parametrize("screen", [(720, 1280), (800, 480)], indirect=True)
@pytest.mark.parametrize("controller", sorted(CONTROLLERS))
@pytest.mark.parametrize("rotation", ROTATIONS)
def test_taps_on_the_corners_reveal_how_the_panel_hangs(
    screen: TouchScreen, rotation: int, controller: str
) -> None:
    truth = Mounting(rotation, CONTROLLERS[controller])
    person = SimPerson(stdout=io.StringIO())
    mounted = measure(screen, person, 1.0, SimulatedHand(truth))
    assert mounted.rotation == rotation
    assert mounted.fit.matrix == pytest.approx(truth.touch_matrix, abs=1e-4)
    assert mounted.fit.worst < 1e-6


@pytest.mark.parametrize("controller", sorted(CONTROLLERS))
def test_the_proposed_lines_load_as_the_same_mounting(tmp_path: Path, controller: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(proposal(270, CONTROLLERS[controller]) + "\n")
    ui = load_config(path).ui
    assert (ui.rotation, ui.touch_matrix) == (270, CONTROLLERS[controller])


def test_a_shaky_finger_still_gives_the_exact_mirror() -> None:
    aimed = [(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9)]
    raw = [(0.905, 0.11), (0.1, 0.095), (0.11, 0.9), (0.9, 0.89)]  # x mirrored, a few px off
    assert fit_matrix(raw, aimed).matrix == (-1.0, 0.0, 1.0, 0.0, 1.0, 0.0)


def test_a_real_skew_is_not_snapped_away() -> None:
    assert tidy((1.08, -0.06, -0.03, 0.05, 0.93, 0.04)) == (1.08, -0.06, -0.03, 0.05, 0.93, 0.04)


def test_a_stray_tap_is_refused(screen: TouchScreen) -> None:
    class Stray(SimulatedHand):
        def raw(self, screen: TouchScreen, pixel: tuple[int, int]) -> tuple[float, float]:
            x, y = super().raw(screen, pixel)
            return (0.5, 0.5) if pixel == touchscreen.corners(720, 1280)[2] else (x, y)

    with pytest.raises(touchscreen.CheckFailed, match="do not fit one straight mapping"):
        measure(screen, SimPerson(stdout=io.StringIO()), 1.0, Stray(Mounting()))


def test_the_check_fails_with_the_lines_to_paste_when_the_config_disagrees(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        touchscreen, "sim_hand", lambda ui: SimulatedHand(Mounting(90, CONTROLLERS["mirrored"]))
    )
    assert main("touchscreen", touchscreen.check, ["--sim"]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "rotation = 90" in out and "touch_matrix = [-1, 0, 1, 0, 1, 0]" in out


def test_the_check_passes_when_the_config_agrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nwidth = 720\nheight = 1280\nrotation = 90\n")
    assert main("touchscreen", touchscreen.check, ["--sim", "--config", str(path)]) == EXIT_OK
    assert "agree with the configuration" in capsys.readouterr().out
