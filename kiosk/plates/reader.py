"""Reading licence plates in a camera frame with PP-OCRv4 (rapidocr on onnxruntime), on the device.

The models ship inside the ``rapidocr`` wheel and are loaded by path: nothing is downloaded
at run time. (rapidocr_onnxruntime 1.4.4 has the same models but refuses Python 3.13; rapidocr
2.1.0 is its successor that installs on 3.11 and 3.13 alike.)
The engine is imported and loaded on the first ``read`` (a second or so), so a kiosk that
never sees a car never pays for it. Only detection and recognition run (no text-direction
classifier: a plate in a gate camera is upright). Detection runs on a copy of the frame shrunk
to ``det_side`` pixels; each text box is then cut out of the full frame for recognition, so a
plate far away keeps every pixel it has.

A plate is sometimes found as several text boxes (the province character, or a tall 警, apart
from the rest): boxes side by side on one line are also recognised as one crop, and every run
of them is tried against the plate grammar (``kiosk.plates.formats``), joined.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from kiosk.exc import PlateReaderMissing
from kiosk.plates.colour import compatible, plate_colour
from kiosk.plates.formats import COLOURS, PROVINCES, PlateColour, PlateFormat, parse
from kiosk.plates.geometry import Box, Camera, far_window, in_frame, plate_band

__all__ = ["Box", "PlateRead", "PlateReader", "TextBox", "load_engine", "plates_in"]

# A plate's first character (the province) read with less confidence than this is no read:
# a doubtful province is what turns a plate into another real-looking one (晋 read as 皖 at
# 10 m, 0.53-0.74, while good reads at 8 m are 0.98-1.0).
MIN_FIRST_SCORE = 0.8

# How far the detector grows each text region it finds (rapidocr's Det.unclip_ratio: the
# region's area / perimeter times this, on every side). Its default, 1.6, is sized for lines of
# print: round a plate's characters, 27 px tall at 8 m, it makes a box 46 px tall (more when
# the plate is rolled), and the recogniser, which scales every crop to 48 px high, sees them
# small; mud then turns T into 1 or Q into 0. At 1.2 that box is 38 px, and at 2.5 m 89 px
# round 86 px characters (at 0.7 it cuts the province's top: 陕 reads 夹; at 1.0 a coach
# plate's province at 4 m is read right but only 0.6 sure, under MIN_FIRST_SCORE).
UNCLIP_RATIO = 1.2

# A box that the recogniser read as a province character and then text that is no plate is read
# a second time from a crop this share of its height wider on each side. The tight boxes above
# sometimes end inside a plate's last character: a consulate plate's 领 is left out (吉J·5613)
# or read as 5, its J read as 1 (津12419领). Only such boxes cost the second recognition (one crop,
# no detection), and the second read replaces the first only when it is a plate.
WIDEN = 0.3

# With the camera's placement known (kiosk.plates.geometry), the band where plates appear is
# searched shrunk to this width, and the small window where plates 5-8 m out keep to at full
# resolution. A plate's characters are 43 px tall at 5 m on the modelled camera, 21 px in the
# band's copy: as tall as at 8 m in the old copy of 960 px; at 8 m, 27 px in the window. The
# two searches cost 60 ms CPU a frame here where one search of the band at 960 px cost 115.
BAND_SIDE = 640
FAR_FROM_M = 5.0

ENGINE_REQUIREMENT = "rapidocr==2.1.0"
# The models rapidocr 2.1.0 ships in its wheel; loaded by path so that it never downloads one.
MODELS = {
    "Det": "ch_PP-OCRv4_det_infer.onnx",
    "Rec": "ch_PP-OCRv4_rec_infer.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",  # loaded by the engine, never run
}


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate found in one frame: normal-form text, format, OCR confidence and where it is."""

    text: str
    kind: PlateFormat
    confidence: float
    box: Box
    colour: PlateColour | None = None  # the background colour measured, None when unsure


# What the recogniser makes of one crop: text, score, score of the first character.
_Rec = tuple[str, float, float]


