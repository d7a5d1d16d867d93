"""The event log at size: fill it with 1,000,000 events, then time single durable appends
(each its own fsync'd commit, as at the gate) and offline-history lookups.

    .venv/bin/python -m bench.eventlog            # 1,000,000 events (about two minutes)
    .venv/bin/python -m bench.eventlog --quick    # 20,000 events
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.model import Direction, Event, EventKind, Reason, Verdict
from kiosk.store import EventLog

START = datetime(2020, 1, 1, tzinfo=UTC)
PASSES = 5000  # a compound of some 2,000 households


def make_event(i: int, rng: random.Random) -> Event:
    person = rng.randrange(PASSES)
    return Event(
        event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        kind=EventKind.DECISION,
        wall_time=START + timedelta(seconds=30 * i),
        monotonic=30.0 * i,
        boot_id="bench",
        clock_trusted=True,
        device_id="kiosk-01",
        compound_id="C01",
        reason=Reason.OK,
        verdict=Verdict.ALLOW if rng.random() < 0.95 else Verdict.DENY,
        direction=Direction.IN if i % 2 else Direction.OUT,
        pass_id=f"P-{person:05d}",
        household_id=f"H-{person // 2:05d}",
        temperature_c=36.6,
        data={"detail": "36.6 °C"},
    )


def batches(total: int, size: int, rng: random.Random) -> Iterator[list[Event]]:
    for start in range(0, total, size):
        yield [make_event(i, rng) for i in range(start, min(total, start + size))]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    total, probes = (20_000, 100) if args.quick else (1_000_000, 500)
    rng = random.Random(2020)
    with tempfile.TemporaryDirectory(prefix="bench-eventlog-") as scratch:
        log = EventLog(Path(scratch) / "events.db")
        started = time.perf_counter()
        for batch in batches(total, 20_000, rng):
            log.extend(batch)
        fill_s = time.perf_counter() - started
        appends = []
        for i in range(probes):
            event = make_event(total + i, rng)
            t = time.perf_counter()
            log.append(event)
            appends.append((time.perf_counter() - t) * 1000)
        now = START + timedelta(seconds=30 * (total + probes))
        lookups = []
        for _ in range(probes):
            person = rng.randrange(PASSES)
            t = time.perf_counter()
            log.history(f"P-{person:05d}", f"H-{person // 2:05d}", "C01", now, timedelta(days=2))
            lookups.append((time.perf_counter() - t) * 1000)
        size_mb = (Path(scratch) / "events.db").stat().st_size / 1e6
        log.close()
    print(f"event log with {total:,} events ({size_mb:.0f} MB, filled in {fill_s:.1f} s):")
    print(
        f"  single durable append: p50 {statistics.median(appends):.2f} ms, "
        f"p99 {percentile(appends, 99):.2f} ms"
    )
    print(
        f"  history lookup:        p50 {statistics.median(lookups):.2f} ms, "
        f"p99 {percentile(lookups, 99):.2f} ms"
    )


if __name__ == "__main__":
    main()
