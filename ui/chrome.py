"""Parts every page shares: the status bar, the message toast and value formatting."""

from __future__ import annotations

from datetime import datetime

import pygame

from kiosk.model import Direction
from kiosk.view import KioskView
from ui import layout, strings, theme
from ui.canvas import Action, Canvas
from ui.state import UiState
from ui.theme import Text


def temperature(celsius: float | None) -> str:
    """36.5 °C, or empty when there is no reading."""
    return "" if celsius is None else f"{celsius:.1f} °C"


def clock_time(at: datetime) -> str:
    """Local wall time of an event, HH:MM:SS."""
    return at.astimezone().strftime("%H:%M:%S")


def direction_word(language: str, direction: Direction) -> str:
    return strings.text(language, "dir_in" if direction is Direction.IN else "dir_out")


def link_item(view: KioskView, language: str) -> tuple[str, theme.Colour]:
    """Whether the office is reachable: unknown until the first contact since start-up."""
    t = strings.text
    if view.online is None:
        return t(language, "link_unknown"), theme.AMBER_TEXT
    if view.online:
        return t(language, "online"), theme.GREEN_TEXT
    return t(language, "offline"), theme.RED_TEXT


def status_items(view: KioskView, language: str) -> list[tuple[str, theme.Colour]]:
    """Short facts for the status bar, each with its colour (warnings in amber or red).

    The gate relay ("unlocked") and the door contact ("ajar") have words of their own.
    """
    t = strings.text
    items = [link_item(view, language)]
    if view.unsynced_events:
        items.append((t(language, "unsynced", n=view.unsynced_events), theme.AMBER_TEXT))
    if not view.clock_trusted:
        items.append((t(language, "clock_bad"), theme.AMBER_TEXT))
    if view.gate_open:
        items.append((t(language, "gate_open"), theme.GREEN_TEXT))
    if view.door_open:
        items.append((t(language, "door_open"), theme.AMBER_TEXT))
    return items


BAR_U = 64  # room for a 60-pixel guard button at 800×480


def bar_height(canvas: Canvas) -> int:
    return canvas.u(BAR_U)


def status_bar(
    canvas: Canvas,
    box: pygame.Rect,
    view: KioskView,
    state: UiState,
    button: Action | None,
    switch_language: Action | None = None,
    *,
    facts: bool = True,
) -> pygame.Rect:
    """Direction badge, connection and log state; on the right an optional guard button and,
    left of it, an optional button that switches the language ("English" / "中文").

    Without ``facts`` the state is left out (the guard's pages show it) and the caller draws
    in the rectangle returned, where the facts would be."""
    canvas.fill(box, theme.BAR)
    pad = canvas.u(2)
    inner = box.inflate(-2 * pad, -2 * pad)
    if switch_language is not None:
        width = canvas.u(120)
        inner, other = layout.cols(inner, (inner.width - width, width), canvas.u(8))
        canvas.button(other, strings.text(state.language, "other_language"), switch_language)
    if button is not None:  # the guard corner: opens the PIN pad only when held (ui.screen)
        width = canvas.u(170)
        inner, guard = layout.cols(inner, (inner.width - width, width), canvas.u(8))
        left = state.guard_hold_left
        label = "guard_hold" if left is None else "guard_holding"
        canvas.button(
            guard,
            strings.text(state.language, label, n=left),
            button,
            colour=theme.GREY,
            role=Text.STATUS,
        )
    badge_w = canvas.measure(direction_word(state.language, view.direction), Text.STATUS)
    badge, room = layout.cols(
        inner, (badge_w + canvas.u(24), inner.width - badge_w - canvas.u(24)), canvas.u(12)
    )
    canvas.fill(badge, theme.ACCENT, canvas.u(6))
    canvas.text(direction_word(state.language, view.direction), badge, role=Text.STATUS)
    if facts:
        flow(canvas, room, status_items(view, state.language), Text.STATUS)
    return room


def flow(
    canvas: Canvas, box: pygame.Rect, items: list[tuple[str, theme.Colour]], role: Text
) -> None:
    """Items left to right, each as wide as its words; the last takes what room is left."""
    gap = canvas.u(18)
    left = box.left
    for i, (words, colour) in enumerate(items):
        last = i == len(items) - 1
        width = box.right - left if last else canvas.measure(words, role) + canvas.u(2)
        cell = pygame.Rect(left, box.top, max(0, width), box.height)
        canvas.text(words, cell, colour, role=role, align="left")
        left = cell.right + gap


def toast(canvas: Canvas, state: UiState, now: float) -> None:
    """The latest guard-action message along the bottom edge, while it is fresh."""
    if state.toast is None or now >= state.toast.until:
        return
    band = pygame.Rect(0, 0, canvas.width - canvas.u(40), canvas.u(68))
    band.midbottom = (canvas.width // 2, canvas.height - canvas.u(12))
    canvas.fill(band, theme.GREEN if state.toast.ok else theme.RED, canvas.u(10))
    canvas.text(
        state.toast.text, band.inflate(-canvas.u(16), -canvas.u(6)), role=Text.BODY, lines=2
    )
