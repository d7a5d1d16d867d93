"""A new release on trial judges itself: it runs its health checks, each within what is left of
the trial window, and either commits (state ``running``) or flips back to the version it came
from, says why in the status, and has the service restarted. The checks are passed in:

    selftest   ``kiosk selftest --only …`` before the gate takes the hardware
    screen     the UI drew a frame
    sync       one round trip to the office
    log        the event log reads

A crash, a hang the watchdog kills, or a trial that outlives its window never reaches a verdict
here; the guard (``kiosk.update.ab``, run before each start) flips back then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kiosk.status import KioskStatus
from kiosk.update.ab import AB
from kiosk.update.updater import tell

__all__ = ["Check", "Trial"]

log = logging.getLogger("kiosk.update")

# A check gets the seconds it may take and returns what is wrong, or "" when all is well.
Check = tuple[str, Callable[[float], str]]
AfterCommit = Callable[[], None]


@dataclass
class Trial:
    """The health check of the version that runs, when the journal has it on trial."""

    ab: AB
    running: str
    status: KioskStatus
    restart: Callable[[], None]
    after_commit: Sequence[AfterCommit] = ()
    clock: Callable[[], float] = time.time
    done: bool = field(default=False, init=False)

    def pending(self) -> bool:
        state = self.ab.state()
        return state.get("phase") == "trial" and state.get("to") == self.running

    def judge(self, checks: Sequence[Check]) -> bool:
        """Run ``checks`` in order; commit when all pass, else roll back. True when committed."""
        state = self.ab.state()
        deadline = float(state.get("since", 0)) + float(state.get("window_s", 600))
        tell(self.status, "trial", self.running)
        for name, check in checks:
            left = deadline - self.clock()
            problem = check(left) if left > 0 else "the trial window passed"
            if problem:
                return self._fail(f"{name}: {problem}")
        self.ab.commit()
        self.done = True
        tell(self.status, "running", self.running)
        log.info("release %s passed its health check; it is the running version now", self.running)
        for step in self.after_commit:
            step()
        return True

    def _fail(self, why: str) -> bool:
        log.error("release %s failed its health check (%s); rolling back", self.running, why)
        doc = self.ab.rollback(why)
        tell(self.status, "rolled_back", self.running, why)
        self.done = True
        log.error("rolled back to %s", doc.get("version"))
        self.restart()
        return False
