"""Finding a font that draws Chinese, and laying text out in boxes at one size.

Text is never clipped silently: ``FontBook.fit`` wraps the text at the size of its role onto
at most ``max_lines`` lines; when it still does not fit, the last line ends in "…" and the fit
says so, so tests catch it. Text is never shrunk to fit: one role, one size.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, TypeVar

import pygame

from kiosk.exc import FontMissing
from ui.linebreak import clean, units

T = TypeVar("T")

KNOWN_CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian fonts-noto-cjk
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),  # Arch, Fedora
)
ELLIPSIS = "…"


@lru_cache(maxsize=1)
def find_cjk_font() -> Path:
    """The path of an installed font that can draw Chinese; FontMissing says what to install."""
    for path in KNOWN_CJK_FONTS:
        if path.is_file():
            return path
    found = _fc_match()
    if found is not None:
        return found
    raise FontMissing(
        "no font that can draw Chinese is installed; install one with "
        "'sudo apt install fonts-wqy-microhei' (looked in "
        + ", ".join(str(p) for p in KNOWN_CJK_FONTS)
        + " and asked fc-match)"
    )


def _fc_match() -> Path | None:
    """Ask fontconfig for a font covering zh-cn; None when it has none (it falls back to Latin)."""
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{lang}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, langs = out.partition("\n")
    covers = any(lang in ("zh-cn", "zh") for lang in langs.split("|"))
    return Path(file) if file and covers and Path(file).is_file() else None


class Fit(NamedTuple):
    """Where a text fits: font size, its lines and whether it had to be cut short."""

    size: int
    lines: tuple[str, ...]
    line_height: int
    clipped: bool


def wrap(words: str, width: int, measure: pygame.font.Font) -> list[str]:
    """Greedy wrapping at the breaks ``ui.linebreak`` allows (Latin words stay whole)."""
    lines: list[str] = []
    line = ""
    for token in units(words):
        trial = line + token
        if line and measure.size(trial.rstrip())[0] > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = trial
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def balanced_wrap(words: str, width: int, measure: pygame.font.Font) -> list[str]:
    """Wrap onto as few lines as greedy wrapping needs, but with lines of similar length.

    Avoids a lone last character ("...或联系保" / "安") by finding the narrowest width that
    still needs no more lines.
    """
    lines = wrap(words, width, measure)
    if len(lines) < 2:
        return lines
    lo, hi = width // len(lines), width
    while hi - lo > 2:
        mid = (lo + hi) // 2
        if len(wrap(words, mid, measure)) <= len(lines):
            hi = mid
        else:
            lo = mid
    return wrap(words, hi, measure)


def missing_glyphs(font: pygame.font.Font, words: str) -> set[str]:
    """Characters of ``words`` that ``font`` draws as its 'missing glyph' box (tofu)."""
    tofu = _pixels(font, "\uffff")
    return {ch for ch in set(clean(words)) if not ch.isspace() and _pixels(font, ch) == tofu}


def _pixels(font: pygame.font.Font, ch: str) -> tuple[tuple[int, int], bytes]:
    glyph = font.render(ch, True, (255, 255, 255), (0, 0, 0))
    return glyph.get_size(), pygame.image.tobytes(glyph, "RGB")


class FontBook:
    """Fonts of one face by pixel size, with a cache of fits and rendered text."""

    def __init__(self, path: Path | None = None, cache_size: int = 768) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.path = path or find_cjk_font()
        self._fonts: dict[int, pygame.font.Font] = {}
        self._fits: OrderedDict[tuple[object, ...], Fit] = OrderedDict()
        self._renders: OrderedDict[tuple[object, ...], pygame.Surface] = OrderedDict()
        self._cache_size = cache_size

    def font(self, size: int) -> pygame.font.Font:
        """The face at ``size`` pixels (at least 6)."""
        size = max(6, int(size))
        if size not in self._fonts:
            self._fonts[size] = pygame.font.Font(str(self.path), size)
        return self._fonts[size]

    def fit(self, words: str, width: int, height: int, size: int, max_lines: int) -> Fit:
        """``words`` at ``size`` wrapped onto at most ``max_lines`` lines of ``width``."""
        key = (words, width, height, size, max_lines)
        fit = self._fits.get(key)
        if fit is None:
            fit = self._layout(words, width, height, size, max_lines)
            _remember(self._fits, key, fit, self._cache_size)
        return fit

    def _layout(self, words: str, width: int, height: int, size: int, max_lines: int) -> Fit:
        font = self.font(size)
        line_h = font.get_linesize()
        room = max(1, min(max_lines, height // line_h))
        lines = balanced_wrap(words, width, font) if room > 1 else [clean(words)]
        if len(lines) <= room and all(font.size(line)[0] <= width for line in lines):
            return Fit(size, tuple(lines), line_h, clipped=False)
        if room > 1 and len(lines) > room:
            lines = wrap(words, width, font)  # greedy: as much as possible before the cut
        kept = lines[:room] if room > 1 else [clean(words)]
        kept[-1] = _shorten(kept[-1], width, font)
        return Fit(size, tuple(kept), line_h, clipped=True)

    def render(self, line: str, size: int, colour: tuple[int, int, int]) -> pygame.Surface:
        """One line of anti-aliased text, cached (redraws of an unchanged screen cost a blit)."""
        key = (line, size, colour)
        surface = self._renders.get(key)
        if surface is None:
            surface = self.font(size).render(line, True, colour)
            _remember(self._renders, key, surface, self._cache_size)
        else:
            self._renders.move_to_end(key)
        return surface


def _shorten(line: str, width: int, font: pygame.font.Font) -> str:
    """``line`` cut short with an ellipsis so that it fits ``width``."""
    line = line.rstrip()
    while line and font.size(line + ELLIPSIS)[0] > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS


def _remember(
    cache: OrderedDict[tuple[object, ...], T], key: tuple[object, ...], value: T, limit: int
) -> None:
    """Put ``value`` in a bounded least-recently-used cache."""
    cache[key] = value
    if len(cache) > limit:
        cache.popitem(last=False)
