"""The idle screen's viewfinder: the camera picture, mirrored like a looking glass, with a
target frame to aim the code at and, when a code is seen but not read, how to hold it.

Drawing a frame costs a subsampled copy, one palette blit and one scale, so the screen stays
within its render budget and the decoder (which reads the same frame) is not held up.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pygame

from kiosk.view import Aim, Stage
from ui import theme
from ui.canvas import Canvas
from ui.icons import draw_stage_icon

GreyFrame = npt.NDArray[np.uint8]
GREYS = [(v, v, v) for v in range(256)]
TARGET_SHARE = 0.62  # the target frame's side, as a share of the picture's short side


@runtime_checkable
class FramePort(Protocol):
    """Where the newest camera frame comes from (``kiosk.machine.Kiosk.frame``)."""

    def frame(self) -> GreyFrame | None: ...


def picture(frame: GreyFrame, box: pygame.Rect) -> pygame.Surface:
    """``frame`` mirrored and scaled to fit ``box`` (aspect kept), as an 8-bit grey surface."""
    height, width = frame.shape
    step = max(1, min(width // max(1, box.width), height // max(1, box.height)))
    small = np.ascontiguousarray(frame[::step, ::-step])
    surface = pygame.image.frombuffer(small.data, (small.shape[1], small.shape[0]), "P")
    surface.set_palette(GREYS)
    scale = min(box.width / surface.get_width(), box.height / surface.get_height())
    size = (round(surface.get_width() * scale), round(surface.get_height() * scale))
    return pygame.transform.scale(surface, size)


def draw(canvas: Canvas, box: pygame.Rect, frame: GreyFrame | None, aim: Aim | None) -> None:
    """The picture (or the QR pictogram without a camera) and the target frame over it."""
    if frame is None or frame.ndim != 2 or not frame.size:
        draw_stage_icon(canvas.surface, Stage.IDLE, box.inflate(-box.width // 6, -box.width // 6))
        return
    shown = picture(frame, box)
    at = shown.get_rect(center=box.center)
    canvas.surface.blit(shown, at)
    _target(canvas, at, theme.AMBER if aim is not None else theme.WHITE)


def _target(canvas: Canvas, picture_at: pygame.Rect, colour: theme.Colour) -> None:
    """Four corner brackets around the middle of the picture, outlined so they show on any scene."""
    side = round(min(picture_at.size) * TARGET_SHARE)
    square = pygame.Rect(0, 0, side, side)
    square.center = picture_at.center
    arm = side // 4
    width = max(3, canvas.u(5))
    for corner, dx, dy in (
        (square.topleft, 1, 1),
        (square.topright, -1, 1),
        (square.bottomleft, 1, -1),
        (square.bottomright, -1, -1),
    ):
        x, y = corner
        points = [(x, y + dy * arm), (x, y), (x + dx * arm, y)]
        pygame.draw.lines(canvas.surface, theme.BLACK, False, points, width + canvas.u(4))
        pygame.draw.lines(canvas.surface, colour, False, points, width)
