"""Touchscreen check: tap the panel's corners; it works out how the panel is mounted.

    python -m hw_tests.touchscreen [--sim] [--timeout S]

First targets show in all four corners and you tap the one at YOUR top left (that says which
way up the panel hangs); then one target at a time, in the panel's own corners, and you tap
each (that says where the touch controller puts a finger). The check fits `[ui] rotation` and
`touch_matrix` to the taps, and fails, printing the lines to paste into /etc/kiosk/kiosk.toml,
when the configuration says otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import Any

from hw_tests.harness import CheckFailed, Options, Person, wait_until
from hw_tests.rig import DEVICE_CONFIG, Rig
from hw_tests.touchfit import Fit, fit_matrix, proposal, rotation_seen
from ui.mounting import Mounting

__all__ = ["Mounted", "SimulatedHand", "TouchScreen", "check", "corners", "measure", "sim_hand"]

RADIUS = 40
INSET = 60
WORST_MISS = 0.05  # of the panel: taps a straight mapping cannot explain (tapped off target?)
MATCH = 0.03  # configured matrix entries this close to the fitted ones are the same


def corners(width: int, height: int) -> list[tuple[int, int]]:
    """The panel's own corners (inset): top left, top right, bottom right, bottom left."""
    right, bottom = width - 1 - INSET, height - 1 - INSET
    return [(INSET, INSET), (right, INSET), (right, bottom), (INSET, bottom)]


class TouchScreen:
    """The whole panel, unturned, showing targets and collecting raw taps (normalised)."""

    def __init__(self, pygame: Any, width: int, height: int, fullscreen: bool) -> None:
        self.pg = pygame
        pygame.display.init()
        flags = pygame.FULLSCREEN if fullscreen else 0
        self.surface = pygame.display.set_mode((0, 0) if fullscreen else (width, height), flags)
        self.width, self.height = self.surface.get_size()
        self.taps: list[tuple[float, float]] = []

    def show(self, targets: list[tuple[int, int]]) -> None:
        self.surface.fill((0, 0, 0))
        for target in targets:
            self.pg.draw.circle(self.surface, (255, 255, 255), target, RADIUS, 4)
            self.pg.draw.circle(self.surface, (255, 60, 60), target, 6)
        self.pg.display.flip()
        self.pg.event.clear()
        self.taps.clear()

    def normalised(self, pixel: tuple[int, int]) -> tuple[float, float]:
        return (pixel[0] + 0.5) / self.width, (pixel[1] + 0.5) / self.height

    def post(self, raw: tuple[float, float]) -> None:
        """Post the event a finger makes where the controller reports ``raw`` (for --sim)."""
        self.pg.event.post(
            self.pg.event.Event(
                self.pg.FINGERDOWN,
                touch_id=0,
                finger_id=0,
                x=raw[0],
                y=raw[1],
                dx=0.0,
                dy=0.0,
                pressure=1.0,
            )
        )

    def tapped(self) -> bool:
        """Whether a tap arrived since the targets were shown (a touch's mouse echo is not one)."""
        for event in self.pg.event.get():
            if event.type == self.pg.FINGERDOWN:
                self.taps.append((event.x, event.y))
            elif event.type == self.pg.MOUSEBUTTONDOWN and not getattr(event, "touch", False):
                self.taps.append(self.normalised(event.pos))
        return bool(self.taps)

    def close(self) -> None:
        self.pg.display.quit()


@dataclass(frozen=True, slots=True)
class SimulatedHand:
    """The finger of --sim and the tests, on a panel that truly hangs as ``truth`` says: its
    controller reports a point so that ``truth.touch_matrix`` would bring it back."""

    truth: Mounting

    def raw(self, screen: TouchScreen, pixel: tuple[int, int]) -> tuple[float, float]:
        a, b, c, d, e, f = self.truth.touch_matrix
        x, y = screen.normalised(pixel)
        det = a * e - b * d
        return ((e * (x - c) - b * (y - f)) / det, (a * (y - f) - d * (x - c)) / det)

    def tap(self, screen: TouchScreen, pixel: tuple[int, int]) -> None:
        """Tap the panel at ``pixel``."""
        screen.post(self.raw(screen, pixel))

    def top_left(self, screen: TouchScreen) -> tuple[int, int]:
        """The panel corner target that a person sees at the top left."""
        size = (screen.width, screen.height)
        seen = self.truth.to_panel((0, 0), size)
        return min(corners(*size), key=lambda c: abs(c[0] - seen[0]) + abs(c[1] - seen[1]))


@dataclass(frozen=True, slots=True)
class Mounted:
    """What the taps say: the rotation, the fitted matrix and the lines to paste."""

    rotation: int
    fit: Fit

    @property
    def lines(self) -> str:
        return proposal(self.rotation, self.fit.matrix)


def measure(screen: TouchScreen, person: Person, timeout_s: float, hand: SimulatedHand) -> Mounted:
    """Ask for the taps and fit the mounting to them (``hand`` taps for --sim)."""
    targets = corners(screen.width, screen.height)
    screen.show(targets)
    person.ask_to(
        "tap the target at the TOP LEFT of the screen as you look at it",
        lambda: hand.tap(screen, hand.top_left(screen)),
    )
    top_left = _tap(screen, timeout_s, "the top-left target was not tapped")
    raw = []
    for n, target in enumerate(targets, 1):
        screen.show([target])
        person.ask_to(
            f"tap target {n} of 4, now alone on the screen",
            partial(hand.tap, screen, target),
        )
        raw.append(_tap(screen, timeout_s, f"target {n} at {target} was not tapped"))
    fit = fit_matrix(raw, [screen.normalised(t) for t in targets])
    if fit.worst > WORST_MISS:
        raise CheckFailed(
            f"the four taps do not fit one straight mapping (one missed by {fit.worst:.0%} of "
            "the screen): run the check again and tap each target's red centre"
        )
    return Mounted(rotation_seen(Mounting(0, fit.matrix).calibrate(*top_left)), fit)


def _tap(screen: TouchScreen, timeout_s: float, failure: str) -> tuple[float, float]:
    wait_until(screen.tapped, timeout_s, f"{failure} (is the touch cable in?)")
    return screen.taps[0]


def _matches(mounted: Mounted, ui: Any) -> bool:
    return ui.rotation == mounted.rotation and all(
        abs(have - want) <= MATCH
        for have, want in zip(ui.touch_matrix, mounted.fit.matrix, strict=True)
    )


def sim_hand(ui: Any) -> SimulatedHand:
    """The --sim finger: on a panel that hangs just as configured."""
    return SimulatedHand(Mounting(ui.rotation, ui.touch_matrix))


def check(rig: Rig, person: Person, options: Options) -> str:
    """The taps must agree with `[ui] rotation` and `touch_matrix`; else the lines to paste."""
    person.ask_to("tap the targets on the screen as asked: five taps", lambda: None)
    if options.sim:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    ui = rig.config.ui
    screen = TouchScreen(pygame, ui.width, ui.height, fullscreen=not options.sim and ui.fullscreen)
    hand = sim_hand(ui)
    try:
        mounted = measure(screen, person, options.timeout_s, hand)
    finally:
        screen.close()
    where = f"on a {screen.width}x{screen.height} panel"
    if not _matches(mounted, ui):
        raise CheckFailed(
            f"the taps {where} say the panel is mounted otherwise than configured (rotation "
            f"{ui.rotation}); set these in the [ui] section of "
            f"{rig.config.source or DEVICE_CONFIG} and restart the kiosk:\n{mounted.lines}"
        )
    return f"5 taps {where} agree with the configuration:\n{mounted.lines}"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("touchscreen", check))
