"""The verdict is seen before it is read: the pass, refusal and guard screens differ in
lightness, so they stay apart in greyscale and for people with protanopia or deuteranopia
(simulated with Machado, Oliveira and Fernandes 2009, severity 1.0), and the ✓/✗/! is large."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pygame
import pytest

from kiosk.model import Reason, Verdict
from kiosk.view import KioskView, Stage
from ui import samples
from ui.render import still_screen
from ui.state import Page

# Machado et al. 2009, "A physiologically-based model for simulation of color vision
# deficiency", severity 1.0; applied to linear RGB.
PROTANOPIA = np.array(
    [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]
)
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
VISIONS = {"greyscale": np.eye(3), "protanopia": PROTANOPIA, "deuteranopia": DEUTERANOPIA}
MIN_DELTA_L = 20.0  # CIE L*: about the step between neighbouring tiles of a grey scale chart


def verdict_views() -> dict[str, KioskView]:
    person = samples.person()
    base = replace(samples.BASE, person=person, temperature_c=36.5)
    return {
        "pass": replace(base, stage=Stage.OPEN, verdict=Verdict.ALLOW),
        "refusal": replace(base, stage=Stage.DENIED, reason=Reason.REVOKED, verdict=Verdict.DENY),
        "guard": replace(
            base, stage=Stage.GUARD, reason=Reason.SENSOR_FAULT, verdict=Verdict.GUARD
        ),
    }


def lightness(pixels: npt.NDArray[np.uint8], vision: npt.NDArray[np.float64]) -> float:
    """The median CIE L* of ``pixels`` (n×3 sRGB) as seen with ``vision``."""
    c = pixels.astype(np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ vision.T, 0, 1)
    y = seen @ np.array([0.2126, 0.7152, 0.0722])
    lstar = np.where(y > 0.008856, 116 * np.cbrt(y) - 16, 903.3 * y)
    return float(np.median(lstar))


def screen_pixels(view: KioskView, language: str) -> npt.NDArray[np.uint8]:
    """Every pixel of the resident screen below the status bar, as drawn."""
    screen = still_screen(view, (800, 480), language, Page.RESIDENT)
    screen.draw()
    pixels = pygame.surfarray.array3d(screen.canvas.surface)[:, 64:, :]
    return pixels.reshape(-1, 3)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("vision", list(VISIONS))
def test_the_three_verdicts_differ_in_lightness(vision: str, language: str) -> None:
    seen = {
        name: lightness(screen_pixels(view, language), VISIONS[vision])
        for name, view in verdict_views().items()
    }
    values = sorted(seen.values())
    steps = [b - a for a, b in itertools.pairwise(values)]
    assert min(steps) >= MIN_DELTA_L, f"{vision}: L* {seen}"


@pytest.mark.parametrize("name", ["pass", "refusal", "guard"])
def test_the_verdict_mark_is_about_half_the_screen_high(name: str) -> None:
    """The ✓/✗/! disc, found as the largest run of its colour down the words column."""
    view = verdict_views()[name]
    screen = still_screen(view, (800, 480), "zh-CN", Page.RESIDENT)
    screen.draw()
    surface = screen.canvas.surface
    background = surface.get_at((790, 470))[:3]
    tallest = 0
    for x in range(300, 560, 4):
        run = 0
        for y in range(64, 480):
            run = run + 1 if surface.get_at((x, y))[:3] != background else 0
            tallest = max(tallest, run)
    assert tallest >= 0.45 * 480, f"the mark is {tallest} px high"
