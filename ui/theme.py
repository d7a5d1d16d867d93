"""Screen colours and text sizes: green means pass, red means stop, amber means wait.

The three verdict screens differ in lightness as well as hue, so they are told apart in
greyscale and by someone who cannot tell red from green: pass is a light green with dark
text, the guard's screen a middle amber with dark text, a refusal a dark red with white text
(CIE L* about 85, 57 and 29; ``tests/test_ui_verdict_colours.py`` measures them also through
Machado's protanopia and deuteranopia simulations).

Every colour that carries text is chosen so that its text reaches the WCAG AA contrast of
4.5:1 (``contrast``); the screen tests measure it on every drawn frame. Text comes in a few
roles, each with one size, so the same kind of line looks the same on every screen.
"""

from __future__ import annotations

from enum import Enum

from kiosk.view import Stage

Colour = tuple[int, int, int]

AA_CONTRAST = 4.5  # WCAG 2.x level AA for normal text

WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)
INK: Colour = (24, 28, 36)
MUTED: Colour = (170, 178, 192)  # secondary text on the dark panels
PANEL: Colour = (34, 40, 52)
PANEL_HI: Colour = (52, 62, 80)
BAR: Colour = (18, 22, 30)
ACCENT: Colour = (37, 108, 200)
GREEN: Colour = (19, 125, 58)  # white text on it: 5.1:1
RED: Colour = (196, 30, 30)  # white text on it: 5.8:1
AMBER: Colour = (240, 170, 40)  # text colour on dark bars, never a background for white text
ORANGE: Colour = (178, 78, 14)  # white text on it: 5.1:1
GREY: Colour = (84, 92, 106)
DISABLED: Colour = (64, 70, 82)
DISABLED_TEXT: Colour = (190, 196, 206)
# Status words on the dark bar: lighter than the backgrounds of the same meaning.
GREEN_TEXT: Colour = (80, 200, 120)
RED_TEXT: Colour = (255, 130, 125)
AMBER_TEXT: Colour = AMBER
ALARM: Colour = (176, 0, 24)  # alarm rows on the guard's page: white on it 7.1:1
ALARM_EDGE: Colour = (255, 214, 0)
BANNER: Colour = ALARM_EDGE  # "the guard has been told": hazard yellow, never a stage colour
BANNER_INK: Colour = INK
PASS_BG: Colour = (150, 232, 160)  # light green; dark ink on it 11.7:1
GUARD_BG: Colour = (205, 112, 12)  # middle amber; black on it 5.8:1
REFUSE_BG: Colour = (140, 16, 24)  # dark red; white on it 9.5:1

STAGE_BACKGROUND: dict[Stage, Colour] = {
    Stage.IDLE: (22, 50, 92),
    Stage.READING: (28, 80, 140),
    Stage.MEASURING: (140, 92, 8),
    Stage.REMEASURE: (150, 86, 6),
    Stage.OPEN: PASS_BG,
    Stage.DENIED: REFUSE_BG,
    Stage.GUARD: GUARD_BG,
    Stage.COOLDOWN: (60, 66, 80),
}

# Text and pictogram colours on each stage's background: dark on the light ones.
LIGHT_STAGES = frozenset({Stage.OPEN, Stage.GUARD})


def stage_ink(stage: Stage) -> Colour:
    """The colour of words drawn straight on ``stage``'s background."""
    return BLACK if stage in LIGHT_STAGES else WHITE


RISK_COLOUR: dict[str, Colour] = {
    "red": (220, 30, 30),
    "orange": (245, 130, 20),
    "yellow": (245, 210, 40),
    "green": (40, 180, 80),
    "white": (245, 245, 245),
}


class Text(Enum):
    """A role of text and its one size, in units of a 480-pixel short side (``Canvas.u``)."""

    # Resident lines, sized by their rendered ink on the 7" panel (0.1925 mm/px) read from
    # 1.5 m: the verdict word ≥ 13 mm (30 arcmin), what to do ≥ 8.7 mm (20 arcmin), nothing a
    # resident reads under 6 mm (``tests/test_ui_reading_distance.py`` measures the ink).
    # The sizes are for Chinese; a line in Latin letters is drawn larger (``Canvas.px``).
    HEADLINE = 76  # "please pass", "no entry"
    INSTRUCTION = 52  # what to do now: the line a resident must read
    KICKER = 36  # the small line above the headline, or the reason under a verdict
    READING = 44  # the temperature
    NAME = 32  # the masked name on a person card
    CARD = 26  # flat, colour, role on a person card
    BANNER = 36  # "the guard has been told" on the main screen
    TITLE = 32  # a guard page's heading or "nothing here"
    BUTTON = 28  # button labels, tabs
    KEY = 36  # keypad keys
    BODY = 24  # list rows, labels, the guard's status strip
    STATUS = 24  # the status bar

    @property
    def px(self) -> int:
        return int(self.value)


# What a resident reads from 1.5 m (the card and the status bar are for the guard beside it).
RESIDENT_ROLES = frozenset({Text.HEADLINE, Text.INSTRUCTION, Text.KICKER, Text.BANNER})


def shade(colour: Colour, factor: float) -> Colour:
    """``colour`` darkened (factor < 1) or lightened (factor > 1), clamped to 0..255."""
    r, g, b = (min(255, max(0, round(c * factor))) for c in colour)
    return (r, g, b)


def luminance(colour: Colour) -> float:
    """WCAG relative luminance of an sRGB colour (0 black .. 1 white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: Colour, b: Colour) -> float:
    """WCAG contrast ratio of two colours, 1.0 (same) .. 21.0 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
