"""Persons per minute through one lane, and pass-to-verdict time, with a lane's real timing.

The whole kiosk runs as shipped (state machine, real QR decoder on rendered camera frames,
verifier, rules, SQLite event log with its default durable commits, relay and door contact on
gpiozero's MockFactory, the kiosk's PEC-checked MLX90614 driver on the emulated sensor), with
the shipped configuration (the camera at its shipped 10 frames per second). Time is simulated where
the world waits (``SimTime``: the frame interval, the sensor, the person) and real where the
kiosk computes: every tick's measured time moves the simulated clock on, so a slow tick delays
the verdict and drops frames as it would on the device.

The lane, per person. People differ, drawn from stated distributions with a seed
(``Population``; ``--seed``), so the p99 means something: how long they take to get the code
out and hold it up (log-normal, median 2 s), whether they aim badly at first (40 % need
0.3-2.5 s more before the camera can read it), how far the forehead is from the sensor when
the code is read (it arrives 0-1.5 s later), a share who read warm the first time (5 %: the
kiosk measures again) and a share refused (5 % show a cancelled pass). Queueing one behind
the other:

- the next in line moves up as the person before gets the light and moves on, and takes their
  presenting time to get the code out and hold it up in the spot (which the person before has
  left ``STEP_ASIDE_S`` after the light);
- the camera sees the code at the next frame; the MLX90614's object reading ramps from the
  wall behind to the forehead over the datasheet's settling time (see ``ForeheadOptics``);
- after an "open" the person goes through the gate. The gate's contact (a door's reed switch,
  or a pedestrian barrier's passage output wired to the same input) opens and closes again
  behind them, and the kiosk never opens for the next person before it has closed: the gate's
  cycle is a physical limit too. Two gates are measured, side by side (``GATES``): a swing
  door with a lock, and a pedestrian barrier (flap or swing barrier, tripod turnstile).

Printed per gate: persons per minute (verdict to verdict), pass-to-verdict p50/p99 (from the
moment the code is held up in view to the green light or the refusal), and both against the
physical limits: the next camera frame and the sensor's settling for the verdict; the person's
own timing and the gate's cycle for the throughput (a kiosk that took no time and held nothing).
Targets: >= 30 persons/min, pass-to-verdict p99 <= 1.5 s; when a target is missed the report
names what limits it (the people, the gate's cycle or the kiosk). Each gate is also run with the
screens as they were before issue 19 made them longer (the pass screen held 5 s instead of 8 s,
"stand still, once more" 0.5 s instead of at least 2 s), the same people, and both throughputs
are printed side by side (``--no-before`` skips that run).

    .venv/bin/python -m bench.lane                  # 120 persons through each gate
    .venv/bin/python -m bench.lane --quick          # 6 persons
    .venv/bin/python -m bench.lane --gate barrier   # one gate only
    .venv/bin/python -m bench.lane --serial         # the next moves up only when invited
    .venv/bin/python -m bench.lane --set gpio.open_s=2 --set device.cooldown_s=0.5
    .venv/bin/python -m bench.lane --seed 7          # another draw of the same population
    .venv/bin/python -m bench.lane --no-before      # without the run with the old screens
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import random
import statistics
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.latency import new_passes, percentile, simulated_kiosk
from kiosk import machine
from kiosk.app import App
from kiosk.demo_scenario import SimTime
from kiosk.view import KioskView, Stage

TARGET_PER_MIN = 30.0
TARGET_P99_S = 1.5
START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)

# The people (assumptions, not measurements).
STEP_ASIDE_S = 0.3  # from the green light to leaving the spot for the next person
SKIN_C = 36.3  # reads 36.8 after the calibration offset: below 37.3, let through
WARM_C = 36.9  # reads 37.4: high the first time; back to SKIN_C after WARM_S
WARM_S = 0.8
WALL_C = 22.0  # what the sensor sees with nobody in front of it

# MLX90614 settling time in ms by configuration register 1 (EEPROM 0x25): [IIR code][FIR
# code - 4], FIR codes 4-7 = 128-1024 taps (codes 0-3 are not recommended). Melexis MLX90614
# datasheet (3901090614 rev 13), settling-time table for the 3 V and medical parts (xBx, xDx:
# the kiosk's MLX90614ESF-DCI); the same table as m5stack/M5Unit-THERMO's driver
# (src/unit/unit_MLX90614.cpp, interval_tableBD). The factory setting (config word 0x9FB4:
# IIR code 4 = 100 %, FIR code 7 = 1024) gives 140 ms, i.e. a 3 dB bandwidth of 7.23 Hz
# (Linux drivers/iio/temperature/mlx90614.c). The 5 V xAx parts settle in 100 ms.
SETTLING_MS = (
    (470, 600, 840, 1330),
    (1100, 1400, 2000, 3200),
    (1800, 2200, 3200, 5000),
    (2400, 3000, 4300, 7000),
    (60, 70, 100, 140),
    (200, 240, 340, 540),
    (380, 480, 670, 1100),
    (420, 530, 750, 1200),
)
CONFIG_REGISTER = 0x25


@dataclass(frozen=True)
class Gate:
    """When the gate's contact opens after the green light, and how long until it closes."""

    name: str
    opens_s: float  # from the green light to the contact opening
    passage_s: float  # contact open until it closes behind the person
    why: str

    @property
    def cycle_s(self) -> float:
        return self.opens_s + self.passage_s


