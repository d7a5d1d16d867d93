"""One frame being drawn: the surface, its scale, the touch targets on it and a record of its text.

Screens draw through a ``Canvas`` so that every button they draw is also a touch target and
every text they draw is laid out in its box at the size of its role (and recorded, so tests
can check nothing overflows, nothing is too small and every text stands out from what is
under it). Sizes are relative: ``u`` is one unit of the 800×480 panel, so a layout made for it
scales to 1024×600, 1280×720 and 1080×1920 portrait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pygame

from kiosk.view import Command
from ui import theme
from ui.fonts import FontBook
from ui.linebreak import clean, has_han
from ui.theme import Colour, Text

Action = Callable[[], Command | None]
Align = Literal["left", "center", "right"]
MIN_TARGET_U = 60  # about 9 mm on the 7" 800×480 panel: big enough for a gloved finger
REFERENCE_MM_PER_PX = 0.1925  # the 7" 800×480 panel the text roles are sized on
PANEL_MM = 154.0  # its picture's width
# The roles are sized on Han ink: in WenQuanYi Micro Hei (the font setup.sh installs) "请通行"
# is 90 px tall at a 100 px font, Latin capitals and ascenders ("Hd") 77 px. A resident line
# without Chinese is drawn this much larger to stand as tall on the glass
# (``tests/test_ui_reading_distance.py`` measures the ink of the installed font).
LATIN_SCALE = 90 / 77


@dataclass(frozen=True, slots=True)
class Button:
    """A touch target: where it is, what it says and what a touch does."""

    rect: pygame.Rect
    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class TextRecord:
    """One text drawn in a frame: its box, the area the glyphs took and whether it was cut.

    ``lines`` are the lines as broken; ``under`` is the darkest and lightest colour found
    under the glyphs before they were drawn (only when the canvas ``audits``).
    """

    text: str
    box: pygame.Rect
    drawn: pygame.Rect
    size: int
    clipped: bool
    role: Text
    colour: Colour
    lines: tuple[str, ...]
    under: tuple[Colour, ...] = ()


@dataclass
class Canvas:
    """A surface plus what was drawn on it this frame."""

    surface: pygame.Surface
    fonts: FontBook
    buttons: list[Button] = field(default_factory=list)
    texts: list[TextRecord] = field(default_factory=list)
    audits: bool = False  # record the colours under each text (tests; costs time per frame)
    panel_mm: float = PANEL_MM  # the width of the picture on the glass, for physical text sizes

    @property
    def width(self) -> int:
        return self.surface.get_width()

    @property
    def height(self) -> int:
        return self.surface.get_height()

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    def u(self, units: float) -> int:
        """``units`` of the 800×480 panel, in pixels of this screen.

        One unit is 1/480 of the height of a landscape screen; a portrait screen is as many
        units wide as the 800-pixel panel, so lines hold as many words on both.
        """
        return round(units * min(self.width * 480 / 800, self.height) / 480)

    @property
    def mm_per_px(self) -> float:
        return self.panel_mm / self.width

    def px(self, role: Text, words: str = "") -> int:
        """The font size of ``role`` for ``words`` here: scaled with the screen like everything
        else; a line a resident reads is never physically smaller than on the 7" panel it was
        sized on, and Latin words are scaled up to the ink height of Chinese ones."""
        if role not in theme.RESIDENT_ROLES:
            return self.u(role.px)
        nominal = role.px if has_han(words) else role.px * LATIN_SCALE
        physical = nominal * REFERENCE_MM_PER_PX / self.mm_per_px
        return max(self.u(nominal), round(physical))

    def measure(self, words: str, role: Text) -> int:
        """How wide ``words`` are on one line at the size of ``role``."""
        return int(self.fonts.font(self.px(role, words)).size(clean(words))[0])

    def height_of(self, words: str, width: int, role: Text, lines: int) -> int:
        """How tall ``words`` are when laid out in ``width`` on at most ``lines`` lines."""
        fit = self.fonts.fit(words, width, 1 << 16, self.px(role, words), lines)
        return fit.line_height * len(fit.lines)

    def reset(self) -> None:
        """Forget the previous frame's targets and text."""
        self.buttons.clear()
        self.texts.clear()

    def fill(self, rect: pygame.Rect, colour: Colour, radius: int = 0) -> None:
        pygame.draw.rect(self.surface, colour, rect, border_radius=radius)

    def text(
        self,
        words: str,
        box: pygame.Rect,
        colour: Colour = theme.WHITE,
        *,
        role: Text = Text.BODY,
        lines: int = 1,
        align: Align = "center",
    ) -> pygame.Rect:
        """Draw ``words`` at the size of ``role`` in ``box``, on up to ``lines`` lines, centred
        vertically; what does not fit ends in "…" and is recorded as clipped."""
        fit = self.fonts.fit(words, box.width, box.height, self.px(role, words), lines)
        total_h = fit.line_height * len(fit.lines)
        y = box.top + (box.height - total_h) // 2
        drawn = pygame.Rect(box.centerx, y, 0, 0)
        placed = []
        for line in fit.lines:
            glyphs = self.fonts.render(line, fit.size, colour)
            at = glyphs.get_rect(top=y)
            setattr(at, _edge(align), getattr(box, _edge(align)))
            placed.append((glyphs, at))
            drawn = drawn.union(at) if drawn.width else at
            y += fit.line_height
        under = self._colours_under(drawn) if self.audits else ()
        for glyphs, at in placed:
            self.surface.blit(glyphs, at)
        self.texts.append(
            TextRecord(
                words, box.copy(), drawn, fit.size, fit.clipped, role, colour, fit.lines, under
            )
        )
        return drawn

    def _colours_under(self, area: pygame.Rect) -> tuple[Colour, ...]:
        """The darkest and the lightest pixel under ``area`` (by WCAG luminance)."""
        area = area.clip(self.surface.get_rect())
        if not area.width or not area.height:
            return ()
        pixels = pygame.surfarray.pixels3d(self.surface.subsurface(area)).reshape(-1, 3)
        weights = _LINEAR[pixels] @ np.array([0.2126, 0.7152, 0.0722])
        darkest, lightest = pixels[int(weights.argmin())], pixels[int(weights.argmax())]
        return tuple((int(c[0]), int(c[1]), int(c[2])) for c in (darkest, lightest))

    def button(
        self,
        rect: pygame.Rect,
        label: str,
        action: Action | None,
        *,
        colour: Colour = theme.PANEL_HI,
        text_colour: Colour = theme.WHITE,
        selected: bool = False,
        role: Text = Text.BUTTON,
        lines: int = 1,
    ) -> None:
        """Draw a button; a touch on it runs ``action`` (None: drawn greyed out, not a target)."""
        fill = theme.ACCENT if selected else colour if action is not None else theme.DISABLED
        radius = self.u(8)
        self.fill(rect, fill, radius)
        if selected:
            pygame.draw.rect(
                self.surface, theme.WHITE, rect, width=max(2, self.u(3)), border_radius=radius
            )
        pad = self.u(4)
        inner = rect.inflate(-2 * pad, -2 * pad)
        self.text(
            label,
            inner,
            text_colour if action is not None else theme.DISABLED_TEXT,
            role=role,
            lines=lines,
        )
        if action is not None:
            self.buttons.append(Button(rect.copy(), label, action))

    def hit(self, pos: tuple[int, int]) -> Button | None:
        """The topmost target under ``pos`` (the one drawn last), if any."""
        for target in reversed(self.buttons):
            if target.rect.collidepoint(pos):
                return target
        return None


# Linear light of each 8-bit sRGB channel value, for the audit's luminance of every pixel.
_LINEAR = np.array([theme.luminance((v, 0, 0)) / 0.2126 for v in range(256)])


def _edge(align: Align) -> str:
    return {"left": "left", "center": "centerx", "right": "right"}[align]
