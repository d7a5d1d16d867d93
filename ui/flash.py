"""A new door or fever alarm flashes a thick frame round the screen for ``FLASH_S``, so a guard
across the booth sees that something new happened (the notice line alone looks the same for
an alarm raised a minute ago and one open for hours). Later alarms of other classes and old
ones do not flash: loud once, then quiet."""

from __future__ import annotations

import pygame

from kiosk.view import Alarm, AlarmClass
from ui import theme
from ui.canvas import Canvas

FLASH_S = 5.0
FLASH_HZ = 2.0  # frame on and off twice a second
FRAME_U = 14
FLASHING = frozenset({AlarmClass.DOOR, AlarmClass.HEALTH})


class Flash:
    """When this screen first saw each open door or fever alarm, by the screen's clock."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def update(self, alarms: tuple[Alarm, ...], now: float) -> None:
        open_ids = {a.alarm_id for a in alarms if not a.acknowledged and a.kind in FLASHING}
        self._seen = {i: t for i, t in self._seen.items() if i in open_ids}
        for alarm_id in open_ids - self._seen.keys():
            self._seen[alarm_id] = now

    def active(self, now: float) -> bool:
        """Whether a frame is flashing now (the screen must keep redrawing)."""
        return any(now - t < FLASH_S for t in self._seen.values())

    def lit(self, now: float) -> bool:
        """Whether the frame is drawn in this half-period."""
        if not self.active(now):
            return False
        newest = max(self._seen.values())
        return int((now - newest) * FLASH_HZ * 2) % 2 == 0

    def draw(self, canvas: Canvas, now: float) -> None:
        if self.lit(now):
            width = canvas.u(FRAME_U)
            rect = canvas.surface.get_rect()
            pygame.draw.rect(canvas.surface, theme.BANNER, rect, width=width)
            inner = rect.inflate(-2 * width, -2 * width)
            pygame.draw.rect(canvas.surface, theme.BANNER_INK, inner, width=max(2, width // 4))
