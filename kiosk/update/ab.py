"""Two installed releases side by side, the one link that says which runs, and the journal of a
switch, so that a kill -9 or a power cut at any step leaves one working version.

    ROOT/releases/<version>/venv/…        one folder per installed release
    ROOT/releases/<version>/.installed    written last by the installer: the folder is whole
    ROOT/current -> releases/<version>    what systemd starts (ROOT/current/venv/bin/kiosk run)
    ROOT/ab.json                          the journal: running, switching, trial, rolling back…
    ROOT/ab.py                            a copy of this file, run by the unit's ExecStartPre

``current`` is switched by making the new link beside it (``current.new``) and renaming it over
the old one. rename(2) replaces a directory entry atomically, so at every instant ``current``
names one whole release. The journal is written (atomically) *before* each flip, so a process
that starts after a kill finds out what was under way and finishes or undoes it (``settle``).

A new release that crashes on import, or that the watchdog kills, never gets to judge itself. So
this module uses the standard library only, and the unit runs the copy the last *good* release
left in ROOT (``python3 ROOT/ab.py``, ExecStartPre) before every start: it counts the starts of a
release on trial and flips back when there were too many, or when the trial window has passed.

ROOT belongs to the kiosk's user (the service switches its own version without root); it is not
the folder of setup.sh's root-owned helpers, so the kiosk cannot replace what runs as root.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AB", "Checkpoint", "Journal", "NoWorkingRelease", "Slots", "main"]

INSTALLED = ".installed"
CURRENT = "current"
NEW_LINK = "current.new"
JOURNAL = "ab.json"
MAX_TRIAL_STARTS = 2  # a power cut during a trial is forgiven once; a second start is a crash loop
TRIAL_WINDOW_S = 600.0

Checkpoint = Callable[[str], None]  # told each named step (a test stops a process there)


def _no_checkpoint(step: str) -> None:
    """In production nothing happens between steps."""


class NoWorkingRelease(RuntimeError):
    """No whole release is installed under the root; setup.sh must install one."""


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (kiosk.atomic has the same; this file may import nothing of ours)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Slots:
    """The releases under ``root``; ``checkpoint`` is told each step of a flip."""

    root: Path
    checkpoint: Checkpoint = _no_checkpoint

    def folder(self, version: str) -> Path:
        return self.root / "releases" / version

    def is_whole(self, version: str) -> bool:
        return (self.folder(version) / INSTALLED).is_file()

    def mark_whole(self, version: str) -> None:
        """The installer's last step: from now on the release can be switched to."""
        marker = self.folder(version) / INSTALLED
        marker.write_text(version + "\n", encoding="utf-8")
        fsync_dir(marker.parent)

    def current(self) -> str | None:
        """The version ``current`` names; None when it is missing or names no whole release."""
        try:
            version = Path(os.readlink(self.root / CURRENT)).name
        except OSError:
            return None
        return version if self.is_whole(version) else None

    def installed(self) -> list[str]:
        """The whole releases, oldest first (by when they were installed)."""
        whole = [p for p in self._release_dirs() if (p / INSTALLED).is_file()]
        whole.sort(key=lambda p: (p / INSTALLED).stat().st_mtime)
        return [p.name for p in whole]

    def point_at(self, version: str) -> None:
        """Make ``current`` name ``version`` (a whole release), atomically and durably."""
        if not self.is_whole(version):
            raise NoWorkingRelease(f"{self.folder(version)} is not a whole release")
        new = self.root / NEW_LINK
        with contextlib.suppress(FileNotFoundError):
            new.unlink()
        os.symlink(Path("releases") / version, new)
        self.checkpoint("link-made")
        os.replace(new, self.root / CURRENT)
        self.checkpoint("link-renamed")
        fsync_dir(self.root)

    def repair(self, prefer: list[str]) -> str:
        """Leave ``current`` naming a whole release: as it is when it does, else the first whole
        one of ``prefer``, else the newest installed. Returns the version it names."""
        with contextlib.suppress(FileNotFoundError):
            (self.root / NEW_LINK).unlink()
        running = self.current()
        if running is not None:
            return running
        installed = self.installed()
        choices = [v for v in prefer if v in installed] + installed[::-1]
        if not choices:
            raise NoWorkingRelease(
                f"no whole release under {self.root / 'releases'}; run setup.sh to install one"
            )
        self.point_at(choices[0])
        return choices[0]

    def discard_partial(self, busy: str = "") -> list[str]:
        """Remove folders an installer left half done (no ``.installed``), but ``busy``."""
        removed = []
        for folder in self._release_dirs():
            if folder.name != busy and not (folder / INSTALLED).is_file():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed

    def prune(self, keep: set[str]) -> list[str]:
        """Remove whole releases other than ``keep`` and the current one; their versions."""
        keep = keep | {v for v in [self.current()] if v}
        removed = [v for v in self.installed() if v not in keep]
        for version in removed:
            shutil.rmtree(self.folder(version), ignore_errors=True)
        return removed

    def _release_dirs(self) -> Iterator[Path]:
        base = self.root / "releases"
        if base.is_dir():
            yield from (p for p in base.iterdir() if p.is_dir() and not p.is_symlink())


@dataclass(frozen=True, slots=True)
class Journal:
    """``ab.json``: the phase of the A/B switch, written atomically before each step."""

    path: Path

    def read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def write(self, doc: dict[str, Any]) -> None:
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".ab.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        fsync_dir(self.path.parent)


