"""PlateReader reads rendered plates of every format, joins split boxes, and reads no signs."""

from __future__ import annotations

import builtins
import random
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from kiosk.exc import PlateReaderMissing
from kiosk.plates.colour import compatible, plate_colour
from kiosk.plates.corpus import SIGNS
from kiosk.plates.formats import COLOURS, PlateColour, PlateFormat, parse, random_plate
from kiosk.plates.geometry import CAMERA, Camera, far_window
from kiosk.plates.reader import BAND_SIDE, PlateReader, TextBox, plates_in
from kiosk.plates.render import Conditions, plate_band, plate_image, render_scene

pytest.importorskip("rapidocr", reason="the 'plates' extra (rapidocr) is not installed")

DAY = Conditions(noise=3.0, yaw_deg=8.0, blur_px=0.5)


@pytest.fixture(scope="module")
def reader() -> Iterator[PlateReader]:
    """One engine for the module: loading the models takes a second or two."""
    yield PlateReader(threads=1)


CASES = [
    (kind, colour, random_plate(kind, random.Random(n)))
    for n, (kind, colour) in enumerate((k, c) for k, cs in COLOURS.items() for c in cs)
]


@pytest.mark.parametrize(("kind", "colour", "plate"), CASES, ids=[f"{k}-{c}" for k, c, _ in CASES])
def test_reads_a_rendered_plate_of_every_format(
    reader: PlateReader, kind: PlateFormat, colour: PlateColour, plate: str
) -> None:
    frame = render_scene(plate, 4.0, Conditions(colour=colour, noise=3.0, yaw_deg=8.0), seed=7)
    reads = reader.read(frame)
    assert [r.text for r in reads][:1] == [plate]
    assert reads[0].kind is kind
    assert compatible(COLOURS[kind], reads[0].colour)


def test_reads_a_plate_at_night_eight_metres_out(reader: PlateReader) -> None:
    night = Conditions(light=0.12, noise=8.0, yaw_deg=-10.0)
    assert [r.text for r in reader.read(render_scene("苏E5G123", 8.0, night, seed=3))] == [
        "苏E5G123"
    ]


def test_the_box_is_where_the_plate_is(reader: PlateReader) -> None:
    frame = render_scene("京A12345", 3.0, DAY, seed=1)
    (read,) = reader.read(frame)
    left, top, right, bottom = read.box
    assert 0 <= left < right <= frame.shape[1] and 0 <= top < bottom <= frame.shape[0]
    assert (right - left) > 3 * (bottom - top)


def test_a_region_of_interest_reports_boxes_in_frame_coordinates(reader: PlateReader) -> None:
    frame = render_scene("京A12345", 3.0, DAY, seed=1)
    banded = PlateReader(threads=1, roi=plate_band())
    banded._engine = reader._load()  # the same models: no second load
    (whole,) = reader.read(frame)
    (band,) = banded.read(frame)
    assert band.text == whole.text
    assert np.allclose(band.box, whole.box, atol=4)


def test_a_frame_smaller_than_the_region_of_interest_is_read_as_far_as_it_goes(
    reader: PlateReader,
) -> None:
    banded = PlateReader(threads=1, roi=plate_band())
    banded._engine = reader._load()
    assert banded.read(np.zeros((64, 64, 3), np.uint8)) == []


@pytest.mark.parametrize("roi", [(0, 100, 0, 200), (10, 300, 1280, 200), (-1, 0, 10, 10)])
def test_a_region_of_interest_must_be_a_box(roi: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="roi is"):
        PlateReader(roi=roi)
    with pytest.raises(ValueError, match="far is"):
        PlateReader(far=roi)


