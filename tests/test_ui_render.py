"""Every screen renders headless in both languages and at several sizes, with no text cut off
and touch targets big enough for a gloved finger."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pygame
import pytest

from kiosk.model import Reason
from kiosk.view import KioskView
from tests.test_ui_legibility import resident_views
from ui import samples, strings
from ui.render import render_to_png, still_screen
from ui.screen import Screen
from ui.state import Field, Page

SIZES = [(800, 480), (1280, 720)]
OTHER_SIZES = [(1024, 600), (1080, 1920)]
GUARD_PAGES = [Page.ALARMS, Page.EVENTS, Page.PERSON, Page.OPEN, Page.VISITOR, Page.SETTINGS]


def drawn(
    view: KioskView,
    size: tuple[int, int],
    language: str,
    page: Page = Page.RESIDENT,
    **state: object,
) -> Screen:
    screen = still_screen(view, size, language, page)
    for name, value in state.items():
        setattr(screen.state, name, value)
    screen.draw()
    return screen


def assert_layout_ok(screen: Screen) -> None:
    """No text clipped or spilling out of its box; targets inside the screen and not overlapping."""
    canvas = screen.canvas
    assert canvas.texts, "nothing was drawn"
    for text in canvas.texts:
        assert not text.clipped, f"{text.text!r} does not fit {text.box} even at {text.size}px"
        assert text.box.inflate(2, 2).contains(text.drawn), (
            f"{text.text!r} spills out of {text.box}"
        )
    area = canvas.surface.get_rect()
    for i, button in enumerate(canvas.buttons):
        assert area.contains(button.rect), button.label
        for other in canvas.buttons[i + 1 :]:
            assert not button.rect.colliderect(other.rect), (button.label, other.label)
    if area.size == (800, 480):
        for button in canvas.buttons:
            assert min(button.rect.size) >= 60, f"{button.label!r} is only {button.rect.size}"


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_every_resident_screen_fits(size: tuple[int, int], language: str) -> None:
    for name, view in resident_views():
        screen = drawn(view, size, language)
        try:
            assert_layout_ok(screen)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("size", SIZES + OTHER_SIZES)
@pytest.mark.parametrize("page", GUARD_PAGES)
def test_every_guard_page_fits(page: Page, size: tuple[int, int], language: str) -> None:
    assert_layout_ok(drawn(samples.guard_view(), size, language, page))


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("size", SIZES + OTHER_SIZES)
def test_pin_keypad_fits(size: tuple[int, int], language: str) -> None:
    screen = drawn(samples.BASE, size, language, Page.PIN, pin="12")
    assert_layout_ok(screen)
    labels = {b.label for b in screen.canvas.buttons}
    assert set("0123456789") <= labels


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_filled_forms_fit(size: tuple[int, int], language: str) -> None:
    view = samples.guard_view()
    assert_layout_ok(
        drawn(
            view,
            size,
            language,
            Page.VISITOR,
            phone="13812345678",
            household="12-3-1501",
            focus=Field.HOUSEHOLD,
            visit_reason="family",
        )
    )
    assert_layout_ok(drawn(view, size, language, Page.OPEN, open_reason="scanner_fault"))


@pytest.mark.parametrize("language", strings.LANGUAGES)
def test_empty_guard_lists_say_so(language: str) -> None:
    empty = replace(samples.BASE, guard_unlocked=True)
    for page, key in (
        (Page.ALARMS, "no_alarms"),
        (Page.EVENTS, "no_events"),
        (Page.PERSON, "no_person"),
    ):
        screen = drawn(empty, (800, 480), language, page)
        assert strings.text(language, key) in [t.text for t in screen.canvas.texts]


@pytest.mark.parametrize("size", OTHER_SIZES)
def test_resident_screens_scale_to_other_panels(size: tuple[int, int]) -> None:
    for _name, view in samples.stage_views().items():
        assert_layout_ok(drawn(view, size, "en"))


def test_long_lists_page_with_arrows() -> None:
    view = samples.guard_view()
    many = tuple(samples.event(i, Reason.OK) for i in range(40))
    screen = drawn(replace(view, recent_events=many), (800, 480), "en", Page.EVENTS)
    arrows = [b for b in screen.canvas.buttons if b.label in "▲▼"]
    assert [b.label for b in arrows] == ["▼"]  # at the top: only "down" is live
    arrows[0].action()
    screen.draw()
    assert {b.label for b in screen.canvas.buttons if b.label in "▲▼"} == {"▲", "▼"}


def test_resident_screen_never_shows_a_full_name_or_phone() -> None:
    screen = drawn(samples.guard_view(), (800, 480), "zh-CN", Page.EVENTS)
    shown = " ".join(t.text for t in screen.canvas.texts)
    assert "13812345678" not in shown and "138****5678" in shown


def test_guard_pages_need_the_kiosk_to_say_unlocked() -> None:
    screen = drawn(samples.BASE, (800, 480), "en", Page.ALARMS)
    assert "Enter the guard PIN" in [t.text for t in screen.canvas.texts]


def test_render_to_png_writes_a_picture(tmp_path: Path) -> None:
    path = render_to_png(samples.stage_views()["pass"], tmp_path / "pass.png", (800, 480), "en")
    picture = pygame.image.load(str(path))
    assert picture.get_size() == (800, 480)
    red, green, _blue, _alpha = picture.get_at((400, 300))
    assert green > red + 60  # the "please pass" screen is green


def test_optimised_png_is_smaller(tmp_path: Path) -> None:
    view = samples.stage_views()["fever"]
    plain = render_to_png(view, tmp_path / "a.png")
    small = render_to_png(view, tmp_path / "b.png", optimise=True)
    assert small.stat().st_size < plain.stat().st_size
