"""Synthetic camera frames of a QR pass held up to the kiosk, on a phone or on paper.

``render_frame(text, style, rng)`` draws one 2-D luminance frame: a cluttered background,
and (unless ``text`` is None) a paper card or a phone showing the code, placed with
rotation and perspective, then optics and sensor effects (blur, glare, noise).
``random_style(rng)`` draws styles the way people present passes; ``within_spec``
says whether a frame is one the kiosk promises to read. Used by ``SimulatedCamera`` and by
``bench/decode.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFilter

from drivers.base import GreyFrame

__all__ = [
    "SPEC",
    "FrameStyle",
    "Spec",
    "code_corners",
    "module_pitch",
    "perspective_coeffs",
    "qr_modules",
    "random_style",
    "render_frame",
    "within_spec",
]

QUIET = 4  # quiet-zone modules around the code, as the QR standard asks
ERROR_LEVEL = "m"


@dataclass(frozen=True, slots=True)
class Spec:
    """The presentation limits within which the kiosk promises to read a pass."""

    min_pitch_px: float = 2.5  # smallest module, on the frame, after perspective
    max_blur_modules: float = 0.5  # blur sigma as a fraction of the module pitch
    max_blur_px: float = 2.5
    max_tilt: float = 0.35
    max_noise: float = 12.0
    max_glare: float = 0.5
    min_contrast: float = 0.35


SPEC = Spec()


@dataclass(frozen=True, slots=True)
class FrameStyle:
    """How a pass is presented. Sizes are frame pixels; ``center`` is a fraction of the frame."""

    medium: Literal["phone", "paper"] = "phone"
    code_px: float = 200.0  # side of the code itself, without its quiet zone
    center: tuple[float, float] = (0.5, 0.5)
    rotation_deg: float = 0.0
    tilt: float = 0.0  # 0 = facing the camera; 0.3 = strongly keystoned
    tilt_dir_deg: float = 0.0
    blur_px: float = 0.6  # Gaussian sigma; a little is always there (optics, focus)
    noise: float = 3.0  # sensor noise, grey levels (sigma)
    glare: float = 0.0  # 0..1, a bright reflection near the code
    inverted: bool = False  # light modules on dark (phone dark mode)
    contrast: float = 0.85  # 0..1 of the full grey range between dark and light modules
    background_seed: int = 0


@lru_cache(maxsize=64)
def _matrix(text: str) -> np.ndarray:
    return np.array(segno.make_qr(text, error=ERROR_LEVEL).matrix, dtype=bool)


def qr_modules(text: str) -> int:
    """Modules across the QR code (without quiet zone) that ``text`` needs."""
    return int(_matrix(text).shape[0])


def code_corners(text: str, style: FrameStyle, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The frame coordinates (4x2) of the code's corners, quiet zone excluded."""
    modules = qr_modules(text)
    square = np.array([[0, 0], [modules, 0], [modules, modules], [0, modules]], dtype=float)
    return _to_frame(square + QUIET + _code_origin(modules, style), modules, style, size)


def module_pitch(text: str, style: FrameStyle, size: tuple[int, int] = (640, 480)) -> float:
    """The smallest module pitch in frame pixels (on the code's far side)."""
    corners = code_corners(text, style, size)
    edges = np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1)
    return float(edges.min()) / qr_modules(text)


def within_spec(
    text: str, style: FrameStyle, size: tuple[int, int] = (640, 480), spec: Spec = SPEC
) -> bool:
    """True when ``text`` shown in ``style`` is a frame the kiosk promises to read."""
    pitch = module_pitch(text, style, size)
    corners = code_corners(text, style, size)
    inside = bool(
        (corners >= pitch).all() and (corners[:, 0] <= size[0] - pitch).all()
        and (corners[:, 1] <= size[1] - pitch).all()
    )
    return (
        inside
        and pitch >= spec.min_pitch_px
        and style.blur_px <= min(spec.max_blur_px, spec.max_blur_modules * pitch)
        and style.tilt <= spec.max_tilt
        and style.noise <= spec.max_noise
        and style.glare <= spec.max_glare
        and style.contrast >= spec.min_contrast
    )


