"""Large, simple pictograms drawn with lines: a tick, a cross, a QR code, a thermometer, a bang.

They repeat the headline for someone who cannot read it from a metre away.
"""

from __future__ import annotations

import pygame

from kiosk.view import Stage
from ui import theme
from ui.canvas import Canvas
from ui.theme import Colour


def draw_stage_icon(surface: pygame.Surface, stage: Stage, box: pygame.Rect) -> None:
    """The pictogram of ``stage`` centred in ``box`` (nothing for stages without one)."""
    side = min(box.width, box.height)
    square = pygame.Rect(0, 0, side, side)
    square.center = box.center
    drawer = _ICONS.get(stage)
    if drawer is not None:
        drawer(surface, square)


# The verdict marks, (disc, mark), chosen against the stage's background (``theme``): a dark
# disc on the light pass green and the amber, a white one on the dark refusal red.
PASS_MARK: tuple[Colour, Colour] = ((16, 92, 40), theme.WHITE)
REFUSE_MARK: tuple[Colour, Colour] = (theme.WHITE, theme.RED)
GUARD_MARK: tuple[Colour, Colour] = (theme.BLACK, theme.GUARD_BG)


SENSOR_ARROW_U = 72  # the band the "come closer" arrow takes at the thermometer's edge


def draw_sensor_arrow(canvas: Canvas, box: pygame.Rect, side: str) -> pygame.Rect:
    """A big arrow in a band along ``box``'s ``side`` (left, right, above, below), pointing
    out of the screen towards the thermometer; returns the rest of ``box``."""
    band, gap = canvas.u(SENSOR_ARROW_U), canvas.u(16)
    arrow, rest = box.copy(), box.copy()
    if side in ("left", "right"):
        arrow.width, rest.width = band, box.width - band - gap
        if side == "right":
            arrow.right = box.right
        else:
            rest.right = box.right
    else:
        arrow.height, rest.height = band, box.height - band - gap
        if side == "below":
            arrow.bottom = box.bottom
        else:
            rest.bottom = box.bottom
    pygame.draw.polygon(canvas.surface, theme.WHITE, _arrow_points(arrow, side))
    return rest


def _arrow_points(box: pygame.Rect, side: str) -> list[tuple[float, float]]:
    """A fat arrow filling ``box``, its head at the ``side`` edge."""
    # Drawn pointing right in a unit square (x along the arrow, y across), then turned.
    unit = [
        (0.0, 0.35),
        (0.55, 0.35),
        (0.55, 0.1),
        (1.0, 0.5),
        (0.55, 0.9),
        (0.55, 0.65),
        (0.0, 0.65),
    ]
    turn = {
        "right": lambda x, y: (x, y),
        "left": lambda x, y: (1 - x, y),
        "below": lambda x, y: (y, x),
        "above": lambda x, y: (y, 1 - x),
    }[side]
    side_len = min(box.width, box.height)
    square = pygame.Rect(0, 0, side_len, side_len)
    square.center = box.center
    return [
        (square.left + u * side_len, square.top + v * side_len)
        for u, v in (turn(x, y) for x, y in unit)
    ]


def _disc(surface: pygame.Surface, box: pygame.Rect, colour: Colour = theme.WHITE) -> int:
    """A disc filling ``box``; returns the stroke width for the mark drawn on it."""
    pygame.draw.circle(surface, colour, box.center, box.width // 2)
    return max(4, box.width // 9)


def _tick(surface: pygame.Surface, box: pygame.Rect) -> None:
    disc, mark = PASS_MARK
    width = _disc(surface, box, disc)
    w, x, y = box.width, box.left, box.top
    points = [
        (x + w * 0.26, y + w * 0.52),
        (x + w * 0.43, y + w * 0.69),
        (x + w * 0.75, y + w * 0.34),
    ]
    pygame.draw.lines(surface, mark, False, points, width)


def _cross(surface: pygame.Surface, box: pygame.Rect) -> None:
    disc, mark = REFUSE_MARK
    width = _disc(surface, box, disc)
    inner = box.inflate(-box.width * 0.56, -box.height * 0.56)
    pygame.draw.line(surface, mark, inner.topleft, inner.bottomright, width)
    pygame.draw.line(surface, mark, inner.topright, inner.bottomleft, width)


def _bang(surface: pygame.Surface, box: pygame.Rect) -> None:
    disc, mark = GUARD_MARK
    width = _disc(surface, box, disc)
    x, w = box.centerx, box.width
    pygame.draw.line(surface, mark, (x, box.top + w * 0.2), (x, box.top + w * 0.6), width)
    pygame.draw.circle(surface, mark, (x, box.top + w * 0.75), width * 0.6)


def _qr(surface: pygame.Surface, box: pygame.Rect) -> None:
    cell = box.width // 7
    for corner in (box.topleft, (box.right - 3 * cell, box.top), (box.left, box.bottom - 3 * cell)):
        outer = pygame.Rect(corner, (3 * cell, 3 * cell))
        pygame.draw.rect(surface, theme.WHITE, outer, width=max(2, cell // 2))
        pygame.draw.rect(surface, theme.WHITE, outer.inflate(-cell * 1.6, -cell * 1.6))
    for i, j in ((4, 4), (5, 5), (4, 6), (6, 4), (6, 6), (5, 3)):
        pygame.draw.rect(
            surface, theme.WHITE, (box.left + i * cell, box.top + j * cell, cell * 0.8, cell * 0.8)
        )


def _thermometer(surface: pygame.Surface, box: pygame.Rect) -> None:
    w = box.width
    tube = pygame.Rect(0, 0, w * 0.22, w * 0.7)
    tube.midtop = (box.centerx, box.top + round(w * 0.02))
    pygame.draw.rect(surface, theme.WHITE, tube, border_radius=tube.width // 2)
    pygame.draw.circle(surface, theme.WHITE, (box.centerx, box.top + w * 0.78), w * 0.2)
    pygame.draw.circle(surface, theme.RED, (box.centerx, box.top + w * 0.78), w * 0.13)
    mercury = tube.inflate(-tube.width * 0.5, -tube.height * 0.3).move(0, tube.height * 0.15)
    pygame.draw.rect(surface, theme.RED, mercury)


_ICONS = {
    Stage.IDLE: _qr,
    Stage.READING: _qr,
    Stage.MEASURING: _thermometer,
    Stage.REMEASURE: _thermometer,
    Stage.OPEN: _tick,
    Stage.DENIED: _cross,
    Stage.GUARD: _bang,
}
