"""Licence plate reading on a seeded corpus of cars arriving at the gate camera.

    .venv/bin/python -m bench.plates              # 4 cars per format and colour (44 cars) + signs
    .venv/bin/python -m bench.plates --quick      # 3 cars, 2 signs (a smoke run)
    .venv/bin/python -m bench.plates --per-colour 8 --seed 7     # the figures in docs/plates.md

Corpus (kiosk.plates.corpus): every plate format in each of its colours, on a car that comes
into range 8 m from the camera (1280 x 720, 30° lens, kiosk.plates.geometry.CAMERA) and rolls
towards the barrier at 5-11 km/h, by day, at dusk and at night (IR-lit plate), with dirt,
glare, blur, noise, yaw, roll and sideways offset drawn within kiosk.plates.geometry.SPEC;
``--hard-share`` of the cars come beyond it (further, dirtier, more blurred). Frames are
analysed at ``--fps`` (the rate the Pi 4 budget below allows), each through the reader the kiosk
makes for a camera whose placement is measured (PlateReader.placed: the band of rows where
plates appear, shrunk, and the far plates' window at full resolution), or with
``--whole-frame`` for one whose placement is not (the whole frame, shrunk), and a
PlateConfirmer (reads outnumbering all others' by 2 within 1 s).

Prints: accuracy = in-spec cars whose plate is confirmed within 1 s of arrival whatever the
camera's phase (target >= 98%): the corpus's frames come at 0, 1/fps, ... 1 s after arrival,
and a real camera's first analysed frame comes 0 to 1/fps after it, so a plate is counted
only when confirmed by 1 - 1/fps (the last frame a camera of any phase has within the second);
with the frame at 1 s too (the best phase) beside it;
false plates = a confirmed plate that is not the car's, over every car, and any plate confirmed
from empty-lane frames with text signs, and how many of them are another registered car's plate
(every car of the corpus is registered), which would open the barrier (target 0); per-frame
false reads (before confirming);
time per frame (wall and CPU, one onnxruntime thread) and a Pi 4 budget on paper.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from kiosk.plates.confirm import PlateConfirmer
from kiosk.plates.corpus import SIGNS, Arrival, arrivals
from kiosk.plates.geometry import CAMERA
from kiosk.plates.reader import PlateReader
from kiosk.plates.render import render_scene

TARGET_ACCURACY = 0.98
READ_WITHIN_S = 1.0
# Pi 4 (Cortex-A72, 1.5-1.8 GHz, 128-bit NEON) against one core of an x86-64 with AVX2/FMA,
# for onnxruntime's float32 convolutions: about 5x slower per thread (the published PP-OCR
# mobile and MobileNet figures for both put it between 4x and 6x). Its 4 cores run the
# detector's convolutions about 3x faster than one. Net: a Pi 4 frame ~ 5 / 3 x the CPU time
# of one thread here. On paper, not measured on a Pi.
PI4_PER_THREAD = 5.0
PI4_FOUR_CORES = 3.0


@dataclass
class Tally:
    cars: int = 0
    in_spec: int = 0
    read_in_time: int = 0  # confirmed by READ_WITHIN_S - 1 / fps: in time at any phase
    read_at_best_phase: int = 0  # confirmed by READ_WITHIN_S
    false_plates: list[str] = field(default_factory=list)
    false_openings: int = 0  # false plates that are another car's registered plate
    missed: list[str] = field(default_factory=list)
    frame_false_reads: int = 0
    frames: int = 0
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)


def timed_read(reader: PlateReader, frame: np.ndarray, tally: Tally) -> list[str]:
    wall, cpu = time.perf_counter(), time.process_time()
    reads = reader.read(frame)
    tally.wall_s.append(time.perf_counter() - wall)
    tally.cpu_s.append(time.process_time() - cpu)
    tally.frames += 1
    return [r.text for r in reads]


def drive(
    car: Arrival, reader: PlateReader, fps: float, tally: Tally, registry: frozenset[str]
) -> None:
    """Feed the car's frames until a plate is confirmed or 1 s (2 s beyond spec) has passed."""
    confirmer = PlateConfirmer(frames_needed=2, window_s=1.0)
    in_spec = car.in_spec()
    seconds = READ_WITHIN_S if in_spec else 2 * READ_WITHIN_S
    confirmed_at = None
    for t, frame in car.frames(fps, seconds):
        texts = timed_read(reader, frame, tally)
        tally.frame_false_reads += sum(text != car.plate for text in texts)
        confirmed = confirmer.feed(texts, t)
        if confirmed is not None:
            if confirmed != car.plate:
                tally.false_plates.append(f"{car.plate} read as {confirmed}")
                tally.false_openings += confirmed in registry
            confirmed_at = t
            break
    tally.cars += 1
    if in_spec:
        tally.in_spec += 1
        right = confirmed_at is not None and confirmer.confirmed == car.plate
        tally.read_at_best_phase += right
        if right and confirmed_at is not None and confirmed_at <= READ_WITHIN_S - 1 / fps + 1e-9:
            tally.read_in_time += 1
        else:
            c = car.conditions
            tally.missed.append(
                f"{car.plate} ({car.kind}, light {c.light:.2f}, blur {c.blur_px:.1f}, "
                f"dirt {c.dirt:.2f}, glare {c.glare:.2f}, yaw {c.yaw_deg:.0f}°)"
            )


