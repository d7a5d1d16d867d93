"""The resident screen: one big message a person can read from a metre and a half away.

Status bar on top, then the alarm banner while any alarm is open, then two columns: on the
left the viewfinder (idle), the person's card (a decision) or a pictogram; on the right a
small line, the headline and the instruction, each at the one size of its role.
"""

from __future__ import annotations

from typing import NamedTuple

import pygame

from kiosk.model import Reason
from kiosk.view import KioskView, Prompt, Stage
from ui import banner, chrome, layout, strings, theme, viewfinder
from ui.canvas import Action, Canvas
from ui.icons import draw_sensor_arrow, draw_stage_icon
from ui.person import draw_card
from ui.state import UiState
from ui.theme import Text
from ui.viewfinder import GreyFrame

VIEWFINDER_STAGES = frozenset({Stage.IDLE, Stage.READING})
FEVER_REASONS = frozenset({Reason.FEVER, Reason.REMEASURE})
LEFT_SHARE = 0.34  # the person's card
VIEWFINDER_SHARE = 0.42  # the camera picture: big enough to aim a phone by


class Message(NamedTuple):
    """What the resident reads: a small line above, the headline and what to do now."""

    kicker: str
    headline: str
    hint: str


def message(view: KioskView, language: str) -> Message:
    """Turn the kiosk's stage and reason code into words."""
    stage = strings.stage_words(language, view.stage)
    reason = strings.reason_words(language, view.reason)
    if view.prompt is not None:
        asked = strings.prompt_words(language, view.prompt, view.countdown_s)
        kicker = stage.title if view.stage is Stage.DENIED else ""
        return Message(kicker, asked.title, asked.hint)
    if view.stage is Stage.DENIED:
        return Message(stage.title, reason.title, reason.hint)
    if view.stage is Stage.OPEN:
        note = _open_note(view.reason, reason, language)
        if view.countdown_s is not None:
            note = " · ".join(filter(None, (note, _open_for(language, view.countdown_s))))
        return Message("", stage.title, note)
    if view.stage is Stage.GUARD:
        return Message(
            reason.title if view.reason is not Reason.OK else "", stage.title, stage.hint
        )
    if view.stage is Stage.REMEASURE:
        return Message(
            "", reason.title if view.reason is Reason.REMEASURE else stage.title, stage.hint
        )
    if view.stage in VIEWFINDER_STAGES and view.aim is not None:
        return Message("", stage.title, strings.aim_words(language, view.aim))
    return Message("", stage.title, stage.hint)


def _open_for(language: str, seconds: int) -> str:
    return strings.OPEN_FOR[language].format(n=seconds)


def _open_note(reason: Reason, words: strings.Words, language: str) -> str:
    """Under a green "please go through": why it was opened, or a reminder (health watch)."""
    if reason is Reason.OK:
        return ""
    if reason is Reason.MONITORED:
        return words.hint
    return words.title


def draw(
    canvas: Canvas,
    view: KioskView,
    state: UiState,
    open_guard: Action,
    frame: GreyFrame | None = None,
    *,
    sensor_side: str = "right",
    switch_language: Action | None = None,
) -> None:
    """The whole resident screen, with the guard button in the status bar; while the kiosk
    asks to come closer, an arrow at the edge where the thermometer sits."""
    bar, rest = layout.take_top(canvas.surface.get_rect(), chrome.bar_height(canvas))
    alarms, main = layout.take_top(rest, banner.height(canvas, view.alarms))
    canvas.fill(main, theme.STAGE_BACKGROUND[view.stage])
    idle = view.stage is Stage.IDLE and view.prompt is None
    chrome.status_bar(canvas, bar, view, state, open_guard, switch_language if idle else None)
    banner.draw(canvas, alarms, view.alarms, state.language)
    pad = canvas.u(8)
    main = main.inflate(-2 * pad, -2 * pad)
    if view.prompt is Prompt.CLOSER:
        main = draw_sensor_arrow(canvas, main, sensor_side)
    share = VIEWFINDER_SHARE if shows_viewfinder(view) else LEFT_SHARE
    left, words = layout.side_by_side(main, share, canvas.u(14))
    _draw_left(canvas, left, view, state.language, frame)
    _draw_words(canvas, words, message(view, state.language))


def _draw_left(
    canvas: Canvas, box: pygame.Rect, view: KioskView, language: str, frame: GreyFrame | None
) -> None:
    if shows_viewfinder(view):
        viewfinder.draw(canvas, box, frame, view.aim)
    elif view.person is not None:
        canvas.fill(box.inflate(canvas.u(8), canvas.u(8)), _card_colour(view), canvas.u(12))
        fever = view.reason in FEVER_REASONS
        draw_card(canvas, box, view.person, view.temperature_c, fever, language)
        # The verdict's pictogram as a badge on the card's corner, for those who cannot read.
        side = canvas.u(64)
        badge = pygame.Rect(box.right - side, box.top, side, side)
        draw_stage_icon(canvas.surface, view.stage, badge)
    else:
        side = min(box.width, box.height)
        draw_stage_icon(
            canvas.surface, view.stage, box.inflate(side - box.width, side - box.height)
        )


def shows_viewfinder(view: KioskView) -> bool:
    """Idle or reading with nobody identified yet: the left column shows the camera."""
    return view.stage in VIEWFINDER_STAGES and view.person is None


def _card_colour(view: KioskView) -> theme.Colour:
    return theme.shade(theme.STAGE_BACKGROUND[view.stage], 0.6)


def _draw_words(canvas: Canvas, box: pygame.Rect, msg: Message) -> None:
    """Kicker, headline and instruction stacked from the top, each as tall as its lines."""
    gap = canvas.u(8)
    blocks = [
        (msg.kicker, Text.KICKER, 1),
        (msg.headline, Text.HEADLINE, 2),
        (msg.hint, Text.INSTRUCTION, 2),
    ]
    heights = [
        canvas.height_of(words, box.width, role, lines) if words else 0
        for words, role, lines in blocks
    ]
    spare = box.height - sum(heights) - gap * (len(heights) - 1)
    top = box.top + max(0, spare) // 3
    for (words, role, lines), height in zip(blocks, heights, strict=True):
        if words:
            area = pygame.Rect(box.left, top, box.width, min(height, box.bottom - top))
            canvas.text(words, area, role=role, lines=lines, align="left")
            top += height + gap
