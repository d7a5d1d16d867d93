"""The office pages its deltas by size, and the kiosk's memory stays bounded while it downloads.

500 residents with ~470 KB photos were one 321 MB reply that took the gate's own process to
1.7 GB. Here the same compound is downloaded by a real agent in a child process (so its peak
resident size is its own, measured by the kernel) from a real office over loopback.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import sync_service
from server.models import Kiosk
from server.office import MAX_PHOTO_BYTES, record_change
from sync.protocol import PhotoChange
from tests.pg import LoopbackOffice, loopback

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="measures peak RSS with Linux's /proc"
)

RESIDENTS = 500
PHOTO_BYTES = 470 * 1024
GROWTH_LIMIT_MB = 100
PAGE_CHARS = 3 << 20  # photo text in one delta reply, at most

KIOSK = """
import json, sys
from pathlib import Path
from kiosk.clock import Clock
from kiosk.office import OfficeData
from kiosk.store import EventLog
from sync.agent import SyncAgent
from sync.client import Client
from sync.rejected import RejectedEvents

url, token, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
office = OfficeData(folder / "office.db")
agent = SyncAgent(
    Client(url, token, timeout_s=60.0), EventLog(folder / "events.db"), office, Clock(),
    RejectedEvents(folder / "rejected.db"), boot_id="boot-1",
)
def status(name):
    line = next(x for x in open("/proc/self/status") if x.startswith(name + ":"))
    return int(line.split()[1])  # KiB

Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
before = status("VmRSS")
results = [agent.run_once() for _ in range(4)]
after = status("VmHWM")
photos = sum(office.photo(f"P{i}") is not None for i in range(int(sys.argv[4])))
print(json.dumps({"growth_kib": after - before, "photos": photos,
                  "errors": [r.error for r in results if not r.ok]}))
"""


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopbackOffice, str]]:
    """An office whose compound has RESIDENTS photos in its change log."""
    folder = tmp_path_factory.mktemp("crowded")
    world = loopback(f"sqlite:///{folder / 'office.db'}")
    photo = base64.b64encode(os.urandom(PHOTO_BYTES)).decode("ascii")
    with world.office.session() as s:
        for i in range(RESIDENTS):
            change = PhotoChange(str(i), "Li", "h1", (f"P{i}",), photo)
            record_change(s, "c1", "photo", change.to_json())
    token = world.office.enroll_kiosk("gate-1", "c1")
    yield world, token
    world.server.stop()


def test_500_residents_photos_come_in_pages_and_kiosk_memory_stays_bounded(crowded, tmp_path):
    world, token = crowded
    folder = tmp_path / "kiosk"
    folder.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", KIOSK, world.url, token, str(folder), str(RESIDENTS)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["errors"] == []
    assert figures["photos"] == RESIDENTS
    growth_mb = figures["growth_kib"] / 1024
    print(f"peak RSS growth of the kiosk while downloading: {growth_mb:.1f} MB")
    assert growth_mb < GROWTH_LIMIT_MB


def test_a_delta_page_stops_at_its_photo_budget_and_every_page_moves_on(crowded):
    world, _ = crowded
    pages, since = [], 0
    with world.office.session() as s:
        kiosk = s.get(Kiosk, "gate-1")
        assert kiosk is not None
        while True:
            found = sync_service.delta_page(s, kiosk, since, datetime.now(UTC))
            size = sum(len(p.photo_b64 or "") for p in found.delta.photos)
            pages.append((len(found.delta.photos), size))
            assert found.cursor > since or not found.delta.more
            since = found.cursor
            if not found.delta.more:
                break
    # The page's budget plus the photo that crossed it: docs/sync-protocol.md says 3 MiB.
    assert sync_service.DELTA_PHOTO_CHARS + base64_chars(MAX_PHOTO_BYTES) <= PAGE_CHARS
    assert all(size <= PAGE_CHARS for _, size in pages)
    assert sum(count for count, _ in pages) == RESIDENTS


def base64_chars(size: int) -> int:
    return 4 * ((size + 2) // 3)
