"""A USB (V4L2) webcam through pygame.camera, for running the kiosk on a laptop."""

from __future__ import annotations

from typing import Any

import numpy as np

from drivers.base import GreyFrame
from drivers.lifecycle import Device
from kiosk.exc import CameraError

__all__ = ["WebcamCamera", "luminance"]

# ITU-R BT.601 luma weights in 1/256ths, the same Y the Pi's ISP gives.
_WEIGHTS = np.array([77, 150, 29], dtype=np.uint16)


def luminance(rgb: np.ndarray) -> GreyFrame:
    """BT.601 luma of an (height, width, 3) RGB array, as uint8."""
    grey: GreyFrame = ((rgb.astype(np.uint16) @ _WEIGHTS) >> 8).astype(np.uint8)
    return grey


class WebcamCamera(Device):
    """The first (or the named) webcam as a ``drivers.base.FrameSource``.

    ``pygame_module``: the ``pygame`` package (imported when None); needs its ``camera``
    and ``surfarray`` parts. ``read()`` does not wait: None until the webcam has a new frame.
    """

    def __init__(
        self,
        size: tuple[int, int] = (640, 480),
        device: str | None = None,
        pygame_module: Any = None,
    ) -> None:
        self.size = size
        self._pygame = pygame_module if pygame_module is not None else _import_pygame()
        self._pygame.camera.init()
        self.device = device if device is not None else _first_camera(self._pygame)
        try:
            self._camera = self._pygame.camera.Camera(self.device, size, "RGB")
            self._camera.start()
        except (SystemError, OSError, ValueError) as error:
            raise CameraError(f"webcam {self.device} could not be started: {error}") from error

    def read(self) -> GreyFrame | None:
        """The newest frame as luminance, or None when no new frame is ready."""
        self._check_open()
        if not self._camera.query_image():
            return None
        surface = self._camera.get_image()
        # surfarray is indexed (x, y); frames are (row, column).
        rgb = self._pygame.surfarray.pixels3d(surface).swapaxes(0, 1)
        return luminance(rgb)

    def _release(self) -> None:
        self._camera.stop()


def _import_pygame() -> Any:
    try:
        import pygame
        import pygame.camera
    except ImportError as error:
        raise CameraError(
            f"the webcam back end needs pygame: pip install pygame ({error})"
        ) from error
    return pygame


def _first_camera(pygame: Any) -> str:
    cameras = pygame.camera.list_cameras()
    if not cameras:
        raise CameraError("no webcam found (is it plugged in? ls /dev/video*)")
    return str(cameras[0])
