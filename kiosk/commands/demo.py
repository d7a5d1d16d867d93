"""``kiosk demo``: the whole kiosk on simulated hardware through a scripted day, in seconds.

Real code paths: the QR decoder reads generated camera frames, the device's own MLX90614
SMBus reads talk to an emulated sensor, the relay and contacts are gpiozero mock pins, decisions
go into a real SQLite event log. Time is simulated, so a 30-second door alarm takes no wait.
A local office server (SQLite, on 127.0.0.1) issues the passes and receives the events through
the kiosk's real sync agent after every step; for a few steps the network is cut, and the
backlog goes up when it returns.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.exc import KioskError
from kiosk.model import Reason
from kiosk.view import KioskView

OFFLINE_STEPS = range(5, 9)  # the network is cut while these steps are played
# The car gate's demo kiosk: the gate camera's wide picture, a car may stand on the loop a while.
CAR_GATE = {
    "lane.kind": "vehicle",
    "camera.width": 1280,
    "camera.height": 720,
    "lane.camera_fov_deg": 30.0,  # the simulated camera's lens, mounted as [lane] says
    "gpio.door_held_open_s": 120.0,
}
# What a run leaves in --data-dir (SQLite files with their -wal/-shm/-journal companions).
RUN_FILES = ("events.db", "office.db", "rejected.db", "clock.json", "office")
EARLIER_RUN = "previous"


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="run the kiosk on simulated hardware through a scripted day")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the event log here (default: a temporary folder, removed afterwards)",
    )
    p.add_argument(
        "--screenshots", type=Path, default=None, metavar="DIR", help="save a PNG of each step"
    )
    p.add_argument("--language", choices=["zh-CN", "en"], default="en", help="words and pictures")
    p.add_argument(
        "--no-office", dest="office", action="store_false", help="run without the office server"
    )
    p.add_argument(
        "--gate",
        choices=["gpio", "osdp"],
        default="gpio",
        help="relay on the Pi's pins, or on the gate controller firmware (MicroPython) over OSDP",
    )
    p.add_argument(
        "--lane",
        choices=["person", "vehicle"],
        default="person",
        help="the people's gate (passes, thermometer) or the car gate (plates read by the OCR)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.data_dir is not None:
            set_aside_earlier_run(args.data_dir)
            return demo(
                args.data_dir, args.screenshots, args.language, args.office, args.gate, args.lane
            )
        with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as scratch:
            return demo(
                Path(scratch), args.screenshots, args.language, args.office, args.gate, args.lane
            )
    except KioskError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def set_aside_earlier_run(data_dir: Path) -> None:
    """The day is played from its start: an earlier run's files move to ``previous/``.

    Kept in place, its log would change the stories (the first resident "already passed in").
    Only the run before is kept, so repeated runs do not fill the disk.
    """
    found = [
        path
        for name in RUN_FILES
        for path in (
            data_dir / name,
            *(data_dir / f"{name}{s}" for s in ("-wal", "-shm", "-journal")),
        )
        if path.exists()
    ]
    if not found:
        return
    aside = data_dir / EARLIER_RUN
    try:
        shutil.rmtree(aside, ignore_errors=True)
        aside.mkdir()
        for path in found:
            path.rename(aside / path.name)
    except OSError as error:
        raise KioskError(f"cannot move the earlier demo's files to {aside}: {error}") from error
    print(f"The earlier run's files are in {aside}; this run starts the day afresh.\n")


def demo_config(data_dir: Path, gate: str = "gpio", more: dict[str, Any] | None = None) -> Any:
    """The demo kiosk's settings in ``data_dir``; ``more``: further "section.key" overrides."""
    from kiosk.config import load_config

    return load_config(
        None,
        {
            "device.data_dir": str(data_dir),
            "camera.backend": "sim",
            "thermometer.backend": "sim",
            "gpio.backend": "mock",
            "gate.backend": gate,
            "ui.fullscreen": False,
        }
        | (more or {}),
    )


def demo(
    data_dir: Path,
    screenshots: Path | None,
    language: str,
    office: bool = True,
    gate: str = "gpio",
    lane: str = "person",
) -> int:
    from kiosk.app import build
    from kiosk.clock import local_times_in
    from kiosk.demo_scenario import Player, SimTime, run_scenario
    from kiosk.demo_world import make_world

    config = demo_config(data_dir, gate, CAR_GATE if lane == "vehicle" else None)
    # Today, to the minute: the office server stamps its replies with the real time.
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    time = SimTime(start)
    with ExitStack() as stack:
        stack.enter_context(local_times_in(config.policy.timezone))  # as the office shows them
        link = stack.enter_context(office_server(data_dir / "office")) if office else None
        app = stack.enter_context(
            build(config, sim=True, clock=time.clock, timers=time.timers, plate_reader=ocr(config))
        )
        key = link.signing_key() if link is not None else None
        world = make_world(start, compound=config.device.compound, key=key)
        world.install(app.office)
        if link is not None:
            link.register(world)
            link.connect(app)
            issuer = world.key.issuer
            print(f"Office server {link.url}: passes signed by '{issuer}', kiosk enrolled")
            print_web_app(link)
        shoot = screenshot_writer(screenshots, language, app.kiosk.frame)
        words = reason_words(language)

        def on_step(step: Any) -> None:
            print_step(step, words)
            if link is not None:
                sync_step(app, link, step.number)
            shoot(step.number, step.title, step.view)

        if lane == "vehicle":
            car_day(app, link, Player(app, time), on_step, start)
        else:
            run_scenario(app, world, Player(app, time), on_step)
        print_summary(app, data_dir)
        if link is not None:
            print(f"  at the office ({link.url}): {link.events_received()}")
            if sys.stdin.isatty():
                keep_serving(link)
    return 0


