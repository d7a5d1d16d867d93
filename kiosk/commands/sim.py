"""``kiosk sim``: the kiosk screen in a desktop window with buttons for the simulated hardware.

Show a resident, visitor, revoked, forged, quarantined or empty-flat pass, set the forehead
temperature, open the door, press the exit button, unplug the sensor, cut the network: by hand,
everything the scripted ``kiosk demo`` does. Needs a desktop; without one it says so.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

TICK_S = 0.02  # how often the kiosk loop steps the state machine (it never blocks)
NO_DISPLAY = (
    "kiosk sim opens a window, but there is no desktop here (no DISPLAY or WAYLAND_DISPLAY, "
    "or SDL_VIDEODRIVER=dummy). Run the scripted demo instead and look at its pictures: "
    "kiosk demo --screenshots DIR"
)


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(
        name, help="interactive simulator: kiosk screen plus simulated hardware buttons"
    )
    p.add_argument(
        "--config", type=Path, default=None, help="the kiosk's TOML file (default: defaults)"
    )
    p.add_argument("--language", choices=["zh-CN", "en"], default=None, help="screen language")
    p.add_argument(
        "--size",
        type=screen_size,
        default=None,
        metavar="WxH",
        help="kiosk screen size, e.g. 800x480 (the 7-inch panel), 1080x1920",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the event log here (default: a temporary folder, removed on exit)",
    )
    p.add_argument("--speech", action="store_true", help="speak prompts with espeak-ng")
    p.add_argument(
        "--gate",
        choices=["gpio", "osdp"],
        default=None,
        help="relay on the Pi's pins, or on the gate controller firmware (MicroPython) over OSDP",
    )
    p.set_defaults(run=run)


def screen_size(text: str) -> tuple[int, int]:
    """Parse 800x480."""
    width, x, height = text.lower().partition("x")
    if not (x and width.isdigit() and height.isdigit()) or not (
        320 <= int(width) <= 3840 and 240 <= int(height) <= 2160
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a screen size like 800x480 (320..3840 x 240..2160)"
        )
    return int(width), int(height)


def overrides(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """Configuration the simulator imposes: a window, simulated parts, a scratch log folder."""
    values: dict[str, Any] = {"ui.fullscreen": False, "device.data_dir": str(data_dir)}
    if args.language:
        values["ui.language"] = args.language
    if args.size:
        values["ui.width"], values["ui.height"] = args.size
    if args.speech:
        values["ui.speech"] = True
    if getattr(args, "gate", None):
        values["gate.backend"] = args.gate
    return values


def run(args: argparse.Namespace) -> int:
    from ui.app import has_display

    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kiosk-sim-") as scratch:
        return simulate(args, args.data_dir or Path(scratch))


def simulate(args: argparse.Namespace, data_dir: Path) -> int:
    """Build the simulated kiosk, run its loop in the background and the screen in front.

    A local office server (when the ``server`` extra is installed) signs the demo passes and
    receives the events through the real sync agent, so "cut network" really holds them back.
    """
    from kiosk.app import build
    from kiosk.clock import local_times_in
    from kiosk.commands.demo import print_web_app
    from kiosk.config import load_config
    from kiosk.demo_world import make_world
    from ui.app import run_ui
    from ui.simpanel import PANEL_WIDTH, SimPanel

    config = load_config(args.config, overrides(args, data_dir))
    with ExitStack() as stack:
        stack.enter_context(local_times_in(config.policy.timezone))
        link = stack.enter_context(local_office(data_dir / "office"))
        app = stack.enter_context(build(config, sim=True))
        assert app.sim is not None, "build(sim=True) always gives simulator controls"
        key = link.signing_key() if link is not None else None
        world = make_world(app.clock.effective_now(), compound=config.device.compound, key=key)
        world.install(app.office)
        if link is not None:
            link.register(world)
            print_web_app(link)
            link.connect(app)
            stack.callback(link.stop_agent)
            link.start_agent()
        stop = threading.Event()
        loop = threading.Thread(
            target=tick_until, args=(app.kiosk, stop), name="kiosk-loop", daemon=True
        )
        stack.callback(loop.join, 5)
        stack.callback(stop.set)
        loop.start()
        panel = SimPanel(app.sim, {label: demo.text for label, demo in world.passes.items()})
        run_ui(app.kiosk, config.ui, panel=panel, panel_width=PANEL_WIDTH)
    return 0


@contextmanager
def local_office(folder: Path) -> Iterator[Any]:
    """The demo office on loopback, or None (with a note) without the ``server`` extra."""
    try:
        from server.demo_office import demo_office
    except ImportError as error:
        print(f"note: no office server ({error}); the kiosk runs offline", file=sys.stderr)
        yield None
        return
    logging.getLogger("sync").setLevel(logging.ERROR)  # the screen shows the link state
    with demo_office(folder) as office:
        print(f"office server: {office.url}", file=sys.stderr)
        yield office


def tick_until(kiosk: Any, stop: threading.Event, period_s: float = TICK_S) -> None:
    """The kiosk loop: one thread owns the kiosk and its drivers and steps it until ``stop``."""
    while not stop.wait(period_s):
        kiosk.tick()
