"""The provisioned root file system's cache (tests/rootfs_provisioned.py): what its key covers,
and that only a kept snapshot ever gets the cache's name. No root, no emulation."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.rootfs_build import hash_checkout
from tests.rootfs_provisioned import KEEP, MARKER, NOT_SHAPING, ProvisionedCache, provisioned_path

FILES = {
    "setup.sh": "#!/bin/bash\n",
    "deploy/kiosk.service.in": "[Service]\n",
    "pyproject.toml": "[project]\n",
    "requirements/pi.lock": "lgpio==0.2.2.0\n",
    "README.md": "# kiosk\n",
    "kiosk/machine.py": "STATE = 1\n",
    "hw_tests/screen.py": "CHECK = 1\n",
    "tests/test_x.py": "X = 1\n",
    "docs/setup.md": "# setup\n",
    "bench/lane.py": "LANE = 1\n",
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _key(root: Path) -> str:
    digest = hashlib.sha256()
    hash_checkout(digest, outside=NOT_SHAPING, root=root)
    return digest.hexdigest()


@pytest.mark.parametrize(
    "name", ["setup.sh", "deploy/kiosk.service.in", "pyproject.toml", "requirements/pi.lock"]
)
def test_a_change_to_what_setup_reads_is_a_new_key(checkout: Path, name: str) -> None:
    before = _key(checkout)
    (checkout / name).write_text(FILES[name] + "# changed\n")
    assert _key(checkout) != before


def test_a_new_file_beside_setup_is_a_new_key(checkout: Path) -> None:
    before = _key(checkout)
    (checkout / "deploy/extra.conf").write_text("x\n")
    assert _key(checkout) != before


OUTSIDE_THE_KEY = ["kiosk/machine.py", "hw_tests/screen.py", "tests/test_x.py", "docs/setup.md"]


@pytest.mark.parametrize("name", [*OUTSIDE_THE_KEY, "bench/lane.py", "README.md"])
def test_the_kiosks_own_code_tests_and_docs_keep_the_key(checkout: Path, name: str) -> None:
    before = _key(checkout)
    (checkout / name).write_text(FILES[name] + "# changed\n")
    assert _key(checkout) == before


def test_the_recipe_and_the_base_are_in_the_name(tmp_path: Path) -> None:
    trixie, bookworm = tmp_path / "trixie-arm64-aaaa", tmp_path / "bookworm-arm64-bbbb"
    one = provisioned_path(trixie, ("fleet A", ("--unattended",)))
    assert one.name.startswith("provisioned-trixie-arm64-aaaa-")
    assert provisioned_path(trixie, ("fleet B", ("--unattended",))) != one
    assert provisioned_path(bookworm, ("fleet A", ("--unattended",))) != one
    assert provisioned_path(trixie, ("fleet A", ("--unattended",))) == one


def test_only_a_kept_snapshot_is_a_hit(tmp_path: Path) -> None:
    cache = ProvisionedCache(tmp_path / "provisioned-x")
    cache.keep({})  # nothing snapshotted: nothing stored
    assert not cache.hit
    cache.staging = tmp_path / "build-provisioned-x-1"
    (cache.staging / "etc").mkdir(parents=True)
    assert not cache.hit
    cache.keep({"setup_first_run_s": 1400.0})
    assert cache.hit and (cache.target / "etc").is_dir() and (cache.target / MARKER).is_file()
    assert not (tmp_path / "build-provisioned-x-1").exists()


def test_a_discarded_snapshot_leaves_nothing(tmp_path: Path) -> None:
    cache = ProvisionedCache(tmp_path / "provisioned-x")
    cache.staging = tmp_path / "build-provisioned-x-1"
    (cache.staging / "etc").mkdir(parents=True)
    cache.discard()
    assert not cache.hit and list(tmp_path.iterdir()) == []


def test_only_the_newest_trees_of_a_base_are_kept(tmp_path: Path) -> None:
    other_base = tmp_path / "provisioned-bookworm-arm64-bbbb-0000"
    other_base.mkdir()
    (other_base / MARKER).write_text("{}")
    os.utime(other_base / MARKER, (1, 1))  # the oldest of all, but another base's
    names = [f"provisioned-trixie-arm64-aaaa-{n:04}" for n in range(KEEP + 2)]
    for age, name in enumerate(names):
        staging = tmp_path / f"build-{name}"
        staging.mkdir()
        cache = ProvisionedCache(tmp_path / name, staging=staging)
        cache.keep({})
        os.utime(cache.target / MARKER, (1000 + age, 1000 + age))
    kept = sorted(tree.name for tree in tmp_path.iterdir())
    assert kept == sorted([other_base.name, *names[-KEEP:]])
