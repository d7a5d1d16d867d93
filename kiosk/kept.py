"""What the event log could not take, kept in a file until it can.

While the log cannot be written, two things wait for it: the exit button's events (the exit
opens whether or not its event is logged; kiosk.recorder) and the other kiosks' passages the
sync agent downloaded (sync.agent). Memory alone lost them when the service restarted before
the log recovered (the watchdog, an update, a crash): the office never heard of those exits,
and the passages were never downloaded again, since the office cursor had moved past them, so
the offline rules went on without them. So each is also appended, with fsync, to the first of
``paths`` that takes it: a file beside the log when only the log is broken (damaged, newer,
deleted), else in the service's runtime folder (``$RUNTIME_DIRECTORY``, /run/kiosk: tmpfs, it
outlives a restart of the service but not a reboot) when the card is full or read-only. They
are read back at the start, and the files removed once the log has all of them; taking one
twice is harmless (``EventLog.append(again=True)``, ``merge_passages``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kiosk.atomic import fsync_dir
from kiosk.model import Event
from kiosk.store import event_from_row, event_row

__all__ = ["FILE", "KeptEvents", "KeptLines"]

log = logging.getLogger(__name__)

FILE = "events.kept.jsonl"


class KeptLines:
    """JSON values appended to the first of ``paths`` that takes them, read back from all."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = tuple(paths)

    @classmethod
    def beside(cls, folder: Path, name: str, environ: Mapping[str, str] = os.environ) -> KeptLines:
        """File ``name`` in the log's ``folder``, else in systemd's runtime folder for the
        service."""
        paths = [Path(folder) / name]
        runtime = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
        if runtime:
            paths.append(Path(runtime) / name)
        return cls(paths)

    def add(self, values: Iterable[Any], what: str) -> Path | None:
        """Append ``values`` durably; the file that took them, or None (in memory only)."""
        # A line starts with its newline: a line torn by a full disk spoils only itself.
        text = "".join("\n" + json.dumps(value, ensure_ascii=False) for value in values)
        for path in self.paths:
            try:
                _append(path, text)
            except OSError as error:
                log.warning("cannot keep %s in %s: %s", what, path, error)
                continue
            return path
        log.error("%s kept in memory only: a restart loses it", what)
        return None

    def read(self) -> list[Any]:
        """The values in the files, in the order kept; a line torn by a full disk is skipped."""
        found: list[Any] = []
        for path in self.paths:
            for number, line in enumerate(_lines(path), start=1):
                try:
                    found.append(json.loads(line))
                except ValueError as error:
                    log.error("%s line %d is not JSON, skipped: %s", path, number, error)
        return found

    def clear(self) -> None:
        """Remove the files (the log has everything in them)."""
        for path in self.paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as error:  # read back at the next start, and taken as known
                log.warning("cannot remove %s: %s", path, error)


class KeptEvents:
    """The kiosk's own events the log refused (``FILE``)."""

    def __init__(self, lines: KeptLines) -> None:
        self.lines = lines

    @classmethod
    def beside(cls, log_file: Path, environ: Mapping[str, str] = os.environ) -> KeptEvents:
        return cls(KeptLines.beside(Path(log_file).parent, FILE, environ))

    def add(self, event: Event) -> Path | None:
        return self.lines.add([event_row(event)], f"event {event.event_id}")

    def read(self) -> list[Event]:
        """The events kept, once each, in the order kept; a value that is no event is skipped."""
        found: dict[str, Event] = {}
        for value in self.lines.read():
            try:
                event = event_from_row(value)
            except (ValueError, KeyError, TypeError, IndexError) as error:
                log.error("a kept event cannot be read, skipped: %s", error)
                continue
            found.setdefault(event.event_id, event)
        return list(found.values())

    def clear(self) -> None:
        self.lines.clear()


def _append(path: Path, text: str) -> None:
    new = not path.exists()
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    if new:  # the file's name must survive a power cut too
        fsync_dir(path.parent)


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as error:
        log.error("cannot read what was kept in %s: %s", path, error)
        return []
    return [line for line in text.split("\n") if line.strip()]
