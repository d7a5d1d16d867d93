"""The other kiosks' passages, and the openings nobody used, that the sync agent downloaded while
the event log could not take them.

They wait in memory and in a file (``kiosk.kept``): the office will not send them again, its
cursor has moved past them, so a restart that lost them left the offline rules (anti-passback,
visitor uses, household exits) without those passages for good. The agent gives them to the log
once it works (``merge_passages`` and ``forget_passages`` take a thing twice as once).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from kiosk.kept import KeptLines
from kiosk.model import Passage
from sync.protocol import ProtocolError, passage_from_json, passage_to_json

__all__ = ["FILE", "HELD_PASSAGES", "HeldPassages"]

log = logging.getLogger(__name__)

FILE = "passages.kept.jsonl"
HELD_PASSAGES = 10_000  # each of passages and unused openings; the oldest go first


class HeldPassages:
    """Passages and unused openings (device id, event id) waiting for the log, oldest first."""

    def __init__(self, kept: KeptLines | None = None) -> None:
        self.passages: list[Passage] = []
        self.unused: list[tuple[str, str]] = []
        self._kept = kept
        if kept is not None:
            self._remember(*_parsed(kept.read()))

    def __bool__(self) -> bool:
        return bool(self.passages or self.unused)

    def hold(self, passages: Sequence[Passage], unused: Sequence[tuple[str, str]]) -> None:
        """Keep these until the log takes them (``given``)."""
        if not (passages or unused):
            return
        if self._kept is not None:
            lines = [
                *({"passage": passage_to_json(p)} for p in passages),
                *({"unused": list(ref)} for ref in unused),
            ]
            self._kept.add(lines, f"{len(passages)} passage(s) at other kiosks")
        self._remember(passages, unused)

    def given(self) -> None:
        """The log has them all now."""
        self.passages, self.unused = [], []
        if self._kept is not None:
            self._kept.clear()

    def _remember(self, passages: Sequence[Passage], unused: Sequence[tuple[str, str]]) -> None:
        held = [*self.passages, *passages]
        if len(held) > HELD_PASSAGES:
            log.error(
                "%d passage(s) at other kiosks dropped: the event log is still unusable",
                len(held) - HELD_PASSAGES,
            )
        self.passages = held[-HELD_PASSAGES:]
        self.unused = [*self.unused, *unused][-HELD_PASSAGES:]


def _parsed(values: list[Any]) -> tuple[list[Passage], list[tuple[str, str]]]:
    passages: list[Passage] = []
    unused: list[tuple[str, str]] = []
    for index, value in enumerate(values):
        try:
            if isinstance(value, dict) and "passage" in value:
                passages.append(passage_from_json(value["passage"], f"kept[{index}]"))
            elif isinstance(value, dict) and "unused" in value:
                device, event = value["unused"]
                unused.append((str(device), str(event)))
            else:
                raise ProtocolError(f"kept[{index}]", "is neither a passage nor an opening")
        except (ProtocolError, ValueError, TypeError) as error:
            log.error("a kept passage cannot be read, skipped: %s", error)
    return passages, unused
