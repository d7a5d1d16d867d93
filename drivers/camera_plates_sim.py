"""A simulated gate camera: a car with a given plate stopped in front of it, or the empty lane.

``present(plate, distance_m, conditions)`` renders the scene once with kiosk.plates.render (a
car on a street, perspective, light, dirt, glare, blur, noise) and every ``read`` replays it
in colour: the plate reader checks a plate's background colour against its format, so a car
gate's camera delivers (height, width, 3) RGB, not the luminance plane a QR lane reads. The
same array is returned until the scene changes, so a reader may skip a frame it has already
read (kiosk.vehicles.camera).
"""

from __future__ import annotations

import numpy as np

from drivers.base import GreyFrame
from drivers.lifecycle import Device
from kiosk.plates.render import Camera, Conditions, render_scene

__all__ = ["SimulatedPlateCamera"]


class SimulatedPlateCamera(Device):
    """A ``drivers.base.FrameSource`` showing a car at the barrier (``present``) or nobody."""

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        seed: int = 0,
        placed: Camera | None = None,
        fresh: bool = False,
    ) -> None:
        """``placed``: the camera's lens and mounting (kiosk.plates.geometry); None: the modelled
        gate camera (geometry.CAMERA) at ``size``. ``fresh``: every read is a new exposure with
        sensor noise of its own, as a real camera's frames are (what the self-test's stuck-stream
        check looks for); else the same array until the scene changes."""
        width, height = size
        self.camera = placed or Camera(width=width, height=height)
        self._noise = np.random.default_rng(seed) if fresh else None
        self.seed = seed
        self.plate: str | None = None
        self._frame = self._render(None, 4.0, Conditions())

    def present(
        self, plate: str | None, distance_m: float = 4.0, conditions: Conditions | None = None
    ) -> None:
        """A car carrying ``plate`` stops ``distance_m`` from the camera (None: it has gone)."""
        self._check_open()
        self.plate = plate
        self.seed += 1  # another car, another background
        self._frame = self._render(plate, distance_m, conditions or Conditions())

    def read(self) -> GreyFrame:
        """The current scene's RGB frame (read-only, the same array until the scene changes,
        unless ``fresh``)."""
        self._check_open()
        if self._noise is None:
            return self._frame
        noise = self._noise.integers(-2, 3, self._frame.shape, dtype=np.int16)
        return np.clip(self._frame + noise, 0, 255).astype(np.uint8)

    def _render(self, plate: str | None, distance_m: float, conditions: Conditions) -> GreyFrame:
        rgb = render_scene(plate, distance_m, conditions, self.seed, self.camera)
        rgb.setflags(write=False)
        return rgb
