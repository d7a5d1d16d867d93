"""Frame-to-relay latency: a pass in view and a steady forehead, until the relay is energised.

Each run is one kiosk tick on the simulated kiosk: read the camera frame, decode the QR code
(the real decoder), verify the signature, look up the local history, take the temperature
sample (the device's own SMBus reads on the emulated sensor), append the decision to the SQLite
log with a durable commit (the default ``synchronous=FULL``), energise the relay.
Target: p99 <= 50 ms.

Two cases, reported apart:

- first sight: every run is a new person with a pass the kiosk has never seen, so the
  signature is checked and nothing is warm (what a queue of residents costs);
- held pass: the same resident again and again (anti-passback off for this case only), so
  the verifier answers the signature from what it remembers (the code lowered and shown again:
  one held up all along is never read twice).

The temperature is taken as already stable (``thermometer.samples = 1``, no settling wait) so
the run is one tick of computing; ``bench.lane`` adds the sensor's settling and the person's timing.

    .venv/bin/python -m bench.latency            # 300 runs of each
    .venv/bin/python -m bench.latency --quick    # 30 runs of each
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.app import App, build
from kiosk.config import load_config
from kiosk.demo_scenario import SimTime
from kiosk.demo_world import DemoWorld, make_world
from kiosk.passes.issuer import issue_pass
from kiosk.view import Stage

TARGET_P99_MS = 50.0
START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def new_passes(world: DemoWorld, count: int) -> dict[str, str]:
    """``count`` residents' passes the kiosk has never seen (same household), by new pass id."""
    claims = world.passes["resident"].claims
    ids = [f"P-9{n:05d}" for n in range(count)]
    return {i: issue_pass(world.key, replace(claims, pass_id=i)) for i in ids}


def simulated_kiosk(overrides: dict[str, Any]) -> tuple[App, SimTime, DemoWorld]:
    """The simulated kiosk on simulated time, the demo community's office data installed."""
    config = load_config(None, overrides)
    sim_time = SimTime(START)
    app = build(config, sim=True, clock=sim_time.clock, timers=sim_time.timers)
    try:
        world = make_world(START, compound=config.device.compound)
        world.install(app.office)
    except BaseException:
        app.close()
        raise
    return app, sim_time, world


def measure(runs: int, data_dir: Path, held: bool) -> list[tuple[float, float]]:
    """(wall, CPU) milliseconds of the tick that decides and opens, for ``runs`` passages."""
    overrides: dict[str, Any] = {
        "device.data_dir": str(data_dir),
        "thermometer.samples": 1,
        "thermometer.settling_s": 0,
    }
    if held:
        overrides["policy.anti_passback"] = "off"  # the same resident again and again
    app, sim_time, world = simulated_kiosk(overrides)
    try:
        assert app.sim is not None
        app.sim.set_ambient(25.0)
        app.sim.set_forehead(36.3)
        texts = [world.text("resident")] * runs if held else list(new_passes(world, runs).values())
        latencies = []
        for text in texts:
            app.sim.present_pass(text)  # rendering the scene is the world's work: not timed
            latencies.append(_one_passage(app, sim_time.advance))
        return latencies
    finally:
        app.close()


def _one_passage(app: App, advance: Callable[[float], None]) -> tuple[float, float]:
    kiosk, config = app.kiosk, app.config
    started, cpu_started = time.perf_counter(), time.thread_time()
    view = kiosk.tick()
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    if not (view.stage is Stage.OPEN and view.gate_open):
        detail = f"{view.stage} {view.reason}"
        raise RuntimeError(f"the pass did not open the gate in one tick: {detail}")
    app.sim.present_pass(None)  # lowered: a code held up all along is never read again
    kiosk.tick()
    advance(config.gpio.open_s + 0.1)  # the relay drops, nobody having opened the door
    kiosk.tick()  # -> idle
    advance(config.device.cooldown_s + 0.1)  # the same code shown again now is read again
    return elapsed * 1000, cpu * 1000


def report(name: str, runs: list[tuple[float, float]]) -> None:
    """The wall-clock figures (the target), and the CPU part of them for a shared machine."""
    latencies, cpu = [wall for wall, _ in runs], [c for _, c in runs]
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
    print(
        f"  {name:11s} p50 {p50:5.1f} ms   p99 {p99:5.1f} ms   max {max(latencies):5.1f} ms"
        f"   ({verdict} p99 <= {TARGET_P99_MS:.0f} ms)"
    )
    print(
        f"  {'':11s} CPU p50 {statistics.median(cpu):5.1f} ms   p99 {percentile(cpu, 99):5.1f} ms"
        "   (the rest is waiting: fsync, and other processes on a shared machine)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 30 if args.quick else 300
    print(f"frame-to-relay latency, {runs} runs each (durable log write included):")
    for name, held in (("first sight", False), ("held pass", True)):
        with tempfile.TemporaryDirectory(prefix="bench-latency-") as scratch:
            report(name, measure(runs, Path(scratch), held))


if __name__ == "__main__":
    main()