GATES = {
    "door": Gate(
        "swing door",
        0.8,
        1.5,
        "0.8 s to reach and push the door, 1.5 s to walk through until it shuts "
        "(optimistic: door closers take seconds)",
    ),
    "barrier": Gate(
        "pedestrian barrier",
        STEP_ASIDE_S,
        1.5,
        "the passage output turns on as the person steps into the lane and off once they "
        "have cleared it: 1.2 m lane plus 0.3 m of body at 1 m/s",
    ),
}


def settling_s(config_word: int) -> float:
    """The datasheet settling time of an MLX90614 whose config register 1 holds ``config_word``."""
    iir, fir = config_word & 0x7, (config_word >> 8) & 0x7
    if fir < 4:
        raise ValueError(f"FIR code {fir} in config 0x{config_word:04X} is not recommended")
    return SETTLING_MS[iir][fir - 4] / 1000


class ForeheadOptics:
    """What the object register shows as foreheads come and go.

    Model of the datasheet timing: the output follows a step of the scene as a ramp over the
    settling time (a moving average over that window), and a new value reaches RAM once per
    ``refresh_s`` (by default also the settling time, as M5Stack's driver polls it).
    """

    def __init__(self, wall_c: float, settle_s: float, refresh_s: float | None = None) -> None:
        self.settle_s = settle_s
        self.refresh_s = refresh_s or settle_s
        self._changes: list[tuple[float, float]] = [(-math.inf, wall_c)]

    def scene(self, at: float, celsius: float) -> None:
        """From ``at`` on, the sensor's cone sees ``celsius`` (a forehead, or the wall)."""
        self._changes.append((at, celsius))

    def reading(self, at: float) -> float:
        """The object temperature in RAM at ``at``."""
        refreshed = math.floor(at / self.refresh_s) * self.refresh_s
        return self._mean(refreshed - self.settle_s, refreshed)

    def first_settled(self, step_at: float) -> float:
        """When the first value reflecting only the scene since ``step_at`` reaches RAM."""
        return math.ceil((step_at + self.settle_s) / self.refresh_s) * self.refresh_s

    def _mean(self, start: float, end: float) -> float:
        total = 0.0
        for (at, celsius), (until, _) in itertools.pairwise([*self._changes, (math.inf, 0.0)]):
            overlap = min(end, until) - max(start, at)
            if overlap > 0:
                total += overlap * celsius
        return total / (end - start)


@dataclass(frozen=True)
class Population:
    """How the people in the queue differ (the distributions the report states)."""

    present_median_s: float = 2.0  # to get the code out and hold it up: log-normal
    present_sigma: float = 0.35  # of its logarithm: p10 1.3 s, p90 3.1 s
    aim_share: float = 0.4  # who first hold it so the camera cannot read it
    aim_s: tuple[float, float] = (0.3, 2.5)  # how much longer they take then (uniform)
    lean_s: tuple[float, float] = (0.0, 1.5)  # forehead at the sensor after the code (uniform)
    warm_share: float = 0.05  # first reading high: measured again
    refused_share: float = 0.05  # show a cancelled pass

    def describe(self) -> str:
        return (
            f"presenting log-normal median {self.present_median_s:g} s (sigma "
            f"{self.present_sigma:g}); {self.aim_share:.0%} aim badly first (+"
            f"{self.aim_s[0]:g}-{self.aim_s[1]:g} s); forehead at the sensor {self.lean_s[0]:g}-"
            f"{self.lean_s[1]:g} s after the code; {self.warm_share:.0%} warm at first, "
            f"{self.refused_share:.0%} with a cancelled pass"
        )