def watch_signs(signs: tuple[str, ...], reader: PlateReader, fps: float, tally: Tally) -> None:
    """Empty lane with a text sign: nothing may be confirmed, or read."""
    for n, sign in enumerate(signs):
        confirmer = PlateConfirmer(frames_needed=2, window_s=1.0)
        for i in range(3):
            frame = render_scene(None, seed=1000 * n + i, sign=sign)
            texts = timed_read(reader, frame, tally)
            tally.frame_false_reads += len(texts)
            confirmed = confirmer.feed(texts, i / fps)
            if confirmed is not None:
                tally.false_plates.append(f"sign {sign!r} read as {confirmed}")
                tally.false_openings += 1  # counted as one, whatever the registry holds


def report(tally: Tally, fps: float, threads: int) -> bool:
    accuracy = tally.read_in_time / tally.in_spec if tally.in_spec else 0.0
    wall_ms = statistics.median(tally.wall_s) * 1000
    cpu_ms = statistics.median(tally.cpu_s) * 1000
    p95_ms = sorted(tally.cpu_s)[int(0.95 * (len(tally.cpu_s) - 1))] * 1000
    pi_ms = cpu_ms * PI4_PER_THREAD / PI4_FOUR_CORES
    budget_ms = 1000 / fps
    print(f"cars: {tally.cars} ({tally.in_spec} in spec), frames analysed: {tally.frames}")
    # The corpus's first frame is the instant of arrival. A real camera's first analysed frame
    # comes 0 to 1 / fps later; one that comes just after arrival has its last frame within the
    # second at 1 - 1 / fps: what is confirmed by then is in time at every phase.
    print(
        f"accuracy: {tally.read_in_time}/{tally.in_spec} = {accuracy:.1%} of in-spec plates "
        f"confirmed within {READ_WITHIN_S:.0f} s of arrival at {fps:g} fps whatever the "
        f"camera's phase, by {READ_WITHIN_S - 1 / fps:.2f} s (target >= {TARGET_ACCURACY:.0%})"
    )
    print(
        f"  with a frame at exactly {READ_WITHIN_S:.0f} s too (the best phase): "
        f"{tally.read_at_best_phase}/{tally.in_spec}"
    )
    print(
        f"false plates confirmed: {len(tally.false_plates)}; of them another registered car's "
        f"plate (an opening): {tally.false_openings} (target 0)"
    )
    for line in tally.false_plates:
        print(f"  FALSE {line}")
    for line in tally.missed:
        print(f"  missed {line}")
    print(f"per-frame false reads (before confirming): {tally.frame_false_reads}")
    print(
        f"time per frame here ({threads or 'all'} onnxruntime thread(s)): median "
        f"{wall_ms:.0f} ms wall, {cpu_ms:.0f} ms CPU, p95 {p95_ms:.0f} ms CPU"
    )
    verdict = "fits" if pi_ms <= budget_ms else "DOES NOT fit"
    print(
        f"Pi 4 on paper: {cpu_ms:.0f} ms x {PI4_PER_THREAD:g} per thread / "
        f"{PI4_FOUR_CORES:g} for 4 cores = {pi_ms:.0f} ms per frame; {fps:g} fps needs "
        f"<= {budget_ms:.0f} ms: {verdict}"
    )
    return accuracy >= TARGET_ACCURACY and not tally.false_openings


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plates", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 cars and 2 signs")
    parser.add_argument("--per-colour", type=int, default=4, help="cars per format and colour")
    parser.add_argument("--fps", type=float, default=5.0, help="frames analysed per second")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads (0: all)")
    parser.add_argument("--hard-share", type=float, default=0.1, help="cars beyond the spec")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--whole-frame",
        action="store_true",
        help="the camera's placement not measured: the whole frame, shrunk to 960 px",
    )
    args = parser.parse_args()
    reader = PlateReader.placed(None if args.whole_frame else CAMERA, threads=args.threads)
    reader.read(render_scene(None))  # load the models outside the timing
    cars = arrivals(args.seed, args.per_colour, args.hard_share)
    signs: tuple[str, ...] = SIGNS
    if args.quick:
        cars, signs = cars[:: len(cars) // 3][:3], SIGNS[:2]
    tally = Tally()
    registry = frozenset(car.plate for car in cars)  # every car is registered
    for car in cars:
        drive(car, reader, args.fps, tally, registry)
    watch_signs(signs, reader, args.fps, tally)
    met = report(tally, args.fps, args.threads)
    print("targets met" if met else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
