"""Simulated frame sources: a synthetic camera a pass can be shown to, and a folder of images."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from drivers.base import GreyFrame
from drivers.frames import FrameStyle, random_style, render_frame
from drivers.lifecycle import Device
from kiosk.exc import CameraError

__all__ = ["IMAGE_SUFFIXES", "FolderCamera", "SimulatedCamera"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".tif", ".tiff", ".webp"})


class SimulatedCamera(Device):
    """A camera in front of which a pass can be held (``drivers.base.FrameSource``).

    ``present(text)`` shows ``text`` as a QR code on a phone or paper (a random in-spec
    presentation unless ``style`` is given); ``present(None)`` takes it away. Each scene is
    rendered once into ``variants`` frames that differ in sensor noise and then replayed, so
    an idle camera costs next to no CPU.
    """

    def __init__(
        self, seed: int = 0, size: tuple[int, int] = (640, 480), variants: int = 3
    ) -> None:
        if variants < 1:
            raise ValueError(f"variants must be at least 1, got {variants}")
        self.size = size
        self.variants = variants
        self._rng = np.random.default_rng(seed)
        self.text: str | None = None
        self.style = random_style(self._rng, hard=0)
        self._frames = self._render()

    def present(self, text: str | None, style: FrameStyle | None = None) -> None:
        """Hold ``text`` up to the camera (None: nobody there)."""
        self._check_open()
        self.text = text
        self.style = style if style is not None else random_style(self._rng, hard=0)
        self._frames = self._render()

    def read(self) -> GreyFrame:
        """The next frame of the current scene (read-only; copy it to draw on it)."""
        self._check_open()
        return next(self._frames)

    def _render(self) -> Iterator[GreyFrame]:
        frames = [
            render_frame(self.text, self.style, self._rng, self.size) for _ in range(self.variants)
        ]
        for frame in frames:
            frame.setflags(write=False)  # shared by every read of this scene
        return itertools.cycle(frames)


class FolderCamera(Device):
    """Frames from the image files in a folder, in name order, round and round.

    Useful to replay photos taken at a real kiosk. Colour images are turned into luminance.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.files = _image_files(self.path)
        self._cache: dict[Path, GreyFrame] = {}
        self._order = itertools.cycle(self.files)

    def read(self) -> GreyFrame:
        """The next image as a luminance frame."""
        self._check_open()
        file = next(self._order)
        if file not in self._cache:
            self._cache[file] = _load_grey(file)
        return self._cache[file]

    def _release(self) -> None:
        self._cache.clear()


def _image_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise CameraError(f"camera folder {folder} does not exist or is not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        raise CameraError(f"camera folder {folder} holds no images ({kinds})")
    return files


def _load_grey(file: Path) -> GreyFrame:
    try:
        with Image.open(file) as image:
            frame = np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as error:
        raise CameraError(f"cannot read image {file}: {error}") from error
    frame.setflags(write=False)
    return frame