@dataclass(frozen=True)
class Traits:
    """One person as drawn from the ``Population``."""

    present_s: float
    aim_s: float
    lean_s: float
    warm: bool
    refused: bool


def draw(population: Population, rng: random.Random) -> Traits:
    p = population
    return Traits(
        present_s=p.present_median_s * math.exp(rng.gauss(0.0, p.present_sigma)),
        aim_s=rng.uniform(*p.aim_s) if rng.random() < p.aim_share else 0.0,
        lean_s=rng.uniform(*p.lean_s),
        warm=rng.random() < p.warm_share,
        refused=rng.random() < p.refused_share,
    )


@dataclass
class Person:
    """One person's passage through the lane (simulated seconds)."""

    pass_id: str
    text: str
    traits: Traits
    code_at: float
    floor_s: float  # the earliest a verdict is physically possible after code_at
    verdict_at: float | None = None
    allowed: bool = False
    remeasured: bool = False

    @property
    def latency_s(self) -> float:
        assert self.verdict_at is not None
        return self.verdict_at - self.code_at


@dataclass
class Lane:
    """The world around one kiosk: the clock, the queue of people, the sensor's optics."""

    app: App
    time: SimTime
    optics: ForeheadOptics
    frame_s: float
    gate: Gate
    serial: bool = False  # the next person starts moving up only once the spot is free
    compute_s: list[float] = field(default_factory=list)
    _events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def now(self) -> float:
        return self.time.timers.now()

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._order), action))

    def run(self, queue: list[tuple[str, str, Traits]]) -> list[Person]:
        """Let every person through (pass id, pass, traits); return them with verdict times."""
        waiting, done = list(reversed(queue)), []
        current: Person | None = None
        free_at = self.now()
        while waiting or current is not None:
            self._world_until(self.now())
            if current is None and waiting and self._may_step_up(free_at):
                current = self._step_up(waiting.pop(), free_at)
            view = self._tick()
            if current is not None and view.stage is Stage.REMEASURE:
                current.remeasured = True
            if current is not None and _decides(view, current):
                current.verdict_at = self.now()
                current.allowed = view.stage is Stage.OPEN and view.gate_open
                free_at = self._leave(current)
                done.append(current)
                current = None
                if waiting and not self.serial:  # the next in line moves up as this one moves on
                    current = self._step_up(waiting.pop(), free_at)
            self._to_next_frame()
        return done

    def _may_step_up(self, free_at: float) -> bool:
        """In a serial queue, only once the spot is free and the screen invites."""
        if not self.serial:
            return True
        return self.now() >= free_at and self.app.kiosk.view().stage is Stage.IDLE

    def _step_up(self, held: tuple[str, str, Traits], free_at: float) -> Person:
        pass_id, text, traits = held
        code_at = max(self.now() + traits.present_s, free_at) + traits.aim_s
        forehead_at = code_at + traits.lean_s
        first_frame = math.ceil(code_at / self.frame_s) * self.frame_s
        floor = max(first_frame, self.optics.first_settled(forehead_at)) - code_at
        self.at(code_at, lambda: self._show(text))
        self.at(
            forehead_at, lambda: self.optics.scene(forehead_at, WARM_C if traits.warm else SKIN_C)
        )
        if traits.warm:
            cooled = forehead_at + WARM_S
            self.at(cooled, lambda: self.optics.scene(cooled, SKIN_C))
        return Person(pass_id, text, traits, code_at, floor)

    def _show(self, text: str) -> None:
        assert self.app.sim is not None
        self.app.sim.present_pass(text)  # rendering the scene is the world's work: not timed

    def _leave(self, person: Person) -> float:
        assert self.app.sim is not None and person.verdict_at is not None
        sim, aside = self.app.sim, person.verdict_at + STEP_ASIDE_S
        self.at(aside, lambda: self._step_aside(aside))
        if person.allowed:
            opens = person.verdict_at + self.gate.opens_s
            self.at(opens, lambda: sim.set_door(True))
            self.at(opens + self.gate.passage_s, lambda: sim.set_door(False))
        return aside

    def _step_aside(self, at: float) -> None:
        assert self.app.sim is not None
        self.app.sim.present_pass(None)
        self.optics.scene(at, WALL_C)

    def _tick(self) -> KioskView:
        assert self.app.sim is not None
        self.app.sim.set_forehead(self.optics.reading(self.now()))
        started = time.perf_counter()
        view = self.app.kiosk.tick()
        spent = time.perf_counter() - started
        self.compute_s.append(spent)
        self.time.advance(spent)  # the kiosk's real computing takes simulated time too
        return view

    def _world_until(self, until: float) -> None:
        while self._events and self._events[0][0] <= until:
            heapq.heappop(self._events)[2]()

    def _to_next_frame(self) -> None:
        now = self.now()
        next_frame = (math.floor(now / self.frame_s + 1e-9) + 1) * self.frame_s
        self.time.advance(next_frame - now)