def ocr(config: Any) -> Any:
    """The plate reader of the car gate, loaded before the day starts (None: people's gate)."""
    if config.lane.kind != "vehicle":
        return None
    import numpy as np

    from kiosk.app import plate_camera

    try:
        from kiosk.plates.reader import PlateReader

        reader = PlateReader.placed(plate_camera(config))
        reader.read(np.zeros((64, 64, 3), np.uint8))  # loads the models now, not mid-story
    except ImportError as error:
        raise KioskError(
            f"the plate reader is not installed ({error}); install the 'plates' extra "
            "(pip install -e '.[plates]', or ./setup.sh --sim)"
        ) from error
    return reader


def car_day(app: Any, link: Any, player: Any, on_step: Callable[[Any], None], now: Any) -> None:
    """The car gate's day; its cars are registered at the office (and downloaded by the
    kiosk's sync) or, without the office, put straight into the kiosk's office cache."""
    from kiosk.demo_cars import make_cars, run_car_day

    cars = make_cars(now)
    if link is None:
        cars.install(app.office)
    else:
        link.register_cars(cars)
        link.sync()
        print(f"     office: {len(cars.vehicles)} cars and the city's risk list downloaded")
    run_car_day(app, cars, player, on_step)
    if link is not None:  # the day ends with the network back: the office gets everything
        sync_step(app, link, 0)


def print_web_app(link: Any) -> None:
    logins = link.logins
    print(f"Office web app {link.web_url}")
    if logins is not None:
        print(
            f"  log in as {logins.clerk} / {logins.password} (clerk of {logins.compound}) "
            f"or {logins.admin} / {logins.password} (office admin)"
        )


def keep_serving(link: Any) -> None:
    """At a terminal the office stays up after the day, so the browser can look around."""
    print(f"\nThe office web app keeps running at {link.web_url}; press Ctrl+C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print()


def office_server(folder: Path) -> Any:
    """The local office (a real server on loopback); needs the ``server`` extra."""
    try:
        from server.demo_office import demo_office
    except ImportError as error:
        raise KioskError(
            f"the office server is not installed ({error}); "
            "install the extras with ./setup.sh --sim, or run kiosk demo --no-office"
        ) from error
    # The demo prints each sync's outcome itself; the agent's own warnings would repeat it.
    logging.getLogger("sync").setLevel(logging.ERROR)
    return demo_office(folder)


def sync_step(app: Any, link: Any, number: int) -> None:
    """One sync cycle after a step; the network is cut during OFFLINE_STEPS."""
    online = number not in OFFLINE_STEPS
    if online != app.sim.network_online:
        app.sim.set_network(online)
        print(f"     network: {'back online' if online else 'cut (the kiosk keeps working)'}")
    result = link.sync()
    waiting = app.log.count_unsynced()
    if result.ok:
        print(
            f"     office: +{result.uploaded} event(s) uploaded, {link.events_received()} "
            f"at the office, {waiting} waiting"
        )
    else:
        print(f"     office: not reached ({result.error}); {waiting} event(s) wait on the kiosk")


def reason_words(language: str) -> Callable[[Reason], str]:
    """The UI's words for a reason code (the code itself when the UI is not installed)."""
    try:
        from ui import strings
    except ImportError:
        return str
    return lambda reason: strings.reason_words(language, reason).title


def print_step(step: Any, words: Callable[[Reason], str]) -> None:
    view: KioskView = step.view
    print(f"\n[{step.number:2d}] {step.title}")
    shown = f"{view.stage}"
    if view.verdict is not None:
        shown += f" / {view.verdict}"
    temperature = f", {view.temperature_c:.1f} °C" if view.temperature_c is not None else ""
    print(
        f"     screen: {shown}, reason {view.reason} ({words(view.reason)}){temperature}"
        f"{', gate open' if view.gate_open else ''}"
    )
    for event in step.events:
        who = f" pass {event.pass_id}" if event.pass_id else ""
        who += f" plate {event.data['plate']}" if "plate" in event.data else ""
        detail = event.data.get("detail") or event.data.get("reason") or ""
        print(
            f"     logged: {event.kind} {event.verdict or '-'} {event.reason}{who}"
            f"{' — ' + str(detail) if detail else ''}"
        )
    for alarm in view.alarms:
        print(f"     alarm:  {alarm.reason} ({words(alarm.reason)}) {alarm.detail}")


def print_summary(app: Any, data_dir: Path) -> None:
    tally = app.log.tally()
    print(f"\nEvent log {data_dir / 'events.db'}: {sum(tally.values())} events")
    for (kind, verdict, reason), count in tally.items():
        print(f"  {count:3d}  {kind:<13} {verdict or '-':<10} {reason}")
    print(f"  not yet at the office: {app.log.count_unsynced()}")


def screenshot_writer(
    folder: Path | None, language: str, camera: Callable[[], Any] = lambda: None
) -> Callable[[int, str, KioskView], None]:
    """Save each step's screen as a PNG, if asked and if pygame can draw off screen;
    ``camera`` gives the frame the idle screen's viewfinder shows."""
    if folder is None:
        return lambda number, title, view: None
    try:
        from ui.render import render_to_png
    except ImportError as error:
        print(f"note: no screenshots, the touch UI is not available ({error})")
        return lambda number, title, view: None

    def shoot(number: int, title: str, view: KioskView) -> None:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
        try:
            path = folder / f"{number:02d}-{slug}.png"
            render_to_png(view, path, language=language, frame=camera())
        except Exception as error:  # a picture must not stop the demo
            print(f"note: screenshot {number} failed: {error}")

    return shoot
