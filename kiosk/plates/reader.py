"""Reading licence plates in a camera frame with PP-OCRv4 (rapidocr_onnxruntime), on the device.

The models ship inside the ``rapidocr_onnxruntime`` wheel: nothing is downloaded at run time.
The engine is imported and loaded on the first ``read`` (a second or so), so a kiosk that
never sees a car never pays for it. Only detection and recognition run (no text-direction
classifier: a plate in a gate camera is upright). Detection runs on a copy of the frame shrunk
to ``det_side`` pixels; each text box is then cut out of the full frame for recognition, so a
plate far away keeps every pixel it has.

A plate is sometimes found as several text boxes (the province character apart from the rest,
or the two rows of a trailer's rear plate): boxes on one line, or one above the other, are
joined, and every run of them is tried against the plate grammar (``kiosk.plates.formats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from kiosk.exc import PlateReaderMissing
from kiosk.plates.formats import PlateFormat, parse

__all__ = ["Box", "PlateRead", "PlateReader", "TextBox", "plates_in"]

# (left, top, right, bottom) in frame pixels
Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate found in one frame: normal-form text, format, OCR confidence and where it is."""

    text: str
    kind: PlateFormat
    confidence: float
    box: Box


class TextBox(NamedTuple):
    """One line of text the engine recognised, with its score and bounding box."""

    text: str
    score: float
    box: Box


class PlateReader:
    """Finds the plates in RGB frames (``read``); the engine loads on first use.

    ``det_side``: the longer side, in pixels, of the copy detection runs on (smaller is faster,
    larger finds plates further away). ``threads``: onnxruntime's threads per model (0: its own
    choice, one per core). ``min_score``: text the recogniser is less sure of is ignored.
    """

    def __init__(self, det_side: int = 960, threads: int = 0, min_score: float = 0.5) -> None:
        if det_side < 64:
            raise ValueError(f"det_side must be at least 64 pixels, got {det_side}")
        self.det_side = det_side
        self.threads = threads
        self.min_score = min_score
        self._engine: Any = None

    def read(self, frame: np.ndarray) -> list[PlateRead]:
        """The plates in ``frame`` ((H, W, 3) uint8 RGB), best first, one per plate text."""
        return plates_in(self.text_boxes(frame))

    def text_boxes(self, frame: np.ndarray) -> list[TextBox]:
        """Every line of text in ``frame`` the recogniser is at least ``min_score`` sure of."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"a frame is (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        engine = self._load()
        bgr = np.ascontiguousarray(frame[:, :, ::-1])  # the PP-OCR models were trained on BGR
        quads = self._detect(engine, bgr)
        if not quads:
            return []
        crops = engine.get_crop_img_list(bgr, quads)
        results, _ = engine.text_rec(crops)
        return [
            TextBox(text, float(score), _bounds(quad))
            for quad, (text, score, *_) in zip(quads, results, strict=True)
            if float(score) >= self.min_score and text.strip()
        ]

    def _detect(self, engine: Any, bgr: np.ndarray) -> list[np.ndarray]:
        import cv2  # comes with rapidocr_onnxruntime

        height, width = bgr.shape[:2]
        scale = min(1.0, self.det_side / max(height, width))
        small = bgr
        if scale < 1.0:
            size = (max(32, round(width * scale)), max(32, round(height * scale)))
            small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        boxes, _ = engine.text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        return [np.asarray(box, dtype=np.float32) / scale for box in engine.sorted_boxes(boxes)]

    def _load(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as error:
                raise PlateReaderMissing(
                    "plate reading needs the OCR engine: install it with "
                    "'pip install checkpoint-kiosk[plates]' (rapidocr_onnxruntime) "
                    f"or run setup.sh again ({error})"
                ) from error
            self._engine = RapidOCR(
                # detection sees the frame at the size _detect gives it: no second resize
                det_limit_type="min",
                det_limit_side_len=32,
                intra_op_num_threads=self.threads or -1,
                inter_op_num_threads=1,
            )
        return self._engine


def plates_in(boxes: Sequence[TextBox]) -> list[PlateRead]:
    """The plates that text boxes, alone or joined with their neighbours, spell; best first."""
    best: dict[str, PlateRead] = {}
    for group in _groups(boxes):
        for start in range(len(group)):
            for end in range(start + 1, len(group) + 1):
                read = _as_plate(group[start:end])
                if read is not None and (
                    read.text not in best or read.confidence > best[read.text].confidence
                ):
                    best[read.text] = read
    return sorted(best.values(), key=lambda r: -r.confidence)


def _as_plate(run: Sequence[TextBox]) -> PlateRead | None:
    plate = parse("".join(box.text for box in run))
    if plate is None:
        return None
    left = min(b.box[0] for b in run)
    top = min(b.box[1] for b in run)
    right = max(b.box[2] for b in run)
    bottom = max(b.box[3] for b in run)
    confidence = min(b.score for b in run)
    return PlateRead(plate.text, plate.format, confidence, (left, top, right, bottom))


def _groups(boxes: Sequence[TextBox]) -> list[list[TextBox]]:
    """Boxes in reading order, split where the next one cannot be part of the same plate."""
    ordered = sorted(boxes, key=lambda b: (b.box[1], b.box[0]))
    groups: list[list[TextBox]] = []
    for box in ordered:
        for group in groups:
            if _next_to(group[-1].box, box.box):
                group.append(box)
                break
        else:
            groups.append([box])
    # a single box is always tried alone too, whatever group it joined
    return groups + [[b] for g in groups if len(g) > 1 for b in g]


def _next_to(a: Box, b: Box) -> bool:
    """Whether ``b`` continues ``a``: on its line to the right, or the row below it."""
    height = max(a[3] - a[1], b[3] - b[1], 1)
    same_line = abs((a[1] + a[3]) - (b[1] + b[3])) / 2 < height * 0.5
    gap = b[0] - a[2]
    if same_line and -height * 0.5 <= gap <= height * 1.5:
        return True
    below = 0 <= b[1] - a[3] <= height * 0.8
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    return below and overlap > 0.5 * min(a[2] - a[0], b[2] - b[0])


def _bounds(quad: np.ndarray) -> Box:
    xs, ys = quad[:, 0], quad[:, 1]
    return (int(xs.min()), int(ys.min()), int(np.ceil(xs.max())), int(np.ceil(ys.max())))
