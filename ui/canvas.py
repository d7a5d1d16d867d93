"""One frame being drawn: the surface, its scale, the touch targets on it and a record of its text.

Screens draw through a ``Canvas`` so that every button they draw is also a touch target and
every text they draw is fitted to its box (and recorded, so tests can check nothing overflows).
Sizes are relative: ``u`` is one unit of a 480-pixel short side, so a layout made for the
800×480 panel scales to 1024×600, 1280×720 and 1080×1920 portrait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pygame

from kiosk.view import Command
from ui import theme
from ui.fonts import FontBook
from ui.theme import Colour

Action = Callable[[], Command | None]
Align = Literal["left", "center", "right"]
MIN_TARGET_U = 60  # about 9 mm on the 7" 800×480 panel: big enough for a gloved finger


@dataclass(frozen=True, slots=True)
class Button:
    """A touch target: where it is, what it says and what a touch does."""

    rect: pygame.Rect
    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class TextRecord:
    """One text drawn in a frame: its box, the area the glyphs took and whether it was cut."""

    text: str
    box: pygame.Rect
    drawn: pygame.Rect
    size: int
    clipped: bool


@dataclass
class Canvas:
    """A surface plus what was drawn on it this frame."""

    surface: pygame.Surface
    fonts: FontBook
    buttons: list[Button] = field(default_factory=list)
    texts: list[TextRecord] = field(default_factory=list)

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
        """``units`` of a 480-pixel short side, in pixels of this screen."""
        return round(units * min(self.width, self.height) / 480)

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
        max_px: int | None = None,
        min_px: int | None = None,
        lines: int = 1,
        align: Align = "center",
    ) -> pygame.Rect:
        """Draw ``words`` as large as fits ``box`` (up to ``max_px``), vertically centred."""
        max_px = max_px or box.height
        min_px = min_px or self.u(13)
        fit = self.fonts.fit(words, box.width, box.height, max_px, min(min_px, max_px), lines)
        total_h = fit.line_height * len(fit.lines)
        y = box.top + (box.height - total_h) // 2
        drawn = pygame.Rect(box.centerx, y, 0, 0)
        for line in fit.lines:
            glyphs = self.fonts.render(line, fit.size, colour)
            at = glyphs.get_rect(top=y)
            setattr(at, _edge(align), getattr(box, _edge(align)))
            self.surface.blit(glyphs, at)
            drawn = drawn.union(at) if drawn.width else at
            y += fit.line_height
        self.texts.append(TextRecord(words, box.copy(), drawn, fit.size, fit.clipped))
        return drawn

    def button(
        self,
        rect: pygame.Rect,
        label: str,
        action: Action | None,
        *,
        colour: Colour = theme.PANEL_HI,
        text_colour: Colour = theme.WHITE,
        selected: bool = False,
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
        pad = self.u(6)
        inner = rect.inflate(-2 * pad, -2 * pad)
        self.text(
            label,
            inner,
            text_colour if action is not None else theme.MUTED,
            max_px=min(inner.height, self.u(30)),
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


def _edge(align: Align) -> str:
    return {"left": "left", "center": "centerx", "right": "right"}[align]
