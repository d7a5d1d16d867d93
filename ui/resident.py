"""The resident screen: one big message a person can read from a metre away.

Idle prompt, "reading", the temperature while measuring, a large green "please pass" or a red
refusal with its reason in plain words, and the masked name of the pass holder.
"""

from __future__ import annotations

from typing import NamedTuple

import pygame

from kiosk.model import Reason
from kiosk.view import KioskView, Stage
from ui import chrome, layout, strings, theme
from ui.canvas import Action, Canvas
from ui.icons import draw_stage_icon
from ui.state import UiState


class Message(NamedTuple):
    """What the resident reads: a small line above, the headline and a hint below."""

    kicker: str
    headline: str
    hint: str


def message(view: KioskView, language: str) -> Message:
    """Turn the kiosk's stage and reason code into words."""
    stage = strings.stage_words(language, view.stage)
    reason = strings.reason_words(language, view.reason)
    if view.stage is Stage.DENIED:
        return Message(stage.title, reason.title, reason.hint)
    if view.stage is Stage.OPEN:
        return Message("", stage.title, _open_note(view.reason, reason, language))
    if view.stage is Stage.GUARD:
        return Message(
            reason.title if view.reason is not Reason.OK else "", stage.title, stage.hint
        )
    if view.stage is Stage.REMEASURE:
        return Message(
            "", reason.title if view.reason is Reason.REMEASURE else stage.title, stage.hint
        )
    return Message("", stage.title, stage.hint)


def _open_note(reason: Reason, words: strings.Words, language: str) -> str:
    """Under a green "please pass": why it was opened, or a reminder (health monitoring)."""
    if reason is Reason.OK:
        return ""
    if reason is Reason.MONITORED:
        return words.title + ("，" if language == "zh-CN" else ": ") + words.hint
    return words.title


def draw(canvas: Canvas, view: KioskView, state: UiState, open_guard: Action) -> None:
    """The whole resident screen, with the guard button in the status bar."""
    bar, main = layout.take_top(canvas.surface.get_rect(), canvas.u(72))
    canvas.fill(main, theme.STAGE_BACKGROUND[view.stage])
    chrome.status_bar(canvas, bar, view, state, open_guard)
    pad = canvas.u(16)
    main = main.inflate(-2 * pad, -2 * pad)
    icon, words = layout.side_by_side(main, 0.26, pad)
    draw_stage_icon(canvas.surface, view.stage, icon.inflate(-pad, -pad))
    _draw_words(canvas, words, message(view, state.language), view)


def _draw_words(canvas: Canvas, box: pygame.Rect, msg: Message, view: KioskView) -> None:
    kicker, headline, hint, info = layout.rows(box, (0.14, 0.36, 0.22, 0.28), canvas.u(4))
    if msg.kicker:
        canvas.text(msg.kicker, kicker, max_px=canvas.u(40))
    canvas.text(msg.headline, headline, lines=2, max_px=canvas.u(84), min_px=canvas.u(24))
    if msg.hint:
        canvas.text(msg.hint, hint, lines=2, max_px=canvas.u(34), min_px=canvas.u(16))
    _draw_info(canvas, info, view)


def _draw_info(canvas: Canvas, box: pygame.Rect, view: KioskView) -> None:
    """Masked name and temperature side by side (either may be missing)."""
    name = view.person.masked_name if view.person is not None else ""
    reading = chrome.temperature(view.temperature_c)
    parts = [p for p in (name, reading) if p]
    for cell, words in zip(layout.cols(box, len(parts) or 1, canvas.u(8)), parts, strict=False):
        canvas.fill(cell, theme.shade(theme.STAGE_BACKGROUND[view.stage], 0.7), canvas.u(12))
        canvas.text(words, cell.inflate(-canvas.u(12), -canvas.u(8)), max_px=canvas.u(64))
