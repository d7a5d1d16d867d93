"""On-screen numeric keypads and a paged list: big keys for gloved fingers, no hover."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pygame

from kiosk.view import Command
from ui import layout, theme
from ui.canvas import Action, Canvas
from ui.state import BACKSPACE

PIN_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", BACKSPACE, "0", "OK")
PHONE_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "0", BACKSPACE)


def keypad(
    canvas: Canvas,
    box: pygame.Rect,
    keys: Sequence[str],
    press: Callable[[str], Command | None],
    labels: dict[str, str] | None = None,
    enabled: Callable[[str], bool] = lambda _key: True,
) -> None:
    """A 3-column grid of keys; ``press(key)`` runs on a touch and may return a command."""
    labels = labels or {}
    n_rows = -(-len(keys) // 3)
    for cell, key in zip(layout.grid(box, n_rows, 3, canvas.u(6)), keys, strict=False):
        action = _bind(press, key) if enabled(key) else None
        colour = theme.GREEN if key == "OK" else theme.PANEL_HI
        canvas.button(cell, labels.get(key, key), action, colour=colour)


def _bind(press: Callable[[str], Command | None], key: str) -> Action:
    return lambda: press(key)


def paged_rows(
    canvas: Canvas,
    box: pygame.Rect,
    count: int,
    row_h: int,
    first: int,
    scroll: Callable[[int], None],
) -> tuple[list[pygame.Rect], int]:
    """Rows for a list that may be longer than ``box``; draws ▲/▼ buttons when it is.

    Returns the row rectangles to fill and the index of the first item shown (clamped).
    """
    gap = canvas.u(6)
    fit = max(1, (box.height + gap) // (row_h + gap))
    if count > fit:
        box, arrows = layout.cols(box, (box.width - canvas.u(76), canvas.u(70)), gap)
        up, down = layout.rows(arrows, 2, gap)
        first = max(0, min(first, count - fit))
        canvas.button(up, "▲", _scroll(scroll, first - fit) if first > 0 else None)
        canvas.button(down, "▼", _scroll(scroll, first + fit) if first + fit < count else None)
    else:
        first = 0
    shown = min(fit, count - first)
    cells = [
        pygame.Rect(box.left, box.top + i * (row_h + gap), box.width, row_h) for i in range(shown)
    ]
    return cells, first


def _scroll(scroll: Callable[[int], None], to: int) -> Action:
    def action() -> None:
        scroll(max(0, to))

    return action
