"""Where a car gate camera sees plates: its placement, and the parts of the frame plates keep to.

``Camera`` is the camera as mounted (sensor size, horizontal field of view, height, and where
its axis meets plate height); ``Spec`` the plates the kiosk promises to read (2-8 m, the car
turned up to 25°, ...). From the two: ``plate_band``, the rows an in-spec plate can appear in
(the reader's region of interest: not the sky, not the bonnet), and ``far_window``, the small
part of the frame where the far plates keep to, which the reader searches at full resolution
while it searches the band shrunk (kiosk.plates.reader). The simulator renders its frames
through the same projection (kiosk.plates.render).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CAMERA",
    "SPEC",
    "Box",
    "Camera",
    "Spec",
    "char_height_px",
    "corners",
    "far_window",
    "in_frame",
    "plate_band",
    "project",
]

# (left, top, right, bottom) in frame pixels
Box = tuple[int, int, int, int]

PLATE_HEIGHT_M = 0.14
PLATE_CENTRE_Y_M = 0.5  # height of the plate's centre above the road
WIDEST_PLATE_M = 0.48  # a new-energy plate; the others are 0.44 m
MAX_OFFSET_M = 0.25  # a plate's sideways distance from the camera's axis, at most


@dataclass(frozen=True, slots=True)
class Camera:
    """The gate camera: sensor size in pixels, horizontal field of view, mounting and aim."""

    width: int = 1280
    height: int = 720
    hfov_deg: float = 30.0
    mount_m: float = 0.9  # lens height above the road (a gate-post camera)
    aim_m: float = 3.5  # the optical axis meets the plate's height this far out

    @property
    def focal_px(self) -> float:
        return self.width / 2 / math.tan(math.radians(self.hfov_deg) / 2)

    @property
    def pitch(self) -> float:
        return math.atan2(self.mount_m - PLATE_CENTRE_Y_M, self.aim_m)


CAMERA = Camera()


@dataclass(frozen=True, slots=True)
class Spec:
    """The frames the kiosk promises to read: the limits of each condition."""

    min_distance_m: float = 2.0
    max_distance_m: float = 8.0
    max_blur_px: float = 2.0
    max_blur_of_char: float = 0.08  # blur sigma as a fraction of a character's height
    max_noise: float = 12.0
    max_dirt: float = 0.25
    max_glare: float = 0.5
    max_yaw_deg: float = 25.0
    max_roll_deg: float = 5.0
    min_light: float = 0.08


SPEC = Spec()


def char_height_px(distance_m: float, camera: Camera = CAMERA) -> float:
    """How tall a plate's 90 mm characters are on the frame at ``distance_m``."""
    return camera.focal_px * 0.09 / distance_m


def project(world: np.ndarray, camera: Camera) -> np.ndarray:
    """Pinhole projection of world points (x right, y up from the road, z ahead), pixels."""
    pitch = camera.pitch
    y = world[:, 1] - camera.mount_m
    z = world[:, 2]
    y_cam = y * math.cos(pitch) + z * math.sin(pitch)
    z_cam = -y * math.sin(pitch) + z * math.cos(pitch)
    f = camera.focal_px
    u = camera.width / 2 + f * world[:, 0] / z_cam
    v = camera.height / 2 - f * y_cam / z_cam
    return np.column_stack([u, v])


def corners(
    distance_m: float,
    yaw_deg: float = 0.0,
    roll_deg: float = 0.0,
    offset_m: float = 0.0,
    camera: Camera = CAMERA,
    width_m: float = 0.44,
) -> np.ndarray:
    """Where a plate's corners (top-left, top-right, bottom-right, bottom-left) land, px."""
    roll, yaw = math.radians(roll_deg), math.radians(yaw_deg)
    half_w, half_h = width_m / 2, PLATE_HEIGHT_M / 2
    flat = np.array([[-half_w, half_h], [half_w, half_h], [half_w, -half_h], [-half_w, -half_h]])
    turned = flat @ np.array([[math.cos(roll), math.sin(roll)], [-math.sin(roll), math.cos(roll)]])
    world = np.column_stack(
        [
            offset_m + turned[:, 0] * math.cos(yaw),
            PLATE_CENTRE_Y_M + turned[:, 1],
            distance_m + turned[:, 0] * math.sin(yaw),
        ]
    )
    return project(world, camera)


def _extremes(near_m: float, far_m: float, camera: Camera, spec: Spec) -> np.ndarray:
    """The corners of the widest plate at ``near_m`` and ``far_m``, turned, rolled and off the
    axis every way the spec allows."""
    return np.concatenate(
        [
            corners(d, yaw, roll, offset, camera, WIDEST_PLATE_M)
            for d in (near_m, far_m)
            for yaw in (-spec.max_yaw_deg, spec.max_yaw_deg)
            for roll in (-spec.max_roll_deg, spec.max_roll_deg)
            for offset in (-MAX_OFFSET_M, MAX_OFFSET_M)
        ]
    )


def _clipped(points: np.ndarray, margin_px: int, camera: Camera) -> Box:
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    return (
        max(0, int(left) - margin_px),
        max(0, int(top) - margin_px),
        min(camera.width, int(np.ceil(right)) + margin_px),
        min(camera.height, int(np.ceil(bottom)) + margin_px),
    )


def in_frame(box: Box) -> bool:
    """Whether ``box`` (clipped to the frame by plate_band or far_window) holds any pixel: none
    when what it bounds is all outside the picture."""
    return box[0] < box[2] and box[1] < box[3]


def plate_band(camera: Camera = CAMERA, spec: Spec = SPEC, margin_px: int = 12) -> Box:
    """The rows of the frame where an in-spec plate can appear (2-8 m, the car turned up to the
    spec's yaw, 0.25 m off the axis), the full width; empty (``in_frame``) if none is in it."""
    _, top, _, bottom = _clipped(
        _extremes(spec.min_distance_m, spec.max_distance_m, camera, spec), margin_px, camera
    )
    return (0, top, camera.width, bottom)


def far_window(
    near_m: float = 5.0, camera: Camera = CAMERA, spec: Spec = SPEC, margin_px: int = 16
) -> Box:
    """Where an in-spec plate between ``near_m`` and the spec's furthest distance can appear:
    a small part of the frame round the lane's axis, since a far plate off the axis by the
    spec's 0.25 m is only a little off the picture's middle. Empty (``in_frame``) for a camera
    aimed so steeply that no such plate is in the picture."""
    return _clipped(_extremes(near_m, spec.max_distance_m, camera, spec), margin_px, camera)
