"""The car gate's screen, measured on the rendered ink: the plate and the verdict word as large
as the panel allows, never over 30 arcmin at 4 m (ui.driver.INK_MM); on a 10" panel both reach
it, on the 7" they get what two rows under the status bar leave."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from kiosk.model import Reason, Verdict
from kiosk.view import KioskView, Stage
from ui import driver, strings
from ui.render import still_screen

PLATE = "京A12345"
VERDICTS = [
    (Stage.OPEN, Verdict.ALLOW, Reason.OK),
    (Stage.DENIED, Verdict.DENY, Reason.VEHICLE_WINDOW),
    (Stage.GUARD, Verdict.GUARD, Reason.VEHICLE_UNKNOWN),
]
# Millimetres of ink each panel gives the plate and the verdict word (measured; see ui.driver).
FLOOR_MM = {154.0: 24.5, 217.0: 34.5}


def shot(view: KioskView, panel_mm: float, language: str = "zh-CN") -> np.ndarray:
    screen = still_screen(view, (800, 480), language)
    screen.canvas.panel_mm = panel_mm
    screen.draw()
    return pygame.surfarray.array3d(screen.canvas.surface).transpose(1, 0, 2)


def ink_rows_mm(mask: np.ndarray, panel_mm: float) -> float:
    rows = np.flatnonzero(mask.any(axis=1))
    return 0.0 if rows.size == 0 else (rows[-1] - rows[0] + 1) * panel_mm / 800


def plate_ink_mm(pixels: np.ndarray, panel_mm: float) -> float:
    """White characters on the plate's blue, in the upper half under the status bar."""
    upper = pixels[60:270]
    return ink_rows_mm((upper > 200).all(axis=2), panel_mm)


def verdict_ink_mm(pixels: np.ndarray, panel_mm: float, stage: Stage) -> float:
    """The verdict word right of its mark, in the lower half, in the stage's ink."""
    lower = pixels[275:, 230:].astype(int)
    ink = (
        (lower < 60).all(axis=2)
        if stage in (Stage.OPEN, Stage.GUARD)
        else (lower > 200).all(axis=2)
    )
    return ink_rows_mm(ink, panel_mm)


@pytest.mark.parametrize("panel_mm", sorted(FLOOR_MM))
@pytest.mark.parametrize(("stage", "verdict", "reason"), VERDICTS)
def test_plate_and_verdict_are_as_large_as_the_panel_allows(
    panel_mm: float, stage: Stage, verdict: Verdict, reason: Reason
) -> None:
    view = KioskView(stage=stage, verdict=verdict, reason=reason, vehicle_lane=True, plate=PLATE)
    pixels = shot(view, panel_mm)
    for measured in (plate_ink_mm(pixels, panel_mm), verdict_ink_mm(pixels, panel_mm, stage)):
        assert FLOOR_MM[panel_mm] <= measured <= driver.INK_MM + 0.5


def test_ink_cap_is_30_arcmin_at_4_m() -> None:
    assert pytest.approx(34.9, abs=0.05) == driver.INK_MM


@pytest.mark.parametrize("language", strings.LANGUAGES)
def test_an_idle_car_gate_asks_drivers_to_stop_not_for_a_pass(language: str) -> None:
    view = KioskView(stage=Stage.IDLE, vehicle_lane=True)
    headline, _ = driver.words_for(view, language)
    assert headline == strings.DRIVER_IDLE[language].title.replace(strings.MARK, "")
    assert strings.stage_words(language, Stage.IDLE).title.replace(strings.MARK, "") != headline
