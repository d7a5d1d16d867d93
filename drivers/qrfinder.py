"""A quick look for QR finder patterns (the three nested squares) without decoding anything.

The viewfinder asks it when the decoder read nothing: finder patterns in view mean a code is
there but could not be read, and the size of the code says whether it is too far away. It
scans every other row for the 1:1:3:1:1 dark-light-dark-light-dark runs of a finder pattern
against a local threshold, all in numpy, and keeps hits that repeat on neighbouring rows.
Tuned for no false sightings on the simulator's empty scenes: it misses many blurred codes
rather than nag an empty gate.
"""

from __future__ import annotations

import numpy as np

from drivers.base import GreyFrame, Sighting

__all__ = ["finder_sightings"]

ROW_STEP = 2
WINDOW_PX = 31  # the local threshold's window along a row
MARGIN = 16  # a pixel is dark when this much below its local mean
MIN_MODULE_PX = 1.5
MIN_ROWS = 3  # a finder pattern crosses at least this many scanned rows


def finder_sightings(frame: GreyFrame) -> tuple[Sighting, ...]:
    """A box around the finder patterns in ``frame``, when at least two are seen."""
    rows = frame[::ROW_STEP].astype(np.int32)
    dark = rows < _local_mean(rows) - MARGIN
    hits = _runs_hits(dark)
    return _group(hits)


def _local_mean(rows: np.ndarray) -> np.ndarray:
    """Mean of each pixel's neighbourhood along its row (a box filter by cumulative sums)."""
    pad = WINDOW_PX // 2
    padded = np.pad(rows, ((0, 0), (pad + 1, pad)), mode="edge")
    sums = np.cumsum(padded, axis=1)
    return (sums[:, WINDOW_PX:] - sums[:, :-WINDOW_PX]) // WINDOW_PX


def _runs_hits(dark: np.ndarray) -> np.ndarray:
    """(x, y, module) of every 1:1:3:1:1 dark-light-dark-light-dark run sequence."""
    width = dark.shape[1]
    change = np.ones_like(dark)
    change[:, 1:] = dark[:, 1:] != dark[:, :-1]
    starts = np.flatnonzero(change.ravel())
    lengths = np.diff(np.append(starts, dark.size))
    row = starts // width
    is_dark = dark.ravel()[starts]
    if len(starts) < 5:
        return np.empty((0, 3))
    window = np.lib.stride_tricks.sliding_window_view(lengths, 5).astype(float)
    first = np.arange(len(window))
    same_row = row[first] == row[first + 4]
    module = window.sum(axis=1) / 7
    expected = np.array([1, 1, 3, 1, 1], dtype=float)
    off = np.abs(window - module[:, None] * expected)
    tolerance = module[:, None] * np.array([0.5, 0.5, 1.2, 0.5, 0.5])
    ok = same_row & is_dark[first] & (module >= MIN_MODULE_PX) & (off < tolerance).all(axis=1)
    chosen = first[ok]
    centre = starts[chosen + 2] + lengths[chosen + 2] / 2
    x = centre % width
    y = row[chosen] * ROW_STEP
    return np.stack([x, y, module[ok]], axis=1)


def _group(hits: np.ndarray) -> tuple[Sighting, ...]:
    """A box around the finder patterns when at least two are seen (a code has three).

    A hit counts when it repeats on neighbouring rows; hits further apart than a finder
    pattern's size are different patterns. One pattern alone is too often a window or a
    tiled wall, so it is not reported.
    """
    if len(hits) < MIN_ROWS:
        return ()
    confirmed = []
    for x, y, module in hits:
        near = (np.abs(hits[:, 0] - x) <= 2 * module) & (np.abs(hits[:, 1] - y) <= 4 * module)
        if near.sum() >= MIN_ROWS:
            confirmed.append((x, y, module))
    centres: list[tuple[float, float, float]] = []
    for x, y, module in confirmed:
        if all(abs(x - cx) > 5 * module or abs(y - cy) > 5 * module for cx, cy, _ in centres):
            centres.append((x, y, module))
    if len(centres) < 2:
        return ()
    found = np.array(confirmed)
    module = float(np.median(found[:, 2]))
    half = 3.5 * module
    x0, y0 = found[:, 0].min() - half, found[:, 1].min() - half
    x1, y1 = found[:, 0].max() + half, found[:, 1].max() + half
    return (Sighting(int(x0), int(y0), int(x1 - x0), int(y1 - y0)),)
