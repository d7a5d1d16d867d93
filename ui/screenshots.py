"""Screenshots for the README, drawn headless from the example views.

.venv/bin/python -m ui.screenshots docs/screenshots
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pygame

from ui import samples
from ui.render import StillKiosk, render_to_png, save_png, shared_fonts
from ui.screen import Screen
from ui.simpanel import PANEL_WIDTH, SimPanel
from ui.state import Page

AIMING = "KP1:" + "A" * 400  # a pass-sized code, held up for the "closer" picture
# The simulator's pass buttons, as the demo community (kiosk.demo_world) labels them.
DEMO_PASSES = ("resident", "fever", "revoked", "quarantine", "visitor", "empty flat", "sensor")

SHOTS = {
    "idle": ("idle", Page.RESIDENT),
    "aim": ("aim", Page.RESIDENT),
    "pass": ("pass", Page.RESIDENT),
    "fever": ("fever", Page.RESIDENT),
    "fever-alarms": ("fever-alarm", Page.RESIDENT),
    "quarantine": ("quarantine", Page.RESIDENT),
    "door-alarm": ("door-alarm", Page.RESIDENT),
    "guard-alarms": ("guard", Page.ALARMS),
    "guard-person": ("guard", Page.PERSON),
    "guard-events": ("guard", Page.EVENTS),
}


def save_screenshots(folder: Path, size: tuple[int, int] = (800, 480)) -> list[Path]:
    """Write every screenshot in both languages into ``folder``; returns the files written."""
    views = samples.stage_views() | {"guard": samples.guard_view()}
    frames = {"idle": samples.camera_frame(), "aim": samples.camera_frame(AIMING, seed=3)}
    frames["door-alarm"] = frames["idle"]
    written = []
    for name, (view_name, page) in SHOTS.items():
        for language in ("zh-CN", "en"):
            path = folder / f"{name}-{language}.png"
            written.append(
                render_to_png(
                    views[view_name],
                    path,
                    size,
                    language,
                    page=page,
                    optimise=True,
                    frame=frames.get(name),
                )
            )
    written.append(save_simulator(folder / "simulator-en.png", size))
    return written


class _NoControls:
    """Simulator controls for a still picture: the buttons are drawn, never pressed."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        def refuse(*args: object) -> None:
            raise RuntimeError(f"a still picture of the simulator cannot {name}")

        return refuse


def save_simulator(path: Path, size: tuple[int, int] = (800, 480)) -> Path:
    """The simulator's window (``kiosk sim``): the idle kiosk with its camera picture on the
    left, the hardware panel on the right, as the real window lays them out."""
    width, height = size
    window = pygame.Surface((width + PANEL_WIDTH, height))
    panel = SimPanel(_NoControls(), {label: "" for label in DEMO_PASSES})
    screen = Screen(
        StillKiosk(samples.BASE, samples.camera_frame()),
        window.subsurface((0, 0, width, height)),
        language="en",
        fonts=shared_fonts(),
        panel=panel,
        panel_surface=window.subsurface((width, 0, PANEL_WIDTH, height)),
    )
    screen.draw()
    return save_png(window, path)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.screenshots", description=__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    for path in save_screenshots(args.folder):
        print(f"{path}  {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    sys.exit(main())
