"""A quick look for QR finder patterns (the three nested squares) without decoding anything.

The viewfinder asks it when the decoder read nothing: finder patterns in view mean a code is
there but could not be read, and the size of the code says whether it is too far away.

It works on the frame averaged down by 2 (which halves the sensor noise, so a smaller
contrast margin still ignores it) against a square local mean, and looks for both
dark-on-light and light-on-dark (phone dark mode) patterns. Every row is scanned for
dark-light-dark-light-dark runs in roughly 1:1:3:1:1 proportion, all in numpy; the
tolerance is loose because blur eats the thin light ring. What keeps an empty gate quiet is
the checks after that: a hit must repeat on neighbouring rows, the column through its
centre must show the same proportions, and two such patterns of the same module size must
sit as far apart as the corners of a QR code. ``python -m bench.aim`` measures the hit rate
on unread frames and the false sightings on empty scenes.
"""

from __future__ import annotations

import numpy as np

from drivers.base import GreyFrame, Sighting

__all__ = ["finder_sightings"]

# First the frame averaged down by 2, which halves the sensor noise so a small margin
# ignores it: a pixel is dark when SMALL_MARGIN below the mean of the SMALL_WINDOW square
# around it (light: above). Then, for codes too small for that, every other row of the full
# frame against a mean along the row, with a stricter margin (dark patterns only).
SMALL_WINDOW, SMALL_MARGIN = 21, 8
ROW_STEP, ROW_WINDOW, ROW_MARGIN = 2, 31, 16
MIN_MODULE_PX = 2.0  # frame pixels
MIN_ROWS = 3  # a finder pattern crosses at least this many rows
RATIOS = np.array([1, 1, 3, 1, 1], dtype=float)
TOLERANCE = np.array([0.7, 0.7, 1.5, 0.7, 0.7])  # of a module, per run
# Finder centres of one code are (modules - 7) modules apart: 46 for a pass (version 9, 53
# modules), less when keystoned, more along the diagonal. Closer pairs are not a pass (and
# were the false sightings on the bench's empty scenes).
SPAN_MODULES = (20.0, 80.0)
SAME_MODULE = 1.6  # two patterns of one code differ less than this in module size


def finder_sightings(frame: GreyFrame) -> tuple[Sighting, ...]:
    """A box around the finder patterns in ``frame``, when at least two of one code are seen."""
    small = _downscale(frame, 2)
    mean = _local_mean(small, SMALL_WINDOW)
    for mask in (small < mean - SMALL_MARGIN, small > mean + SMALL_MARGIN):
        box = _code_box(_verified(mask, _group(_runs_hits(mask, MIN_MODULE_PX / 2))))
        if box is not None:
            return (_scaled(box, 2),)
    return _small_code(frame)


def _small_code(frame: GreyFrame) -> tuple[Sighting, ...]:
    """Dark finder patterns too small for the averaged frame, on every other full row."""
    rows = frame[::ROW_STEP].astype(np.int32)
    dark = rows < _row_mean(rows) - ROW_MARGIN
    hits = _runs_hits(dark, MIN_MODULE_PX)
    hits[:, 1] *= ROW_STEP
    box = _code_box(_group(hits))
    return () if box is None else (box,)


