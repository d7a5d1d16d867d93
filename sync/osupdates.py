"""The operating system's pending updates, as the office hears of them in the kiosk's status.

setup.sh has unattended-upgrades install security fixes at night and reboot in the configured
window when one needs it. Until then the kiosk reports, with every sync request, how many
updates apt has waiting (how many of them security fixes) and whether the system wants a
reboot. Counting asks apt to simulate an upgrade, a second or two on a Pi, so it runs rarely
and in a thread of its own; reading the status never waits for it.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.status import KioskStatus, StatusKey

log = logging.getLogger(__name__)

# Written by packages (a new kernel, libc) whose update needs a reboot; /var/run links here.
REBOOT_FLAG = Path("/run/reboot-required")
COUNT_EVERY_S = 6 * 3600.0
# No lock: a simulation changes nothing, and the kiosk's user could not take apt's lock anyway.
SIMULATE = ("apt-get", "--simulate", "--quiet", "-o", "Debug::NoLocking=true", "upgrade")
SIMULATE_LIMIT_S = 120.0
# "Inst openssl [3.0.15-1~deb12u1] (3.0.16-1~deb12u1 Debian-Security:12/stable-security [arm64])"
_INST = re.compile(r"^Inst \S+ (?:\[[^\]]*\] )?\((?P<origin>[^)]*)\)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Pending:
    """Updates apt would install now; ``security`` of them from a security archive."""

    updates: int
    security: int


def count_pending(simulation: str) -> Pending:
    """The updates in the output of ``apt-get --simulate upgrade``."""
    origins = [match["origin"] for match in _INST.finditer(simulation)]
    security = sum("-security" in origin or "Debian-Security" in origin for origin in origins)
    return Pending(len(origins), security)


def simulate_upgrade() -> Pending | None:
    """Ask apt what an upgrade would install; None where there is no apt or it failed."""
    if shutil.which(SIMULATE[0]) is None:
        return None
    try:
        result = subprocess.run(
            SIMULATE,
            capture_output=True,
            text=True,
            timeout=SIMULATE_LIMIT_S,
            check=False,
            env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("could not count the system's pending updates: %s", error)
        return None
    if result.returncode != 0:
        log.warning("could not count the system's pending updates: %s", result.stderr.strip())
        return None
    return count_pending(result.stdout)


def in_a_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="os-updates", daemon=True).start()


class OsUpdates:
    """The status fields ``os_updates``, ``os_security`` and ``reboot_required``, from a count
    made at most every ``every_s`` in the background (``start`` runs it) and the reboot flag."""

    def __init__(
        self,
        *,
        count: Callable[[], Pending | None] = simulate_upgrade,
        reboot_flag: Path = REBOOT_FLAG,
        clock: Callable[[], float] = time.monotonic,
        every_s: float = COUNT_EVERY_S,
        start: Callable[[Callable[[], None]], None] = in_a_thread,
    ) -> None:
        self._count = count
        self._flag = reboot_flag
        self._clock = clock
        self._every_s = every_s
        self._start = start
        self._pending: Pending | None = None
        self._counted_at: float | None = None
        self._counting = threading.Lock()

    def status(self) -> KioskStatus:
        """What to tell the office now; starts a count when the last one is old, never waits."""
        now = self._clock()
        due = self._counted_at is None or now - self._counted_at >= self._every_s
        if due and self._counting.acquire(blocking=False):  # not while one is counting
            self._counted_at = now
            self._start(self._recount)
        found = KioskStatus({StatusKey.REBOOT_REQUIRED: "yes" if self._flag.exists() else "no"})
        pending = self._pending
        if pending is not None:
            found[StatusKey.OS_UPDATES] = str(pending.updates)
            found[StatusKey.OS_SECURITY] = str(pending.security)
        return found

    def _recount(self) -> None:
        try:
            counted = self._count()
            if counted is not None:
                self._pending = counted
        except Exception:  # a bug here must not end the agent's status
            log.exception("counting the system's pending updates failed")
        finally:
            self._counting.release()
