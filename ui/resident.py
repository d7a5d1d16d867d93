"""The resident screen: one big message a person can read from a metre and a half away.

Status bar on top (the alarm notice takes its facts' place while any alarm is open), then two
columns: on the
left the viewfinder (idle), the person's card (a decision) or a pictogram; on the right a
small line, the headline and the instruction, each at the one size of its role.

A verdict (pass, refusal, the guard) is seen before it is read: its ✓, ✗ or ! is as large as
the room allows (half the screen's height on 800×480 when no alarm is open) with the verdict
word beside it as the headline, then why, then what to do. When a word on two lines would
leave no room for those, the mark gets smaller and the word stays on one line.
"""

from __future__ import annotations

from typing import NamedTuple

import pygame

from kiosk.model import Reason
from kiosk.view import KioskView, Prompt, Stage
from ui import banner, chrome, layout, strings, theme, viewfinder
from ui.canvas import Action, Canvas
from ui.icons import draw_sensor_arrow, draw_stage_icon
from ui.linebreak import units
from ui.person import draw_card
from ui.state import UiState
from ui.theme import Text
from ui.viewfinder import GreyFrame

VIEWFINDER_STAGES = frozenset({Stage.IDLE, Stage.READING})
VERDICT_STAGES = frozenset({Stage.OPEN, Stage.DENIED, Stage.GUARD})
VERDICT_ICON_U = 240  # half the 480-unit height
FEVER_REASONS = frozenset({Reason.FEVER, Reason.REMEASURE})
LEFT_SHARE = 0.34  # the person's card
VIEWFINDER_SHARE = 0.42  # the camera picture: big enough to aim a phone by


class Message(NamedTuple):
    """What the resident reads: the headline, a smaller line (above it, or on a verdict screen
    the reason below it) and what to do now."""

    kicker: str
    headline: str
    hint: str


def message(view: KioskView, language: str) -> Message:
    """Turn the kiosk's stage and reason code into words."""
    stage = strings.stage_words(language, view.stage)
    reason = strings.reason_words(language, view.reason)
    if view.prompt is not None:
        asked = strings.prompt_words(language, view.prompt, view.countdown_s)
        if view.stage in (Stage.DENIED, Stage.GUARD):  # the verdict word stays the headline
            return Message(asked.title, stage.title, asked.hint)
        return Message("", asked.title, asked.hint)
    if view.stage is Stage.DENIED:
        return Message(reason.title, stage.title, reason.hint)
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
    bar, main = layout.take_top(canvas.surface.get_rect(), chrome.bar_height(canvas))
    canvas.fill(main, theme.STAGE_BACKGROUND[view.stage])
    alarms = bool(banner.open_alarms(view.alarms))
    idle = view.stage is Stage.IDLE and view.prompt is None
    room = chrome.status_bar(
        canvas, bar, view, state, open_guard, switch_language if idle else None, facts=not alarms
    )
    banner.draw(canvas, room, view.alarms, state.language)
    pad = canvas.u(8)
    main = main.inflate(-2 * pad, -2 * pad)
    if view.prompt is Prompt.CLOSER:
        main = draw_sensor_arrow(canvas, main, sensor_side)
    msg = message(view, state.language)
    if view.stage in VERDICT_STAGES and view.person is None:
        _draw_verdict(canvas, main, view.stage, msg)  # nothing for the left column: all of it
        return
    share = VIEWFINDER_SHARE if shows_viewfinder(view) else LEFT_SHARE
    left, words = layout.side_by_side(main, share, canvas.u(14))
    _draw_left(canvas, left, view, state.language, frame)
    if view.stage in VERDICT_STAGES:
        _draw_verdict(canvas, words, view.stage, msg)
    else:
        _draw_words(canvas, words, msg, theme.stage_ink(view.stage))