def _downscale(frame: GreyFrame, k: int) -> np.ndarray:
    """The mean of every k×k block (an integer image), by adding k² strided views."""
    h, w = frame.shape[0] // k * k, frame.shape[1] // k * k
    total = np.zeros((h // k, w // k), dtype=np.int32)
    for dy in range(k):
        for dx in range(k):
            total += frame[dy:h:k, dx:w:k]
    return total // (k * k)


def _row_mean(rows: np.ndarray) -> np.ndarray:
    """Mean of each pixel's neighbourhood along its row (a box filter by cumulative sums)."""
    pad = ROW_WINDOW // 2
    padded = np.pad(rows, ((0, 0), (pad + 1, pad)), mode="edge")
    sums = np.cumsum(padded, axis=1)
    return (sums[:, ROW_WINDOW:] - sums[:, :-ROW_WINDOW]) // ROW_WINDOW


def _local_mean(image: np.ndarray, w: int) -> np.ndarray:
    """Mean of each pixel's ``w``-square neighbourhood (a box filter on an integral image)."""
    pad = w // 2
    padded = np.pad(image, ((pad + 1, pad), (pad + 1, pad)), mode="edge")
    sums = padded.cumsum(axis=0).cumsum(axis=1)
    return (sums[w:, w:] - sums[:-w, w:] - sums[w:, :-w] + sums[:-w, :-w]) // (w * w)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values along each row: start (flat index), length, row, value."""
    change = np.ones_like(mask)
    change[:, 1:] = mask[:, 1:] != mask[:, :-1]
    starts = np.flatnonzero(change.ravel())
    lengths = np.diff(np.append(starts, mask.size))
    return starts, lengths, starts // mask.shape[1], mask.ravel()[starts]


def _ratio_ok(window: np.ndarray, min_module: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Which 5-run windows are in finder proportion, and their module size."""
    module = window.sum(axis=1) / 7
    off = np.abs(window - module[:, None] * RATIOS)
    ok = (module >= min_module) & (off < module[:, None] * TOLERANCE).all(axis=1)
    return ok, module


def _runs_hits(mask: np.ndarray, min_module: float) -> np.ndarray:
    """(x, y, module) of every set-clear-set-clear-set run sequence in finder proportion."""
    starts, lengths, row, is_set = _runs(mask)
    if len(starts) < 5:
        return np.empty((0, 3))
    window = np.lib.stride_tricks.sliding_window_view(lengths, 5).astype(float)
    first = np.arange(len(window))
    ok, module = _ratio_ok(window, min_module)
    ok &= (row[first] == row[first + 4]) & is_set[first]
    chosen = first[ok]
    centre = starts[chosen + 2] + lengths[chosen + 2] / 2
    return np.stack([centre % mask.shape[1], row[chosen], module[ok]], axis=1)


def _group(hits: np.ndarray) -> list[tuple[float, float, float]]:
    """One (x, y, module) per pattern: hits repeated on neighbouring rows, merged."""
    centres: list[tuple[float, float, float]] = []
    if len(hits) < MIN_ROWS:
        return centres
    for x, y, module in hits:
        near = (np.abs(hits[:, 0] - x) <= 2 * module) & (np.abs(hits[:, 1] - y) <= 4 * module)
        if near.sum() < MIN_ROWS:
            continue
        if all(abs(x - cx) > 5 * module or abs(y - cy) > 5 * module for cx, cy, _ in centres):
            mid = hits[near]
            centres.append((float(np.median(mid[:, 0])), float(np.median(mid[:, 1])), module))
    return centres


def _verified(
    mask: np.ndarray, centres: list[tuple[float, float, float]]
) -> list[tuple[float, float, float]]:
    """Centres that show the same proportions down the column through them: a square
    pattern, not a stripe or a window frame. (The diagonals too would lose most blurred
    codes on the bench, bench.aim, for no fewer false sightings.)"""
    return [(x, y, m) for x, y, m in centres if _crosses(mask, x, y, m, (0, 1))]


def _crosses(mask: np.ndarray, x: float, y: float, module: float, step: tuple[int, int]) -> bool:
    """Whether the line through (x, y) in direction ``step`` crosses a finder pattern there."""
    reach = int(6 * module) + 2
    t = np.arange(-reach, reach + 1)
    xs, ys = int(x) + step[0] * t, int(y) + step[1] * t
    inside = (xs >= 0) & (xs < mask.shape[1]) & (ys >= 0) & (ys < mask.shape[0])
    line = mask[ys[inside], xs[inside]][None, :]
    starts, lengths, _, is_set = _runs(line)
    if len(starts) < 5:
        return False
    # A diagonal step is sqrt(2) long, and so is a square's width along its diagonal: an
    # upright pattern spans as many samples on the diagonal as across.
    expected = module
    window = np.lib.stride_tricks.sliding_window_view(lengths, 5).astype(float)
    first = np.arange(len(window))
    ok, found = _ratio_ok(window)
    middle = starts[first + 2] + lengths[first + 2] / 2 - (reach - int(np.argmax(inside)))
    ok &= is_set[first] & (np.abs(middle) <= 1.5 * expected)
    ratio = found / expected
    return bool((ok & (ratio < SAME_MODULE) & (ratio > 1 / SAME_MODULE)).any())


def _code_box(centres: list[tuple[float, float, float]]) -> Sighting | None:
    """A box around the patterns that pair up as corners of one code (None when none do)."""
    corners: set[int] = set()
    for i, (x, y, m) in enumerate(centres):
        for j in range(i + 1, len(centres)):
            u, v, n = centres[j]
            span = np.hypot(u - x, v - y) / ((m + n) / 2)
            same = max(m, n) / min(m, n) < SAME_MODULE
            if same and SPAN_MODULES[0] <= span <= SPAN_MODULES[1]:
                corners |= {i, j}
    if not corners:
        return None
    found = np.array([centres[i] for i in sorted(corners)])
    half = 3.5 * float(np.median(found[:, 2]))
    x0, y0 = found[:, 0].min() - half, found[:, 1].min() - half
    x1, y1 = found[:, 0].max() + half, found[:, 1].max() + half
    return Sighting(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def _scaled(box: Sighting, k: int) -> Sighting:
    return Sighting(box.x * k, box.y * k, box.width * k, box.height * k)
