"""Drawing one view off screen: PNG screenshots (README, the scripted demo) and tests.

No display is needed: pygame draws into a plain surface.
"""

from __future__ import annotations

from pathlib import Path

import pygame

from kiosk.model import Reason
from kiosk.view import Command, CommandResult, KioskView
from ui import strings
from ui.fonts import FontBook
from ui.mounting import Mounting
from ui.screen import Screen
from ui.state import Page
from ui.viewfinder import GreyFrame


class StillKiosk:
    """A kiosk that always shows one view (and one camera frame, if given) and turns every
    command down (for still pictures)."""

    def __init__(self, view: KioskView, frame: GreyFrame | None = None) -> None:
        self._view = view
        self._frame = frame

    def view(self) -> KioskView:
        return self._view

    def frame(self) -> GreyFrame | None:
        return self._frame

    def submit(self, command: Command) -> CommandResult:
        return CommandResult(False, Reason.OK, "a still picture takes no commands")


_FONTS: list[FontBook] = []


def shared_fonts() -> FontBook:
    """One font book for every off-screen render in this process (fonts load once)."""
    if not _FONTS:
        _FONTS.append(FontBook())
    return _FONTS[0]


def still_screen(
    view: KioskView,
    size: tuple[int, int] = (800, 480),
    language: str = strings.DEFAULT_LANGUAGE,
    page: Page | str = Page.RESIDENT,
    frame: GreyFrame | None = None,
    mounting: Mounting | None = None,
) -> Screen:
    """A screen session over ``view`` on an off-screen surface, opened at ``page``; ``frame``
    is the camera picture for the viewfinder (none: the QR pictogram in its place).
    ``mounting`` turns the picture onto a panel of ``size`` as ``[ui] rotation`` does."""
    if not pygame.font.get_init():
        pygame.font.init()
    kiosk = StillKiosk(view, frame)
    screen = Screen(
        kiosk, pygame.Surface(size), language=language, fonts=shared_fonts(), mounting=mounting
    )
    screen.state.page = Page(page)
    return screen


def render_surface(
    view: KioskView,
    size: tuple[int, int] = (800, 480),
    language: str = strings.DEFAULT_LANGUAGE,
    page: Page | str = Page.RESIDENT,
    frame: GreyFrame | None = None,
) -> pygame.Surface:
    """``view`` drawn at ``size`` in ``language`` on ``page``."""
    screen = still_screen(view, size, language, page, frame)
    screen.draw()
    return screen.canvas.surface


def render_to_png(
    view: KioskView,
    path: str | Path,
    size: tuple[int, int] = (800, 480),
    language: str = strings.DEFAULT_LANGUAGE,
    *,
    page: Page | str = Page.RESIDENT,
    optimise: bool = False,
    frame: GreyFrame | None = None,
) -> Path:
    """Draw ``view`` headless and save it as a PNG (``optimise``: 256-colour palette, smaller).

    ``page`` is "resident" (the default) or a guard page ("alarms", "events", "person", "open",
    "visitor", "settings"; these need ``view.guard_unlocked``, else the PIN pad is drawn, "pin").
    """
    surface = render_surface(view, size, language, page, frame)
    return save_png(surface, path, optimise)


def save_png(surface: pygame.Surface, path: str | Path, optimise: bool = True) -> Path:
    """Save ``surface`` as a PNG (``optimise``: a 256-colour palette, much smaller)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if optimise:
        _save_palette_png(surface, path)
    else:
        pygame.image.save(surface, str(path))
    return path


def _save_palette_png(surface: pygame.Surface, path: Path) -> None:
    from PIL import Image  # only screenshots for docs need Pillow

    raw = pygame.image.tobytes(surface, "RGB")
    image = Image.frombytes("RGB", surface.get_size(), raw)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
