"""Screen colours: green means pass, red means stop, amber means wait; readable at a metre."""

from __future__ import annotations

from kiosk.view import Stage

Colour = tuple[int, int, int]

WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)
INK: Colour = (24, 28, 36)
MUTED: Colour = (150, 160, 175)
PANEL: Colour = (34, 40, 52)
PANEL_HI: Colour = (52, 62, 80)
BAR: Colour = (18, 22, 30)
ACCENT: Colour = (40, 120, 220)
GREEN: Colour = (22, 150, 70)
RED: Colour = (200, 36, 36)
AMBER: Colour = (230, 150, 20)
ORANGE: Colour = (225, 100, 20)
GREY: Colour = (90, 98, 112)
DISABLED: Colour = (70, 76, 88)

STAGE_BACKGROUND: dict[Stage, Colour] = {
    Stage.IDLE: (22, 50, 92),
    Stage.READING: (28, 80, 140),
    Stage.MEASURING: (160, 105, 10),
    Stage.REMEASURE: (190, 110, 10),
    Stage.OPEN: GREEN,
    Stage.DENIED: RED,
    Stage.GUARD: ORANGE,
    Stage.COOLDOWN: (60, 66, 80),
}

RISK_COLOUR: dict[str, Colour] = {
    "red": RED,
    "orange": ORANGE,
    "yellow": (220, 190, 30),
    "green": GREEN,
    "white": (230, 230, 230),
}


def shade(colour: Colour, factor: float) -> Colour:
    """``colour`` darkened (factor < 1) or lightened (factor > 1), clamped to 0..255."""
    r, g, b = (min(255, max(0, round(c * factor))) for c in colour)
    return (r, g, b)
