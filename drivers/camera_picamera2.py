"""The Raspberry Pi camera through picamera2 (apt: python3-picamera2; Pi only).

The kiosk decodes the Y plane of the ISP's low-resolution YUV420 stream: the luminance
comes free from the ISP, so no colour conversion runs on the CPU. ``queue=False`` makes each
``read()`` wait for a frame that started after the call, so a decoded code is never a stale
frame from before the person stepped up; two buffers are enough for that and save memory.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from drivers.base import GreyFrame
from drivers.lifecycle import Device
from kiosk.exc import CameraError

__all__ = ["Picamera2Camera"]

BUFFER_COUNT = 2


class Picamera2Camera(Device):
    """A Pi camera module as a ``drivers.base.FrameSource`` of ``size`` (width, height).

    ``picamera2_module`` / ``libcamera_module``: the ``picamera2`` and ``libcamera`` modules,
    imported when None (tests pass fakes). Continuous autofocus is switched on when the
    camera has it (Camera Module 3); fixed-focus modules are left alone.
    """

    def __init__(
        self,
        size: tuple[int, int] = (640, 480),
        picamera2_module: Any = None,
        *,
        libcamera_module: Any = None,
        camera_num: int = 0,
        fps: int = 10,
        colour: bool = False,
    ) -> None:
        if size[0] % 2 or size[1] % 2:
            raise ValueError(f"camera width and height must be even, got {size}")
        self.size = size
        self.colour = colour  # RGB frames of the main stream (the car gate's plate reader)
        picamera2, libcamera = _import_modules(picamera2_module, libcamera_module)
        self._camera = _open(picamera2, camera_num)
        try:
            self._configure(fps)
            self._set_autofocus(libcamera)
            self._camera.start()
        except Exception as error:
            self._camera.close()
            raise CameraError(f"the Pi camera could not be started: {error}") from error

    @property
    def autofocus(self) -> bool:
        """True when the camera has autofocus (and it was set to continuous)."""
        return "AfMode" in self._camera.camera_controls

    def read(self) -> GreyFrame:
        """The luminance (Y plane) of the next frame from the lores stream; in ``colour``, the
        main stream's frame as RGB."""
        self._check_open()
        width, height = self.size
        try:
            yuv = self._camera.capture_array("main" if self.colour else "lores")
        except Exception as error:
            raise CameraError(f"the Pi camera gave no frame: {error}") from error
        if self.colour:  # picamera2's "RGB888" is laid out B, G, R in memory
            rgb: GreyFrame = np.ascontiguousarray(yuv[:height, :width, ::-1])
            return rgb
        # YUV420 arrives as (height * 3 / 2, stride): the Y plane on top, rows padded.
        frame: GreyFrame = yuv[:height, :width]
        return frame

    def _configure(self, fps: int) -> None:
        frame_us = round(1_000_000 / fps)
        config = self._camera.create_preview_configuration(
            main={"size": self.size, "format": "RGB888"} if self.colour else {"size": self.size},
            lores={"size": self.size, "format": "YUV420"},
            buffer_count=BUFFER_COUNT,
            queue=False,
            display=None,
            encode=None,
            controls={"FrameDurationLimits": (frame_us, frame_us)},
        )
        self._camera.configure(config)

    def _set_autofocus(self, libcamera: Any) -> None:
        if self.autofocus:
            self._camera.set_controls({"AfMode": libcamera.controls.AfModeEnum.Continuous})

    def _release(self) -> None:
        self._camera.stop()
        self._camera.close()


def _import_modules(picamera2: Any, libcamera: Any) -> tuple[Any, Any]:
    try:
        return (
            picamera2 if picamera2 is not None else importlib.import_module("picamera2"),
            libcamera if libcamera is not None else importlib.import_module("libcamera"),
        )
    except ImportError as error:
        raise CameraError(
            "picamera2 is missing: on the Pi run `apt install python3-picamera2` and make the "
            "venv with --system-site-packages; elsewhere use camera backend webcam or sim "
            f"({error})"
        ) from error


def _open(picamera2: Any, camera_num: int) -> Any:
    try:
        return picamera2.Picamera2(camera_num)
    except (IndexError, RuntimeError) as error:
        # Picamera2 raises IndexError when libcamera lists no camera at all.
        raise CameraError(
            f"no Pi camera {camera_num} found ({error}); check the ribbon cable and "
            "`rpicam-hello --list-cameras`"
        ) from error