class TextBox(NamedTuple):
    """One line of text the engine recognised, with its score and bounding box."""

    text: str
    score: float
    box: Box
    first_score: float = 1.0  # how sure the recogniser is of the first character


class PlateReader:
    """Finds the plates in RGB frames (``read``); the engine loads on first use.

    ``det_side``: the longer side, in pixels, of the copy detection runs on (smaller is faster,
    larger finds plates further away). ``threads``: onnxruntime's threads per model (0: its own
    choice, one per core). ``min_score``: text the recogniser is less sure of is ignored.
    ``roi``: the part of the frame where plates in the reading range appear (the lane, not the
    sky or the neighbouring lane; ``geometry.plate_band`` for a camera placed as measured);
    None: all. ``far``: a part of the frame also searched at full resolution, where the far
    plates appear (``geometry.far_window``), so that they are found while ``roi`` is searched
    shrunk. ``placed(camera)`` makes the reader for a camera whose placement is known.
    """

    def __init__(
        self,
        det_side: int = 960,
        threads: int = 0,
        min_score: float = 0.5,
        roi: Box | None = None,
        far: Box | None = None,
    ) -> None:
        if det_side < 64:
            raise ValueError(f"det_side must be at least 64 pixels, got {det_side}")
        for name, box in (("roi", roi), ("far", far)):
            if box is not None and not (0 <= box[0] < box[2] and 0 <= box[1] < box[3]):
                raise ValueError(
                    f"{name} is (left, top, right, bottom) with left < right, top < bottom: {box}"
                )
        self.det_side = det_side
        self.threads = threads
        self.min_score = min_score
        self.roi = roi
        self.far = far
        self._engine: Any = None

    @classmethod
    def placed(cls, camera: Camera | None, threads: int = 0) -> PlateReader:
        """The reader for ``camera`` as mounted: the band of its frame where plates in the
        reading range appear, shrunk to BAND_SIDE, and the far plates' window at full
        resolution. None (placement not measured): the whole frame, shrunk to 960 px."""
        if camera is None:
            return cls(threads=threads)
        band = plate_band(camera)
        if not in_frame(band):
            raise ValueError(
                f"no plate 2-8 m out is in the picture of a camera placed so: {camera}"
            )
        far = far_window(FAR_FROM_M, camera)
        wide = band[2] - band[0] > BAND_SIDE  # else the band is searched at full size anyway
        return cls(det_side=BAND_SIDE, threads=threads, roi=band,
                   far=far if wide and in_frame(far) else None)  # fmt: skip

    def read(self, frame: np.ndarray) -> list[PlateRead]:
        """The plates in ``frame`` ((H, W, 3) uint8 RGB), best first, one per plate text.

        A read whose text fits a format the plate's measured colour rules out is dropped.
        """
        reads = [_with_colour(frame, read) for read in plates_in(self.text_boxes(frame))]
        return [r for r in reads if compatible(COLOURS[r.kind], r.colour)]

    def text_boxes(self, frame: np.ndarray) -> list[TextBox]:
        """Every line of text in ``frame`` the recogniser is at least ``min_score`` sure of."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"a frame is (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        engine = self._load()
        bgr = np.ascontiguousarray(frame[:, :, ::-1])  # the PP-OCR models were trained on BGR
        quads = self._find(engine, bgr, self.roi or (0, 0, frame.shape[1], frame.shape[0]))
        if self.far is not None:
            # a box cut by the window's edge is part of a nearer plate, which the band has whole
            fine = [
                q
                for q in self._find(engine, bgr, self.far, scale=1.0)
                if not _at_edge(q, self.far, frame)
            ]
            quads = [q for q in quads if not _seen_in(q, fine)] + fine
        if not quads:
            return []
        quads += [_union(group) for group in _lines(quads)]
        reads = _recognise(engine, bgr, quads)
        again = [i for i, (text, _, _) in enumerate(reads) if _cut_short(text)]
        if again:
            widened = _recognise(engine, bgr, [_widen(quads[i], WIDEN) for i in again])
            for i, read in zip(again, widened, strict=True):
                if parse(read[0]) is not None:
                    reads[i] = read
        return [
            TextBox(text, score, _bounds(quad), first)
            for quad, (text, score, first) in zip(quads, reads, strict=True)
            if score >= self.min_score and text.strip()
        ]

    def _find(
        self, engine: Any, bgr: np.ndarray, region: Box, scale: float | None = None
    ) -> list[np.ndarray]:
        """The text boxes detected in ``region`` of the BGR frame, as quads in frame pixels."""
        left, top, right, bottom = region
        part = np.ascontiguousarray(bgr[top:bottom, left:right])  # rows of the frame: no copy
        if part.shape[0] < 8 or part.shape[1] < 8:
            return []
        found = self._detect(engine, part, scale)
        if found.boxes is None or len(found.boxes) == 0:
            return []
        return [q + np.array((left, top), np.float32) for q in found.boxes]

    def _detect(self, engine: Any, bgr: np.ndarray, scale: float | None = None) -> Any:
        import cv2  # comes with rapidocr

        height, width = bgr.shape[:2]
        if scale is None:
            scale = min(1.0, self.det_side / max(height, width))
        small = bgr
        if scale < 1.0:
            size = (max(32, round(width * scale)), max(32, round(height * scale)))
            small = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        found = engine.text_det(small)
        if found.boxes is not None and len(found.boxes):
            found.boxes = np.asarray(found.boxes, dtype=np.float32) / scale
        return found

    def _load(self) -> Any:
        if self._engine is None:
            self._engine = load_engine(self.threads)
        return self._engine


def load_engine(threads: int = 0) -> Any:
    """rapidocr's PP-OCRv4 engine on the models inside its wheel (never a download)."""
    try:
        import rapidocr
    except ImportError as error:
        raise PlateReaderMissing(
            "plate reading needs the OCR engine: install it with "
            "'pip install checkpoint-kiosk[plates]' or run setup.sh again "
            f"({error})"
        ) from error
    models = Path(rapidocr.__file__).parent / "models"
    paths = {part: models / name for part, name in MODELS.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise PlateReaderMissing(
            f"the OCR models are missing from the rapidocr package ({', '.join(missing)}); "
            f"reinstall it with 'pip install --force-reinstall {ENGINE_REQUIREMENT}'"
        )
    params: dict[str, Any] = {f"{part}.model_path": str(path) for part, path in paths.items()}
    params |= {
        "Global.use_cls": False,  # a plate in a gate camera is upright
        # detection sees the frame at the size PlateReader._detect gives it: no second resize
        "Det.limit_type": "min",
        "Det.limit_side_len": 32,
        "Det.unclip_ratio": UNCLIP_RATIO,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    _quiet(rapidocr.__name__)
    return rapidocr.RapidOCR(params=params)


def _quiet(package: str) -> None:
    """rapidocr logs every model load at INFO on loggers of its own: keep the kiosk's log clean."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(package):
            logging.getLogger(name).setLevel(logging.WARNING)


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
    if plate is None or run[0].first_score < MIN_FIRST_SCORE:
        return None
    left = min(b.box[0] for b in run)
    top = min(b.box[1] for b in run)
    right = max(b.box[2] for b in run)
    bottom = max(b.box[3] for b in run)
    confidence = min(b.score for b in run)
    return PlateRead(plate.text, plate.format, confidence, (left, top, right, bottom))


def _recognise(engine: Any, bgr: np.ndarray, quads: Sequence[np.ndarray]) -> list[_Rec]:
    """(text, score, first character's score) of the text in each of ``quads``."""
    from rapidocr.ch_ppocr_rec import TextRecInput

    crops = [_crop(bgr, quad) for quad in quads]
    texts = engine.text_rec(TextRecInput(img=crops, return_word_box=True))
    found = zip(texts.txts, texts.scores, texts.word_results, strict=True)
    return [
        (text, float(score), _first_score(text, words.confs, float(score)))
        for text, score, words in found
    ]


def _seen_in(quad: np.ndarray, fine: Sequence[np.ndarray]) -> bool:
    """Whether a box found at full resolution covers ``quad`` (found on the shrunk copy): the
    same text, which is recognised once, from the finer box."""
    box = _bounds(quad)
    return any(_overlap(box, _bounds(q)) >= 0.5 for q in fine)


def _at_edge(quad: np.ndarray, far: Box, frame: np.ndarray) -> bool:
    """Whether ``quad`` touches an edge of the far window inside the frame (a cut text)."""
    left, top, right, bottom = _bounds(quad)
    height, width = frame.shape[:2]
    return (
        (left <= far[0] + 1 and far[0] > 0)
        or (top <= far[1] + 1 and far[1] > 0)
        or (right >= far[2] - 1 and far[2] < width)
        or (bottom >= far[3] - 1 and far[3] < height)
    )


def _overlap(a: Box, b: Box) -> float:
    """The area ``a`` and ``b`` share, as a share of the smaller one's."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / max(smaller, 1)


def _cut_short(text: str) -> bool:
    """Whether ``text`` begins as a plate (a province) and goes on as none: a box too tight."""
    return text.strip()[:1] in PROVINCES and parse(text) is None


def _widen(quad: np.ndarray, share: float) -> np.ndarray:
    """``quad`` longer by ``share`` of its height at each end of its text line."""
    along = quad[1] - quad[0]
    height = float(np.linalg.norm(quad[3] - quad[0]))
    step = along / max(float(np.linalg.norm(along)), 1e-6) * height * share
    return np.array(
        [quad[0] - step, quad[1] + step, quad[2] + step, quad[3] - step], dtype=np.float32
    )


def _first_score(text: str, confs: Sequence[float], score: float) -> float:
    """The recogniser's confidence in the first character of ``text`` (``score`` if unknown)."""
    return float(confs[0]) if len(confs) == len(text) and confs else score


def _groups(boxes: Sequence[TextBox]) -> list[list[TextBox]]:
    """Boxes in reading order, split where the next one cannot be part of the same plate."""
    ordered = sorted(boxes, key=lambda b: (b.box[0], b.box[1]))
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
    """Whether ``b`` continues ``a`` on its line, to the right of it."""
    height = max(a[3] - a[1], b[3] - b[1], 1)
    same_line = abs((a[1] + a[3]) - (b[1] + b[3])) / 2 < height * 0.5
    gap = b[0] - a[2]
    return same_line and -height * 0.5 <= gap <= height * 1.5


def _with_colour(frame: np.ndarray, read: PlateRead) -> PlateRead:
    """``read`` with the colour of the plate behind its characters: the middle half of the text
    box's height (the box reaches past a small plate's edges onto the car)."""
    left, top, right, bottom = read.box
    quarter = (bottom - top) // 4
    band = frame[max(0, top + quarter) : bottom - quarter, max(0, left) : right]
    return replace(read, colour=plate_colour(band))


def _lines(quads: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
    """Groups of two or more boxes side by side on one line (a plate cut into pieces)."""
    boxes = [TextBox("", 0.0, _bounds(q)) for q in quads]
    index = {id(b): q for b, q in zip(boxes, quads, strict=True)}
    return [[index[id(b)] for b in g] for g in _groups(boxes) if len(g) > 1]


def _union(quads: Sequence[np.ndarray]) -> np.ndarray:
    """The upright rectangle around ``quads``, as a quad."""
    points = np.concatenate(quads)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def _crop(bgr: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The text in ``quad`` straightened to an upright rectangle (never turned on its side:
    a plate's tall Chinese character is not vertical text)."""
    import cv2

    top, right, bottom, left = (np.linalg.norm(quad[i] - quad[(i + 1) % 4]) for i in range(4))
    width, height = max(int(max(top, bottom)), 1), max(int(max(left, right)), 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(
        bgr, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def _bounds(quad: np.ndarray) -> Box:
    xs, ys = quad[:, 0], quad[:, 1]
    return (int(xs.min()), int(ys.min()), int(np.ceil(xs.max())), int(np.ceil(ys.max())))
