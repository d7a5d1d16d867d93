"""``kiosk run``: the device's main loop (what the systemd unit starts).

Builds the kiosk from the configuration, runs the kiosk loop in its own thread, the sync
agent when a server is configured, and the touch UI in the main thread (pygame wants it).
Tells systemd when it is ready, sends watchdog heartbeats only while both the kiosk loop and the
UI thread are alive (a hung either one gets the service restarted), and on SIGTERM or SIGINT
drops the relay and closes everything.

The screen comes when it comes: when no display opens at start (the panel or HDMI is not up
yet, or not plugged in), the gate runs headless, its exit button and sync working, and the
display is tried again every ``DISPLAY_RETRY_S`` until it opens; the journal and
``systemctl status kiosk`` say so meanwhile.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from kiosk.exc import DisplayError, KioskError
from kiosk.sdnotify import notify, watchdog_interval

log = logging.getLogger("kiosk")

HOUSEKEEPING_S = 3600.0  # how often synced events past retention are purged
UI_SILENT_S = 8.0  # a UI that has not polled for this long is hung (it polls every 50 ms)
DISPLAY_RETRY_S = 5.0  # while no screen opens, try again this often


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="run the kiosk: gate loop, sync, touch screen (systemd)")
    p.add_argument(
        "--config", type=Path, default=Path("/etc/kiosk/kiosk.toml"), help="the kiosk's TOML file"
    )
    p.add_argument("--no-ui", action="store_true", help="run without the touch screen")
    p.add_argument("--sim", action="store_true", help="simulated hardware whatever the config says")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from kiosk.clock import local_times_in
    from kiosk.config import load_config

    config = load_config(args.config)  # kiosk.cli turns a ConfigError into exit 2
    with local_times_in(config.policy.timezone):
        return serve(config, ui=not args.no_ui, sim=True if args.sim else None)


def serve(config: Any, *, ui: bool, sim: bool | None) -> int:
    """Run until SIGTERM/SIGINT (or the UI window closes)."""
    from kiosk.app import build
    from kiosk.commands import updates
    from kiosk.runner import KioskRunner, Pulse, StopWatch

    stop = threading.Event()
    _on_signals(stop)
    selftest_problem = updates.selftest_on_trial(config)  # before the gate takes the hardware
    app = build(config, sim=sim)
    runner = KioskRunner(app.kiosk, 1.0 / config.camera.fps)
    ui_pulse = Pulse(UI_SILENT_S) if ui else None
    agent = None
    try:
        runner.start()
        agent = _start_agent(app)
        updates.start(app, agent, stop, (lambda: ui_pulse) if ui else None, selftest_problem)
        keeper = threading.Thread(
            target=_heartbeat,
            args=(app, runner, stop, lambda: ui_pulse),
            name="kiosk-watchdog",
            daemon=True,
        )
        keeper.start()
        notify("READY=1")
        log.info("kiosk %s ready at compound %s", config.device.id, config.device.compound)
        if ui:
            from ui.app import run_ui

            def show() -> None:
                nonlocal ui_pulse
                ui_pulse = Pulse(UI_SILENT_S)
                try:
                    run_ui(app.kiosk, config.ui, stop=StopWatch(stop, ui_pulse))
                except DisplayError:
                    ui_pulse = None  # headless: the watchdog minds the gate loop alone
                    raise

            keep_trying_screen(show, stop, DISPLAY_RETRY_S)
            stop.set()
        else:
            stop.wait()
    finally:
        notify("STOPPING=1")
        runner.stop()
        if agent is not None:
            agent.stop()
        app.close()  # drops the relay
        log.info("kiosk stopped; relay off")
    return 0


def keep_trying_screen(show: Callable[[], None], stop: threading.Event, retry_s: float) -> None:
    """Run ``show()`` (the UI, until it ends) once a display opens: while it raises
    DisplayError, the gate runs headless and the display is tried again every ``retry_s``.
    Restarting cannot bring a screen, but a panel or HDMI that comes up late, or is plugged
    in later, does; it is shown as soon as it appears."""
    missing = ""
    while not stop.is_set():
        try:
            show()
        except DisplayError as error:
            if str(error) != missing:  # once, not every few seconds
                missing = str(error)
                log.error(
                    "no screen yet; the gate runs without one, retrying every %gs: %s",
                    retry_s,
                    error,
                )
            notify(f"STATUS=no screen yet, retrying every {retry_s:g} s: {error}")
            stop.wait(retry_s)
            continue
        if missing:
            log.info("screen found; it was missing since start")
        return


def _on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _start_agent(app: Any) -> Any:
    """The sync agent when [sync] server_url is set (and the sync package is installed)."""
    if not app.config.sync.server_url:
        return None
    try:
        from sync.agent import build_agent
    except ImportError as error:
        log.error("sync.server_url is set but the sync agent is missing: %s", error)
        return None
    from kiosk.alarms import office_data_fault, office_refusal
    from sync.osupdates import OsUpdates

    agent = build_agent(
        app.config,
        app.log,
        app.office,
        app.clock,
        report=app.kiosk.set_link_status,
        alarm=office_refusal(app.kiosk.alarms),
        data_alarm=office_data_fault(app.kiosk.alarms),
        os_status=OsUpdates().status,
    )
    if agent is not None:
        app.network.subscribe(agent.set_network)
        agent.start()
    return agent


def _heartbeat(app: Any, runner: Any, stop: threading.Event, ui_pulse: Any) -> None:
    """Watchdog heartbeats while the kiosk loop and the UI (``ui_pulse()``, None when there is
    none) are alive; hourly purge of old synced events."""
    from kiosk.runner import watchdog_problem

    interval = watchdog_interval() or 5.0
    retention = timedelta(days=app.config.log.retention_days)
    purged_at = float("-inf")
    while not stop.wait(interval):
        problem = watchdog_problem(runner, ui_pulse())
        if problem is None:
            notify("WATCHDOG=1")
        else:
            log.error("%s; withholding the watchdog heartbeat (systemd restarts us)", problem)
        reading = app.clock.read()
        if reading.monotonic - purged_at >= HOUSEKEEPING_S and reading.trusted:
            purged_at = reading.monotonic
            try:
                removed = app.log.purge(reading.wall - retention)
            except KioskError as error:
                log.error("purge failed: %s", error)
            else:
                if removed:
                    log.info("purged %d synced events older than %s", removed, retention)