def _draw_left(
    canvas: Canvas, box: pygame.Rect, view: KioskView, language: str, frame: GreyFrame | None
) -> None:
    if shows_viewfinder(view):
        viewfinder.draw(canvas, box, frame, view.aim)
    elif view.person is not None:
        canvas.fill(box.inflate(canvas.u(8), canvas.u(8)), _card_colour(view), canvas.u(12))
        fever = view.reason in FEVER_REASONS
        draw_card(canvas, box, view.person, view.temperature_c, fever, language)
    else:
        side = min(box.width, box.height)
        draw_stage_icon(
            canvas.surface, view.stage, box.inflate(side - box.width, side - box.height)
        )


def shows_viewfinder(view: KioskView) -> bool:
    """Idle or reading with nobody identified yet: the left column shows the camera."""
    return view.stage in VIEWFINDER_STAGES and view.person is None


def _card_colour(view: KioskView) -> theme.Colour:
    """A dark plate under the card's white (and a visitor's amber) words, darker still on
    the light stages."""
    factor = 0.3 if view.stage in theme.LIGHT_STAGES else 0.6
    return theme.shade(theme.STAGE_BACKGROUND[view.stage], factor)


Block = tuple[str, Text, int]  # words, role, at most this many lines


def _draw_words(canvas: Canvas, box: pygame.Rect, msg: Message, ink: theme.Colour) -> None:
    """Kicker, headline and instruction stacked from the top, each as tall as its lines."""
    blocks = [
        (msg.kicker, Text.KICKER, 1),
        (msg.headline, Text.HEADLINE, 2),
        (msg.hint, Text.INSTRUCTION, 2),
    ]
    spare = box.height - _stack_height(canvas, box.width, blocks)
    _stack(canvas, box, blocks, box.top + max(0, spare) // 3, ink)


def _draw_verdict(canvas: Canvas, box: pygame.Rect, stage: Stage, msg: Message) -> None:
    """The verdict's mark with its word beside it, then why and what to do."""
    ink = theme.stage_ink(stage)
    below = [(msg.kicker, Text.KICKER, 2), (msg.hint, Text.INSTRUCTION, 2)]
    room = box.height - _stack_height(canvas, box.width, below) - canvas.u(8)
    gap = canvas.u(16)
    side, tall = _verdict_row(canvas, box.width, msg.headline, room, gap)
    words_w = box.width - side - gap
    top_row, rest = layout.take_top(box, tall)
    icon, headline = layout.cols(top_row, (side, words_w), gap)
    draw_stage_icon(canvas.surface, stage, icon)
    canvas.text(msg.headline, headline, ink, role=Text.HEADLINE, lines=2, align="left")
    _stack(canvas, rest, below, rest.top + canvas.u(8), ink)


def _verdict_row(canvas: Canvas, width: int, word: str, room: int, gap: int) -> tuple[int, int]:
    """The mark's side and the row's height: the largest mark with the word beside it (on two
    lines if it must); when two lines would push what to do off the screen, a smaller mark
    and the word on one line."""
    widest = max(canvas.measure(unit.strip(), Text.HEADLINE) for unit in units(word))
    side = max(canvas.u(96), min(canvas.u(VERDICT_ICON_U), room, width - gap - widest - 2))
    tall = max(side, canvas.height_of(word, width - side - gap, Text.HEADLINE, 2))
    one_line = width - gap - canvas.measure(word, Text.HEADLINE) - 2
    if tall > room and one_line >= canvas.u(96):
        side = min(canvas.u(VERDICT_ICON_U), room, one_line)
        tall = max(side, canvas.height_of(word, width - side - gap, Text.HEADLINE, 1))
    return side, tall


def _stack_height(canvas: Canvas, width: int, blocks: list[Block]) -> int:
    gap = canvas.u(8)
    heights = [canvas.height_of(w, width, role, n) + gap for w, role, n in blocks if w]
    return sum(heights) - gap if heights else 0


def _stack(
    canvas: Canvas, box: pygame.Rect, blocks: list[Block], top: int, ink: theme.Colour
) -> None:
    """``blocks`` one under the other from ``top``, each as tall as its lines."""
    for words, role, lines in blocks:
        if words:
            height = canvas.height_of(words, box.width, role, lines)
            area = pygame.Rect(box.left, top, box.width, max(0, min(height, box.bottom - top)))
            canvas.text(words, area, ink, role=role, lines=lines, align="left")
            top += height + canvas.u(8)