def _decides(view: KioskView, person: Person) -> bool:
    """The screen shows a decision about this person (not still the one before's)."""
    decided = view.stage in (Stage.OPEN, Stage.DENIED, Stage.GUARD)
    return decided and (view.person is None or view.person.pass_id == person.pass_id)


def parse_setting(text: str) -> tuple[str, Any]:
    """``section.key=value`` with a TOML value (a bare word is taken as text)."""
    key, sep, raw = text.partition("=")
    if not sep or "." not in key:
        raise argparse.ArgumentTypeError(f"{text!r} is not section.key=value")
    try:
        return key.strip(), tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return key.strip(), raw


def run_lane(
    gate: Gate,
    persons: int,
    data_dir: Path,
    settings: dict[str, Any],
    serial: bool = False,
    *,
    population: Population | None = None,
    seed: int = 19,
) -> tuple[Lane, list[Person]]:
    """``persons`` people drawn from ``population`` (seeded) through ``gate``."""
    population = population or Population()
    app, sim_time, world = simulated_kiosk({"device.data_dir": str(data_dir), **settings})
    try:
        assert app.sim is not None
        app.sim.set_ambient(WALL_C)
        optics = ForeheadOptics(WALL_C, settling_s(app.sim.bus.eeprom[CONFIG_REGISTER]))
        lane = Lane(app, sim_time, optics, 1.0 / app.config.camera.fps, gate, serial)
        rng = random.Random(seed)
        cancelled = world.passes["revoked"]
        queue = []
        for pass_id, text in new_passes(world, persons).items():
            traits = draw(population, rng)
            if traits.refused:
                pass_id, text = cancelled.claims.pass_id, world.text("revoked")
            queue.append((pass_id, text, traits))
        return lane, lane.run(queue)
    finally:
        app.close()


def describe(lane: Lane, persons: int, population: Population, seed: int) -> str:
    config = lane.app.config
    return (
        f"one lane, {persons} people (seed {seed}: {population.describe()}), "
        f"camera {config.camera.fps} fps, "
        f"MLX90614 settling {lane.optics.settle_s * 1000:.0f} ms (refresh every "
        f"{lane.optics.refresh_s * 1000:.0f} ms), {config.thermometer.samples} samples every "
        f"{config.thermometer.sample_interval_s:.2f} s after {config.thermometer.settling_s:g} s, "
        f"log fsync on; the spot free {STEP_ASIDE_S:g} s after the light, the next person "
        "presenting from "
        + ("when the spot is free and the screen invites" if lane.serial else "the light before")
    )


def throughput(people: list[Person]) -> float:
    """Persons per minute, verdict to verdict."""
    verdicts = [p.verdict_at for p in people if p.verdict_at is not None]
    return 60 * (len(verdicts) - 1) / (verdicts[-1] - verdicts[0])


# The screens before issue 19 lengthened them: the settings and the kiosk's constant they changed.
BEFORE_19 = {"gpio.open_s": 5.0}
BEFORE_19_REMEASURE_SHOW_S = 0.5


@contextmanager
def screens_before_19() -> Iterator[None]:
    """The kiosk with its re-measure screen as short as before issue 19 (about one tick)."""
    shipped = machine.REMEASURE_SHOW_S
    machine.REMEASURE_SHOW_S = BEFORE_19_REMEASURE_SHOW_S
    try:
        yield
    finally:
        machine.REMEASURE_SHOW_S = shipped


