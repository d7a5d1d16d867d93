"""The car gate's screen: the plate read and the verdict, for a driver 3–5 m away.

A driver reads it through a windscreen, from the seat, without stopping for long: two rows,
nothing else. On top the plate as the camera read it, white on a plate's blue; below it the
verdict's ✓, ✗ or ! and its word, on the verdict's colour (the people lane's, ui.theme). Each
row's characters are drawn as large as the row allows, up to ``INK_MM`` of ink: 30 arcmin at
4 m. The 7" panel (154 × 92 mm) has 92 mm of height for the status bar and both rows and 154 mm
of width for seven plate characters beside nothing, or a verdict mark beside its word: the
plate gets 28 mm of ink, "请通行" 29 mm and a four-character word ("不能通行") 25 mm, 30 arcmin
at 2.8–3.3 m. A 10" panel (``[ui] panel_mm`` = 217) reaches the full 35 mm for all of them
(tests/test_ui_driver.py measures the ink). The reason is for the guard, on the guard's pages
and in the log: from the seat the driver needs the verdict, and the guard comes to the window.
"""

from __future__ import annotations

import math
from functools import cache

import pygame

from kiosk.view import KioskView, Stage
from ui import banner, chrome, layout, resident, strings, theme
from ui.canvas import Action, Canvas
from ui.fonts import FontBook
from ui.icons import draw_stage_icon
from ui.linebreak import clean
from ui.state import UiState

__all__ = ["INK_MM", "draw", "ink_mm", "words_for"]

INK_MM = 2 * 4000 * math.tan(math.radians(0.25))  # 30 arcmin at 4 m: 34.9 mm
PLATE_BLUE = (16, 58, 150)  # the ordinary plate's blue, under white characters
REFERENCE_GLYPH = "京"  # a plate's province character: the tallest ink on the plate


def draw(canvas: Canvas, view: KioskView, state: UiState, open_guard: Action) -> None:
    """The whole car gate screen, with the guard button in the status bar."""
    bar, main = layout.take_top(canvas.surface.get_rect(), chrome.bar_height(canvas))
    canvas.fill(main, theme.STAGE_BACKGROUND[view.stage])
    alarms = bool(banner.open_alarms(view.alarms))
    room = chrome.status_bar(canvas, bar, view, state, open_guard, facts=not alarms)
    banner.draw(canvas, room, view.alarms, state.language)
    pad = canvas.u(6)
    main = main.inflate(-2 * pad, -2 * pad)
    plate_row, verdict_row = layout.rows(main, 2, pad)
    ink = theme.stage_ink(view.stage)
    headline, hint = words_for(view, state.language)
    if view.plate is None:
        big_line(canvas, plate_row, headline, ink)
        big_line(canvas, verdict_row, hint, ink)
        return
    canvas.fill(plate_row, PLATE_BLUE, canvas.u(10))
    big_line(canvas, plate_row.inflate(-2 * pad, -pad), view.plate, theme.WHITE)
    _verdict(canvas, verdict_row, view.stage, headline, ink)


def words_for(view: KioskView, language: str) -> tuple[str, str]:
    """The verdict word (or what to do while waiting) and the line under it, without marks."""
    if view.stage is Stage.IDLE:
        words = strings.DRIVER_IDLE[language]
        return clean(words.title), clean(words.hint)
    msg = resident.message(view, language)
    return clean(msg.headline), clean(msg.hint)


def _verdict(canvas: Canvas, box: pygame.Rect, stage: Stage, word: str, ink: theme.Colour) -> None:
    if stage not in resident.VERDICT_STAGES:
        big_line(canvas, box, word, ink)
        return
    gap = canvas.u(16)
    icon, words = layout.cols(box, (box.height, box.width - box.height - gap), gap)
    draw_stage_icon(canvas.surface, stage, icon)
    big_line(canvas, words, word, ink)


def big_line(canvas: Canvas, box: pygame.Rect, words: str, colour: theme.Colour) -> pygame.Rect:
    """``words`` on one line, centred in ``box``: as large as fits, up to ``INK_MM`` of ink."""
    cap = round(INK_MM / canvas.mm_per_px / _ink_ratio(canvas.fonts))
    size = _largest(canvas.fonts, words, box.width, box.height, cap)
    glyphs = canvas.fonts.render(words, size, colour)
    at = glyphs.get_rect(center=box.center)
    canvas.surface.blit(glyphs, at)
    return at


def _largest(fonts: FontBook, words: str, width: int, height: int, cap: int) -> int:
    """The largest font size (at most ``cap``) at which ``words`` fit one line of the box."""
    low, high = 8, max(8, cap)
    while low < high:
        mid = (low + high + 1) // 2
        font = fonts.font(mid)
        fits = font.size(words)[0] <= width and font.get_height() <= height
        low, high = (mid, high) if fits else (low, mid - 1)
    return low


@cache
def _ink_ratio(fonts: FontBook) -> float:
    """How tall a Han character's ink is per pixel of font size, in this font."""
    return ink_px(fonts, REFERENCE_GLYPH, 200) / 200


def ink_px(fonts: FontBook, words: str, size: int) -> int:
    """Rows of ink of ``words`` drawn at ``size``."""
    glyphs = fonts.font(size).render(words, True, theme.WHITE)
    rects = pygame.mask.from_surface(glyphs, 96).get_bounding_rects()
    return max((r.bottom for r in rects), default=0) - min((r.top for r in rects), default=0)


def ink_mm(canvas: Canvas, words: str, size: int) -> float:
    """Height of ``words``' ink at ``size`` on this canvas's panel, in millimetres."""
    return ink_px(canvas.fonts, words, size) * canvas.mm_per_px