def random_style(rng: np.random.Generator, *, hard: float = 0.15) -> FrameStyle:
    """A presentation drawn the way people hold passes up; ``hard`` of them beyond the spec."""
    beyond = rng.random() < hard
    code_px = float(rng.uniform(70, 170) if beyond else rng.uniform(120, 300))
    # Keep the code's centre far enough in that most of it is on the frame.
    margin = (0.55 * code_px / 640, 0.55 * code_px / 480)
    return FrameStyle(
        medium="phone" if rng.random() < 0.7 else "paper",
        code_px=code_px,
        center=(
            float(rng.uniform(min(0.5, margin[0] + 0.05), max(0.5, 0.95 - margin[0]))),
            float(rng.uniform(min(0.5, margin[1] + 0.05), max(0.5, 0.95 - margin[1]))),
        ),
        rotation_deg=float(rng.uniform(-180, 180) if rng.random() < 0.2 else rng.normal(0, 12)),
        tilt=float(rng.uniform(0, 0.5 if beyond else SPEC.max_tilt)),
        tilt_dir_deg=float(rng.uniform(0, 360)),
        blur_px=float(rng.uniform(0.3, 3.5 if beyond else 1.5)),
        noise=float(rng.uniform(1, 20 if beyond else SPEC.max_noise)),
        glare=float(rng.uniform(0, 0.8 if beyond else SPEC.max_glare) if rng.random() < 0.3 else 0),
        inverted=bool(rng.random() < 0.15),
        contrast=float(rng.uniform(0.2 if beyond else SPEC.min_contrast, 0.95)),
        background_seed=int(rng.integers(0, 2**31)),
    )


def render_frame(
    text: str | None,
    style: FrameStyle,
    rng: np.random.Generator,
    size: tuple[int, int] = (640, 480),
) -> GreyFrame:
    """One luminance frame of ``size`` (width, height): ``text`` as a QR pass in ``style``,
    or only the background when ``text`` is None. ``rng`` draws the sensor noise."""
    frame = _background(size, style.background_seed)
    if text is not None:
        frame = _place_card(frame, text, style)
    if style.blur_px > 0:
        frame = frame.filter(ImageFilter.GaussianBlur(style.blur_px))
    pixels: np.ndarray = np.asarray(frame, dtype=np.float32)
    if text is not None and style.glare > 0:
        pixels = pixels + _glare(size, style) * 255 * style.glare
    pixels = pixels + rng.normal(0, style.noise, pixels.shape).astype(np.float32)
    return np.clip(pixels, 0, 255).astype(np.uint8)