def report(lane: Lane, people: list[Person]) -> None:
    gate = lane.gate
    latencies = [p.latency_s for p in people]
    floors = [p.floor_s for p in people]
    per_min = throughput(people)
    handover_s = STEP_ASIDE_S if lane.serial else 0.0  # the spot must be free first
    people_s = statistics.mean(p.traits.present_s + p.traits.aim_s for p in people)
    reading_per_min = 60 / (handover_s + people_s + statistics.median(floors))
    gate_per_min = 60 / gate.cycle_s  # never open for the next before the contact has closed
    ideal_per_min = min(reading_per_min, gate_per_min)
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    refused = sum(not p.allowed for p in people)
    compute_ms = 1000 * sum(lane.compute_s) / len(people)
    verdict = "meets" if per_min >= TARGET_PER_MIN else "MISSES"
    print(
        f"{gate.name}: {gate.why}\n"
        f"  throughput       {per_min:5.1f} persons/min ({verdict} >= {TARGET_PER_MIN:.0f}); "
        f"physical limit {ideal_per_min:.1f}/min, ratio {per_min / ideal_per_min:.2f} (reading "
        f"{reading_per_min:.1f}/min, gate cycle {gate.cycle_s:g} s = {gate_per_min:.1f}/min)"
    )
    verdict = "meets" if p99 <= TARGET_P99_S else "MISSES"
    print(
        f"  pass-to-verdict  p50 {p50:.2f} s  p99 {p99:.2f} s ({verdict} p99 <= {TARGET_P99_S} s); "
        f"physical floor p50 {statistics.median(floors):.2f} s, ratio p50 "
        f"{p50 / statistics.median(floors):.1f}x"
    )
    ticks_ms = [1000 * s for s in lane.compute_s]
    print(
        f"  real computing {compute_ms:.0f} ms per person over {len(ticks_ms) / len(people):.0f} "
        f"ticks; tick p50 {statistics.median(ticks_ms):.1f} ms, p99 "
        f"{percentile(ticks_ms, 99):.1f} ms, max {max(ticks_ms):.1f} ms"
    )
    expected = sum(p.traits.refused for p in people)
    remeasured = sum(p.remeasured for p in people)
    print(
        f"  refused {refused} of {len(people)} ({expected} showed a cancelled pass), "
        f"measured again {remeasured}"
    )
    if per_min < TARGET_PER_MIN:
        print("  limited by: " + _limit(per_min, reading_per_min, gate_per_min, people_s))


def _limit(per_min: float, reading: float, gate: float, people_s: float) -> str:
    """What keeps the lane under its target: the people, the gate, or the kiosk itself."""
    if min(reading, gate) < TARGET_PER_MIN:
        if reading <= gate:
            return (
                f"the people: presenting and aiming take {people_s:.1f} s on average, so even "
                f"a kiosk that took no time would pass {reading:.1f}/min"
            )
        return f"the gate's cycle: it lets {gate:.1f}/min through"
    return (
        f"the kiosk: the people and the gate would allow {min(reading, gate):.1f}/min "
        f"(refusal and re-measure screens hold the next person back)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lane", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="6 persons, for a smoke run")
    parser.add_argument("--persons", type=int, default=None, help="how many (default 120)")
    parser.add_argument("--gate", choices=sorted(GATES), action="append", help="default: both")
    parser.add_argument("--seed", type=int, default=19, help="the draw of the people (default 19)")
    parser.add_argument(
        "--serial",
        action="store_true",
        help="the next person starts moving up only once the spot is free and the screen invites",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=parse_setting,
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a configuration change, e.g. gpio.open_s=2 (repeatable)",
    )
    parser.add_argument(
        "--no-before",
        action="store_true",
        help="skip the run with the screens as they were before issue 19",
    )
    args = parser.parse_args()
    persons = args.persons or (6 if args.quick else 120)
    population = Population()
    for n, name in enumerate(args.gate or list(GATES)):
        with tempfile.TemporaryDirectory(prefix="bench-lane-") as scratch:
            settings = dict(args.settings)
            lane, people = run_lane(
                GATES[name], persons, Path(scratch), settings, args.serial,
                population=population, seed=args.seed,
            )  # fmt: skip
        if n == 0:
            print(describe(lane, persons, population, args.seed))
        report(lane, people)
        if not args.no_before:
            with tempfile.TemporaryDirectory(prefix="bench-lane-") as scratch, screens_before_19():
                _, before = run_lane(
                    GATES[name], persons, Path(scratch), {**BEFORE_19, **dict(args.settings)},
                    args.serial, population=population, seed=args.seed,
                )  # fmt: skip
            print(
                f"  before issue 19  {throughput(before):5.1f} persons/min with the same people "
                f"(pass screen {BEFORE_19['gpio.open_s']:g} s, re-measure screen "
                f"{BEFORE_19_REMEASURE_SHOW_S:g} s); now {throughput(people):.1f}/min"
            )


if __name__ == "__main__":
    main()
