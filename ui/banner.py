"""The alarm notice on the resident screen: one neutral "已通知保安" in the status bar, in
place of the kiosk's state, while any alarm is open (it takes no room from the verdict).

The resident screen faces the queue, so it never says who, which flat or what temperature:
those are on the guard's alarm page. The line's colour is the alarm colour, which no stage
uses (not the refusal's), so a guard across the booth tells "an alarm is open" from "someone
was refused". A new door or fever alarm also flashes the frame (``ui.flash``).
"""

from __future__ import annotations

import pygame

from kiosk.view import ALARM_URGENCY, Alarm
from ui import strings, theme
from ui.canvas import Canvas
from ui.theme import Text

_URGENCY = {kind: i for i, kind in enumerate(ALARM_URGENCY)}


def by_urgency(alarm: Alarm) -> tuple[int, float]:
    """Sort key: most urgent class first, then newest first (the guard's alarm page)."""
    return _URGENCY[alarm.kind], -alarm.raised_at.timestamp()


def open_alarms(alarms: tuple[Alarm, ...]) -> list[Alarm]:
    """Unacknowledged alarms, most urgent class first, then newest first."""
    return sorted((a for a in alarms if not a.acknowledged), key=by_urgency)


def draw(canvas: Canvas, box: pygame.Rect, alarms: tuple[Alarm, ...], language: str) -> None:
    """The one neutral line in ``box`` (``width`` wide) while any alarm is open."""
    if not open_alarms(alarms):
        return
    canvas.fill(box, theme.BANNER)
    _sign(canvas, box)
    words = strings.text(language, "guard_notified")
    inner = pygame.Rect(box.left + _indent(canvas, box.height), box.top, 0, box.height)
    inner.width = box.right - inner.left
    canvas.text(words, inner, theme.BANNER_INK, role=Text.BANNER, align="left")


def _sign(canvas: Canvas, row: pygame.Rect) -> None:
    """A dark edge and a warning sign at the left of the row."""
    edge = pygame.Rect(row.left, row.top, canvas.u(10), row.height)
    canvas.fill(edge, theme.BANNER_INK)
    side = row.height - canvas.u(12)
    sign = pygame.Rect(0, 0, side, side)
    sign.midleft = (edge.right + canvas.u(8), row.centery)
    pygame.draw.polygon(
        canvas.surface, theme.BANNER_INK, [sign.midtop, sign.bottomright, sign.bottomleft]
    )
    bar = pygame.Rect(0, 0, max(2, side // 8), side // 2)
    bar.midtop = (sign.centerx, sign.top + side // 3)
    canvas.fill(bar, theme.BANNER)


def _indent(canvas: Canvas, height: int) -> int:
    """Room for the edge and the sign before the words."""
    return canvas.u(10) + canvas.u(8) + height - canvas.u(12) + canvas.u(10)
