"""The kiosk's updater: one ``step()`` asks the office which release to run, fetches and checks
it, installs it beside the running one and, in a quiet moment, switches to it (then the service
restarts and ``kiosk.update.trial`` judges the new version). It runs in its own thread, never on
the gate's decision path, and every fault ends in the status the office sees:

    update = idle | downloading | ready | trial | running | rolled_back | failed
    target = the version being fetched, installed or tried;  error = why (≤ 40 characters)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from kiosk.exc import KioskError, SyncError
from kiosk.status import KioskStatus, StatusKey
from kiosk.update.ab import AB
from kiosk.update.download import Cache, DownloadError, RateLimit, Source
from kiosk.update.install import Installer, InstallError
from kiosk.update.keys import TrustedKeys
from kiosk.update.manifest import ManifestError, verify

__all__ = ["Updater", "in_busy_hours", "short_error", "tell"]

log = logging.getLogger("kiosk.update")
ERROR_CHARS = 40


def short_error(words: str) -> str:
    """Fit words into the status header's ``error`` field: ASCII, no ';', ≤ 40 characters."""
    text = words.encode("ascii", "replace").decode().replace(";", ",").replace("=", ":")
    return text[:ERROR_CHARS]


def tell(status: KioskStatus, update: str, target: str = "", error: str = "") -> None:
    """Set the update keys of the kiosk's status (the office reads them from every request)."""
    status[StatusKey.UPDATE] = update
    status[StatusKey.TARGET] = target
    status[StatusKey.ERROR] = short_error(error)


def in_busy_hours(ranges: str, now: time) -> bool:
    """Whether ``now`` (local) is inside one of ``ranges`` ("07:00-09:30,17:00-19:30"); a range
    whose end is before its start runs over midnight."""
    for first, last in re.findall(r"(\d\d:\d\d)-(\d\d:\d\d)", ranges):
        start, end = time.fromisoformat(first), time.fromisoformat(last)
        inside = start <= now < end if start <= end else (now >= start or now < end)
        if inside:
            return True
    return False


@dataclass
class Updater:
    """Fetch, install and switch to the release the office offers (see the module docstring)."""

    source: Source
    keys: TrustedKeys
    cache: Cache
    installer: Installer
    ab: AB
    running: str
    status: KioskStatus
    quiet: Callable[[], bool]
    restart: Callable[[], None]
    limit: RateLimit
    trial_s: float = 600.0

    def step(self) -> None:
        """One round; faults end in the status (and the journal), never in an exception."""
        try:
            self._step()
        except (ManifestError, DownloadError, InstallError) as error:
            log.error("update refused: %s", error)
            short = getattr(error, "short", "") or f"manifest: {error}"
            tell(self.status, "failed", self.status.get(StatusKey.TARGET, ""), short)
        except SyncError as error:  # the office is away: try again next round
            log.info("update check: %s", error)
        except KioskError as error:
            log.error("update failed: %s", error)
            tell(self.status, "failed", self.status.get(StatusKey.TARGET, ""), str(error))

    def _step(self) -> None:
        state = self.ab.state()
        if state.get("phase") == "trial":
            return  # kiosk.update.trial decides
        version = self.source.offered()
        if version is None or version == self.running:
            self._settled(state)
            return
        if state.get("phase") == "rolled_back" and state.get("failed") == version:
            tell(self.status, "rolled_back", version, state.get("why", ""))
            return  # the office stops the rollout; the same release is not tried again
        if not self.ab.slots.is_whole(version):
            self._fetch_and_install(version)
        if not self.quiet():
            tell(self.status, "ready", version)
            return
        log.info("switching from %s to %s", self.running, version)
        self.ab.switch(version, self.trial_s)
        tell(self.status, "trial", version)
        self.restart()

    def _settled(self, state: dict[str, object]) -> None:
        if state.get("phase") == "rolled_back":
            tell(self.status, "rolled_back", str(state.get("failed", "")), str(state.get("why")))
        elif state.get("phase") == "running" and state.get("previous"):
            tell(self.status, "running", self.running)
        else:
            tell(self.status, "idle")

    def _fetch_and_install(self, version: str) -> None:
        tell(self.status, "downloading", version)
        raw, signature = self.source.manifest(version)
        manifest = verify(raw, signature, self.keys.load())
        if manifest.version != version:
            raise ManifestError(f"the manifest is of {manifest.version}, not {version}")
        self.cache.fetch_all(self.source, manifest, self.limit)
        self.installer.install(manifest)
        self.ab.slots.prune({self.running, version})
        tell(self.status, "ready", version)
