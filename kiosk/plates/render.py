"""Synthetic licence plates and gate-camera frames of a car showing one.

``plate_image(text)`` draws a plate as GA 36-2018 lays it out (440 × 140 mm, 480 mm for
new-energy plates; characters 45 × 90 mm) in its colours: blue with white characters, yellow,
green gradient or yellow and green with black ones, white police plates with a red 警, black
plates with white characters. ``render_scene(plate, distance_m, conditions, seed)`` puts it on
the front of a car standing ``distance_m`` in front of the gate camera (``Camera``: a 1280 × 720
sensor behind a 30° lens, 0.9 m up, aimed at plate height 3.5 m out) and adds what a real camera
adds: perspective, dusk or night, dirt, glare, blur and sensor noise. The same arguments give
the same frame. ``within_spec`` says whether the kiosk promises to read such a frame.

Characters are drawn with the CJK font setup.sh installs (Debian's fonts-wqy-microhei),
stretched into each character cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from drivers.frames import perspective_coeffs
from kiosk.exc import FontMissing
from kiosk.plates.formats import PlateColour, parse
from kiosk.plates.geometry import (
    CAMERA,
    SPEC,
    Camera,
    Spec,
    char_height_px,
    corners,
    far_window,
    plate_band,
    project,
)

__all__ = [
    "CAMERA",
    "SPEC",
    "Camera",
    "Conditions",
    "Spec",
    "char_height_px",
    "far_window",
    "plate_band",
    "plate_corners",
    "plate_image",
    "render_scene",
    "within_spec",
]

FONT_FILE = "wqy-microhei.ttc"  # Debian fonts-wqy-microhei; PIL finds it under /usr/share/fonts
PX_PER_MM = 2  # resolution the plate is drawn at before the camera sees it

RGB = tuple[int, int, int]
BLACK_INK: RGB = (20, 20, 20)
WHITE_INK: RGB = (245, 245, 245)
RED_INK: RGB = (200, 25, 25)
# colour -> (top or left background, bottom or right background, ink)
PALETTE: dict[PlateColour, tuple[RGB, RGB, RGB]] = {
    PlateColour.BLUE: ((20, 70, 185), (20, 70, 185), WHITE_INK),
    PlateColour.YELLOW: ((240, 180, 20), (240, 180, 20), BLACK_INK),
    PlateColour.GREEN: ((230, 248, 236), (70, 190, 115), BLACK_INK),
    PlateColour.YELLOW_GREEN: ((240, 190, 30), (80, 190, 110), BLACK_INK),
    PlateColour.WHITE: ((238, 238, 238), (238, 238, 238), BLACK_INK),
    PlateColour.BLACK: ((18, 18, 18), (18, 18, 18), WHITE_INK),
}
RED_CHARACTERS = frozenset("警使领")


@dataclass(frozen=True, slots=True)
class Conditions:
    """What the scene and the camera do to the plate."""

    light: float = 1.0  # scene brightness: 1 day, 0.3 dusk, 0.1 night (the plate is lit by IR)
    blur_px: float = 0.0  # Gaussian blur sigma on the frame (focus, motion, rain)
    noise: float = 2.0  # sensor noise sigma, grey levels
    dirt: float = 0.0  # 0..1: how much of the plate mud covers
    glare: float = 0.0  # 0..1: a headlamp or sun reflection on the plate
    yaw_deg: float = 0.0  # the car's angle to the lane
    roll_deg: float = 0.0  # the plate's tilt in its own plane
    offset_m: float = 0.0  # the plate's sideways distance from the camera's axis
    colour: PlateColour | None = None  # None: the commonest colour of the plate's format


def within_spec(
    distance_m: float, conditions: Conditions, camera: Camera = CAMERA, spec: Spec = SPEC
) -> bool:
    """Whether a plate at ``distance_m`` under ``conditions`` is one the kiosk promises to read."""
    c = conditions
    blur_limit = min(spec.max_blur_px, spec.max_blur_of_char * char_height_px(distance_m, camera))
    return (
        spec.min_distance_m <= distance_m <= spec.max_distance_m
        and c.blur_px <= blur_limit
        and c.noise <= spec.max_noise
        and c.dirt <= spec.max_dirt
        and c.glare <= spec.max_glare
        and abs(c.yaw_deg) <= spec.max_yaw_deg
        and abs(c.roll_deg) <= spec.max_roll_deg
        and c.light >= spec.min_light
    )


def plate_image(text: str, colour: PlateColour | None = None) -> Image.Image:
    """The plate ``text`` (any format ``formats.parse`` accepts) drawn at PX_PER_MM, RGB."""
    plate = parse(text)
    if plate is None or plate.text != text:
        raise ValueError(f"{text!r} is not a plate in normal form")
    colour = colour or plate.colours[0]
    return _plate_image(text, colour).copy()


@lru_cache(maxsize=64)
def _plate_image(text: str, colour: PlateColour) -> Image.Image:
    width_mm = 480 if len(text) == 8 else 440
    top, bottom, ink = PALETTE[colour]
    image = _background(width_mm, top, bottom, split=colour is PlateColour.YELLOW_GREEN)
    draw = ImageDraw.Draw(image)
    s = PX_PER_MM
    w, h = image.size
    draw.rounded_rectangle((3 * s, 3 * s, w - 3 * s, h - 3 * s), 6 * s, outline=ink, width=3)
    char_w, lefts = _cells(len(text))
    for char, left in zip(text, lefts, strict=True):
        glyph = _glyph(char, char_w * s, 90 * s)
        ink_here = RED_INK if char in RED_CHARACTERS else ink
        image.paste(Image.new("RGB", glyph.size, ink_here), (round(left * s), 25 * s), glyph)
    if len(text) == 7:  # the dot between the issuing authority and the serial
        cx, cy, r = 134.5 * s, 70 * s, 5 * s
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink)
    return image


def _background(width_mm: int, top: RGB, bottom: RGB, *, split: bool) -> Image.Image:
    w, h = width_mm * PX_PER_MM, 140 * PX_PER_MM
    a, b = np.array(top, np.float32), np.array(bottom, np.float32)
    if split:  # large new-energy plates: yellow under the first two characters, green after
        t = (np.arange(w) >= 0.32 * w).astype(np.float32)[None, :, None]
        pixels = np.broadcast_to(a + (b - a) * t, (h, w, 3))
    else:
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        pixels = np.broadcast_to(a + (b - a) * t, (h, w, 3))
    return Image.fromarray(pixels.astype(np.uint8))


def _cells(count: int) -> tuple[int, list[float]]:
    """Character width and left edges (mm): a wider gap after the second character."""
    first, char_w, space, gap = (16.5, 43, 9, 49) if count == 8 else (15.5, 45, 12, 34)
    second = first + char_w + space
    third = second + char_w + gap
    return char_w, [first, second] + [third + i * (char_w + space) for i in range(count - 2)]


@lru_cache(maxsize=256)
def _glyph(char: str, width: int, height: int) -> Image.Image:
    """``char`` as a mask stretched to fill a ``width`` × ``height`` cell."""
    font = _font(height)
    canvas = Image.new("L", (height * 2, height * 2), 0)
    ImageDraw.Draw(canvas).text((height // 2, height // 4), char, font=font, fill=255)
    box = canvas.getbbox() or (0, 0, 1, 1)
    glyph = canvas.crop(box)
    if char.isascii():  # narrow glyphs (1, J) keep their shape, centred in the cell
        scale = height / glyph.height
        narrow = min(width, round(glyph.width * scale * 1.15))
        glyph = glyph.resize((max(narrow, 1), height), Image.Resampling.LANCZOS)
        cell = Image.new("L", (width, height), 0)
        cell.paste(glyph, ((width - glyph.width) // 2, 0))
        return cell
    return glyph.resize((width, height), Image.Resampling.LANCZOS)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(FONT_FILE, size)
    except OSError as error:
        raise FontMissing(
            f"cannot draw plates: font {FONT_FILE} not found; "
            "install it with 'sudo apt install fonts-wqy-microhei'"
        ) from error


def plate_corners(
    distance_m: float, conditions: Conditions, camera: Camera = CAMERA, width_m: float = 0.44
) -> np.ndarray:
    """Where the plate's corners (top-left, top-right, bottom-right, bottom-left) land, px."""
    c = conditions
    return corners(distance_m, c.yaw_deg, c.roll_deg, c.offset_m, camera, width_m)