@pytest.fixture
def crops(reader: PlateReader, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of crops of each recognition the module's engine runs, from now on."""
    engine = reader._load()
    counted: list[int] = []
    recognise = engine.text_rec

    def counting(request: Any) -> Any:
        counted.append(len(request.img))
        return recognise(request)

    monkeypatch.setattr(engine, "text_rec", counting)
    return counted


@pytest.fixture(scope="module")
def placed(reader: PlateReader) -> PlateReader:
    """The reader a kiosk whose camera placement is measured makes (the modelled camera)."""
    placed = PlateReader.placed(CAMERA, threads=1)
    placed._engine = reader._load()
    return placed


def test_a_placed_camera_s_reader_searches_the_band_shrunk_and_the_far_window() -> None:
    reader = PlateReader.placed(CAMERA)
    assert (reader.roi, reader.far, reader.det_side) == (plate_band(), far_window(5.0), BAND_SIDE)
    # a camera no wider than the shrunk band sees its far plates at full resolution already
    small = PlateReader.placed(Camera(640, 480))
    assert small.far is None and small.roi == plate_band(Camera(640, 480))
    unmeasured = PlateReader.placed(None)
    assert (unmeasured.roi, unmeasured.far, unmeasured.det_side) == (None, None, 960)


def test_a_placement_that_sees_no_plate_or_no_far_plate() -> None:
    with pytest.raises(ValueError, match="no plate 2-8 m out is in the picture"):
        PlateReader.placed(Camera(1280, 720, hfov_deg=20.0, mount_m=2.5, aim_m=20.0))
    steep = Camera(1280, 1080, hfov_deg=34.0, mount_m=1.45, aim_m=1.55)  # aimed at its feet
    reader = PlateReader.placed(steep)
    assert reader.far is None and reader.roi == plate_band(steep)


# A plate 8 m out at night: on the band shrunk to 640 px the text is found, but its box, drawn
# round 13 px characters and scaled up, is so loose that the province reads 黄 (0.26 sure); the
# far window, searched at full resolution, gives the box that reads it.
FAR_AT_NIGHT = Conditions(light=0.12, blur_px=0.8, noise=7.2, dirt=0.08, yaw_deg=-4.0)


def test_a_far_plate_is_read_in_the_far_window(placed: PlateReader) -> None:
    frame = render_scene("藏R52174J", 8.0, FAR_AT_NIGHT, seed=12)
    band_only = PlateReader(det_side=BAND_SIDE, threads=1, roi=placed.roi)
    band_only._engine = placed._load()
    assert band_only.read(frame) == []
    assert [r.text for r in placed.read(frame)] == ["藏R52174J"]


@pytest.mark.parametrize("distance", [6.0, 4.0])  # inside the far window; over its edge
def test_a_plate_both_searches_find_is_recognised_once(
    placed: PlateReader, crops: list[int], distance: float
) -> None:
    # two boxes for one plate would be two reads of it in one frame: read differently, two
    # plates, and the confirmer would confirm neither
    (box,) = placed.text_boxes(render_scene("京A12345", distance, DAY, seed=2))
    assert parse(box.text) == parse("京A12345")
    assert crops == [1]  # the far window's box only, not the band's as well


def test_a_box_cut_by_the_far_window_s_edge_is_left_to_the_band(reader: PlateReader) -> None:
    frame = render_scene("京A12345", 4.0, DAY, seed=2)
    (whole,) = reader.text_boxes(frame)
    left, top, right, bottom = whole.box
    # a window that ends in the middle of the plate: at full resolution it finds half of it
    halved = PlateReader(det_side=BAND_SIDE, threads=1, roi=plate_band(),
                         far=(left - 40, top - 40, (left + right) // 2, bottom + 40))  # fmt: skip
    halved._engine = reader._load()
    (box,) = halved.text_boxes(frame)
    assert parse(box.text) == parse(whole.text) and parse(box.text) is not None


def test_a_near_plate_is_read_in_the_band(placed: PlateReader) -> None:
    frame = render_scene("京A12345", 2.5, DAY, seed=3)  # larger than the far window
    assert [r.text for r in placed.read(frame)] == ["京A12345"]


@pytest.mark.parametrize("sign", SIGNS[:4])
def test_an_empty_lane_with_a_sign_reads_no_plate(reader: PlateReader, sign: str) -> None:
    assert reader.read(render_scene(None, sign=sign, seed=5)) == []


def test_a_read_the_plate_colour_rules_out_is_dropped(
    reader: PlateReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The recogniser reads a black plate's text as an ordinary plate's (as it does "使888181"
    # under glare: "皖B88181"); the plate is black, an ordinary plate never is.
    frame = render_scene("京A12345", 4.0, Conditions(colour=PlateColour.BLACK), seed=2)
    assert reader.read(frame) == []
    blue = render_scene("京A12345", 4.0, Conditions(colour=PlateColour.BLUE), seed=2)
    assert [r.text for r in reader.read(blue)] == ["京A12345"]


# bench.plates seed 22: a consulate plate 7.3 m out, rolled 4°, whose tight text box ends inside
# its 领 (read 吉J·5613, no plate); read again from a wider crop it is the plate.
CUT_SHORT = Conditions(
    light=1.0,
    blur_px=1.14,
    noise=3.36,
    dirt=0.11,
    glare=0.21,
    yaw_deg=8.2,
    roll_deg=3.8,
    offset_m=-0.15,
    colour=PlateColour.BLACK,
)


def test_a_box_that_ends_inside_the_plate_is_read_again_wider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = PlateReader(threads=1, roi=plate_band())
    frame = render_scene("吉J5613领", 7.26, CUT_SHORT, seed=496308039)
    monkeypatch.setattr("kiosk.plates.reader.WIDEN", 0.0)  # no wider crop: the first read only
    assert [b.text for b in reader.text_boxes(frame)] == ["吉J·5613"]
    monkeypatch.undo()
    assert [r.text for r in reader.read(frame)] == ["吉J5613领"]


def test_a_box_read_as_a_plate_is_recognised_once(reader: PlateReader, crops: list[int]) -> None:
    assert [r.text for r in reader.read(render_scene("京A12345", 4.0, DAY, seed=2))] == ["京A12345"]
    assert len(crops) == 1  # no second pass for a box that is a plate


def test_a_frame_that_is_not_rgb_is_refused(reader: PlateReader) -> None:
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8 RGB"):
        reader.read(np.zeros((10, 10), np.uint8))


def test_without_the_engine_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_rapidocr(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "rapidocr" or name.startswith("rapidocr."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "rapidocr", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_rapidocr)
    with pytest.raises(PlateReaderMissing, match=r"checkpoint-kiosk\[plates\]"):
        PlateReader().read(np.zeros((64, 64, 3), np.uint8))


def box(text: str, left: int, top: int = 100, height: int = 30, score: float = 0.9) -> TextBox:
    return TextBox(text, score, (left, top, left + 25 * len(text), top + height))


def test_a_plate_split_into_boxes_is_joined() -> None:
    reads = plates_in([box("A·12345", 140), box("京", 100)])
    assert [(r.text, r.box) for r in reads] == [("京A12345", (100, 100, 315, 130))]


def test_the_joined_plate_is_as_sure_as_its_least_sure_part() -> None:
    (read,) = plates_in([box("京", 100, score=0.6), box("A12345", 130, score=0.99)])
    assert read.confidence == 0.6


def test_a_plate_whose_province_the_recogniser_doubts_is_no_read() -> None:
    # 晋CE77058 at 10 m: read as 皖C·E77058 with 0.53 on the first character, 0.9 on average
    doubted = TextBox("皖C·E77058", 0.9, (100, 100, 300, 130), first_score=0.53)
    assert plates_in([doubted]) == []
    assert [r.text for r in plates_in([doubted._replace(first_score=0.98)])] == ["皖CE77058"]


def test_boxes_far_apart_or_on_other_lines_are_not_joined() -> None:
    assert plates_in([box("京", 100), box("A12345", 400)]) == []
    assert plates_in([box("京", 100), box("A12345", 130, top=200)]) == []


def test_two_plates_in_one_frame_are_both_read() -> None:
    reads = plates_in([box("京A12345", 100), box("沪B54321", 600, top=300)])
    assert sorted(r.text for r in reads) == ["京A12345", "沪B54321"]


@pytest.mark.parametrize(
    ("colour", "measured"),
    [(c, c) for c in (PlateColour.BLUE, PlateColour.YELLOW, PlateColour.WHITE, PlateColour.BLACK)],
)
def test_plate_colour_of_a_drawn_plate(colour: PlateColour, measured: PlateColour) -> None:
    image = np.asarray(plate_image("京A12345", colour))
    assert plate_colour(image[70:210]) is measured


def test_a_colour_that_cannot_be_told_allows_every_format() -> None:
    grey = np.full((40, 200, 3), 128, np.uint8)
    assert plate_colour(grey) is None
    assert all(compatible(colours, None) for colours in COLOURS.values())
