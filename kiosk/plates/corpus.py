"""Seeded corpora of vehicles arriving at the gate camera, for the bench and the tests.

An ``Arrival`` is one car: its plate, the conditions it comes in, where it enters the reading
range and how fast it rolls towards the barrier. ``Arrival.frames(fps)`` renders what the
camera sees from the moment the plate comes into range (t = 0). ``arrivals`` draws a corpus
with every plate format and colour under day, dusk and night light; ``SIGNS`` are texts hung
in empty-lane frames that a plate reader must not take for a plate.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kiosk.plates.formats import COLOURS, PlateColour, PlateFormat, random_plate
from kiosk.plates.render import CAMERA, SPEC, Camera, Conditions, render_scene, within_spec

__all__ = ["SIGNS", "Arrival", "arrivals", "random_conditions"]

STOP_M = 3.0  # where a car waits for the barrier
SIGNS = (
    "小区出入口 减速慢行",
    "京A停车场 欢迎光临",
    "外来车辆请登记",
    "粤B 临时停车 15分钟",
    "限高2.2米",
    "A12345",
    "沪A·B 出口",
    "车牌识别 一车一杆",
)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One car rolling towards the barrier from ``start_m`` at ``speed_mps``, stopping at STOP_M."""

    plate: str
    kind: PlateFormat
    conditions: Conditions
    start_m: float
    speed_mps: float
    seed: int

    def distance_at(self, t: float) -> float:
        return max(STOP_M, self.start_m - self.speed_mps * t)

    def in_spec(self) -> bool:
        """Whether the kiosk promises to read this car: its conditions are within SPEC."""
        return within_spec(self.start_m, self.conditions)

    def frames(
        self, fps: float, seconds: float, camera: Camera = CAMERA
    ) -> Iterator[tuple[float, np.ndarray]]:
        """(t, frame) at ``fps`` from the plate's arrival in range to ``seconds`` after it."""
        for i in range(int(seconds * fps) + 1):
            t = i / fps
            yield (
                t,
                render_scene(
                    self.plate,
                    self.distance_at(t),
                    self.conditions,
                    seed=self.seed + i,
                    camera=camera,
                ),
            )


def random_conditions(rng: random.Random, colour: PlateColour, hard: bool = False) -> Conditions:
    """Day, dusk or night with the blur, dirt, glare and angles of a real lane (beyond SPEC when
    ``hard``)."""
    scale = 1.6 if hard else 1.0
    return Conditions(
        light=rng.choice((1.0, 1.0, 0.35, 0.12)),
        blur_px=rng.uniform(0, SPEC.max_blur_px * 0.6 * scale),
        noise=rng.uniform(1, SPEC.max_noise * (0.8 if not hard else 1.5)),
        dirt=rng.uniform(0, SPEC.max_dirt * scale),
        glare=rng.uniform(0, SPEC.max_glare * scale),
        yaw_deg=rng.uniform(-1, 1) * SPEC.max_yaw_deg * (0.8 if not hard else 1.4),
        roll_deg=rng.uniform(-1, 1) * SPEC.max_roll_deg,
        offset_m=rng.uniform(-0.25, 0.25),
        colour=colour,
    )


def arrivals(seed: int, per_colour: int = 2, hard_share: float = 0.0) -> list[Arrival]:
    """``per_colour`` cars for every (format, colour) pair; about ``hard_share`` of them come
    in conditions beyond SPEC (they count for false reads, not for accuracy)."""
    rng = random.Random(seed)
    cars = []
    for kind, colours in COLOURS.items():
        for colour in colours:
            for _ in range(per_colour):
                hard = rng.random() < hard_share
                conditions = random_conditions(rng, colour, hard)
                start = SPEC.max_distance_m if not hard else rng.uniform(8.5, 11.0)
                cars.append(
                    Arrival(
                        plate=random_plate(kind, rng),
                        kind=kind,
                        conditions=conditions,
                        start_m=start,
                        speed_mps=rng.uniform(1.5, 3.0),  # 5 to 11 km/h
                        seed=rng.randrange(1 << 30),
                    )
                )
    return cars
