"""Screenshots for the README, drawn headless from the example views.

.venv/bin/python -m ui.screenshots docs/screenshots
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ui import samples
from ui.render import render_to_png
from ui.state import Page

AIMING = "KP1:" + "A" * 400  # a pass-sized code, held up for the "closer" picture

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
    return written


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
