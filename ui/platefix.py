"""The car gate's visitor form: the plate it registers, one touch key per character.

The reader misreads look-alike characters (8/B, 0/D/Q, 5/S ...), and a guard at the car's
window sees which. Touching a character turns it into its next look-alike that still makes a
plate (kiosk.plates.formats.next_lookalike); the register button then names the plate as
corrected, and the kiosk registers that one (or decides it, if the office knows it).
"""

from __future__ import annotations

import pygame

from kiosk.plates.formats import next_lookalike
from ui import layout, theme
from ui.canvas import Action, Canvas
from ui.state import UiState

__all__ = ["plate_keys", "plate_to_register"]


def plate_to_register(read: str | None, state: UiState) -> str | None:
    """The plate the form registers: the guard's correction of ``read``, or ``read``."""
    fix = state.plate_fix
    return fix[1] if read is not None and fix is not None and fix[0] == read else read


def plate_keys(canvas: Canvas, box: pygame.Rect, read: str, state: UiState) -> None:
    """The plate's characters as keys; one whose character has a look-alike turns it."""
    plate = plate_to_register(read, state) or read
    gap = canvas.u(4)
    for at, cell in enumerate(layout.cols(box, len(plate), gap)):
        turned = next_lookalike(plate, at)
        action = _turn(state, read, turned) if turned != plate else None
        canvas.button(cell, plate[at], action, colour=theme.PANEL, selected=plate[at] != read[at])


def _turn(state: UiState, read: str, plate: str) -> Action:
    def action() -> None:
        state.plate_fix = (read, plate)

    return action
