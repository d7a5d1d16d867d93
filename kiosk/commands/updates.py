"""Fleet updates in ``kiosk run``: the updater thread, or, when this version is on trial, its
health check (kiosk.update.trial). Wired here because it joins the kiosk, the sync client and
the screen; the update logic itself is in kiosk/update.

Off (with one line in the journal) when ``[updates] root`` is empty, when the kiosk was not
installed in the A/B layout (no ``ROOT/current``: an old setup.sh, or a developer's venv), or
when no office is configured.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.exc import KioskError, StoreError
from kiosk.update.ab import AB
from kiosk.update.download import Cache, RateLimit
from kiosk.update.extras import extras_in_use
from kiosk.update.firmware import bundle_of, send_after_trial
from kiosk.update.install import Installer
from kiosk.update.keys import TrustedKeys, keys_file
from kiosk.update.trial import Check, Trial
from kiosk.update.updater import Updater, in_busy_hours, tell

log = logging.getLogger("kiosk.update")

POLL_S = 0.5


def update_dir(config: Any) -> Path:
    """The updater's state in the data dir: trusted keys, the file cache."""
    return Path(config.device.data_dir) / "update"


def ab_of(config: Any) -> AB | None:
    root = config.updates.root
    if root is None or not (Path(root) / "current").is_symlink():
        return None
    return AB(Path(root))


def selftest_on_trial(config: Any) -> str:
    """When this version is on trial, its self-test before the gate takes the hardware: what
    failed, or "". A failure rolls back at once (before anything else starts). Nobody is at the
    kiosk during an update: what a check would ask of a person (a pass held up) is skipped."""
    ab = ab_of(config)
    checks = config.updates.selftest
    if ab is None or ab.state().get("phase") != "trial" or not checks:
        return ""
    argv = [sys.executable, "-m", "kiosk", "selftest", "--only", checks, "--non-interactive"]
    if config.source is not None:
        argv += ["--config", str(config.source)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=config.updates.trial_s)
    except subprocess.TimeoutExpired:
        return "selftest: no answer within the trial window"
    if done.returncode == 0:
        return ""
    failed = [line for line in done.stdout.splitlines() if "FAILED" in line]
    return "selftest: " + (failed[-1].strip() if failed else f"exit {done.returncode}")


class Updates:
    """What ``kiosk run`` starts for fleet updates; ``restart`` ends the process (systemd's
    Restart=always starts the version ``current`` names then)."""

    def __init__(self, app: Any, agent: Any, restart: Callable[[], None]) -> None:
        from sync.client import Client, Credential
        from sync.releases import OfficeReleases

        config = app.config
        self.app = app
        self.ab = ab_of(config)
        sync = config.sync
        token = Credential.load(sync.credential_file).token if sync.credential_file else ""
        verify: str | bool = str(sync.ca_file) if sync.ca_file else True
        self.client = Client(sync.server_url, token, sync.timeout_s, verify)
        if agent is not None:
            self.client.status = agent.client.status  # one status, whichever request carries it
        self.running = self.client.status["version"]
        self.restart = restart
        self.source = OfficeReleases(self.client)

    def trial(self) -> Trial:
        """The health check of this version; once it passed, the release's controller firmware
        goes to the gate controller (when the gate is one)."""
        from drivers.gate_bundle import MAGIC, build_bundle
        from drivers.gate_update import update_controller

        assert self.ab is not None
        controller = getattr(self.app.kiosk.hw.gate, "controller", None)
        release = self.ab.slots.folder(self.running)

        def bundle(path: Path) -> bytes:
            return bundle_of(path, MAGIC, lambda folder: build_bundle(folder, None).data)

        status = self.client.status
        firmware = send_after_trial(
            release, controller, status, self.running, update_controller, bundle
        )
        return Trial(self.ab, self.running, self.client.status, self.restart, [firmware])

    def checks(self, ui_pulse: Callable[[], Any] | None, selftest_problem: str) -> list[Check]:
        """The health checks; ``ui_pulse`` is None when the kiosk runs without a screen."""
        return [
            ("selftest", lambda left: selftest_problem),
            ("screen", lambda left: _wait_for(lambda: _screen_problem(ui_pulse), left)),
            ("sync", lambda left: _wait_for(self._sync_problem, left)),
            ("log", lambda left: self._log_problem()),
        ]

    def updater(self) -> Updater:
        assert self.ab is not None
        config = self.app.config
        cache = Cache(update_dir(config) / "cache")
        return Updater(
            self.source,
            TrustedKeys(keys_file(config.device.data_dir)),
            cache,
            Installer(self.ab.slots, cache, extras=extras_in_use()),
            self.ab,
            self.running,
            self.client.status,
            quiet=self._quiet,
            restart=self.restart,
            limit=RateLimit(config.updates.bandwidth_kib * 1024),
            trial_s=config.updates.trial_s,
        )

    def _quiet(self) -> bool:
        """No person at the lane and outside the busy hours."""
        from kiosk.view import Stage

        kiosk = self.app.kiosk
        if kiosk.stage is not Stage.IDLE or kiosk.doorway.busy:
            return False
        return not in_busy_hours(self.app.config.updates.busy_hours, datetime.now().time())

    def _sync_problem(self) -> str:
        from sync.client import Refused, Transient

        try:
            self.client.get_json("/release")
        except (Transient, Refused) as error:
            return f"no round trip to the office: {error}"
        return ""

    def _log_problem(self) -> str:
        try:
            self.app.log.recent(1)
        except (StoreError, KioskError) as error:
            return f"the event log does not read: {error}"
        return ""


