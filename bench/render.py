"""Frame render time of the touch UI at 800×480, headless, full redraw of several screens.

    .venv/bin/python -m bench.render            # 200 frames per screen
    .venv/bin/python -m bench.render --quick    # 20 frames per screen

Target: median and p99 at most 10 ms per frame on the Pi 4; prints the figures per screen and
over all frames. Text surfaces are cached as on the device, so this is the steady-state cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# SDL must be told "headless" before pygame loads.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.view import KioskView
from ui import samples
from ui.render import still_screen
from ui.state import Page

TARGET_MS = 10.0


def screens() -> list[tuple[str, KioskView, Page]]:
    guard = samples.guard_view()
    views: list[tuple[str, KioskView, Page]] = [
        (name, view, Page.RESIDENT) for name, view in samples.stage_views().items()
    ]
    views += [
        (f"guard-{page}", guard, page)
        for page in (Page.ALARMS, Page.EVENTS, Page.PERSON, Page.VISITOR)
    ]
    views.append(("pin", samples.BASE, Page.PIN))
    return views


def time_frames(view: KioskView, page: Page, language: str, frames: int) -> list[float]:
    """Milliseconds per full redraw of one screen (each frame forgets the last and draws all)."""
    screen = still_screen(view, (800, 480), language, page)
    screen.draw()  # warm the font and text caches, as the first frame on the device does
    times = []
    for _ in range(frames):
        started = time.perf_counter()
        screen.draw()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 frames per screen")
    parser.add_argument("--frames", type=int, default=None, help="frames per screen")
    args = parser.parse_args()
    frames = args.frames or (20 if args.quick else 200)
    every: list[float] = []
    print(f"{'screen':<22}{'lang':<7}{'median ms':>10}{'p99 ms':>9}")
    for name, view, page in screens():
        for language in ("zh-CN", "en"):
            times = time_frames(view, page, language, frames)
            every += times
            print(f"{name:<22}{language:<7}{statistics.median(times):>10.2f}{p99(times):>9.2f}")
    median, worst = statistics.median(every), p99(every)
    verdict = "ok" if worst <= TARGET_MS else "OVER TARGET"
    print(
        f"all {len(every)} frames at 800x480: median {median:.2f} ms, p99 {worst:.2f} ms "
        f"(target <= {TARGET_MS:.0f} ms: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
