"""Where the gate camera sees plates: the band the reader searches and the far plates' window."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kiosk.plates.geometry import CAMERA, SPEC, Camera, corners, far_window, plate_band


def _inside(points: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    left, top, right, bottom = box
    return bool(
        (points[:, 0] >= left).all()
        and (points[:, 0] <= right).all()
        and (points[:, 1] >= top).all()
        and (points[:, 1] <= bottom).all()
    )


def _in_spec_plates(near_m: float, seed: int, count: int = 400) -> list[np.ndarray]:
    """Corners of plates anywhere from ``near_m`` to 8 m, as turned, rolled and off the axis
    as the spec allows, the new-energy plate's width or the others'."""
    rng = random.Random(seed)
    return [
        corners(
            rng.uniform(near_m, SPEC.max_distance_m),
            rng.uniform(-SPEC.max_yaw_deg, SPEC.max_yaw_deg),
            rng.uniform(-SPEC.max_roll_deg, SPEC.max_roll_deg),
            rng.uniform(-0.25, 0.25),
            CAMERA,
            rng.choice((0.44, 0.48)),
        )
        for _ in range(count)
    ]


def test_every_in_spec_plate_is_inside_the_band() -> None:
    band = plate_band()
    assert band[0] == 0 and band[2] == CAMERA.width
    assert all(_inside(p, band) for p in _in_spec_plates(SPEC.min_distance_m, seed=1))


def test_every_plate_from_five_metres_out_is_inside_the_far_window() -> None:
    window = far_window(5.0)
    assert all(_inside(p, window) for p in _in_spec_plates(5.0, seed=2))


def test_the_far_window_is_a_small_part_of_the_band() -> None:
    # what makes searching it at full resolution cheap: a sixth of the band's pixels
    left, top, right, bottom = far_window(5.0)
    b_left, b_top, b_right, b_bottom = plate_band()
    share = (right - left) * (bottom - top) / ((b_right - b_left) * (b_bottom - b_top))
    assert share < 0.2


def test_a_plate_nearer_than_the_window_leaves_it() -> None:
    assert not _inside(corners(3.0), far_window(5.0))


@pytest.mark.parametrize("camera", [Camera(640, 480), Camera(1920, 1080, hfov_deg=60.0)])
def test_the_regions_stay_inside_any_camera_s_frame(camera: Camera) -> None:
    for left, top, right, bottom in (plate_band(camera), far_window(5.0, camera)):
        assert 0 <= left < right <= camera.width and 0 <= top < bottom <= camera.height