def start(
    app: Any,
    agent: Any,
    stop: threading.Event,
    ui_pulse: Callable[[], Any] | None,
    selftest_problem: str,
) -> Updates | None:
    """Start the trial or the updater thread for ``kiosk run``; None when updates are off."""
    config = app.config
    why_off = (
        "[updates] root is empty"
        if config.updates.root is None
        else "no office configured"
        if not config.sync.server_url
        else f"no A/B layout at {config.updates.root} (setup.sh makes it)"
        if ab_of(config) is None
        else ""
    )
    if why_off:
        log.info("fleet updates off: %s", why_off)
        return None
    try:
        updates = Updates(app, agent, stop.set)
    except KioskError as error:  # not enrolled yet: no credential to ask the office with
        log.warning("fleet updates wait until the kiosk is enrolled: %s", error)
        ab = ab_of(config)
        if ab is not None and ab.state().get("phase") == "trial":
            ab.rollback(f"sync: {error}"[:200])  # it could not pass the round trip either
            stop.set()
        return None
    trial, updater = updates.trial(), updates.updater()
    checks = updates.checks(ui_pulse, selftest_problem)
    state = updates.ab.state() if updates.ab else {}
    if state.get("phase") == "rolled_back":
        tell(updates.client.status, "rolled_back", str(state.get("failed")), str(state["why"]))

    def work() -> None:
        """Judge this version when it is on trial; then (when it passed) look for releases."""
        if trial.pending() and not trial.judge(checks):
            return  # rolled back: the service restarts into the previous version
        while not stop.is_set():
            updater.step()
            stop.wait(config.updates.check_s)

    threading.Thread(target=work, name="kiosk-updates", daemon=True).start()
    return updates


def _screen_problem(ui_pulse: Callable[[], Any] | None) -> str:
    if ui_pulse is None:
        return ""  # run with --no-ui: there is no screen to judge
    pulse = ui_pulse()
    if pulse is None:
        return "no screen drew a frame"
    return "" if pulse.fresh() else "the screen stopped drawing"


def _wait_for(problem: Callable[[], str], left_s: float) -> str:
    """Ask ``problem()`` until it is "" or ``left_s`` has passed; the last answer."""
    end = time.monotonic() + left_s
    while (answer := problem()) and time.monotonic() < end:
        time.sleep(POLL_S)
    return answer
