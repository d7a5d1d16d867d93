"""How often the viewfinder's "hold still" / "closer" hint sees a code the decoder could not read.

    .venv/bin/python -m bench.aim [--quick] [--frames N]

Generated frames (drivers.frames) in three sets, each kept only where the real zxing decoder
read nothing (the only frames the hint is asked about): people holding passes as they do
(``random_style``), the same blurred beyond the spec, and codes too far away. For each set it
prints how many the decoder's ``unread()`` caught, split by where the sighting came from
(zxing's own unreadable candidates, finder patterns), and for empty scenes how many gave a
false sighting. ``unread()`` runs only when the hint asks (at most 5 times a second), so its
cost is printed per call and as a share of a second at that rate.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from drivers.base import GreyFrame
from drivers.frames import FrameStyle, random_style, render_frame
from drivers.qr import ZxingDecoder
from drivers.qrfinder import finder_sightings
from kiosk.aim import AIM_EVERY_S, CLOSER_SHARE

PASS_TEXT = "KP1:" + "A" * 400  # as long as a signed pass
SIZE = (640, 480)

Styler = Callable[[np.random.Generator], FrameStyle]


def as_held(rng: np.random.Generator) -> FrameStyle:
    return random_style(rng)


def blurred(rng: np.random.Generator) -> FrameStyle:
    style = random_style(rng, hard=0.0)
    return replace(style, blur_px=float(rng.uniform(2.5, 5.0)))


def far_away(rng: np.random.Generator) -> FrameStyle:
    style = random_style(rng, hard=0.0)
    return replace(style, code_px=float(rng.uniform(45, 0.9 * CLOSER_SHARE * SIZE[0])))


SETS: dict[str, Styler] = {"as held": as_held, "blurred": blurred, "too far": far_away}


def unread_frames(
    decoder: ZxingDecoder, styler: Styler, tries: int, seed: int
) -> list[tuple[GreyFrame, FrameStyle]]:
    """Frames of ``styler`` that the decoder could not read, out of ``tries``."""
    kept = []
    for i in range(tries):
        rng = np.random.default_rng(seed + i)
        style = styler(rng)
        frame = render_frame(PASS_TEXT, style, rng, SIZE)
        if not decoder.decode(frame):
            kept.append((frame, style))
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aim", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few frames per set")
    parser.add_argument("--frames", type=int, default=None, help="frames generated per set")
    args = parser.parse_args()
    tries = args.frames or (40 if args.quick else 300)
    decoder = ZxingDecoder()
    costs: list[float] = []
    print(f"frames generated per set: {tries}; kept: those the decoder could not read")
    for number, (name, styler) in enumerate(SETS.items()):
        frames = unread_frames(decoder, styler, tries, seed=1000 * number)
        zx = finder = hinted = 0
        for frame, _ in frames:
            decoder.decode(frame)
            started = time.perf_counter()
            seen = decoder.unread()
            costs.append(time.perf_counter() - started)
            zx += bool(decoder.candidate_sightings())
            finder += bool(finder_sightings(frame))
            hinted += bool(seen)
        n = max(1, len(frames))
        print(
            f"{name:>8}: {len(frames):4d} unread, hint on {hinted:4d} ({100 * hinted / n:5.1f}%)"
            f"  [zxing candidates {zx}, finder patterns {finder}]"
        )
    empty = 0
    empties = max(20, tries // 3)
    for seed in range(empties):
        rng = np.random.default_rng(10_000 + seed)
        frame = render_frame(None, random_style(rng), rng, SIZE)
        decoder.decode(frame)
        started = time.perf_counter()
        empty += bool(decoder.unread())
        costs.append(time.perf_counter() - started)
    print(f"   empty: {empties:4d} scenes, false sightings {empty}")
    costs.sort()
    p50, p99 = costs[len(costs) // 2], costs[min(len(costs) - 1, int(len(costs) * 0.99))]
    share = p99 / AIM_EVERY_S
    print(
        f"unread() per call: p50 {1000 * p50:.2f} ms, p99 {1000 * p99:.2f} ms "
        f"(asked every {AIM_EVERY_S} s: {100 * share:.1f}% of one core at p99)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