def render_scene(
    plate: str | None,
    distance_m: float = 5.0,
    conditions: Conditions = Conditions(),
    seed: int = 0,
    camera: Camera = CAMERA,
    sign: str | None = None,
) -> np.ndarray:
    """A gate-camera frame ((H, W, 3) uint8 RGB) of a car carrying ``plate`` ``distance_m`` out.

    ``plate`` None: the empty lane. ``sign``: a board with this text hangs in the background
    (the things a plate reader must not read as a plate). ``seed`` picks the car, the
    background, the dirt and the noise; the same arguments give the same frame.
    """
    rng = np.random.default_rng(seed)
    frame = _street(camera, rng, sign)
    if plate is not None:
        _draw_car(frame, distance_m, conditions, camera, rng)
    frame = _dimmed(frame, conditions.light)
    if plate is not None:
        colour = conditions.colour or _format_colour(plate)
        card = _weathered(plate_image(plate, colour), conditions, rng)
        corners = plate_corners(distance_m, conditions, camera, card.width / PX_PER_MM / 1000)
        coeffs = perspective_coeffs(corners, card.size)
        perspective = Image.Transform.PERSPECTIVE
        warped = card.transform(frame.size, perspective, coeffs, Image.Resampling.BICUBIC)
        mask = Image.new("L", card.size, 255).transform(
            frame.size, perspective, coeffs, Image.Resampling.BILINEAR
        )
        # the plate is retroreflective and the camera's IR lamp lights it when the scene is dark
        frame.paste(_dimmed(warped, conditions.light + 0.6 * (1 - conditions.light)), mask=mask)
        glare_at = corners.mean(axis=0) + rng.uniform(-0.3, 0.3, 2) * np.ptp(corners, axis=0)
        glare_sigma = 0.25 * float(np.ptp(corners[:, 0]))
    if conditions.blur_px > 0:
        frame = frame.filter(ImageFilter.GaussianBlur(conditions.blur_px))
    pixels = np.asarray(frame, dtype=np.float32)
    if plate is not None and conditions.glare > 0:
        ys, xs = np.ogrid[: camera.height, : camera.width]
        spot = np.exp(-((xs - glare_at[0]) ** 2 + (ys - glare_at[1]) ** 2) / (2 * glare_sigma**2))
        pixels += (spot * 255 * conditions.glare)[:, :, None]
    pixels += rng.normal(0, conditions.noise, pixels.shape).astype(np.float32)
    return np.clip(pixels, 0, 255).astype(np.uint8)


