"""Every screen, in both languages, at 800×480 and 1280×720: nothing clipped, nothing smaller
than its role allows, every text at least 4.5:1 against what is under it (WCAG AA), and no
line that starts with closing punctuation, ends with an opening bracket or splits a word."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from kiosk.model import Reason, Verdict
from kiosk.view import Aim, AlarmCode, KioskView, Stage
from ui import linebreak, resident, samples, strings, theme
from ui.canvas import TextRecord
from ui.render import still_screen
from ui.screen import Screen
from ui.state import Page, Toast
from ui.theme import Text

SIZES = [(800, 480), (1280, 720)]
GUARD_PAGES = [Page.ALARMS, Page.EVENTS, Page.PERSON, Page.OPEN, Page.VISITOR, Page.SETTINGS]
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
FRAME = samples.camera_frame()


class Frames:
    def frame(self) -> object:
        return FRAME


def resident_views() -> list[tuple[str, KioskView]]:
    """Every stage, every reason in every verdict stage, with and without a wall of alarms."""
    views = list(samples.stage_views().items())
    many = (*samples.alarms(), samples.door_alarm())
    for reason in Reason:
        denied = replace(
            samples.BASE,
            stage=Stage.DENIED,
            reason=reason,
            verdict=Verdict.DENY,
            person=samples.person(),
            temperature_c=38.4,
        )
        views.append((f"denied-{reason}", denied))
        views.append((f"denied-{reason}-alarms", replace(denied, alarms=many)))
        views.append((f"open-{reason}", replace(denied, stage=Stage.OPEN, verdict=Verdict.ALLOW)))
        guard = replace(denied, stage=Stage.GUARD, verdict=Verdict.GUARD, person=None)
        views.append((f"guard-{reason}-alarms", replace(guard, alarms=many)))
    for aim in Aim:
        views.append((f"aim-{aim}", replace(samples.BASE, aim=aim, alarms=many)))
    return views


def screens(language: str, size: tuple[int, int]) -> list[tuple[str, Screen]]:
    found = []
    for name, view in resident_views():
        found.append((name, _draw(view, size, language, Page.RESIDENT)))
    for page in GUARD_PAGES:
        found.append((f"guard-{page}", _draw(samples.guard_view(), size, language, page)))
    for code in AlarmCode:
        # Each alarm's words, on the guard's page and in the banner of the main screen.
        alarm = (samples.alarm_of(code, logged=False),)
        view = replace(samples.guard_view(), alarms=alarm)
        found.append((f"alarm-{code}", _draw(view, size, language, Page.ALARMS)))
        found.append((f"banner-{code}", _draw(view, size, language, Page.RESIDENT)))
    found.append(("pin", _draw(samples.BASE, size, language, Page.PIN)))
    toast = Toast(strings.text(language, "failed") + ": " + "x" * 20, False, float("inf"))
    found.append(("toast", _draw(samples.BASE, size, language, Page.RESIDENT, toast)))
    return found


def _draw(
    view: KioskView, size: tuple[int, int], language: str, page: Page, toast: Toast | None = None
) -> Screen:
    screen = still_screen(view, size, language, page)
    screen.frames = Frames()  # type: ignore[assignment]
    screen.canvas.audits = True
    screen.state.toast = toast
    screen.draw()
    return screen


def problems(text: TextRecord, size: tuple[int, int]) -> list[str]:
    found = []
    if text.clipped or not text.box.inflate(2, 2).contains(text.drawn):
        found.append(f"does not fit {text.box} at {text.size}px")
    if size == (800, 480) and text.size < text.role.px:
        found.append(f"{text.role.name} at {text.size}px, below {text.role.px}px")
    if text.size < 24 * size[1] // 480:
        found.append(f"smaller than 24 px at 800×480 ({text.size}px)")
    worst = min((theme.contrast(text.colour, under) for under in text.under), default=21.0)
    if worst < theme.AA_CONTRAST:
        found.append(f"contrast {worst:.2f}:1 on {text.under}")
    if not linebreak.breaks_ok(text.lines):
        found.append(f"bad line break {text.lines}")
    if not CJK.search(text.text) and not text.clipped and _words(text.lines) != _words([text.text]):
        found.append(f"a word was split: {text.lines}")
    return found


def _words(lines: tuple[str, ...] | list[str]) -> list[str]:
    return " ".join(lines).split()


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_every_screen_is_legible(size: tuple[int, int], language: str) -> None:
    failures = []
    for name, screen in screens(language, size):
        assert screen.canvas.texts, f"{name}: nothing drawn"
        for text in screen.canvas.texts:
            failures += [f"{name}: {text.text!r}: {p}" for p in problems(text, size)]
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("language", strings.LANGUAGES)
def test_the_instruction_and_status_bar_sizes_at_800x480(language: str) -> None:
    for name, view in resident_views():
        screen = _draw(view, (800, 480), language, Page.RESIDENT)
        hint = resident.message(view, language).hint
        texts = screen.canvas.texts
        if hint:
            [line] = [t for t in texts if t.text == hint and t.role is Text.INSTRUCTION]
            assert line.size >= 40, name
        status = [t for t in texts if t.role is Text.STATUS]
        assert status and all(t.size >= 24 for t in status), name


def test_the_contrast_check_catches_a_low_contrast_text() -> None:
    """The audit itself works: white on the old pass green (3.8:1) is caught."""
    screen = _draw(samples.stage_views()["pass"], (800, 480), "en", Page.RESIDENT)
    white = next(t for t in screen.canvas.texts if t.colour == theme.WHITE and t.under)
    old_green = replace(white, under=((22, 150, 70),))
    assert any("contrast" in p for p in problems(old_green, (800, 480)))
    assert not problems(white, (800, 480))


def test_the_viewfinder_picture_is_drawn_on_the_idle_screen() -> None:
    screen = _draw(samples.BASE, (800, 480), "en", Page.RESIDENT)
    greys = {screen.canvas.surface.get_at((x, 300))[:3] for x in range(20, 260, 4)}
    assert len(greys) > 10, "the camera picture is missing"
    dark = _draw(
        replace(samples.BASE, stage=Stage.DENIED, reason=Reason.EXPIRED),
        (800, 480),
        "en",
        Page.RESIDENT,
    )
    assert dark.canvas.surface.get_at((20, 460))[:3] == theme.STAGE_BACKGROUND[Stage.DENIED]
