"""A double for the car gate's tests: plates "read" as scripted (the OCR has its own tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Read:
    text: str
    box: tuple[int, int, int, int] = (500, 400, 740, 470)  # a plate 2-3 m away at 1280x720


class ScriptedPlates:
    """A plate reader that reads whatever plate the test put in front of the camera."""

    def __init__(self) -> None:
        self.plate: str | None = None
        self.frames = 0

    def read(self, frame: npt.NDArray[np.uint8]) -> Sequence[Read]:
        assert frame.ndim == 3 and frame.shape[2] == 3  # the reader is given RGB
        self.frames += 1
        return [Read(self.plate)] if self.plate else []
