"""The UI main loop: open the screen (KMS/DRM console, desktop window or headless), then draw
the kiosk's newest view whenever it changes or a finger touches the glass.

It runs in the main thread (pygame wants it), only reads ``kiosk.view()`` and calls
``kiosk.submit()``, and sleeps in ``pygame.event.wait`` between frames, so an idle screen costs
almost nothing and the gate never waits for drawing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol

import pygame

from kiosk.exc import DisplayError
from ui.mounting import Mounting
from ui.screen import KioskPort, Panel, Screen
from ui.speech import Speaker

POLL_MS = 50  # how often an idle screen looks for a new view (the kiosk publishes, we poll)


class UiConfig(Protocol):
    """The [ui] settings the loop reads (``kiosk.config.UiSettings`` has them)."""

    @property
    def language(self) -> str: ...
    @property
    def fullscreen(self) -> bool: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def panel_mm(self) -> float: ...
    @property
    def guard_lock_s(self) -> float: ...
    @property
    def speech(self) -> bool: ...
    @property
    def rotation(self) -> int: ...
    @property
    def touch_matrix(self) -> tuple[float, ...]: ...
    @property
    def sensor_side(self) -> str: ...


class Stopper(Protocol):
    def is_set(self) -> bool: ...


def has_display() -> bool:
    """Whether a desktop (X11 or Wayland) is there to open a window on."""
    if os.environ.get("SDL_VIDEODRIVER") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def choose_video_driver() -> None:
    """On a Pi console without a desktop, draw straight to the screen through KMS/DRM."""
    if (
        "SDL_VIDEODRIVER" not in os.environ
        and sys.platform.startswith("linux")
        and not has_display()
    ):
        os.environ["SDL_VIDEODRIVER"] = "kmsdrm"


def open_display(config: UiConfig, extra_width: int = 0) -> pygame.Surface:
    """Open the kiosk's window (or the whole screen); ``extra_width`` adds room for a side panel."""
    choose_video_driver()
    try:
        pygame.display.init()
        pygame.font.init()
        if config.fullscreen:
            window = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)  # a touch screen: no pointer over the message
        else:
            window = pygame.display.set_mode((config.width + extra_width, config.height))
    except pygame.error as error:
        pygame.display.quit()  # SDL looks for the display afresh on the next try
        driver = os.environ.get("SDL_VIDEODRIVER", "default")
        raise DisplayError(
            f"cannot open the screen with SDL video driver {driver!r}: {error}. On a Pi console "
            "use SDL_VIDEODRIVER=kmsdrm (the user needs the 'video' and 'input' groups); on a "
            "desktop unset SDL_VIDEODRIVER; without any screen use SDL_VIDEODRIVER=dummy"
        ) from error
    pygame.display.set_caption("checkpoint kiosk")
    return window


def run_ui(
    kiosk: KioskPort,
    config_ui: UiConfig,
    *,
    clock: Callable[[], float] = time.monotonic,
    panel: Panel | None = None,
    panel_width: int = 0,
    stop: Stopper | None = None,
    speaker: Speaker | None = None,
) -> None:
    """Run the touch UI until the window is closed, Escape is pressed (windowed) or ``stop`` is set.

    ``panel`` (the simulator's hardware buttons) is drawn in ``panel_width`` pixels to the right
    of the kiosk screen.
    """
    window = open_display(config_ui, panel_width if panel is not None else 0)
    speaker = speaker or Speaker(config_ui.speech)
    # The phrases are rendered once, beside the screen starting up (a second or two on a Pi).
    threading.Thread(target=speaker.prepare, name="speech-prepare", daemon=True).start()
    try:
        screen = make_screen(
            kiosk,
            config_ui,
            window,
            clock=clock,
            panel=panel,
            panel_width=panel_width,
            speaker=speaker,
        )
        loop(screen, fullscreen=config_ui.fullscreen, stop=stop)
    finally:
        speaker.close()
        pygame.display.quit()


def make_screen(
    kiosk: KioskPort,
    config_ui: UiConfig,
    window: pygame.Surface,
    *,
    clock: Callable[[], float],
    panel: Panel | None = None,
    panel_width: int = 0,
    speaker: Speaker | None = None,
) -> Screen:
    """A screen session on ``window``: the kiosk on the left, the optional panel on the right.

    The kiosk's part is the panel as mounted (``[ui] rotation``, ``touch_matrix``); the
    simulator's panel is always drawn upright beside it.
    """
    width, height = window.get_size()
    panel_width = panel_width if panel is not None else 0
    kiosk_area = window.subsurface((0, 0, width - panel_width, height))
    panel_area = (
        window.subsurface((width - panel_width, 0, panel_width, height)) if panel_width else None
    )
    return Screen(
        kiosk,
        kiosk_area,
        language=config_ui.language,
        guard_lock_s=config_ui.guard_lock_s,
        panel_mm=config_ui.panel_mm,
        sensor_side=config_ui.sensor_side,
        clock=clock,
        speaker=speaker,
        panel=panel,
        panel_surface=panel_area,
        mounting=Mounting(config_ui.rotation, config_ui.touch_matrix),
    )


def loop(screen: Screen, *, fullscreen: bool = False, stop: Stopper | None = None) -> None:
    """Handle events and redraw when due, until quit; returns after a QUIT event.

    The screen is redrawn after each event that changed it, so a second touch always lands
    on the buttons of the page the first touch opened.
    """
    _refresh(screen)
    while stop is None or not stop.is_set():
        event = pygame.event.wait(POLL_MS)
        for pending in (event, *pygame.event.get()):
            if _quits(pending, fullscreen):
                return
            if pending.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
                screen.invalidate()
            screen.handle(pending)
            _refresh(screen)


def _refresh(screen: Screen) -> None:
    if screen.update():
        screen.draw()
        pygame.display.flip()


def _quits(event: pygame.event.Event, fullscreen: bool) -> bool:
    if event.type == pygame.QUIT:
        return True
    # Escape closes a development window; on the kiosk itself a keyboard is no way out.
    return event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and not fullscreen
