"""Plates from camera frames (kiosk.vehicles.camera): the real OCR on a rendered gate scene once,
and the decoder's frame handling with a scripted reader."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from kiosk.plates.confirm import PlateConfirmer
from kiosk.vehicles.camera import PlateDecoder
from tests.vehicle_support import Read, ScriptedPlates

HAS_OCR = importlib.util.find_spec("rapidocr") is not None


def test_a_plate_counts_on_the_second_frame_that_reads_it() -> None:
    plates, now = ScriptedPlates(), [0.0]
    decoder = PlateDecoder(plates, PlateConfirmer(), lambda: now[0])
    plates.plate = "京A12345"
    first = decoder.decode(np.zeros((4, 4), np.uint8))
    now[0] = 0.1
    assert (first, decoder.decode(np.zeros((4, 4), np.uint8))) == ([], ["京A12345"])


def test_the_same_frame_is_not_read_twice() -> None:
    plates = ScriptedPlates()
    decoder = PlateDecoder(plates, PlateConfirmer(), lambda: 0.0)
    frame = np.zeros((4, 4), np.uint8)
    decoder.decode(frame)
    decoder.decode(frame)
    decoder.decode(frame.copy())
    assert plates.frames == 2


class Queue:
    """Two cars in the frame: ``front`` at 3 m and ``behind`` a car's length further (7.5 m)."""

    def __init__(self, front: str, behind: str, behind_box: tuple[int, int, int, int]) -> None:
        self.reads = [Read(front, (500, 400, 740, 472)), Read(behind, behind_box)]

    def read(self, frame: np.ndarray) -> list[Read]:
        return self.reads


def confirmed_over_two_frames(queue: Queue) -> list[str]:
    now = [0.0]
    decoder = PlateDecoder(queue, PlateConfirmer(), lambda: now[0])
    decoder.decode(np.zeros((4, 4), np.uint8))
    now[0] = 0.1
    return decoder.decode(np.zeros((4, 4), np.uint8))


def test_the_car_in_front_is_confirmed_with_a_car_behind_it_in_the_frame() -> None:
    queue = Queue("京A12345", "粤B99999", (610, 300, 706, 329))  # 29 px: 0.4 of the front's 72
    assert confirmed_over_two_frames(queue) == ["京A12345"]


def test_two_plates_of_one_size_confirm_neither() -> None:
    queue = Queue("京A12345", "粤B99999", (100, 402, 340, 470))  # side by side: which is in front?
    assert confirmed_over_two_frames(queue) == []


@pytest.mark.skipif(not HAS_OCR, reason="the plates extra (rapidocr, onnxruntime) is not installed")
def test_the_simulated_gate_camera_is_read_by_the_real_ocr() -> None:
    from drivers.camera_plates_sim import SimulatedPlateCamera
    from kiosk.plates.reader import PlateReader

    camera = SimulatedPlateCamera()
    camera.present("京A12345", distance_m=4.0)
    now = [0.0]
    decoder = PlateDecoder(PlateReader(), PlateConfirmer(), lambda: now[0])
    seen = []
    for tick in range(3):
        now[0] = tick * 0.1
        seen.append(decoder.decode(camera.read()))
    assert seen == [[], ["京A12345"], ["京A12345"]]  # confirmed on the second, then still there
