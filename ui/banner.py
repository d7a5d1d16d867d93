"""The alarm banner across the top of every screen: one row per open alarm, in a colour no
stage uses, until the guard acknowledges it. It says what, where, since when and who."""

from __future__ import annotations

import pygame

from kiosk.view import ALARM_URGENCY, Alarm, AlarmClass
from ui import layout, strings, theme
from ui.canvas import Canvas
from ui.theme import Text

MAX_ROWS = 3  # more open alarms than this: the last row counts the rest
ROW_U = 40


_URGENCY = {kind: i for i, kind in enumerate(ALARM_URGENCY)}


def by_urgency(alarm: Alarm) -> tuple[int, float]:
    """Sort key: most urgent class first, then newest first (the banner and the guard's page)."""
    return _URGENCY[alarm.kind], -alarm.raised_at.timestamp()


def open_alarms(alarms: tuple[Alarm, ...]) -> list[Alarm]:
    """Unacknowledged alarms, most urgent class first, then newest first."""
    return sorted((a for a in alarms if not a.acknowledged), key=by_urgency)


def height(canvas: Canvas, alarms: tuple[Alarm, ...]) -> int:
    """How tall the banner is for these alarms (0 when none is open)."""
    return canvas.u(ROW_U) * min(MAX_ROWS, len(open_alarms(alarms)))


def draw(canvas: Canvas, box: pygame.Rect, alarms: tuple[Alarm, ...], language: str) -> None:
    """One row per open alarm in ``box`` (``height`` tall); the last row may count the rest."""
    waiting = open_alarms(alarms)
    if not waiting:
        return
    canvas.fill(box, theme.ALARM)
    rows = layout.rows(box, min(MAX_ROWS, len(waiting)))
    shown = waiting if len(waiting) <= MAX_ROWS else waiting[: MAX_ROWS - 1]
    for row, alarm in zip(rows, shown, strict=False):
        _row(canvas, row, alarm, language)
    if len(waiting) > MAX_ROWS:
        rest = waiting[MAX_ROWS - 1 :]
        words = strings.text(language, "more_alarms", n=len(rest))
        titles = "、" if language == "zh-CN" else ", "
        words += ("：" if language == "zh-CN" else ": ") + titles.join(
            strings.alarm_title(language, a.reason) for a in rest
        )
        _frame(canvas, rows[-1])
        canvas.text(words, _inner(canvas, rows[-1]), role=Text.BANNER, align="left")


def line(alarm: Alarm, language: str) -> tuple[str, str]:
    """What and who (left), where and since when (right)."""
    what = strings.alarm_title(language, alarm.reason)
    if alarm.kind is AlarmClass.HEALTH and alarm.value:
        what += f" {alarm.value} °C"
    if alarm.person is not None:
        what += f"  {alarm.person.masked_name} {alarm.person.household_id}"
    since = strings.text(language, "alarm_since", t=alarm.raised_at.astimezone().strftime("%H:%M"))
    return what, " · ".join(p for p in (alarm.place, since) if p)


def _row(canvas: Canvas, row: pygame.Rect, alarm: Alarm, language: str) -> None:
    _frame(canvas, row)
    what, where = line(alarm, language)
    inner = _inner(canvas, row)
    width = canvas.measure(where, Text.BANNER) + canvas.u(8)
    left, right = layout.cols(inner, (inner.width - width, width))
    canvas.text(what, left, role=Text.BANNER, align="left")
    canvas.text(where, right, role=Text.BANNER, align="right")


def _frame(canvas: Canvas, row: pygame.Rect) -> None:
    """A yellow edge and a warning sign at the left of a row, a thin line under it."""
    edge = pygame.Rect(row.left, row.top, canvas.u(10), row.height)
    canvas.fill(edge, theme.ALARM_EDGE)
    side = row.height - canvas.u(12)
    sign = pygame.Rect(0, 0, side, side)
    sign.midleft = (edge.right + canvas.u(8), row.centery)
    points = [sign.midtop, sign.bottomright, sign.bottomleft]
    pygame.draw.polygon(canvas.surface, theme.ALARM_EDGE, points)
    bar = pygame.Rect(0, 0, max(2, side // 8), side // 2)
    bar.midtop = (sign.centerx, sign.top + side // 3)
    canvas.fill(bar, theme.ALARM)
    pygame.draw.line(
        canvas.surface, theme.shade(theme.ALARM, 0.6), row.bottomleft, row.bottomright, 1
    )


def _inner(canvas: Canvas, row: pygame.Rect) -> pygame.Rect:
    left = canvas.u(10) + canvas.u(8) + row.height - canvas.u(12) + canvas.u(10)
    return pygame.Rect(row.left + left, row.top, row.width - left - canvas.u(10), row.height)
