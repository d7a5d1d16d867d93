"""200 kiosks uploading and polling one office server at once, over loopback.

    .venv/bin/python -m bench.fleet                 # 200 kiosks x 5 batches x 200 events
    .venv/bin/python -m bench.fleet --quick         # 20 kiosks x 2 batches x 50 events
    .venv/bin/python -m bench.fleet --db sqlite     # only one back end

The server runs as ``kiosk-server serve`` in its own processes (PostgreSQL: a throwaway cluster
from Debian's postgresql package with its default durability, fsync and synchronous_commit on,
cores + 1 workers; SQLite: WAL with synchronous=FULL as the office runs it, 1 worker, as SQLite
has one writer).
Each kiosk is a thread with its own HTTP session: upload a batch, poll the delta, repeat.
Prints events/s and the p50/p99 latency of uploads and polls. Target on PostgreSQL: at least
5,000 events/s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bench.upload import backlog
from server.local import Office
from sync.protocol import API_PREFIX, UploadRequest

TARGET_PG = 5000.0
LOG = Path(tempfile.gettempdir()) / "bench-fleet-server.log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(url: str, workers: int) -> Iterator[tuple[str, int]]:
    """``kiosk-server serve`` in a child process: yields its base URL and process id."""
    port = free_port()
    command = [sys.executable, "-m", "server.cli", "--db", url, "serve", "--port", str(port)]
    log = open(LOG, "ab")  # noqa: SIM115 (closed below; a pipe nobody reads would fill up)
    process = subprocess.Popen([*command, "--workers", str(workers)], stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}{API_PREFIX}/time", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)  # waiting for a child process to listen; nothing to wait on
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def bodies(device: str, batches: int, size: int) -> list[bytes]:
    """A kiosk's upload requests, encoded before the clock starts (the server is measured)."""
    # Each gate sees its own residents, so the figures measure storing, not conflict flagging
    # (tests cover conflicts).
    seed = int(device[1:])
    events = backlog(batches * size, device, compound_of(device), seed, prefix=f"{device}-")
    chunks = [tuple(events[n * size : (n + 1) * size]) for n in range(batches)]
    return [json.dumps(UploadRequest(device, chunk).to_json()).encode() for chunk in chunks]


def kiosk(base: str, token: str, requests_: list[bytes], out: dict[str, list[float]]) -> None:
    http = requests.Session()
    http.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    cursor = 0
    for body in requests_:
        started = time.perf_counter()
        reply = http.post(f"{base}{API_PREFIX}/events", data=body, timeout=120)
        out["upload"].append(time.perf_counter() - started)
        reply.raise_for_status()
        started = time.perf_counter()
        delta = http.get(f"{base}{API_PREFIX}/delta?since={cursor}", timeout=120)
        out["poll"].append(time.perf_counter() - started)
        delta.raise_for_status()
        cursor = delta.json()["cursor"]


def compound_of(device: str) -> str:
    """Four gates per compound: 200 kiosks are 50 compounds."""
    return f"c{int(device[1:]) // 4:02d}"


def run(url: str, kiosks: int, batches: int, size: int, workers: int) -> dict[str, float]:
    office = Office.open(url)
    devices = [f"k{i:03d}" for i in range(kiosks)]
    for compound in sorted({compound_of(d) for d in devices}):
        office.add_compound(compound)
    tokens = {d: office.enroll_kiosk(d, compound_of(d)) for d in devices}
    office.sessions.kw["bind"].dispose()
    timings: dict[str, list[float]] = {"upload": [], "poll": []}
    with serving(url, workers) as (base, _):
        threads = [
            threading.Thread(
                target=kiosk, args=(base, token, bodies(device, batches, size), timings)
            )
            for device, token in tokens.items()
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    total = kiosks * batches * size
    with office.session() as s:
        from sqlalchemy import func, select

        from server.models import EventRow

        stored = s.scalar(select(func.count()).select_from(EventRow)) or 0
    if stored != total:
        raise SystemExit(f"expected {total} events on the server, found {stored}")
    return {
        "events": total,
        "seconds": elapsed,
        "rate": total / elapsed,
        "upload_p50": statistics.median(timings["upload"]) * 1000,
        "upload_p99": _p99(timings["upload"]) * 1000,
        "poll_p50": statistics.median(timings["poll"]) * 1000,
        "poll_p99": _p99(timings["poll"]) * 1000,
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def report(name: str, figures: dict[str, float], target: float | None) -> None:
    verdict = "" if target is None else ("  OK" if figures["rate"] >= target else "  BELOW TARGET")
    print(
        f"{name:10s} {figures['events']:>8,.0f} events in {figures['seconds']:6.2f} s = "
        f"{figures['rate']:>7,.0f} events/s{verdict}\n"
        f"{'':10s} upload p50 {figures['upload_p50']:7.1f} ms  p99 {figures['upload_p99']:7.1f} ms"
        f"   poll p50 {figures['poll_p50']:6.1f} ms  p99 {figures['poll_p99']:6.1f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    args = parser.parse_args()
    kiosks, batches, size = (20, 2, 50) if args.quick else (200, 5, 200)
    print(f"{kiosks} kiosks x {batches} batches x {size} events, each batch followed by a poll")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'office.db'}"
            report("SQLite", run(url, kiosks, batches, size, workers=1), None)
    if args.db in ("postgres", "both"):
        from tests.pg import PostgresCluster, _pg_bin

        if _pg_bin() is None:
            print("PostgreSQL: skipped, the postgresql package is not installed")
            return 0
        cluster = PostgresCluster().start(durable=True)
        try:
            workers = max(2, (os.cpu_count() or 2) + 1)
            durability = cluster.settings("fsync", "synchronous_commit", "wal_sync_method")
            print("PostgreSQL defaults: " + ", ".join(f"{k}={v}" for k, v in durability.items()))
            report(
                "PostgreSQL", run(cluster.new_database(), kiosks, batches, size, workers), TARGET_PG
            )
        finally:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
