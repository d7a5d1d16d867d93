"""The simulator's side panel drives SimControls; the kiosk screen beside it is unaffected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pygame
import pytest

from kiosk.exc import HardwareError
from ui import samples
from ui.app import loop, make_screen
from ui.canvas import Canvas
from ui.screen import Screen
from ui.simpanel import PANEL_WIDTH, SimPanel


@dataclass
class FakeControls:
    calls: list[tuple[str, object]] = field(default_factory=list)

    def present_pass(self, text: str | None) -> None:
        self.calls.append(("present_pass", text))

    def set_forehead(self, celsius: float | None) -> None:
        self.calls.append(("set_forehead", celsius))

    def set_ambient(self, celsius: float) -> None:
        self.calls.append(("set_ambient", celsius))

    def set_door(self, open: bool) -> None:
        self.calls.append(("set_door", open))

    def press_exit_button(self) -> None:
        self.calls.append(("press_exit_button", None))

    def unplug_sensor(self, unplugged: bool) -> None:
        self.calls.append(("unplug_sensor", unplugged))

    def set_network(self, online: bool) -> None:
        if not online and any(c == ("set_network", False) for c in self.calls):
            raise HardwareError("network already cut")
        self.calls.append(("set_network", online))


@dataclass
class Cfg:
    language: str = "en"
    fullscreen: bool = False
    width: int = 800
    height: int = 480
    guard_lock_s: float = 60.0
    speech: bool = False
    rotation: int = 0
    touch_matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    panel_mm: float = 154.0
    sensor_side: str = "right"


PASSES = {"resident": "KP1:resident", "revoked": "KP1:revoked", "forged": "KP1:forged"}


@dataclass
class Sim:
    controls: FakeControls
    kiosk: samples.FakeKiosk
    panel: SimPanel
    screen: Screen

    @property
    def canvas(self) -> Canvas:
        assert self.screen.panel_canvas is not None
        return self.screen.panel_canvas


@pytest.fixture
def sim() -> Iterator[Sim]:
    pygame.display.init()
    window = pygame.display.set_mode((800 + PANEL_WIDTH, 480))
    controls, kiosk = FakeControls(), samples.FakeKiosk()
    panel = SimPanel(controls, PASSES)
    screen = make_screen(
        kiosk, Cfg(), window, clock=lambda: 0.0, panel=panel, panel_width=PANEL_WIDTH
    )
    yield Sim(controls, kiosk, panel, screen)
    pygame.display.quit()


def click(sim: Sim, label: str) -> None:
    """A mouse click (a laptop has no touch screen) on the panel button called ``label``."""
    canvas = sim.canvas
    rect = next(b.rect for b in canvas.buttons if b.label == label)
    x, y = canvas.surface.get_abs_offset()
    pygame.event.clear()
    pygame.event.post(
        pygame.event.Event(
            pygame.MOUSEBUTTONDOWN, pos=(rect.centerx + x, rect.centery + y), button=1, touch=False
        )
    )
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    loop(sim.screen)


def test_panel_plays_every_part_of_the_hardware(sim: Sim) -> None:
    loop_once(sim)
    for label in (
        "resident",
        "38.0",
        "nobody",
        "open door",
        "exit button",
        "unplug sensor",
        "cut network",
        "remove pass",
    ):
        click(sim, label)
    assert sim.controls.calls == [
        ("present_pass", "KP1:resident"),
        ("set_forehead", 38.0),
        ("set_forehead", None),
        ("set_door", True),
        ("press_exit_button", None),
        ("unplug_sensor", True),
        ("set_network", False),
        ("present_pass", None),
    ]
    assert sim.kiosk.commands == []  # the panel talks to the hardware, never to the kiosk


def test_panel_follows_the_view(sim: Sim) -> None:
    sim.kiosk.publish(door_open=True, online=False)
    loop_once(sim)
    labels = [b.label for b in sim.canvas.buttons]
    assert "close door" in labels and "reconnect" in labels


def test_a_refused_control_is_shown_not_raised(sim: Sim) -> None:
    sim.kiosk.publish(online=True)
    loop_once(sim)
    click(sim, "cut network")
    sim.kiosk.publish(online=True)
    loop_once(sim)
    click(sim, "cut network")
    assert sim.panel.message == "network already cut"
    assert "network already cut" in [t.text for t in sim.canvas.texts]


def test_panel_text_fits(sim: Sim) -> None:
    loop_once(sim)
    assert sim.canvas.texts
    assert not [t.text for t in sim.canvas.texts if t.clipped]


def loop_once(sim: Sim) -> None:
    screen = sim.screen
    screen.invalidate()
    pygame.event.clear()
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    loop(screen)


def test_the_simulator_is_screenshotted_headless(tmp_path: Path) -> None:
    """docs/screenshots/simulator-en.png comes from ui.screenshots, no display needed."""
    from ui.screenshots import save_simulator

    path = save_simulator(tmp_path / "simulator-en.png")
    picture = pygame.image.load(str(path))
    assert picture.get_size() == (800 + PANEL_WIDTH, 480)
    # The panel is drawn on the right (bar, buttons, labels), not left blank.
    grid = [(800 + x, y) for x in range(0, PANEL_WIDTH, 3) for y in range(0, 480, 3)]
    assert len({tuple(picture.get_at(at))[:3] for at in grid}) > 8


def test_the_screenshot_knows_every_demo_pass() -> None:
    from datetime import UTC, datetime

    from kiosk.demo_world import make_world
    from ui.screenshots import DEMO_PASSES

    world = make_world(datetime(2020, 2, 10, 8, 0, tzinfo=UTC))
    assert set(DEMO_PASSES) <= set(world.passes)