@lru_cache(maxsize=32)
def _street_base(camera: Camera, seed: int, sign: str | None) -> Image.Image:
    """Buildings over a road, a gate post and maybe a sign: the lane without a car."""
    rng = np.random.default_rng(seed)
    w, h = camera.width, camera.height
    horizon = int(project(np.array([[0.0, camera.mount_m, 200.0]]), camera)[0, 1])
    sky = np.linspace(rng.uniform(150, 220), rng.uniform(90, 150), h, dtype=np.float32)
    pixels = np.repeat(sky[:, None, None], w, axis=1).repeat(3, axis=2)
    pixels[:, :, 2] += 15
    road = rng.uniform(70, 110)
    pixels[max(horizon, 0) :, :, :] = road
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 9))):  # buildings along the horizon
        x0 = int(rng.integers(-100, w))
        top = horizon - int(rng.integers(40, 300))
        grey = tuple(int(v) for v in rng.integers(90, 200, 3))
        draw.rectangle((x0, top, x0 + int(rng.integers(80, 300)), horizon), fill=grey)
    draw.rectangle((int(w * 0.05), int(h * 0.15), int(w * 0.05) + 18, h), fill=(200, 40, 40))
    if sign is not None:
        board_h = int(rng.integers(40, 90))
        x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(20, max(horizon - board_h, 21)))
        colours = [
            ((20, 70, 185), WHITE_INK),
            ((250, 250, 250), RED_INK),
            ((30, 120, 60), WHITE_INK),
        ]
        board, ink = colours[int(rng.integers(0, len(colours)))]
        font = _font(int(board_h * 0.6))
        text_w = int(draw.textlength(sign, font=font))
        draw.rectangle((x0, y0, x0 + text_w + board_h, y0 + board_h), fill=board)
        draw.text((x0 + board_h // 2, y0 + board_h // 5), sign, font=font, fill=ink)
    return image


def _street(camera: Camera, rng: np.random.Generator, sign: str | None) -> Image.Image:
    return _street_base(camera, int(rng.integers(0, 8)), sign).copy()


def _draw_car(
    frame: Image.Image,
    distance_m: float,
    conditions: Conditions,
    camera: Camera,
    rng: np.random.Generator,
) -> None:
    """The front of a car around the plate: body, grille, lamps, bonnet and windscreen."""
    yaw = math.radians(conditions.yaw_deg)
    off, z0 = conditions.offset_m, distance_m + 0.03

    def face(
        x0: float, x1: float, y0: float, y1: float, z: float = 0.0
    ) -> list[tuple[float, float]]:
        pts = np.array([[x0, y1], [x1, y1], [x1, y0], [x0, y0]])
        world = np.column_stack(
            [off + pts[:, 0] * math.cos(yaw), pts[:, 1], z0 + z + pts[:, 0] * math.sin(yaw)]
        )
        return [(float(u), float(v)) for u, v in project(world, camera)]

    body = tuple(int(v) for v in rng.integers(20, 235, 3))
    draw = ImageDraw.Draw(frame)
    glass = (40, 50, 60)
    bonnet = project(
        np.array([[off - 0.85, 0.95, z0], [off + 0.85, 0.95, z0], [off + 0.7, 1.05, z0 + 1.0],
                  [off - 0.7, 1.05, z0 + 1.0]]), camera)  # fmt: skip
    screen = project(
        np.array([[off - 0.7, 1.05, z0 + 1.0], [off + 0.7, 1.05, z0 + 1.0],
                  [off + 0.6, 1.45, z0 + 1.7], [off - 0.6, 1.45, z0 + 1.7]]), camera)  # fmt: skip
    draw.polygon([tuple(p) for p in screen.tolist()], fill=glass)
    draw.polygon([tuple(p) for p in bonnet.tolist()], fill=body)
    draw.polygon(face(-0.88, 0.88, 0.22, 0.95), fill=body)
    draw.polygon(face(-0.45, 0.45, 0.62, 0.85), fill=(25, 25, 28))  # grille
    for side in (-1, 1):
        draw.polygon(face(side * 0.62, side * 0.82, 0.72, 0.84), fill=(235, 235, 220))
    draw.polygon(face(-0.88, 0.88, 0.22, 0.3), fill=(30, 30, 30))  # bumper's lower edge


def _weathered(card: Image.Image, conditions: Conditions, rng: np.random.Generator) -> Image.Image:
    """Mud spots over ``conditions.dirt`` of the plate."""
    if conditions.dirt <= 0:
        return card
    card = card.copy()
    mud = Image.new("L", card.size, 0)
    draw = ImageDraw.Draw(mud)
    w, h = card.size
    covered_target = conditions.dirt * w * h
    covered = 0.0
    while covered < covered_target:
        r = float(rng.uniform(0.02, 0.08)) * w
        x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
        draw.ellipse((x - r, y - r * 0.6, x + r, y + r * 0.6), fill=int(rng.integers(120, 230)))
        covered += math.pi * r * r * 0.6
    mud = mud.filter(ImageFilter.GaussianBlur(w * 0.01))
    card.paste(Image.new("RGB", card.size, (105, 85, 60)), (0, 0), mud)
    return card


def _dimmed(image: Image.Image, light: float) -> Image.Image:
    """``image`` as the camera sees it at ``light`` (1: daylight)."""
    if light >= 1:
        return image
    return Image.fromarray((np.asarray(image, dtype=np.float32) * light).astype(np.uint8))


def _format_colour(plate: str) -> PlateColour:
    parsed = parse(plate)
    if parsed is None:
        raise ValueError(f"{plate!r} is not a plate")
    return parsed.colours[0]
