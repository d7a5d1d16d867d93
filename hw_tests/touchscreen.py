"""Touchscreen check: five targets appear one by one (corners and centre); tap each.

    python -m hw_tests.touchscreen [--sim] [--timeout S]

A tap far from the target usually means the touch panel is rotated against the display.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from hw_tests.harness import Options, Person, wait_until
from hw_tests.rig import Rig

RADIUS = 40
INSET = 60


def targets(width: int, height: int) -> list[tuple[int, int]]:
    """Four corners (inset) and the centre, in tapping order."""
    return [(INSET, INSET), (width - INSET, INSET), (width - INSET, height - INSET),
            (INSET, height - INSET), (width // 2, height // 2)]


class Screen:
    """A full-screen pygame surface showing one target at a time and collecting taps."""

    def __init__(self, pygame: Any, width: int, height: int, fullscreen: bool) -> None:
        self.pg = pygame
        pygame.display.init()
        flags = pygame.FULLSCREEN if fullscreen else 0
        self.surface = pygame.display.set_mode((width, height), flags)
        self.width, self.height = self.surface.get_size()
        self.taps: list[tuple[int, int]] = []

    def show(self, target: tuple[int, int]) -> None:
        self.surface.fill((0, 0, 0))
        self.pg.draw.circle(self.surface, (255, 255, 255), target, RADIUS, 4)
        self.pg.draw.circle(self.surface, (255, 60, 60), target, 6)
        self.pg.display.flip()
        self.pg.event.clear()

    def tap(self, target: tuple[int, int]) -> None:
        """Post the event a finger on ``target`` makes (for --sim)."""
        x, y = target
        self.pg.event.post(self.pg.event.Event(
            self.pg.FINGERDOWN, touch_id=0, finger_id=0, x=x / self.width, y=y / self.height,
            dx=0.0, dy=0.0, pressure=1.0))

    def hit(self, target: tuple[int, int]) -> bool:
        """Whether a tap near ``target`` arrived (farther taps are remembered for the report)."""
        for event in self.pg.event.get():
            if event.type == self.pg.FINGERDOWN:
                self.taps.append((round(event.x * self.width), round(event.y * self.height)))
            elif event.type == self.pg.MOUSEBUTTONDOWN:
                self.taps.append(event.pos)
        return any(abs(x - target[0]) <= RADIUS and abs(y - target[1]) <= RADIUS
                   for x, y in self.taps)

    def close(self) -> None:
        self.pg.display.quit()


def check(rig: Rig, person: Person, options: Options) -> str:
    """Every target must be tapped within the timeout."""
    person.ask_to("tap the five targets on the screen as they appear", lambda: None)
    if options.sim:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    ui = rig.config.ui
    screen = Screen(pygame, ui.width, ui.height, fullscreen=not options.sim and ui.fullscreen)
    try:
        for n, target in enumerate(targets(screen.width, screen.height), 1):
            screen.taps.clear()
            screen.show(target)
            person.ask_to(f"tap target {n} at {target}", partial(screen.tap, target))
            wait_until(partial(screen.hit, target), options.timeout_s,
                       f"target {n} at {target} was not tapped; taps seen: {screen.taps or 'none'}"
                       " (rotated or uncalibrated touch panel?)")
    finally:
        screen.close()
    return f"5 targets tapped on a {screen.width}x{screen.height} screen"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("touchscreen", check))
