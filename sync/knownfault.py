"""A data file the sync agent cannot use, kept as a state rather than met as an error.

The kiosk's files fail in ways it lives with for hours (a full card, a read-only mount, a log
of a newer release; docs/gate-rules.md, degraded modes) and the kiosk loop already alarms the
guard about them. The agent only has to say in the journal when such a fault starts, changes
kind and ends: one line each, never a traceback per cycle.
"""

from __future__ import annotations

import logging

from kiosk.exc import StoreError

__all__ = ["KnownFault"]

log = logging.getLogger("sync.agent")


class KnownFault:
    """The state of one file for the agent: ``words`` say what is wrong ("" while it works);
    ``meanwhile`` what the agent does about it, ``after`` what comes back when it works."""

    def __init__(self, what: str, meanwhile: str, after: str) -> None:
        self.what, self.meanwhile, self.after = what, meanwhile, after
        self.words = ""
        self._kind = ""

    def failed(self, error: StoreError) -> None:
        """The file failed again: a journal line only when the fault is new or of a new kind."""
        if error.kind != self._kind:
            log.error(
                "%s cannot be used (%s): %s; %s", self.what, error.kind, error, self.meanwhile
            )
        self._kind, self.words = error.kind, str(error)

    def cleared(self) -> None:
        """The file worked: a journal line if it had failed."""
        if self._kind:
            log.warning("%s can be used again: %s", self.what, self.after)
        self._kind, self.words = "", ""
