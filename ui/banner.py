"""The alarm line on the resident screen: one neutral "已通知保安" while any alarm is open.

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

ROW_U = 48

_URGENCY = {kind: i for i, kind in enumerate(ALARM_URGENCY)}


def by_urgency(alarm: Alarm) -> tuple[int, float]:
    """Sort key: most urgent class first, then newest first (the guard's alarm page)."""
    return _URGENCY[alarm.kind], -alarm.raised_at.timestamp()


def open_alarms(alarms: tuple[Alarm, ...]) -> list[Alarm]:
    """Unacknowledged alarms, most urgent class first, then newest first."""
    return sorted((a for a in alarms if not a.acknowledged), key=by_urgency)


def height(canvas: Canvas, alarms: tuple[Alarm, ...]) -> int:
    """How tall the banner is for these alarms: one row while any is open, else 0."""
    return canvas.u(ROW_U) if open_alarms(alarms) else 0


def draw(canvas: Canvas, box: pygame.Rect, alarms: tuple[Alarm, ...], language: str) -> None:
    """The one neutral line in ``box`` (``height`` tall) while any alarm is open."""
    if not open_alarms(alarms):
        return
    canvas.fill(box, theme.ALARM)
    _sign(canvas, box)
    canvas.text(strings.text(language, "guard_notified"), _inner(canvas, box), role=Text.BANNER)


def _sign(canvas: Canvas, row: pygame.Rect) -> None:
    """A yellow edge and a warning sign at the left of the row."""
    edge = pygame.Rect(row.left, row.top, canvas.u(10), row.height)
    canvas.fill(edge, theme.ALARM_EDGE)
    side = row.height - canvas.u(12)
    sign = pygame.Rect(0, 0, side, side)
    sign.midleft = (edge.right + canvas.u(8), row.centery)
    pygame.draw.polygon(
        canvas.surface, theme.ALARM_EDGE, [sign.midtop, sign.bottomright, sign.bottomleft]
    )
    bar = pygame.Rect(0, 0, max(2, side // 8), side // 2)
    bar.midtop = (sign.centerx, sign.top + side // 3)
    canvas.fill(bar, theme.ALARM)


def _inner(canvas: Canvas, row: pygame.Rect) -> pygame.Rect:
    left = canvas.u(10) + canvas.u(8) + row.height - canvas.u(12) + canvas.u(10)
    return pygame.Rect(row.left + left, row.top, row.width - 2 * left, row.height)
