"""Readable at 1.5 m, measured on the rendered ink, not on font sizes: on the 7" 800×480 panel
(0.1925 mm/px) the verdict word is at least 13 mm high (30 arcmin), what to do at least 8.7 mm
(20 arcmin) and nothing else a resident reads under 6 mm; a 7" 1280×720 panel gets the same
millimetres, in Chinese and in English (whose lines are drawn larger: Latin ink is about 0.86
of a Han character's at one font size).
Chinese lines break only between the words the string tables mark, or after punctuation,
never inside a word ("通/行证")."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from kiosk.view import Stage
from tests.test_ui_legibility import SIZES, _draw, resident_views
from ui import linebreak, resident, strings
from ui.canvas import TextRecord
from ui.fonts import FontBook
from ui.state import Page
from ui.theme import Text

PANEL_MM = 154.0  # both panels are 7": the picture is 154 mm wide
MIN_MM = {Text.HEADLINE: 13.0, Text.INSTRUCTION: 8.7, Text.KICKER: 6.0, Text.BANNER: 6.0}
VERDICTS = {Stage.OPEN, Stage.DENIED, Stage.GUARD}
_FONTS: list[FontBook] = []


def ink_px(line: str, size: int) -> int:
    """How tall the glyphs of ``line`` are, drawn at ``size``: rows with any ink."""
    if not _FONTS:
        _FONTS.append(FontBook())
    glyphs = _FONTS[0].font(size).render(line, True, (255, 255, 255), (0, 0, 0))
    rows = np.flatnonzero(pygame.surfarray.array3d(glyphs)[:, :, 0].max(axis=0) > 96)
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def ink_mm(text: TextRecord, width_px: int) -> float:
    """The character height of ``text`` as drawn: its tallest line's ink, in millimetres."""
    return max(ink_px(line, text.size) for line in text.lines) * PANEL_MM / width_px


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_resident_lines_are_tall_enough_at_a_metre_and_a_half(
    size: tuple[int, int], language: str
) -> None:
    failures = []
    for name, view in resident_views():
        screen = _draw(view, size, language, Page.RESIDENT)
        msg = resident.message(view, language)
        texts = screen.canvas.texts
        if view.stage in VERDICTS:
            headline = [t for t in texts if t.text == msg.headline and t.role is Text.HEADLINE]
            assert headline, f"{name}: the verdict word is not the headline"
        for text in texts:
            need = MIN_MM.get(text.role)
            if need is not None and ink_mm(text, size[0]) < need:
                failures.append(f"{name}: {text.text!r} {ink_mm(text, size[0]):.1f} mm < {need}")
    assert not failures, "\n".join(failures[:30])


def allowed_breaks(text: str) -> set[int]:
    """Where a line of ``text`` may end (offsets in the text as drawn): at a mark, after
    punctuation or a space."""
    allowed, at = set(), 0
    for ch in text:
        if ch == linebreak.MARK:
            allowed.add(at)
            continue
        at += 1
        if ch in linebreak.CLOSING or ch.isspace():
            allowed.add(at)
    return allowed


def line_ends(lines: tuple[str, ...], drawn: str) -> list[int]:
    """The offsets in ``drawn`` where each line but the last ends."""
    ends, at = [], 0
    for line in lines[:-1]:
        at = drawn.index(line, at) + len(line)
        ends.append(at)
    return ends


@pytest.mark.parametrize("size", SIZES)
def test_chinese_lines_break_only_between_words(size: tuple[int, int]) -> None:
    split = []
    for name, view in resident_views():
        screen = _draw(view, size, "zh-CN", Page.RESIDENT)
        for text in screen.canvas.texts:
            if len(text.lines) < 2 or linebreak.MARK not in text.text:
                continue
            assert not text.clipped, f"{name}: {text.text!r} is cut"
            drawn = linebreak.clean(text.text)
            ok = allowed_breaks(text.text)
            bad = [at for at in line_ends(text.lines, drawn) if at not in ok]
            if bad:
                split.append(f"{name}: {text.lines}")
    assert not split, "\n".join(split[:20])


def test_every_resident_chinese_sentence_carries_its_word_marks() -> None:
    """A Chinese line a resident reads and that may wrap has its words marked."""
    tables = [*strings.REASONS["zh-CN"].values(), *strings.STAGES["zh-CN"].values()]
    unmarked = [
        words
        for pair in tables
        for words in pair
        if len(linebreak.clean(words)) > 4 and linebreak.MARK not in words
    ]
    assert not unmarked, unmarked
