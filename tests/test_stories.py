"""Stories at the gate (issue #19, items 1, 2, 3 and 7), played through the real kiosk loop in
simulated time with the real screen on top: a frame every 0.5 s, and what each frame shows
asserted at each moment, as a resident at 1.5 m would see it.

The README's gate pictures are these films: ``KIOSK_STORY_STRIPS=docs/screenshots pytest
tests/test_stories.py`` saves each story as a strip of the frames where the screen changed,
each with its time (``story-<name>.png``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pygame
import pytest

from kiosk.view import KioskView, Stage
from tests import test_machine_e2e
from tests.test_machine_e2e import Rig
from ui import strings
from ui.linebreak import clean
from ui.screen import GUARD_HOLD_S, PIN_IDLE_S, Screen
from ui.state import Page

rig = test_machine_e2e.rig  # the simulated kiosk, the fixture of the end-to-end tests

FRAME_S = 0.5
STRIPS = os.environ.get("KIOSK_STORY_STRIPS")  # a folder: save each story's strip there
THUMB = (400, 240)  # half the panel: a strip of six is as wide as a README column pair
IDLE = "请出示通行证"
PIN_TITLE = strings.text("zh-CN", "pin_title")
CORNER = strings.text("zh-CN", "guard_hold")


@dataclass(frozen=True)
class Frame:
    """One frame of the strip: when, what the kiosk published and what the screen drew."""

    at: float
    view: KioskView
    texts: tuple[str, ...]
    page: Page
    picture: pygame.Surface | None = None  # a thumbnail, kept only when strips are saved

    def shows(self, words: str) -> bool:
        return any(words in text for text in self.texts)


class Film:
    """The kiosk and its screen, filmed: ``roll`` moves simulated time on, a frame every 0.5 s."""

    def __init__(self, rig: Rig) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.rig = rig
        self.screen = Screen(
            rig.app.kiosk, pygame.Surface((800, 480)), clock=rig.player.time.timers.now
        )
        self.frames: list[Frame] = []
        self.at = 0.0

    def roll(self, seconds: float) -> list[Frame]:
        rolled = []
        for _ in range(round(seconds / FRAME_S)):
            view = self.rig.player.run(FRAME_S)
            self.at += FRAME_S
            self.screen.update()
            drawn = self.screen.draw()
            page = self.screen.state.shown_page(drawn)
            if CORNER in [b.label for b in self.screen.canvas.buttons]:
                page = Page.RESIDENT  # the gate screen, perhaps drawn over a guard page
            texts = tuple(clean(t.text) for t in self.screen.canvas.texts)  # no break marks
            surface = self.screen.canvas.surface
            thumb = pygame.transform.smoothscale(surface, THUMB) if STRIPS else None
            rolled.append(Frame(self.at, view, texts, page, thumb))
        self.frames += rolled
        return rolled

    def between(self, start: float, end: float) -> list[Frame]:
        return [f for f in self.frames if start <= f.at <= end]

    def press(self, label: str) -> None:
        [button] = [b for b in self.screen.canvas.buttons if b.label == label]
        self.screen.touch(button.rect.center)

    def save_strip(self, path: Path, columns: int = 3) -> None:
        """The frames where the screen changed, left to right and down, each with its time."""
        changes = [
            f for i, f in enumerate(self.frames) if i == 0 or f.texts != self.frames[i - 1].texts
        ]
        shown = [f for f in changes if f.picture is not None][:12]
        rows = -(-len(shown) // columns)
        pad, caption = 8, 28
        cell_w, cell_h = THUMB[0] + pad, THUMB[1] + caption + pad
        sheet = pygame.Surface((columns * cell_w + pad, rows * cell_h + pad))
        sheet.fill((250, 250, 250))
        font = self.screen.canvas.fonts.font(22)
        for i, frame in enumerate(shown):
            x, y = pad + (i % columns) * cell_w, pad + (i // columns) * cell_h
            sheet.blit(font.render(f"{frame.at:4.1f} s", True, (30, 30, 30)), (x, y + 2))
            assert frame.picture is not None
            sheet.blit(frame.picture, (x, y + caption))
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(sheet, str(path))


@pytest.fixture
def film(rig: Rig, request: pytest.FixtureRequest) -> Iterator[Film]:
    filmed = Film(rig)
    yield filmed
    if STRIPS:
        name = request.node.name.removeprefix("test_").replace("_", "-")
        filmed.save_strip(Path(STRIPS) / f"story-{name}.png")


def assert_each(frames: list[Frame], what: str, check: object) -> None:
    assert frames, f"no frames for {what}"
    for frame in frames:
        assert check(frame), f"at {frame.at:.1f} s: {what}; the screen shows {frame.texts}"  # type: ignore[operator]


def test_a_refused_pass_held_up(film: Film, rig: Rig) -> None:
    rig.show("revoked")  # the resident holds the phone up for 20 s, then lowers it
    film.roll(20)
    rig.sim.present_pass(None)
    film.roll(4)
    assert_each(film.between(1, 8.5), "the refusal and why", lambda f: f.shows("通行证已停用"))
    assert_each(film.between(10.5, 20), "the way to the guard booth",
                lambda f: f.shows("此通行证不能用，请到保安亭 →"))  # fmt: skip
    assert_each(film.between(0.5, 20), "never the idle prompt", lambda f: not f.shows(IDLE))
    assert_each(film.between(22, 24), "the idle prompt once it is gone", lambda f: f.shows(IDLE))


def test_a_slow_walker_keeps_the_green_screen(film: Film, rig: Rig) -> None:
    rig.show("resident")
    film.roll(2)
    rig.sim.present_pass(None)  # lowers the phone at once and sets off slowly
    opened = next(f.at for f in film.frames if f.view.stage is Stage.OPEN)
    film.roll(4.5)
    rig.sim.set_door(True)  # reaches the door 6 s later
    film.roll(1.5)
    rig.sim.set_door(False)  # through; the door shuts behind
    film.roll(2)
    walking = film.between(opened, 7.5)
    assert_each(walking, "请通行 while the gate is open", lambda f: f.shows("请通行"))
    left = [f.view.countdown_s for f in walking]
    assert left == sorted(left, reverse=True) and left[0] >= 7
    assert_each(walking, "the seconds left", lambda f: f.shows(f"门还开 {f.view.countdown_s} 秒"))
    assert_each(film.between(8.5, 9.5), "the next person invited", lambda f: f.shows(IDLE))


def test_a_resident_taps_the_guard_corner(film: Film, rig: Rig) -> None:
    film.roll(1)
    film.press(CORNER)  # the refusal told them to find the guard: they tap
    film.roll(0.5)
    film.screen.release()
    film.roll(5)
    assert_each(film.between(1, 6.5), "the resident screen, no PIN pad",
                lambda f: f.page is Page.RESIDENT and f.shows(IDLE))  # fmt: skip
    film.press(CORNER)  # a guard's long press
    film.roll(GUARD_HOLD_S + 0.5)
    film.screen.release()
    assert film.frames[-1].page is Page.PIN and film.frames[-1].shows(PIN_TITLE)
    rig.show("forged")  # a forged pass while the pad is open
    film.roll(3)
    assert_each(film.frames[-4:], "the refusal over the PIN pad", lambda f: f.shows("不能通行"))
    rig.sim.present_pass(None)
    film.roll(PIN_IDLE_S + 12)
    assert_each(film.frames[-2:], "back to the resident screen",
                lambda f: f.page is Page.RESIDENT and f.shows(IDLE))  # fmt: skip


def test_a_visitor(film: Film, rig: Rig) -> None:
    rig.show("visitor")
    film.roll(2.5)
    rig.sim.present_pass(None)
    film.roll(1)
    admitted = [f for f in film.frames if f.view.stage is Stage.OPEN]
    assert_each(admitted, "a visitor's card", lambda f: f.shows("访客 · H-0101 的访客"))
    assert_each(admitted, "and the way in", lambda f: f.shows("请通行"))
