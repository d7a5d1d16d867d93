"""The resident screen answers what the kiosk asks (kiosk.view.Prompt): the words, the seconds
left, and the "come closer" arrow at the edge where the thermometer sits."""

from __future__ import annotations

import pygame
import pytest

from kiosk.view import Stage
from ui import samples
from ui.linebreak import clean
from ui.render import still_screen
from ui.resident import message
from ui.screen import LANGUAGE_RESET_S, Screen
from ui.speech import Speaker

VIEWS = samples.stage_views()


@pytest.mark.parametrize(
    ("name", "kicker", "headline", "hint"),
    [
        # A refusal keeps its verdict word as the headline; the lasting prompt is why and what.
        ("see-guard", "此通行证不能用，请到保安亭 →", "不能通行", "保安会帮您；放下手机即可"),
        ("lower-pass", "", "已读过，请放下手机", ""),
        ("closer", "", "请靠近 · 3–5 cm", "额头对准测温器，还有 5 秒"),
        ("pass-countdown", "", "请通行", "门还开 6 秒"),
    ],
)
def test_what_the_resident_reads(name: str, kicker: str, headline: str, hint: str) -> None:
    words = message(VIEWS[name], "zh-CN")
    assert tuple(map(clean, words)) == (kicker, headline, hint)


# Just inside the middle of each edge of the message area (800×480: below the status bar),
# where the arrow's head is when the thermometer sits on that side.
PROBES = {"left": (14, 272), "right": (786, 272), "above": (400, 82), "below": (400, 466)}


@pytest.mark.parametrize("side", list(PROBES))
def test_the_come_closer_arrow_points_where_the_thermometer_sits(side: str) -> None:
    for view in ("closer", "measuring"):
        screen = still_screen(VIEWS[view])
        screen.sensor_side = side
        screen.draw()
        lit = {
            where: screen.canvas.surface.get_at(probe)[:3] == (255, 255, 255)
            for where, probe in PROBES.items()
        }
        expected = {where: view == "closer" and where == side for where in PROBES}
        assert lit == expected, view


def card_texts(name: str, language: str = "zh-CN") -> list[str]:
    screen = still_screen(VIEWS[name], language=language)
    screen.draw()
    return [t.text for t in screen.canvas.texts]


def test_a_visitors_card_says_whom_they_visit_a_residents_does_not() -> None:
    assert "访客 · H-0101 的访客" in card_texts("visitor")
    assert "Visitor · to H-0101" in card_texts("visitor", "en")
    assert not any("访客" in t for t in card_texts("pass"))


def test_a_resident_switches_the_language_on_the_idle_screen_and_it_goes_back() -> None:
    now = [100.0]
    kiosk = samples.FakeKiosk()
    screen = Screen(kiosk, pygame.Surface((800, 480)), clock=lambda: now[0])
    screen.draw()
    [button] = [b for b in screen.canvas.buttons if b.label == "English"]
    screen.touch(button.rect.center)
    screen.update()
    screen.draw()
    assert "Show your pass" in [t.text for t in screen.canvas.texts]
    assert kiosk.commands == []  # the resident's choice, not the lane's setting
    kiosk.publish(stage=Stage.OPEN)  # their turn at the gate, in English
    now[0] += LANGUAGE_RESET_S
    screen.update()
    assert screen.state.language == "en"
    kiosk.publish(stage=Stage.IDLE)
    screen.update()
    now[0] += LANGUAGE_RESET_S - 1
    screen.update()
    assert screen.state.language == "en"
    now[0] += 1.5
    assert screen.update()
    screen.draw()
    assert screen.state.language == "zh-CN"
    assert "请出示通行证" in [clean(t.text) for t in screen.canvas.texts]


def test_the_language_button_is_only_on_the_idle_screen() -> None:
    for name in ("pass", "see-guard", "lower-pass", "measuring"):
        screen = still_screen(VIEWS[name])
        screen.draw()
        assert "English" not in [b.label for b in screen.canvas.buttons], name


def test_a_countdown_is_not_read_out_every_second() -> None:
    class Recording(Speaker):
        def __init__(self) -> None:
            super().__init__(enabled=False)
            self.said: list[str] = []

        def say(self, key: str, language: str) -> None:
            self.said.append(key)

    kiosk = samples.FakeKiosk(VIEWS["pass-countdown"])
    speaker = Recording()
    screen = Screen(kiosk, pygame.Surface((800, 480)), speaker=speaker)
    for left in (6, 5, 4):
        kiosk.publish(countdown_s=left)
        screen.draw()
    assert speaker.said == ["pass"]  # "体温正常，请通行", once


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("size", [(800, 480), (1280, 720), (1024, 600), (1080, 1920)])
def test_the_counting_guard_corner_fits(language: str, size: tuple[int, int]) -> None:
    screen = still_screen(samples.BASE, size, language)
    screen.state.guard_hold_left = 3
    screen.draw()
    assert [t.text for t in screen.canvas.texts if t.clipped] == []
