"""Cutting rectangles into rows and columns; every layout is built from these few helpers."""

from __future__ import annotations

from collections.abc import Sequence

import pygame


def rows(rect: pygame.Rect, weights: Sequence[float] | int, gap: int = 0) -> list[pygame.Rect]:
    """Split ``rect`` top to bottom into parts sized by ``weights`` (or n equal parts)."""
    return [
        pygame.Rect(rect.left, top, rect.width, size)
        for top, size in _spans(rect.top, rect.height, weights, gap)
    ]


def cols(rect: pygame.Rect, weights: Sequence[float] | int, gap: int = 0) -> list[pygame.Rect]:
    """Split ``rect`` left to right into parts sized by ``weights`` (or n equal parts)."""
    return [
        pygame.Rect(left, rect.top, size, rect.height)
        for left, size in _spans(rect.left, rect.width, weights, gap)
    ]


def grid(rect: pygame.Rect, n_rows: int, n_cols: int, gap: int = 0) -> list[pygame.Rect]:
    """Cells of an ``n_rows`` × ``n_cols`` grid, row by row."""
    return [cell for row in rows(rect, n_rows, gap) for cell in cols(row, n_cols, gap)]


def side_by_side(rect: pygame.Rect, first: float, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    """Two parts, ``first`` of the long side to the first (columns if landscape, else rows)."""
    split = cols if rect.width >= rect.height else rows
    a, b = split(rect, (first, 1 - first), gap)
    return a, b


def take_top(rect: pygame.Rect, height: int) -> tuple[pygame.Rect, pygame.Rect]:
    """A band of ``height`` at the top of ``rect`` and the rest below it."""
    height = min(height, rect.height)
    return (
        pygame.Rect(rect.left, rect.top, rect.width, height),
        pygame.Rect(rect.left, rect.top + height, rect.width, rect.height - height),
    )


def take_bottom(rect: pygame.Rect, height: int) -> tuple[pygame.Rect, pygame.Rect]:
    """The rest of ``rect`` above, and a band of ``height`` at its bottom."""
    height = min(height, rect.height)
    return (
        pygame.Rect(rect.left, rect.top, rect.width, rect.height - height),
        pygame.Rect(rect.left, rect.bottom - height, rect.width, height),
    )


def _spans(
    start: int, length: int, weights: Sequence[float] | int, gap: int
) -> list[tuple[int, int]]:
    parts = [1.0] * weights if isinstance(weights, int) else [float(w) for w in weights]
    free = length - gap * (len(parts) - 1)
    total = sum(parts)
    spans: list[tuple[int, int]] = []
    at, used = float(start), 0.0
    for w in parts:
        used += free * w / total
        end = start + round(used) + gap * len(spans)
        spans.append((round(at), end - round(at)))
        at = end + gap
    return spans
