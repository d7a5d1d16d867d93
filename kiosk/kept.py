"""Events the log refused, kept in a file until the log takes them.

The exit button opens whether or not its event can be logged (kiosk.machine); while the log
cannot be written the event waits in memory (kiosk.recorder). Memory alone lost it when the
service restarted before the log recovered (the watchdog, an update, a crash): the office never
heard of that exit, and the kiosk's own rules that count button exits never saw it. So each one
is also appended, with fsync, to the first of ``paths`` that takes it: ``events.kept.jsonl``
beside the log when only the log is broken (damaged, newer, deleted), else in the service's
runtime folder (``$RUNTIME_DIRECTORY``, /run/kiosk: tmpfs, so it outlives a restart of the
service but not a reboot) when the card is full or read-only. The recorder reads them back when
it starts and removes the files once the log has every one of them; writing one twice is
harmless (``EventLog.append(again=True)``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk.model import Event
from kiosk.store import event_from_row, event_row

__all__ = ["FILE", "KeptEvents"]

log = logging.getLogger(__name__)

FILE = "events.kept.jsonl"


class KeptEvents:
    """Events appended to the first of ``paths`` that takes them, read back from all of them."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = tuple(paths)

    @classmethod
    def beside(cls, log_file: Path, environ: Mapping[str, str] = os.environ) -> KeptEvents:
        """Beside the log, else in systemd's runtime folder for the service (when it has one)."""
        paths = [Path(log_file).parent / FILE]
        runtime = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
        if runtime:
            paths.append(Path(runtime) / FILE)
        return cls(paths)

    def add(self, event: Event) -> Path | None:
        """Append ``event`` durably; the file that took it, or None (it is in memory only)."""
        # A line starts with its newline: a line torn by a full disk spoils only itself.
        line = "\n" + json.dumps(event_row(event), ensure_ascii=False)
        for path in self.paths:
            try:
                _append(path, line)
            except OSError as error:
                log.warning("cannot keep event %s in %s: %s", event.event_id, path, error)
                continue
            return path
        log.error("event %s is kept in memory only: a restart loses it", event.event_id)
        return None

    def read(self) -> list[Event]:
        """The events kept in the files, once each, in the order kept; a line that is no event
        (torn by a full disk) is skipped."""
        found: dict[str, Event] = {}
        for path in self.paths:
            for number, line in enumerate(_lines(path), start=1):
                try:
                    event = event_from_row(json.loads(line))
                except (ValueError, KeyError, TypeError, IndexError) as error:
                    log.error("%s line %d is no event, skipped: %s", path, number, error)
                    continue
                found.setdefault(event.event_id, event)
        return list(found.values())

    def clear(self) -> None:
        """Remove the files (the log has every event in them)."""
        for path in self.paths:
            try:
                path.unlink(missing_ok=True)
            except OSError as error:  # read back and skipped as known at the next start
                log.warning("cannot remove %s: %s", path, error)


def _append(path: Path, line: str) -> None:
    new = not path.exists()
    with path.open("a", encoding="utf-8") as file:
        file.write(line)
        file.flush()
        os.fsync(file.fileno())
    if new:  # the file's name must survive a power cut too
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as error:
        log.error("cannot read the kept events in %s: %s", path, error)
        return []
    return [line for line in text.split("\n") if line.strip()]