@lru_cache(maxsize=16)
def _background(size: tuple[int, int], seed: int) -> Image.Image:
    """A cluttered scene behind the pass: a lit gradient, boxes, poles and some writing."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(rng.uniform(40, 120), rng.uniform(80, 200), width, dtype=np.float32)
    image = Image.fromarray(np.broadcast_to(ramp, (height, width)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(12, 30))):
        x0, y0 = int(rng.integers(-50, width)), int(rng.integers(-50, height))
        x1, y1 = x0 + int(rng.integers(10, 250)), y0 + int(rng.integers(10, 250))
        grey = int(rng.integers(0, 256))
        shape = rng.integers(0, 4)
        if shape == 0:
            draw.rectangle((x0, y0, x1, y1), fill=grey)
        elif shape == 1:
            draw.ellipse((x0, y0, x1, y1), fill=grey)
        elif shape == 2:
            draw.line((x0, y0, x1, y1), fill=grey, width=int(rng.integers(1, 8)))
        else:
            draw.text((x0, y0), "出口 EXIT 3F 禁止吸烟"[: int(rng.integers(4, 14))], fill=grey)
    return image


def _card(text: str, style: FrameStyle, module_src: int) -> Image.Image:
    """The pass as printed on paper or shown on a phone, ``module_src`` pixels per module."""
    matrix = _matrix(text)
    lo = round(128 - 127 * style.contrast)
    hi = round(128 + 127 * style.contrast)
    dark, light = (hi, lo) if style.inverted else (lo, hi)
    code = np.pad(np.where(matrix, dark, light).astype(np.uint8), QUIET, constant_values=light)
    side = code.shape[0]
    x, y = _code_origin(matrix.shape[0], style)
    if style.medium == "paper":
        # White margin around the code, the holder's name and a footer underneath.
        sheet = np.full((side + 14, side + 6), light, np.uint8)
        sheet[side + 5 : side + 7, 5 : side - 2] = dark
        sheet[side + 9 : side + 10, 5 : side // 2] = dark
    else:
        # A phone: black bezel, the app's bar above the code, more screen below it.
        sheet = np.full((int(side * 1.9), side + 4), 12, np.uint8)
        sheet[4 : int(side * 1.9) - 4, 2 : side + 2] = light
        sheet[5:7, 4 : side // 2] = dark
    sheet[y : y + side, x : x + side] = code
    return Image.fromarray(sheet.repeat(module_src, 0).repeat(module_src, 1))


def _code_origin(modules: int, style: FrameStyle) -> tuple[int, int]:
    """Top-left of the quiet zone on the card, in modules."""
    return (3, 3) if style.medium == "paper" else (2, 8)


def _place_card(frame: Image.Image, text: str, style: FrameStyle) -> Image.Image:
    modules = qr_modules(text)
    pitch = style.code_px / modules
    module_src = max(1, math.ceil(pitch * 1.5))  # a little oversampling, like real optics
    card = _card(text, style, module_src)
    card_modules = np.array([[0, 0], [card.width, 0], [card.width, card.height], [0, card.height]])
    corners = _to_frame(card_modules / module_src, modules, style, frame.size)
    coeffs = perspective_coeffs(corners, card.size)
    perspective = Image.Transform.PERSPECTIVE
    warped = card.transform(frame.size, perspective, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", card.size, 255)
    mask = mask.transform(frame.size, perspective, coeffs, Image.Resampling.BILINEAR)
    frame = frame.copy()
    frame.paste(warped, (0, 0), mask)
    return frame


def _to_frame(
    points: np.ndarray, modules: int, style: FrameStyle, frame_size: tuple[int, int]
) -> np.ndarray:
    """Map card points (in modules) to the frame: the code's centre lands on ``style.center``,
    scaled to ``code_px``, rotated, then keystoned by the tilt."""
    centre_on_card = np.array(_code_origin(modules, style)) + QUIET + modules / 2
    points = (points - centre_on_card) * (style.code_px / modules)
    angle = math.radians(style.rotation_deg)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    points = points @ rotation.T
    # Tilting away from the camera: points on the far side shrink toward the code's centre.
    heading = math.radians(style.tilt_dir_deg)
    direction = np.array([math.cos(heading), math.sin(heading)])
    depth = style.tilt * (points @ direction) / style.code_px
    points = points / (1 + depth)[:, None]
    return points + np.array([style.center[0] * frame_size[0], style.center[1] * frame_size[1]])


def perspective_coeffs(
    corners: np.ndarray, card_size: tuple[int, int]
) -> tuple[float, float, float, float, float, float, float, float]:
    """PIL's PERSPECTIVE coefficients mapping frame pixels back onto a card of ``card_size``
    whose corners (top-left, top-right, bottom-right, bottom-left) land on ``corners``."""
    w, h = card_size
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    rows, values = [], []
    for (x, y), (u, v) in zip(corners, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values.extend([u, v])
    solved = np.linalg.solve(np.array(rows, dtype=float), np.array(values, dtype=float))
    a, b, c, d, e, f, g, k = (float(value) for value in solved)
    return a, b, c, d, e, f, g, k


def _glare(size: tuple[int, int], style: FrameStyle) -> np.ndarray:
    """A soft bright reflection (0..1) over part of the code, like a lamp on a phone screen."""
    width, height = size
    cx = style.center[0] * width + 0.25 * style.code_px
    cy = style.center[1] * height - 0.2 * style.code_px
    sigma = 0.3 * style.code_px
    ys, xs = np.ogrid[:height, :width]
    return np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2)).astype(np.float32)

