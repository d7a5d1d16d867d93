"""Fleet update figures: a real office on loopback and one kiosk on this machine, run as systemd
would (bench.update_fleet).

    .venv/bin/python -m bench.update            # four releases in a row
    .venv/bin/python -m bench.update --quick    # two (the second changes one module)

Prints, for each release after the first (which differs from the one before in one module):
  * the time from "release sent" (the rollout offers it) to "kiosk running it" (its trial passed
    and the journal says running), with [updates] check_s = 1 s; a kiosk asks every check_s
    (300 s by default), so add up to that in the field;
  * the bytes the kiosk fetched, against the release's size: the dependency wheel did not change,
    so only the kiosk wheel moves (a content-addressed cache keyed by SHA-256).
The kiosk wheel carries this checkout's modules (kiosk, sync, drivers, ui, hw_tests) as its bulk,
about the size of the real one; the dependency wheel is 4 MB of incompressible bytes.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from bench.update_fleet import REPO, KioskBox, fake_kiosk_wheel
from kiosk.update.manifest import FileKind, describe
from server.app import create_app
from server.local import Office, ServerThread
from server.releases import keys, rollout
from server.releases.store import Store, add_release

PACKAGES = ("kiosk", "sync", "drivers", "ui", "hw_tests")


def payload(changed: int) -> dict[str, str]:
    """This checkout's modules, the first one changed ``changed`` times (one module differs)."""
    files = {
        str(p.relative_to(REPO)): p.read_text(encoding="utf-8")
        for package in PACKAGES
        for p in sorted((REPO / package).rglob("*.py"))
    }
    first = next(iter(files))
    files[first] += f"\n# release {changed}\n"
    return files


def dependency_wheel(folder: Path) -> Path:
    path = folder / "helper_lib-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(
            "helper_lib-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: helper-lib\nVersion: 1.0\n",
        )
        wheel.writestr("helper_lib/blob.bin", os.urandom(4 << 20))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.update", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="two releases instead of four")
    rounds = 2 if parser.parse_args().quick else 4
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        folder = Path(tmp)
        office = Office.open(folder / "office.db")
        store = Store(folder / "releases")
        now = datetime.now(UTC)
        with office.session() as s:
            keys.new_key(s, store.root, now)
        office.add_compound("c1")
        server = ServerThread(create_app(office.sessions)).start()
        wheels = folder / "wheels"
        wheels.mkdir()
        dependency = dependency_wheel(wheels)
        box_dir = folder / "k1"
        box_dir.mkdir()
        first = fake_kiosk_wheel(wheels, "1.0", payload=payload(0))
        box = KioskBox(box_dir, "k1", server.url, office.enrollment_code("c1"), first).start()
        try:
            for n in range(1, rounds + 1):
                version = f"1.{n}"
                wheel = fake_kiosk_wheel(wheels, version, payload=payload(n))
                with office.session() as s:
                    add_release(s, store, wheel, dependencies=[dependency], notes="", now=now)
                size = sum(describe(p, FileKind.DEPENDENCY).size for p in (wheel, dependency))
                cache = box.data / "update" / "cache"
                before = _cached_bytes(cache)
                with office.session() as s:
                    rollout.start(s, version, "k1", datetime.now(UTC))
                sent = time.perf_counter()
                box.wait_for(
                    f"{version} running",
                    lambda st, v=version: st.get("phase") == "running" and st.get("version") == v,
                    timeout=300,
                )
                took = time.perf_counter() - sent
                moved = _cached_bytes(cache) - before
                with office.session() as s:
                    rollout.advance(s, version, datetime.now(UTC))
                    rollout.advance(s, version, datetime.now(UTC))
                note = "first: the dependency wheel moves too" if n == 1 else "one module changed"
                print(
                    f"release {version} ({note}): sent -> running {took:.1f} s; "
                    f"fetched {moved:,} of {size:,} bytes"
                )
        finally:
            box.stop()
            server.stop()


def _cached_bytes(cache: Path) -> int:
    return (
        sum(p.stat().st_size for p in cache.glob("*") if len(p.name) == 64) if cache.is_dir() else 0
    )


if __name__ == "__main__":
    main()
