"""Server CPU time per idle poll: a kiosk asking "anything new?" when nothing changed.

    .venv/bin/python -m bench.idle_poll            # 3,000 polls of each kind
    .venv/bin/python -m bench.idle_poll --quick    # 300

The server runs as ``kiosk-server serve`` in a child process (SQLite, with 10,000 changes and
50,000 events already stored, so a scan would show); its user+system CPU time is read from
/proc before and after (in 1/100 s ticks: the polls are many, so the ticks add up).
Two kinds of poll: with ``If-None-Match`` (answer 304, no body) and without (an empty
delta). Either costs one credential lookup and one empty index range scan.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.fleet import serving
from bench.upload import backlog
from kiosk.model import RiskColour
from server import sync_service
from server.local import Office
from server.models import Kiosk
from sync.protocol import API_PREFIX, UploadRequest

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def seed(office: Office, changes: int, events: int) -> str:
    office.add_compound("c1")
    for i in range(100):
        office.add_household(f"h{i}", "c1")
    for i in range(changes - 100):
        office.set_colour(f"h{i % 100}", RiskColour.YELLOW if i % 2 else RiskColour.WHITE)
    token = office.enroll_kiosk("k1", "c1")
    with office.session() as s:
        kiosk = s.get(Kiosk, "k1")
        assert kiosk is not None
        request = UploadRequest("k1", tuple(backlog(events, "k1", "c1")))
        sync_service.store_events(s, kiosk, request, request.events[0].wall_time)
    return token


def measure(base: str, pid: int, token: str, polls: int, etag: bool) -> tuple[float, float, int]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    cursor = http.get(f"{base}{API_PREFIX}/delta?since=0").json()["cursor"]
    while True:  # page through to the newest cursor
        page = http.get(f"{base}{API_PREFIX}/delta?since={cursor}").json()
        if page["cursor"] == cursor:
            break
        cursor = page["cursor"]
    headers = {"If-None-Match": f'"{cursor}"'} if etag else {}
    before, started = cpu_seconds(pid), time.perf_counter()
    status = 0
    for _ in range(polls):
        status = http.get(f"{base}{API_PREFIX}/delta?since={cursor}", headers=headers).status_code
    wall = time.perf_counter() - started
    return (cpu_seconds(pid) - before) / polls, wall / polls, status


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle_poll", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    polls = 300 if args.quick else 3000
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'office.db'}"
        office = Office.open(url)
        token = seed(office, 1000 if args.quick else 10_000, 5000 if args.quick else 50_000)
        office.sessions.kw["bind"].dispose()
        with serving(url, 1) as (base, pid):
            for name, etag in (("If-None-Match -> 304", True), ("empty delta (200)", False)):
                cpu, wall, status = measure(base, pid, token, polls, etag)
                print(
                    f"{name:22s} {polls} polls: server CPU {cpu * 1e3:6.3f} ms/poll, "
                    f"round trip {wall * 1e3:6.3f} ms/poll (last status {status})",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
