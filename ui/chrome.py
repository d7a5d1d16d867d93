"""Parts every page shares: the status bar, the message toast and value formatting."""

from __future__ import annotations

from datetime import datetime

import pygame

from kiosk.model import Direction
from kiosk.view import KioskView
from ui import layout, strings, theme
from ui.canvas import Action, Canvas
from ui.state import UiState


def temperature(celsius: float | None) -> str:
    """36.5 °C, or empty when there is no reading."""
    return "" if celsius is None else f"{celsius:.1f} °C"


def clock_time(at: datetime) -> str:
    """Local wall time of an event, HH:MM:SS."""
    return at.astimezone().strftime("%H:%M:%S")


def direction_word(language: str, direction: Direction) -> str:
    return strings.text(language, "dir_in" if direction is Direction.IN else "dir_out")


def status_items(view: KioskView, language: str) -> list[tuple[str, theme.Colour]]:
    """Short facts for the status bar, each with its colour (warnings in amber or red)."""
    t = strings.text
    items = [
        (t(language, "online"), theme.GREEN) if view.online else (t(language, "offline"), theme.RED)
    ]
    if view.unsynced_events:
        items.append((t(language, "unsynced", n=view.unsynced_events), theme.AMBER))
    if not view.clock_trusted:
        items.append((t(language, "clock_bad"), theme.AMBER))
    if view.gate_open:
        items.append((t(language, "gate_open"), theme.GREEN))
    if view.door_open:
        items.append((t(language, "door_open"), theme.AMBER))
    return items


def status_bar(
    canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState, button: Action | None
) -> None:
    """Direction badge, connection and log state; on the right an optional guard button."""
    canvas.fill(box, theme.BAR)
    pad = canvas.u(6)
    inner = box.inflate(-2 * pad, -2 * pad)
    if button is not None:
        inner, guard = layout.cols(inner, (0.8, 0.2), pad)
        canvas.button(guard, strings.text(state.language, "guard"), button)
    badge, facts = layout.cols(inner, (0.12, 0.88), pad)
    canvas.fill(badge, theme.ACCENT, canvas.u(6))
    canvas.text(direction_word(state.language, view.direction), badge.inflate(-pad, -pad))
    items = status_items(view, state.language)
    for cell, (words, colour) in zip(layout.cols(facts, len(items), pad), items, strict=True):
        canvas.text(words, cell.inflate(0, -pad), colour, max_px=canvas.u(22))


def toast(canvas: Canvas, state: UiState, now: float) -> None:
    """The latest guard-action message along the bottom edge, while it is fresh."""
    if state.toast is None or now >= state.toast.until:
        return
    band = pygame.Rect(0, 0, canvas.width - canvas.u(40), canvas.u(56))
    band.midbottom = (canvas.width // 2, canvas.height - canvas.u(12))
    canvas.fill(band, theme.GREEN if state.toast.ok else theme.RED, canvas.u(10))
    canvas.text(state.toast.text, band.inflate(-canvas.u(16), -canvas.u(10)), lines=2)
