"""A seeded corpus of realistic 640x480 kiosk camera frames for decoder benchmarks.

    .venv/bin/python -m bench.corpus OUT_DIR [--count N] [--seed S]   # write PNGs + index

Each sample records what was shown (``text``, None for an empty frame), how
(``drivers.frames.FrameStyle``) and whether it is within the spec the kiosk promises.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from drivers.base import GreyFrame
from drivers.frames import FrameStyle, module_pitch, random_style, render_frame, within_spec

# The base45 alphabet: a signed pass is base45 text, which QR stores in alphanumeric mode.
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
EMPTY_SHARE = 0.10
SIZE = (640, 480)
# Base45 characters after the prefix. The default keeps the corpus comparable with earlier
# figures (QR versions 6-8); a signed KP1 pass is 258-296 (versions 9-10, 53-57 modules).
SHORT_PASSES = (140, 201)
LONG_PASSES = (258, 297)


@dataclass(frozen=True, slots=True)
class Sample:
    """One corpus frame and what it shows."""

    frame: GreyFrame
    text: str | None
    style: FrameStyle
    in_spec: bool
    pitch: float  # smallest module pitch in pixels (0 for an empty frame)


def pass_text(rng: np.random.Generator, lengths: tuple[int, int] = SHORT_PASSES) -> str:
    """Pass-like text: a prefix and ``lengths`` (low, high + 1) base45 characters."""
    length = int(rng.integers(*lengths))
    return "KP1:" + "".join(BASE45[i] for i in rng.integers(0, 45, length))


def corpus(
    count: int, seed: int = 2024, lengths: tuple[int, int] = SHORT_PASSES
) -> Iterator[Sample]:
    """``count`` samples, about ``EMPTY_SHARE`` of them with no code, from ``seed``."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        style = random_style(rng)
        text = None if rng.random() < EMPTY_SHARE else pass_text(rng, lengths)
        frame = render_frame(text, style, rng, SIZE)
        if text is None:
            yield Sample(frame, None, style, in_spec=False, pitch=0.0)
        else:
            pitch = module_pitch(text, style, SIZE)
            yield Sample(frame, text, style, within_spec(text, style, SIZE), pitch)


def write(folder: Path, count: int, seed: int) -> None:
    """Write the corpus as PNG files plus index.json (usable with FolderCamera)."""
    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for number, sample in enumerate(corpus(count, seed)):
        name = f"{number:04d}.png"
        Image.fromarray(sample.frame).save(folder / name)
        index.append(
            {"file": name, "text": sample.text, "in_spec": sample.in_spec,
             "pitch": sample.pitch, **asdict(sample.style)}
        )
    (folder / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write the frames into")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    write(args.out, args.count, args.seed)
    print(f"wrote {args.count} frames to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
