"""Bytes a kiosk downloads for a release that changes one module.

Two releases go through ``kiosk-server release add``'s code into a fresh office: 1.0.0 and
1.0.1, whose only change is one line in one module (kiosk/machine.py). The kiosk wheel is
assembled from this source tree (pure Python: the packages and a METADATA); the dependency
wheels from the distributions installed in this environment (the kiosk's core dependencies,
as the kiosk's venv would hold them). A kiosk running 1.0.0 then fetches, through the office's
endpoints, every file of 1.0.1's manifest it does not already have by SHA-256.

    .venv/bin/python -m bench.release_bytes           # every core dependency
    .venv/bin/python -m bench.release_bytes --quick   # the three smallest of them
"""

from __future__ import annotations

import argparse
import re
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta
from importlib.metadata import distribution, requires
from pathlib import Path

from fastapi.testclient import TestClient

from kiosk.update.manifest import Manifest
from server.app import create_app
from server.local import Office
from server.releases import keys, rollout
from server.releases.store import Store, add_release

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "drivers", "ui", "sync", "server", "hw_tests")
CHANGED = "kiosk/machine.py"
T0 = datetime(2026, 12, 5, tzinfo=UTC)


def kiosk_wheel(folder: Path, version: str, change: str = "") -> Path:
    """The kiosk's wheel from this tree; ``change`` is appended to CHANGED."""
    path = folder / f"checkpoint_kiosk-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for package in PACKAGES:
            for source in sorted((ROOT / package).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    name = source.relative_to(ROOT).as_posix()
                    data = source.read_bytes() + (change.encode() if name == CHANGED else b"")
                    wheel.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
        meta = f"Metadata-Version: 2.1\nName: checkpoint-kiosk\nVersion: {version}\n"
        wheel.writestr(f"checkpoint_kiosk-{version}.dist-info/METADATA", meta)
    return path


def core_dependencies() -> list[str]:
    """The kiosk's core requirements (no extras), by project name."""
    found = [r for r in requires("checkpoint-kiosk") or () if "extra ==" not in r]
    return [re.split(r"[<>=!~ ;\[]", r)[0] for r in found]


def installed_size(name: str) -> int:
    dist = distribution(name)
    paths = (Path(str(dist.locate_file(f))) for f in dist.files or ())
    return sum(p.stat().st_size for p in paths if p.is_file())


def dependency_wheels(folder: Path, most: int) -> list[Path]:
    """A wheel per installed core dependency (the ``most`` smallest), from its installed files."""
    wheels = []
    for name in sorted(core_dependencies(), key=installed_size)[:most]:
        dist = distribution(name)
        project = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
        path = folder / f"{project}-{dist.version}-py3-none-any.whl"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
            for file in sorted(dist.files or (), key=str):
                located = Path(str(dist.locate_file(file)))
                if located.is_file() and "__pycache__" not in file.parts:
                    info = zipfile.ZipInfo(str(file), (1980, 1, 1, 0, 0, 0))
                    wheel.writestr(info, located.read_bytes())
        wheels.append(path)
    return wheels


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.release_bytes", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the three smallest dependencies")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        office = Office.open(folder / "office.db")
        store = Store(folder / "releases")
        office.add_compound("c1")
        token = office.enroll_kiosk("k1", "c1")
        deps = dependency_wheels(folder, 3 if args.quick else 100)
        copied = {}
        with office.session() as s:
            keys.new_key(s, store.root, T0)
            for n, version in enumerate(("1.0.0", "1.0.1")):
                wheel = kiosk_wheel(folder, version, "\n# changed\n" if n else "")
                at = T0 + timedelta(hours=n)
                copied[version] = add_release(s, store, wheel, dependencies=deps, notes="", now=at)[
                    1
                ]
            rollout.start(s, "1.0.1", "k1", T0 + timedelta(hours=2))
        old = Manifest.from_bytes(store.manifest("1.0.0")[0])
        new = Manifest.from_bytes(store.manifest("1.0.1")[0])
        have = {f.sha256 for f in old.files}
        client = TestClient(create_app(office.sessions))
        auth = {"Authorization": f"Bearer {token}"}
        moved = 0
        for entry in new.files:
            if entry.sha256 not in have:
                url = f"/api/v1/releases/1.0.1/files/{entry.name}"
                moved += len(client.get(url, headers=auth).content)
        total = sum(f.size for f in new.files)
        print(
            f"release 1.0.1: {len(new.files)} files, {total:,} bytes "
            f"({len(deps)} dependency wheels)"
        )
        print(
            f"office store: 1.0.0 copied {copied['1.0.0']:,} bytes, "
            f"1.0.1 copied {copied['1.0.1']:,}"
        )
        print(
            f"kiosk on 1.0.0 downloads {moved:,} bytes for 1.0.1 "
            f"({moved / total:.1%} of the release; one module changed)"
        )


if __name__ == "__main__":
    main()
