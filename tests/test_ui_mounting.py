"""Panels as mounted: `[ui] rotation` turns the picture and the touches alike, and the touch
calibration matrix corrects a touch controller that disagrees with its panel."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pygame
import pytest

from kiosk.config import UiSettings, load_config
from kiosk.exc import ConfigError
from kiosk.view import UnlockGuard
from ui import samples, strings
from ui.app import loop, make_screen
from ui.mounting import IDENTITY, ROTATIONS, MountedSurface, Mounting
from ui.screen import GUARD_HOLD_S, Screen

TOUCH_DISPLAY_2 = (720, 1280)  # native portrait
PANELS = [TOUCH_DISPLAY_2, (800, 480)]

# Where logical pixel (x, y) of an lw × lh screen must show on the panel, written out per
# rotation (the panel turned clockwise, so the picture turned counter-clockwise): an oracle
# independent of ui.mounting's own formulas.
ON_PANEL: dict[int, Callable[[int, int, int, int], tuple[int, int]]] = {
    0: lambda x, y, lw, lh: (x, y),
    90: lambda x, y, lw, lh: (y, lw - 1 - x),
    180: lambda x, y, lw, lh: (lw - 1 - x, lh - 1 - y),
    270: lambda x, y, lw, lh: (lh - 1 - y, x),
}
MIRRORED_X = (-1.0, 0.0, 1.0, 0.0, 1.0, 0.0)


def numbered(size: tuple[int, int]) -> pygame.Surface:
    """A surface whose every pixel's colour says where it is."""
    surface = pygame.Surface(size)
    for x in range(size[0]):
        for y in range(size[1]):
            surface.set_at((x, y), (x % 256, y % 256, (x // 256) * 16 + y // 256))
    return surface


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_picture_and_touch_turn_the_same_way(rotation: int) -> None:
    panel = pygame.Surface((40, 24))
    mounted = MountedSurface(panel, Mounting(rotation))
    lw, lh = mounted.surface.get_size()
    assert (lw, lh) == ((24, 40) if rotation in (90, 270) else (40, 24))
    mounted.surface.blit(numbered((lw, lh)), (0, 0))
    mounted.present()
    for x in range(lw):
        for y in range(lh):
            on_panel = ON_PANEL[rotation](x, y, lw, lh)
            assert panel.get_at(on_panel) == mounted.surface.get_at((x, y))
            assert mounted.to_logical(on_panel) == (x, y)
            assert mounted.mounting.to_panel((x, y), (40, 24)) == on_panel


def ui_settings(rotation: int, touch_matrix: tuple[float, ...] = IDENTITY) -> UiSettings:
    """The shipped [ui] settings in English, the panel mounted as given."""
    shipped = load_config(None).ui
    return replace(shipped, language="en", rotation=rotation, touch_matrix=touch_matrix)


@pytest.fixture
def display() -> Iterator[None]:
    pygame.display.init()
    yield
    pygame.display.quit()


def finger_on(
    screen: Screen, label: str, raw: Callable[[float, float], tuple[float, float]]
) -> pygame.event.Event:
    """The FINGERDOWN a finger on the button ``label`` makes, as the panel's controller
    reports it: the button's centre, put on the panel by the oracle, normalised, then
    ``raw`` (what a miscalibrated controller does to it)."""
    rect = next(b.rect for b in screen.canvas.buttons if b.label.startswith(label))
    lw, lh = screen.canvas.surface.get_size()
    px, py = ON_PANEL[screen.mounted.mounting.rotation](*rect.center, lw, lh)
    pw, ph = screen.mounted.area.get_size()
    x, y = raw((px + 0.5) / pw, (py + 0.5) / ph)
    return pygame.event.Event(
        pygame.FINGERDOWN, x=x, y=y, dx=0.0, dy=0.0, touch_id=1, finger_id=0, pressure=1.0
    )


def unlock_by_touch(
    panel: tuple[int, int],
    settings: UiSettings,
    raw: Callable[[float, float], tuple[float, float]] = lambda x, y: (x, y),
) -> tuple[samples.FakeKiosk, Screen]:
    """Open the guard's PIN pad and type 1234 with fingers, through the real loop."""
    kiosk = samples.FakeKiosk(replace(samples.guard_view(), guard_unlocked=False))
    now = [0.0]
    screen = make_screen(kiosk, settings, pygame.display.set_mode(panel), clock=lambda: now[0])
    for label in (strings.text("en", "guard"), "1", "2", "3", "4", strings.text("en", "ok")):
        screen.draw()
        pygame.event.clear()
        pygame.event.post(finger_on(screen, label, raw))
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        loop(screen)
        if label == strings.text("en", "guard"):
            hold_on(screen, now)
    return kiosk, screen


def hold_on(screen: Screen, now: list[float]) -> None:
    """The finger stays on the guard corner until the PIN pad opens."""
    now[0] += GUARD_HOLD_S
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    loop(screen)


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("rotation", ROTATIONS)
def test_fingers_on_a_turned_panel_type_the_pin(
    display: None, panel: tuple[int, int], rotation: int
) -> None:
    kiosk, screen = unlock_by_touch(panel, ui_settings(rotation))
    assert kiosk.commands == [UnlockGuard("1234")]
    logical = screen.canvas.surface.get_size()
    assert logical == (Mounting(rotation).logical_size(panel))


def test_touch_display_2_mounted_landscape_lays_out_1280x720(display: None) -> None:
    _, screen = unlock_by_touch(TOUCH_DISPLAY_2, ui_settings(90))
    assert screen.canvas.surface.get_size() == (1280, 720)
    assert not screen.canvas.portrait


@pytest.mark.parametrize("matrix", [IDENTITY, MIRRORED_X])
def test_a_mouse_click_is_turned_and_calibrated_like_a_finger(
    display: None, matrix: tuple[float, ...]
) -> None:
    kiosk = samples.FakeKiosk(replace(samples.guard_view(), guard_unlocked=False))
    window = pygame.display.set_mode((800, 480))
    now = [0.0]
    screen = make_screen(kiosk, ui_settings(270, matrix), window, clock=lambda: now[0])
    screen.draw()
    guard = next(
        b.rect for b in screen.canvas.buttons if b.label.startswith(strings.text("en", "guard"))
    )
    x, y = ON_PANEL[270](*guard.center, 480, 800)
    pos = (799 - x, y) if matrix == MIRRORED_X else (x, y)  # what a mirrored controller reports
    pygame.event.clear()
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    loop(screen)
    hold_on(screen, now)
    assert screen.state.page.value == "pin"


def test_the_touch_matrix_undoes_a_mirrored_controller(display: None) -> None:
    def mirrored(x: float, y: float) -> tuple[float, float]:
        return 1.0 - x, y

    kiosk, _ = unlock_by_touch((800, 480), ui_settings(180, MIRRORED_X), mirrored)
    assert kiosk.commands == [UnlockGuard("1234")]


def test_a_skewed_controller_is_corrected_by_its_matrix(display: None) -> None:
    # The controller reports x' = 0.7x + 0.1y + 0.15, y' = -0.1x + 0.8y + 0.12 (a glass
    # glued skewed, its axes short); its inverse is the matrix to configure.
    a, b, c, d, e, f = 0.7, 0.1, 0.15, -0.1, 0.8, 0.12
    det = a * e - b * d
    inverse = (e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det)

    def skewed(x: float, y: float) -> tuple[float, float]:
        return a * x + b * y + c, d * x + e * y + f

    kiosk, _ = unlock_by_touch(TOUCH_DISPLAY_2, ui_settings(90, inverse), skewed)
    assert kiosk.commands == [UnlockGuard("1234")]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("rotation = 45", "must be 0, 90, 180 or 270"),
        ("rotation = 360", "out of range"),
        ("touch_matrix = [1, 0, 0, 0, 1]", "must be 6 numbers"),
        ("touch_matrix = [1, 2, 0, 2, 4, 0]", "folds the screen onto a line"),
        ("rotate = 90", "Did you mean 'rotation'?"),
    ],
)
def test_bad_mounting_settings_are_refused(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[ui]\n{line}\n")
    with pytest.raises(ConfigError, match=words):
        load_config(path)


def test_mounting_settings_load(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[ui]\nrotation = 270\ntouch_matrix = [0, 1, 0, -1, 0, 1]\n")
    ui = load_config(path).ui
    assert (ui.rotation, ui.touch_matrix) == (270, (0.0, 1.0, 0.0, -1.0, 0.0, 1.0))