@dataclass
class AB:
    """The switch between releases under ``root`` (see the module's docstring)."""

    root: Path
    checkpoint: Checkpoint = _no_checkpoint
    now: Callable[[], float] = time.time
    slots: Slots = field(init=False)
    journal: Journal = field(init=False)

    def __post_init__(self) -> None:
        self.slots = Slots(self.root, self.checkpoint)
        self.journal = Journal(self.root / JOURNAL)

    def state(self) -> dict[str, Any]:
        """The journal as it stands (``phase`` and what it names)."""
        return self.journal.read()

    def switch(self, to: str, window_s: float = TRIAL_WINDOW_S) -> None:
        """Flip ``current`` to the whole release ``to`` and put it on trial (the caller then
        restarts the service, so that the new version runs)."""
        came_from = self.slots.repair([])
        if not self.slots.is_whole(to):
            raise NoWorkingRelease(f"{self.slots.folder(to)} is not a whole release")
        self.journal.write({"phase": "switching", "from": came_from, "to": to})
        self.checkpoint("journal-switching")
        self.slots.point_at(to)
        trial = {"phase": "trial", "from": came_from, "to": to, "starts": 0}
        self.journal.write(trial | {"since": self.now(), "window_s": window_s})
        self.checkpoint("journal-trial")

    def settle(self) -> dict[str, Any]:
        """Before each start of the service: finish or undo what a killed process left, count
        the starts of a release on trial and flip back when it crash-loops or overstays."""
        doc = self.journal.read()
        phase = doc.get("phase")
        if phase == "switching":
            if self.slots.current() == doc["to"]:
                doc = self._trial_again(doc)
            else:
                version = self.slots.repair([doc["from"]])
                doc = {"phase": "running", "version": version}
                self.journal.write(doc)
        elif phase == "rolling_back":
            return self._finish_rollback(doc)
        if doc.get("phase") == "trial":
            return self._count_start(doc)
        version = self.slots.repair([str(doc.get("version", ""))])
        if doc.get("version") != version:
            doc = {**doc, "phase": doc.get("phase") or "running", "version": version}
            self.journal.write(doc)
        return doc

    def commit(self) -> dict[str, Any]:
        """The release on trial passed its health check: it is the running one now, and this
        file is copied beside the links so the next start's guard is the good release's."""
        doc = self.journal.read()
        if doc.get("phase") != "trial":
            return doc
        done = {"phase": "running", "version": doc["to"], "previous": doc["from"]}
        self.journal.write(done)
        self.checkpoint("journal-committed")
        install_guard(self.root)
        return done

    def rollback(self, why: str) -> dict[str, Any]:
        """Flip back to the version the trial came from and say why."""
        doc = self.journal.read()
        if doc.get("phase") not in ("trial", "rolling_back"):
            return doc
        self.journal.write({**doc, "phase": "rolling_back", "why": why})
        self.checkpoint("journal-rolling-back")
        return self._finish_rollback(self.journal.read())

    def _finish_rollback(self, doc: dict[str, Any]) -> dict[str, Any]:
        version = doc["from"]
        if self.slots.is_whole(version):
            if self.slots.current() != version:
                self.slots.point_at(version)
        else:  # the old release is gone (pruned by hand): any whole one rather than none
            self.slots.repair([])
        done = {"phase": "rolled_back", "version": self.slots.current(), "failed": doc["to"]}
        done["why"] = doc.get("why", "")
        self.journal.write(done)
        self.checkpoint("journal-rolled-back")
        return done

    def _trial_again(self, doc: dict[str, Any]) -> dict[str, Any]:
        trial = {"phase": "trial", "from": doc["from"], "to": doc["to"], "starts": 0}
        trial |= {"since": self.now(), "window_s": TRIAL_WINDOW_S}
        self.journal.write(trial)
        return trial

    def _count_start(self, doc: dict[str, Any]) -> dict[str, Any]:
        if self.slots.current() != doc["to"]:  # flipped back by hand, or by a killed rollback
            return self.rollback("the switch back began before the trial ended")
        starts = int(doc.get("starts", 0)) + 1
        if starts > MAX_TRIAL_STARTS:
            return self.rollback(f"crash loop: started {starts} times on trial")
        if self.now() - float(doc.get("since", 0)) > float(doc.get("window_s", TRIAL_WINDOW_S)):
            return self.rollback("the health check did not pass within the trial window")
        doc = {**doc, "starts": starts}
        self.journal.write(doc)
        self.checkpoint("journal-started")
        return doc


def install_guard(root: Path) -> None:
    """Copy this file to ROOT/ab.py (atomically): the guard the unit runs before each start."""
    target = root / "ab.py"
    temp = root / ".ab.py.tmp"
    shutil.copyfile(__file__, temp)
    os.replace(temp, target)
    fsync_dir(root)


def main(argv: list[str] | None = None) -> int:
    """``python3 ROOT/ab.py [--root ROOT]``: settle the switch before the service starts."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    try:
        doc = AB(args.root).settle()
    except NoWorkingRelease as error:
        print(f"kiosk update guard: {error}", file=sys.stderr)
        return 1
    print(f"kiosk update guard: {doc.get('phase')} {doc.get('version') or doc.get('to')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
