"""Upload a kiosk's offline backlog with the real agent to a SQLite office server over loopback.

    .venv/bin/python -m bench.upload            # 100,000 events, batches of 1,000
    .venv/bin/python -m bench.upload --quick    # 5,000 events

Target: the full backlog in at most 30 s. Prints events/s, the time and the request count.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.clock import Clock
from kiosk.model import Direction, Event, EventKind, Reason, Verdict
from kiosk.office import OfficeData
from kiosk.store import EventLog
from server.app import create_app
from server.local import Office, ServerThread
from sync.agent import AgentSettings, SyncAgent
from sync.client import Client
from sync.rejected import RejectedEvents

TARGET_S = 30.0
START = datetime(2020, 2, 1, tzinfo=UTC)


def backlog(n: int, device: str, compound: str, seed: int = 7, prefix: str = "P") -> list[Event]:
    """A day-and-night mix: 2,000 residents going in and out, a few refused for fever."""
    rng = random.Random(seed)
    direction: dict[str, Direction] = {}
    events = []
    for i in range(n):
        pass_id = f"{prefix}{rng.randrange(2000):05d}"
        way = Direction.OUT if direction.get(pass_id) is Direction.IN else Direction.IN
        direction[pass_id] = way
        fever = rng.random() < 0.002
        events.append(
            Event(
                event_id=uuid.UUID(int=rng.getrandbits(128)).hex,
                kind=EventKind.DECISION,
                wall_time=START + timedelta(seconds=8 * i),
                monotonic=8.0 * i,
                boot_id="bench-boot",
                clock_trusted=True,
                device_id=device,
                compound_id=compound,
                reason=Reason.FEVER if fever else Reason.OK,
                verdict=Verdict.DENY if fever else Verdict.ALLOW,
                direction=way,
                pass_id=pass_id,
                household_id=f"H{pass_id[1:4]}",
                temperature_c=round(rng.gauss(36.5, 0.3), 2),
            )
        )
    return events


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    count = args.events or (5_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory() as folder:
        elapsed, requests = run(Path(folder), count, args.batch)
    rate = count / elapsed
    verdict = "OK" if elapsed <= TARGET_S * count / 100_000 else "SLOW"
    print(f"events uploaded:   {count}")
    print(f"batch size:        {args.batch} ({requests} requests)")
    print(f"time:              {elapsed:.2f} s  (target <= {TARGET_S:.0f} s per 100,000)")
    print(f"rate:              {rate:,.0f} events/s  {verdict}")
    return 0


def run(folder: Path, count: int, batch: int) -> tuple[float, int]:
    office = Office.open(folder / "server")
    office.add_compound("c1")
    token = office.enroll_kiosk("k1", "c1")
    server = ServerThread(create_app(office.sessions)).start()
    log = EventLog(folder / "kiosk" / "events.db")
    log.extend(backlog(count, "k1", "c1"))
    agent = SyncAgent(
        Client(server.url, token, timeout_s=60),
        log,
        OfficeData(folder / "kiosk" / "office.db"),
        Clock(state_file=None),
        RejectedEvents(folder / "kiosk" / "rejected.db"),
        boot_id="bench-boot",
        settings=AgentSettings(batch_size=batch),
    )
    started = time.perf_counter()
    result = agent.run_once()
    elapsed = time.perf_counter() - started
    server.stop()
    if not result.ok or log.count_unsynced():
        print(f"upload failed: {result.error}; {log.count_unsynced()} left", file=sys.stderr)
        raise SystemExit(1)
    return elapsed, -(-count // batch)


if __name__ == "__main__":
    sys.exit(main())
