"""A plate's background colour, measured in the frame, as a check on what the text says.

The recogniser sees characters, not colours: it can read a black embassy plate's "使888181" as
"皖888181", which the grammar turns into the ordinary plate 皖B88181. An ordinary plate is blue
or yellow, never black, so that read is dropped. When the colour cannot be told (a camera
that has switched to black-and-white infrared at night, a grey blur) every format is allowed.
"""

from __future__ import annotations

import numpy as np

from kiosk.plates.formats import PlateColour

__all__ = ["compatible", "plate_colour"]

# What a measured background may be, for each colour a format allows.
_SEEN_AS: dict[PlateColour, frozenset[PlateColour]] = {
    PlateColour.BLUE: frozenset({PlateColour.BLUE}),
    PlateColour.YELLOW: frozenset({PlateColour.YELLOW}),
    # white at the top, green below; a large new-energy plate is yellow and green
    PlateColour.GREEN: frozenset({PlateColour.GREEN, PlateColour.WHITE}),
    PlateColour.YELLOW_GREEN: frozenset({PlateColour.GREEN, PlateColour.YELLOW}),
    PlateColour.WHITE: frozenset({PlateColour.WHITE}),
    PlateColour.BLACK: frozenset({PlateColour.BLACK}),
}
_HUES = ((PlateColour.YELLOW, 30, 65), (PlateColour.GREEN, 85, 170), (PlateColour.BLUE, 200, 250))
_MIN_SATURATION = 0.3  # below it a pixel is grey, white or black
_MIN_SHARE = 0.4  # a colour must cover this share of the band to count


def plate_colour(rgb: np.ndarray) -> PlateColour | None:
    """The background colour of the plate filling ``rgb`` ((h, w, 3) uint8), or None if unsure."""
    pixels = rgb.reshape(-1, 3).astype(np.float32) / 255
    if len(pixels) < 16:
        return None
    high, low = pixels.max(axis=1), pixels.min(axis=1)
    saturation = np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0)
    coloured = (saturation >= _MIN_SATURATION) & (high >= 0.12)
    hue = _hue_degrees(pixels, high, low)
    for colour, lo, hi in _HUES:
        if np.mean(coloured & (hue >= lo) & (hue < hi)) >= _MIN_SHARE:
            return colour
    grey = ~coloured
    if np.mean(grey & (high < 0.3)) >= _MIN_SHARE:
        return PlateColour.BLACK
    if np.mean(grey & (low > 0.6)) >= _MIN_SHARE:
        return PlateColour.WHITE
    return None


def compatible(allowed: tuple[PlateColour, ...], measured: PlateColour | None) -> bool:
    """Whether a plate that may be ``allowed`` colours can look ``measured`` (None: unknown)."""
    return measured is None or any(measured in _SEEN_AS[colour] for colour in allowed)


def _hue_degrees(pixels: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    r, g, b = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    span = np.maximum(high - low, 1e-6)
    hue = np.where(
        high == r, (g - b) / span % 6, np.where(high == g, (b - r) / span + 2, (r - g) / span + 4)
    )
    return hue * 60
