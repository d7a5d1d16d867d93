"""A USB (V4L2) webcam through pygame.camera: the Pi's fallback camera, and a laptop's.

The device is named, never guessed from ``/dev/video*``: on a Pi those nodes are the CSI
receiver (unicam), the codec and the ISP, and opening the first one that answers reads no
webcam at all. "auto" takes the first USB camera's capture node by its stable udev name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from drivers.base import GreyFrame
from drivers.lifecycle import Device
from kiosk.exc import CameraError

__all__ = ["BY_ID", "WebcamCamera", "find_usb_camera", "luminance"]

BY_ID = Path("/dev/v4l/by-id")  # udev's stable names; index0 is a camera's capture node

# ITU-R BT.601 luma weights in 1/256ths, the same Y the Pi's ISP gives.
_WEIGHTS = np.array([77, 150, 29], dtype=np.uint16)


def luminance(rgb: np.ndarray) -> GreyFrame:
    """BT.601 luma of an (height, width, 3) RGB array, as uint8."""
    grey: GreyFrame = ((rgb.astype(np.uint16) @ _WEIGHTS) >> 8).astype(np.uint8)
    return grey


class WebcamCamera(Device):
    """A webcam (``device``: a /dev path, or "auto" for the first USB camera) as a
    ``drivers.base.FrameSource``.

    ``pygame_module``: the ``pygame`` package (imported when None); needs its ``camera``
    and ``surfarray`` parts. ``read()`` does not wait: None until the webcam has a new frame.
    ``by_id``: where udev names the cameras (tests point it elsewhere).
    """

    def __init__(
        self,
        size: tuple[int, int] = (640, 480),
        device: str = "auto",
        pygame_module: Any = None,
        by_id: Path = BY_ID,
        *,
        colour: bool = False,
    ) -> None:
        self.size = size
        self.colour = colour  # RGB frames (the car gate's plate reader) instead of luminance
        self.device = find_usb_camera(by_id) if device == "auto" else device
        self._pygame = pygame_module if pygame_module is not None else _import_pygame()
        self._pygame.camera.init()
        try:
            self._camera = self._pygame.camera.Camera(self.device, size, "RGB")
            self._camera.start()
        except (SystemError, OSError, ValueError) as error:
            raise CameraError(f"webcam {self.device} could not be started: {error}") from error

    def read(self) -> GreyFrame | None:
        """The newest frame as luminance (in ``colour``: RGB), or None when none is ready."""
        self._check_open()
        if not self._camera.query_image():
            return None
        surface = self._camera.get_image()
        # surfarray is indexed (x, y); frames are (row, column).
        rgb = self._pygame.surfarray.pixels3d(surface).swapaxes(0, 1)
        return rgb.copy() if self.colour else luminance(rgb)

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


def find_usb_camera(by_id: Path = BY_ID) -> str:
    """The capture node of the first USB camera, by its udev name; CameraError when none."""
    found = sorted(by_id.glob("usb-*-video-index0"))
    if not found:
        raise CameraError(
            f"no USB webcam under {by_id} (is it plugged in? ls -l {by_id}); the Pi's "
            "/dev/video* nodes are its camera receiver, codec and ISP, not webcams. Plug one "
            "in, or set [camera] device to its /dev path"
        )
    return str(found[0])
