"""The panel as mounted: the kiosk draws upright on a logical surface, turned onto the panel.

SDL's KMS/DRM driver shows the framebuffer as the panel scans it and reports touches in the
panel's own axes, so a panel mounted turned (the Touch Display 2 is a 720×1280 portrait panel,
often mounted landscape; an HDMI panel hung upside down) needs the kiosk to turn its picture
and to turn every touch back the same way. ``rotation`` is how far the panel is mounted turned
clockwise from its native position; the picture is turned as far counter-clockwise.

A touch controller that disagrees with its panel (axes swapped or mirrored, a skewed or
offset glass) is corrected first, by an affine matrix on the touch's normalised coordinates,
as libinput's LIBINPUT_CALIBRATION_MATRIX does: x' = a·x + b·y + c, y' = d·x + e·y + f.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygame

__all__ = ["IDENTITY", "ROTATIONS", "MountedSurface", "Mounting", "turn"]

ROTATIONS = (0, 90, 180, 270)
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

Point = tuple[float, float]


def turn(point: Point, rotation: int) -> Point:
    """A normalised point of the panel (0..1 each way) as seen on the logical screen."""
    s, t = point
    if rotation == 90:
        return 1.0 - t, s
    if rotation == 180:
        return 1.0 - s, 1.0 - t
    if rotation == 270:
        return t, 1.0 - s
    return s, t


def unturn(point: Point, rotation: int) -> Point:
    """The inverse of ``turn``: a normalised logical point where it lies on the panel."""
    return turn(point, (360 - rotation) % 360)


@dataclass(frozen=True, slots=True)
class Mounting:
    """How the panel hangs: its ``rotation`` and the touch controller's calibration matrix."""

    rotation: int = 0
    touch_matrix: tuple[float, ...] = IDENTITY

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, not {self.rotation}")
        if len(self.touch_matrix) != 6:
            raise ValueError(f"touch_matrix needs 6 numbers, not {len(self.touch_matrix)}")

    @property
    def turned(self) -> bool:
        """Whether the picture must be turned at all (0: drawn straight onto the panel)."""
        return self.rotation != 0

    def logical_size(self, panel: tuple[int, int]) -> tuple[int, int]:
        """The upright screen the kiosk lays out, for a panel of ``panel`` pixels."""
        width, height = panel
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def calibrate(self, x: float, y: float) -> Point:
        """A touch's normalised position corrected by the calibration matrix."""
        a, b, c, d, e, f = self.touch_matrix
        return a * x + b * y + c, d * x + e * y + f

    def to_logical(self, pos: Sequence[float], panel: tuple[int, int]) -> tuple[int, int]:
        """A pixel of the panel as the pixel of the logical screen drawn there (pixel centres
        are turned, so every panel pixel meets exactly one logical pixel)."""
        width, height = panel
        u, v = turn(((pos[0] + 0.5) / width, (pos[1] + 0.5) / height), self.rotation)
        lw, lh = self.logical_size(panel)
        return _clamp(u * lw, lw), _clamp(v * lh, lh)

    def to_panel(self, pos: Sequence[float], panel: tuple[int, int]) -> tuple[int, int]:
        """A pixel of the logical screen as the panel pixel it is shown on."""
        lw, lh = self.logical_size(panel)
        s, t = unturn(((pos[0] + 0.5) / lw, (pos[1] + 0.5) / lh), self.rotation)
        return _clamp(s * panel[0], panel[0]), _clamp(t * panel[1], panel[1])


def _clamp(value: float, size: int) -> int:
    return min(max(int(value), 0), size - 1)


class MountedSurface:
    """The logical surface the kiosk draws on, and the panel ``area`` it is shown in.

    Unturned, the logical surface is the area itself (no copy); turned, it is an off-screen
    surface of the rotated size that ``present`` turns into the area after each frame.
    """

    def __init__(self, area: pygame.Surface, mounting: Mounting) -> None:
        self.area = area
        self.mounting = mounting
        if mounting.turned:
            size = mounting.logical_size(area.get_size())
            self.surface = pygame.Surface(size, 0, area)  # the area's pixel format: a plain copy
        else:
            self.surface = area

    def present(self) -> None:
        """Show the newest drawing on the panel, turned as mounted."""
        if self.surface is not self.area:
            self.area.blit(pygame.transform.rotate(self.surface, self.mounting.rotation), (0, 0))

    def to_logical(self, window_pos: Sequence[float]) -> tuple[int, int] | None:
        """The logical pixel under a window position, or None outside this area."""
        left, top = self.area.get_abs_offset()
        width, height = self.area.get_size()
        x, y = window_pos[0] - left, window_pos[1] - top
        if not (0 <= x < width and 0 <= y < height):
            return None
        return self.mounting.to_logical((x, y), (width, height))
