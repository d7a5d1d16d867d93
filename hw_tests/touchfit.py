"""From taps on the panel's corners to the `[ui] rotation` and `touch_matrix` that fit them.

Pure arithmetic, no screen: the touchscreen check collects the taps, this works out what they
mean. Positions are normalised (0..1 across the panel, in the panel's native axes); a "raw"
position is what the touch controller reported, before any calibration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ui.mounting import IDENTITY, ROTATIONS, turn

__all__ = ["Fit", "fit_matrix", "proposal", "rotation_seen", "tidy"]

Point = tuple[float, float]
SNAP = 0.03  # a fitted entry this close to 0, 1 or -1 is that number (a finger is not a pin)


@dataclass(frozen=True, slots=True)
class Fit:
    """The calibration matrix that takes raw taps to where they were aimed, and how well."""

    matrix: tuple[float, ...]
    worst: float  # the largest distance (normalised) between a corrected tap and its target


def fit_matrix(raw: Sequence[Point], aimed: Sequence[Point]) -> Fit:
    """The affine matrix [a, b, c, d, e, f] mapping each raw tap nearest to its aimed point
    (least squares over at least three taps)."""
    if len(raw) != len(aimed) or len(raw) < 3:
        raise ValueError(f"need 3 or more taps with a target each, got {len(raw)}/{len(aimed)}")
    design = np.array([(x, y, 1.0) for x, y in raw])
    wanted = np.array(aimed, dtype=float)
    (a, d), (b, e), (c, f) = np.linalg.lstsq(design, wanted, rcond=None)[0]
    matrix = tidy((a, b, c, d, e, f))
    corrected = design @ np.array(matrix).reshape(2, 3).T
    return Fit(matrix, float(np.max(np.hypot(*(corrected - wanted).T))))


def tidy(matrix: Sequence[float]) -> tuple[float, ...]:
    """Round to 4 places; when the matrix is only a swap or mirror of the axes (every entry
    within SNAP of 0, 1 or -1 after a mirror's 1), snap it to that exact matrix."""
    exact = tuple(float(round(v)) for v in matrix)
    if all(abs(v - e) <= SNAP for v, e in zip(matrix, exact, strict=True)) and _is_symmetry(exact):
        return tuple(v + 0.0 for v in exact)  # + 0.0: no "-0.0" in a proposal
    return tuple(round(float(v), 4) + 0.0 for v in matrix)


def _is_symmetry(m: Sequence[float]) -> bool:
    """Axes swapped and/or mirrored within the unit square, nothing else."""
    a, b, c, d, e, f = m
    linear_ok = {abs(a), abs(b)} == {0.0, 1.0} and {abs(d), abs(e)} == {0.0, 1.0}
    offsets_ok = c == (1.0 if a + b < 0 else 0.0) and f == (1.0 if d + e < 0 else 0.0)
    return linear_ok and abs(a * e - b * d) == 1.0 and offsets_ok


def rotation_seen(top_left: Point) -> int:
    """The rotation under which the panel point ``top_left`` (corrected) is the viewer's top
    left: whichever rotation turns it nearest the logical top-left corner."""
    return min(ROTATIONS, key=lambda r: sum(v * v for v in turn(top_left, r)))


def proposal(rotation: int, matrix: Sequence[float]) -> str:
    """The lines to paste into the kiosk's TOML file."""
    numbers = ", ".join(f"{v:g}" for v in matrix)
    lines = ["[ui]", f"rotation = {rotation}"]
    lines.append(f"touch_matrix = [{numbers}]" + ("  # none" if tuple(matrix) == IDENTITY else ""))
    return "\n".join(lines)
