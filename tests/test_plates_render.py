"""Synthetic plates and gate-camera scenes: colours, geometry, determinism, the spec."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.plates.formats import PlateColour
from kiosk.plates.render import (
    CAMERA,
    SPEC,
    Conditions,
    char_height_px,
    plate_corners,
    plate_image,
    render_scene,
    within_spec,
)


def test_the_same_arguments_give_the_same_frame() -> None:
    conditions = Conditions(light=0.3, dirt=0.2, glare=0.3, blur_px=1.0, noise=6.0)
    first = render_scene("京A12345", 5.0, conditions, seed=4)
    assert np.array_equal(first, render_scene("京A12345", 5.0, conditions, seed=4))
    assert not np.array_equal(first, render_scene("京A12345", 5.0, conditions, seed=5))


def test_a_frame_is_the_camera_s_size_in_rgb() -> None:
    frame = render_scene(None, sign="小区出入口")
    assert frame.shape == (CAMERA.height, CAMERA.width, 3) and frame.dtype == np.uint8


@pytest.mark.parametrize(
    ("plate", "colour", "background", "ink"),
    [
        ("京A12345", None, (20, 70, 185), (245, 245, 245)),  # blue, white characters
        ("京A12345", PlateColour.YELLOW, (240, 180, 20), (20, 20, 20)),
        ("沪A1234警", None, (238, 238, 238), (20, 20, 20)),  # white police plate
        ("粤Z1234港", None, (18, 18, 18), (245, 245, 245)),
    ],
)
def test_plate_colours(
    plate: str, colour: PlateColour | None, background: tuple, ink: tuple
) -> None:
    pixels = np.asarray(plate_image(plate, colour))
    colours = {tuple(int(v) for v in p) for p in pixels.reshape(-1, 3)[::97]}
    assert background in colours and ink in colours


def test_police_plates_have_a_red_jing() -> None:
    pixels = np.asarray(plate_image("沪A1234警")).astype(int)
    last_cell = pixels[60:220, 700:860]
    red = (last_cell[..., 0] > 150) & (last_cell[..., 1] < 80) & (last_cell[..., 2] < 80)
    assert red.mean() > 0.05


def test_new_energy_plates_are_green_below_and_longer() -> None:
    small = np.asarray(plate_image("粤BD12345")).astype(int)
    assert small.shape[1] == 480 * 2  # 480 mm at 2 px/mm
    top, bottom = small[10, 20], small[-10, 20]
    assert top.sum() > bottom.sum() and bottom[1] > bottom[0] + 60  # light on top, green below
    large = np.asarray(plate_image("粤B12345D")).astype(int)
    assert large[140, 30][0] > 200 and large[140, -30][1] > large[140, -30][0] + 60


def test_text_that_is_not_a_normal_form_plate_is_refused() -> None:
    with pytest.raises(ValueError, match="not a plate in normal form"):
        plate_image("京A·12345")


@pytest.mark.parametrize("distance", [2.0, 3.0, 5.0, 8.0])
@pytest.mark.parametrize("offset", [-0.25, 0.0, 0.25])
def test_the_plate_is_in_frame_over_the_whole_range(distance: float, offset: float) -> None:
    corners = plate_corners(distance, Conditions(offset_m=offset, yaw_deg=20))
    assert (corners[:, 0] >= 0).all() and (corners[:, 0] <= CAMERA.width).all()
    assert (corners[:, 1] >= 0).all() and (corners[:, 1] <= CAMERA.height).all()


def test_plate_width_on_the_frame_follows_the_lens() -> None:
    corners = plate_corners(5.0, Conditions())
    width = corners[1, 0] - corners[0, 0]
    assert width == pytest.approx(CAMERA.focal_px * 0.44 / 5.0, rel=0.03)
    assert char_height_px(8.0) > 25  # the far end of the range still gives 25 px characters


def test_within_spec() -> None:
    assert within_spec(8.0, Conditions(light=0.12, noise=10, dirt=0.2, glare=0.4, yaw_deg=20))
    assert not within_spec(9.0, Conditions())
    assert not within_spec(1.5, Conditions())
    assert not within_spec(5.0, Conditions(dirt=SPEC.max_dirt + 0.01))
    assert not within_spec(5.0, Conditions(glare=SPEC.max_glare + 0.01))
    assert not within_spec(5.0, Conditions(blur_px=SPEC.max_blur_px + 0.1))
    assert not within_spec(5.0, Conditions(yaw_deg=-30))
