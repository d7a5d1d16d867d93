"""A new door or fever alarm flashes a frame round the screen for a few seconds, then only the
neutral notice stays; an alarm of another class, or one already seen, does not flash."""

from __future__ import annotations

from dataclasses import replace

import pygame

from kiosk.view import AlarmCode
from ui import samples, theme
from ui.flash import FLASH_HZ, FLASH_S
from ui.screen import Screen

EDGE = (2, 240)  # a pixel of the frame, left edge, mid height


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def rig() -> tuple[samples.FakeKiosk, Screen, Clock]:
    kiosk = samples.FakeKiosk()
    clock = Clock()
    screen = Screen(kiosk, pygame.Surface((800, 480)), clock=clock)
    return kiosk, screen, clock


def framed(screen: Screen) -> bool:
    screen.update()
    screen.draw()
    return screen.canvas.surface.get_at(EDGE)[:3] == theme.BANNER


def test_a_forced_door_flashes_the_frame_for_a_few_seconds() -> None:
    kiosk, screen, clock = rig()
    assert not framed(screen)
    kiosk.publish(alarms=(samples.door_alarm(),))
    assert framed(screen)  # at once
    clock.t += 0.5 / FLASH_HZ  # the off half of the blink
    assert not framed(screen)
    assert screen.update()  # still flashing: the screen keeps redrawing
    clock.t += 0.5 / FLASH_HZ
    assert framed(screen)
    clock.t += FLASH_S
    assert not framed(screen)
    screen.draw()
    assert not screen.update()  # flash over: an idle screen costs nothing again


def test_a_fever_flashes_and_a_flagged_pass_does_not() -> None:
    kiosk, screen, clock = rig()
    flagged = replace(samples.alarm_of(AlarmCode.CHECK_PERSON), alarm_id="a-person")
    kiosk.publish(alarms=(flagged,))
    assert not framed(screen)
    fever = replace(samples.alarm_of(AlarmCode.FEVER), alarm_id="a-fever")
    kiosk.publish(alarms=(flagged, fever))
    assert framed(screen)
    clock.t += FLASH_S + 0.1
    kiosk.publish(alarms=(flagged, fever))  # still open, already seen: quiet
    assert not framed(screen)
