"""Screen check: the SDL that pygame loaded can draw on a Pi console (KMS/DRM), and the screen
opens. Needs nobody at the kiosk, so it runs (and fails loudly) in a non-interactive self-test.

    python -m hw_tests.screen [--sim]

pygame's own wheels bundle an SDL without the KMS/DRM video driver: on Raspberry Pi OS Lite
the kiosk would show nothing and restart forever. pygame-ce's wheels have it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Any

from hw_tests.harness import CheckFailed, Options, Person
from hw_tests.rig import Rig
from kiosk.commands.run import DISPLAY_RETRY_S

__all__ = ["MESA_LIBRARIES", "check", "loaded_sdl", "missing_libraries", "sdl_video_drivers"]

# What SDL's KMS/DRM driver loads at run time (dlopen), and the Debian packages that hold it.
MESA_LIBRARIES = {
    "libgbm.so.1": "libgbm1",
    "libdrm.so.2": "libdrm2",
    "libEGL.so.1": "libegl1",
    "libGLESv2.so.2": "libgles2",
}


def loaded_sdl(maps: Path = Path("/proc/self/maps")) -> str:
    """The file of the SDL2 library this process has loaded (import pygame first)."""
    names = {line.split()[-1] for line in maps.read_text().splitlines() if "/" in line}
    found = sorted(n for n in names if Path(n).name.startswith(("libSDL2-2", "libSDL2.so")))
    if found:
        return found[0]
    return ctypes.util.find_library("SDL2") or "libSDL2-2.0.so.0"


def sdl_video_drivers(library: str) -> list[str]:
    """The video drivers compiled into an SDL2 library, lower case (SDL says "KMSDRM")."""
    sdl = ctypes.CDLL(library)
    sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
    sdl.SDL_GetVideoDriver.argtypes = [ctypes.c_int]
    count = sdl.SDL_GetNumVideoDrivers()
    return [sdl.SDL_GetVideoDriver(i).decode().lower() for i in range(count)]


def missing_libraries() -> list[str]:
    """The Debian packages whose libraries SDL's KMS/DRM driver would fail to load."""
    missing = []
    for library, package in MESA_LIBRARIES.items():
        try:
            ctypes.CDLL(library)
        except OSError:
            missing.append(package)
    return missing


def check(rig: Rig, person: Person, options: Options) -> str:
    """KMS/DRM in the loaded SDL; on the device also its libraries and an opened screen."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    library = loaded_sdl()
    drivers = sdl_video_drivers(library)
    if "kmsdrm" not in drivers:
        raise CheckFailed(
            f"the SDL that pygame {pygame.version.ver} loaded ({library}) has no KMS/DRM video "
            f"driver (only {', '.join(drivers)}): the kiosk cannot draw on a Pi console. "
            "Install pygame-ce instead of pygame (setup.sh does: pip uninstall pygame, then "
            "pip install pygame-ce)"
        )
    found = f"{Path(library).name} has kmsdrm"
    if options.sim:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        return f"{found}; {_open_and_draw(pygame, rig, fullscreen=False)}"
    missing = missing_libraries()
    if missing:
        raise CheckFailed(
            f"{found}, but the Mesa libraries it loads are missing: apt-get install "
            f"{' '.join(missing)} libgl1-mesa-dri (setup.sh installs them)"
        )
    os.environ.setdefault("SDL_VIDEODRIVER", "kmsdrm")
    return f"{found}; {_open_and_draw(pygame, rig, fullscreen=rig.config.ui.fullscreen)}"


def _open_and_draw(pygame: Any, rig: Rig, *, fullscreen: bool) -> str:
    """Open the screen as the kiosk does and show colour bars; say what opened."""
    driver = os.environ.get("SDL_VIDEODRIVER", "default")
    ui = rig.config.ui
    try:
        pygame.display.init()
        size = (0, 0) if fullscreen else (ui.width, ui.height)
        surface = pygame.display.set_mode(size, pygame.FULLSCREEN if fullscreen else 0)
    except pygame.error as error:
        pygame.display.quit()
        raise CheckFailed(
            f"the screen did not open with SDL video driver {driver!r}: {error}. `kiosk run` "
            "would run the gate headless now (exit button and sync working) and try the "
            f"display again every {DISPLAY_RETRY_S:g} s, showing it once it appears. Is the "
            "display's cable in? Is the kiosk user in the 'video' and 'render' groups, and is "
            "no other program (a desktop, the running kiosk) on it?"
        ) from error
    try:
        width, height = surface.get_size()
        bars = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))
        for n, colour in enumerate(bars):
            surface.fill(colour, (n * width // len(bars), 0, width // len(bars) + 1, height))
        pygame.display.flip()
        driver = pygame.display.get_driver()
        return f"a {width}x{height} screen opened through {driver}: `kiosk run` shows it"
    finally:
        pygame.display.quit()


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("screen", check))
