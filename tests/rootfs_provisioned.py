"""A cache of arm64 root file systems as setup.sh's first run leaves them (tests/test_rootfs.py).

setup.sh's first run in a fresh root file system is most of the arm64 proof's time under
qemu-user emulation: apt installs, pip, lgpio built from source (about 24 minutes on trixie and
13 on bookworm on the 2-core CI machine). What that run leaves is shaped by the base root file
system, by this checkout's files that setup.sh and the install read (``hash_checkout``: not the
kiosk's own packages, tests/, docs/, bench/, nor README.md, which only the kiosk's package
metadata carries) and by how the test runs setup.sh (the caller's recipe: fleet file,
arguments). When none of them changed, the proof starts from the cached tree: its first
setup.sh run is then an update that installs this checkout's kiosk, and its second must still
change nothing. A tree is stored only from a first run from scratch whose whole proof passed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tests.rootfs_build import CACHE, Chroot, hash_checkout, run

# Bump when Chroot's preparation or the snapshot below change in a way the key does not show.
FORMAT = 1
MARKER = ".provisioned"
# Trees kept for each base: every change to setup.sh makes a new one (about 1.5 GB); a few stay
# for branches that still run the older script.
KEEP = 3
# Carried only by the kiosk's package metadata, which the update run reinstalls; it changes often.
NOT_SHAPING = ("README.md",)
# How the proof (and the emulated machine's image, tests/vm_image.py) runs setup.sh's first run:
# a fleet file as a district would hand out, and the guard PIN setup.sh makes written out.
FLEET_TOML = """\
[device]
id = "gate-north-1"
compound = "C01"

[gpio]
relay_active_high = false
"""
SETUP_ARGS = ("--unattended", "--config", "/root/fleet.toml", "--pin-file", "/root/guard-pin")
RECIPE = (FLEET_TOML, SETUP_ARGS)


def provisioned_path(base: Path, recipe: tuple[object, ...]) -> Path:
    """Where the tree setup.sh leaves in a copy of ``base``, run as ``recipe`` says, is cached."""
    digest = hashlib.sha256(f"{FORMAT}|{base.name}|{recipe!r}".encode())
    hash_checkout(digest, outside=NOT_SHAPING)
    return CACHE / f"provisioned-{base.name}-{digest.hexdigest()[:16]}"


@dataclass
class ProvisionedCache:
    """One suite's cached provisioned tree: found (``hit``) or to be stored after the proof."""

    target: Path
    staging: Path | None = None

    @property
    def hit(self) -> bool:
        return (self.target / MARKER).exists()

    def snapshot(self, box: Chroot) -> float:
        """Copy ``box``'s tree (unmounted meanwhile; its .debs left to the shared cache, this
        checkout's /opt/src left out) beside the cache, not yet under its name. Seconds spent."""
        started = time.monotonic()
        staging = self.target.with_name(f"build-{self.target.name}-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        box.unmount()  # never copy the host's /dev, /proc or the shared pip cache
        try:
            for deb in (box.root / "var/cache/apt/archives").glob("*.deb"):
                deb.unlink()  # unmount() shared them; mount() links them in again
            run(["cp", "-a", "--reflink=auto", str(box.root), str(staging)])
        finally:
            box.mount()
        self.staging = staging
        shutil.rmtree(staging / "opt/src")
        (staging / ".complete").unlink(missing_ok=True)  # the base's marker, copied along
        return time.monotonic() - started

    def keep(self, timings: dict[str, float]) -> None:
        """Store the snapshot under the cache's name (a finished tree only ever gets it)."""
        if self.staging is None:
            return
        (self.staging / MARKER).write_text(json.dumps({"timings": timings, "stored": time.time()}))
        shutil.rmtree(self.target, ignore_errors=True)
        self.staging.rename(self.target)
        self.staging = None
        self._drop_the_oldest()

    def _drop_the_oldest(self) -> None:
        family = self.target.name.rsplit("-", 1)[0]  # provisioned-<base>
        stored = sorted(
            (tree for tree in self.target.parent.glob(f"{family}-*") if (tree / MARKER).exists()),
            key=lambda tree: (tree / MARKER).stat().st_mtime,
        )
        for tree in stored[:-KEEP]:
            shutil.rmtree(tree, ignore_errors=True)

    def discard(self) -> None:
        """Drop the snapshot of a proof that failed or did not finish."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
