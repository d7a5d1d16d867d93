"""``kiosk mcu``: the gate controller (a Raspberry Pi Pico running mcu/firmware).

kiosk mcu sim         the firmware in MicroPython on a pseudo-terminal, for any OSDP panel
kiosk mcu flash       copy the firmware, its settings and the secure channel key to a Pico
kiosk mcu rotate-key  give the controller a new key over the bus (osdp_KEYSET), then keep it
kiosk mcu update      send it a new firmware over the bus (osdp_FILETRANSFER), kept once it answers

A Pico that already runs the firmware has its watchdog armed, which would reset it in the
middle of the copy: ``flash`` first asks it over OSDP, with the kiosk's key, for a
maintenance boot (no watchdog), then checks its MicroPython, copies, and restarts it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.exc import ConfigError, HardwareError

DEFAULT_SIM_KEY = Path("mcu-sim.key")
# mcu/firmware/app.py refuses older ones too: before 1.24 rp2 UART.txdone() ignored the shift
# register, so the RS-485 driver was switched off while the CRC was still going out.
MIN_MICROPYTHON = (1, 24, 0)


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="the gate controller: simulate it, or flash it to a Pico")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    sim = verbs.add_parser("sim", help="run the firmware in MicroPython on a pseudo-terminal")
    sim.add_argument("--config", type=Path, default=None, help="kiosk TOML ([gate], [gpio])")
    sim.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help=f"secure channel key (made if missing; default: [gate] key_file or {DEFAULT_SIM_KEY})",
    )
    sim.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    sim.set_defaults(run=run_sim)
    flash = verbs.add_parser("flash", help="copy firmware, settings and key to a Pico (mpremote)")
    flash.add_argument("--config", type=Path, default=None, help="kiosk TOML ([gate], [gpio])")
    flash.add_argument("--device", default="auto", help="mpremote device (default: auto)")
    flash.add_argument(
        "--key-file", type=Path, default=None, help="key to install (default: [gate] key_file)"
    )
    flash.add_argument(
        "--firmware", type=Path, default=None, help="firmware folder (default: mcu/firmware)"
    )
    flash.add_argument(
        "--new-board",
        action="store_true",
        help="the Pico does not run this firmware yet: skip the maintenance boot over OSDP"
        " (implied when the key file is made now)",
    )
    flash.add_argument("--dry-run", action="store_true", help="print the mpremote commands only")
    flash.set_defaults(run=run_flash)
    rotate = verbs.add_parser(
        "rotate-key", help="replace the secure channel key on the controller and in key_file"
    )
    rotate.add_argument("--config", type=Path, default=None, help="kiosk TOML ([gate])")
    rotate.add_argument(
        "--key-file", type=Path, default=None, help="the current key (default: [gate] key_file)"
    )
    rotate.add_argument(
        "--port", default=None, help="the controller's serial port (default: [gate] serial_port)"
    )
    rotate.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a session")
    rotate.set_defaults(run=run_rotate_key)
    update = verbs.add_parser(
        "update", help="send a new firmware to the controller over the bus (osdp_FILETRANSFER)"
    )
    update.add_argument(
        "bundle", type=Path, help="a firmware bundle, or a firmware folder such as mcu/firmware"
    )
    update.add_argument(
        "--since",
        type=Path,
        default=None,
        help="with a folder: the firmware folder the controller runs now; only changed files go",
    )
    update.add_argument(
        "--save", type=Path, default=None, help="write the bundle to this file instead of sending"
    )
    update.add_argument("--config", type=Path, default=None, help="kiosk TOML ([gate])")
    update.add_argument(
        "--key-file", type=Path, default=None, help="the key (default: [gate] key_file)"
    )
    update.add_argument(
        "--port", default=None, help="the controller's serial port (default: [gate] serial_port)"
    )
    update.set_defaults(run=run_update)


def site_settings(config: Any) -> dict[str, Any]:
    """The controller's config.json: what the kiosk's configuration asks it to enforce."""
    gate, gpio = config.gate, config.gpio
    return {
        "ADDRESS": gate.address,
        "BAUD": gate.baud,
        "MAX_OPEN_MS": int(gpio.max_open_s * 1000),
        "OFFLINE_MS": int(gate.offline_s * 1000),
        "HELD_OPEN_MS": int(gpio.door_held_open_s * 1000),
        "FIRE_OPENS": gate.fire_opens,
    }


def ensure_key(path: Path) -> bytes:
    """The key in ``path``; a new random one (file mode 600) when the file does not exist."""
    from drivers.gate_osdp import load_key, save_key

    if path.exists():
        return load_key(path)
    key = os.urandom(16)
    save_key(path, key)
    print(f"new secure channel key written to {path} (mode 600)")
    return key


def _config(path: Path | None) -> Any:
    from kiosk.config import load_config

    return load_config(path)


def run_sim(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        serve(args, print, stop)
    return 0


def serve(args: argparse.Namespace, say: Callable[[str], None], stop: threading.Event) -> None:
    """Run the simulated controller until ``stop`` (or ``args.seconds``)."""
    from drivers.gate_osdp_sim import FirmwareVm, PtyBridge

    config = _config(args.config)
    key_file = args.key_file or config.gate.key_file or DEFAULT_SIM_KEY
    key = ensure_key(key_file)
    site = site_settings(config)
    with FirmwareVm(key, site) as vm, PtyBridge(vm) as bridge:
        version = vm.run_python("import sys; result = sys.version")
        say(f"gate controller firmware (MicroPython {version})")
        say(f"  port:    {bridge.path}   ({site['BAUD']} baud, 8N1)")
        say(f"  address: {site['ADDRESS']}")
        say(f"  key:     {key_file.resolve()}  (secure channel base key, 32 hex digits)")
        say("Point an OSDP control panel at the port; Ctrl-C stops.")
        sys.stdout.flush()
        stop.wait(args.seconds or None)


def _mpremote(device: str) -> list[str]:
    return [sys.executable, "-m", "mpremote", "connect", device]


def version_command(device: str) -> list[str]:
    """The mpremote invocation that prints the Pico's MicroPython version, e.g. (1, 27, 0)."""
    return [*_mpremote(device), "exec", "import sys; print(tuple(sys.implementation.version[:3]))"]


def require_micropython(printed: str) -> None:
    """HardwareError unless ``printed`` (version_command's output) is 1.24 or newer."""
    lines = printed.strip().splitlines()
    found = tuple(int(n) for n in re.findall(r"\d+", lines[-1] if lines else ""))
    if found[:3] < MIN_MICROPYTHON:
        shown = ".".join(map(str, found)) or repr(printed.strip())
        raise HardwareError(
            f"the Pico runs MicroPython {shown}; the gate controller needs 1.24 or newer (older"
            " rp2 builds switch the RS-485 driver off during the CRC): put a newer .uf2 on it"
            " (docs/hardware.md, 'Installing the firmware'), then flash again with --new-board"
        )


def request_maintenance(config: Any, key: bytes, key_file: Path) -> None:
    """Ask the running controller, over OSDP with the kiosk's key, for a maintenance boot."""
    from drivers.gate_osdp import OsdpController

    gate = config.gate
    with OsdpController(gate.serial_port, gate.address, key, baud=gate.baud) as ctl:
        if not ctl.wait_online(10):
            raise HardwareError(
                f"no gate controller answered on {gate.serial_port} (address {gate.address})"
                f" with the key in {key_file}: stop the kiosk first, it holds the port"
                " (sudo systemctl stop kiosk); for a Pico that does not run this firmware yet,"
                " add --new-board"
            )
        ctl.maintenance_boot()
    time.sleep(1.0)  # the board restarts and its USB serial port comes back


def flash_commands(device: str, firmware: Path, staging: Path) -> list[list[str]]:
    """The mpremote invocations that install the firmware and its files on a Pico."""
    base = _mpremote(device)
    files = sorted(str(p) for p in firmware.glob("*.py"))
    board_files = [str(staging / name) for name in ("slots.json", "config.json", "scbk.hex")]
    copy = [*base, "fs", "cp", *files, *board_files, ":"]
    return [copy, [*base, "reset"]]


def _run(command: list[str], capture: bool = False) -> str:
    """Run one mpremote command; its output when ``capture``; HardwareError when it fails."""
    done = subprocess.run(command, capture_output=capture, text=True, check=False)
    if done.returncode != 0:
        raise HardwareError(
            "mpremote failed: is the Pico plugged in with MicroPython on it? "
            "(docs/hardware.md, 'Gate controller')"
        )
    return done.stdout or ""


def run_flash(args: argparse.Namespace) -> int:
    import tempfile

    from drivers.gate_osdp_sim import FIRMWARE_DIR

    config = _config(args.config)
    key_file = args.key_file or config.gate.key_file
    if key_file is None:
        raise ConfigError("gate.key_file: give --key-file or set [gate] key_file in the config")
    new_board = args.new_board or not key_file.exists()  # no board can have a key made now
    key = ensure_key(key_file)
    with tempfile.TemporaryDirectory(prefix="kiosk-mcu-") as scratch:
        staging = Path(scratch)
        (staging / "config.json").write_text(json.dumps(site_settings(config), indent=1))
        (staging / "scbk.hex").write_text(key.hex())
        # run what is copied now, not a firmware an earlier update left in fw_a or fw_b
        (staging / "slots.json").write_text(json.dumps({"slot": ""}))
        firmware = args.firmware or FIRMWARE_DIR
        if not (firmware / "main.py").is_file():
            raise ConfigError(f"--firmware {firmware}: no main.py there (give mcu/firmware)")
        if not new_board:
            gate = config.gate
            print(f"+ maintenance boot over OSDP: {gate.serial_port}, address {gate.address}")
            if not args.dry_run:
                request_maintenance(config, key, key_file)
        check = version_command(args.device)
        print("+ " + " ".join(check))
        if not args.dry_run:
            require_micropython(_run(check, capture=True))
        for command in flash_commands(args.device, firmware, staging):
            print("+ " + " ".join(command))
            if not args.dry_run:
                _run(command)
    print("the controller enforces: " + json.dumps(site_settings(config)))
    return 0


def _bus(args: argparse.Namespace) -> tuple[Any, Path, str]:
    """[gate], the key file and the serial port, from the config and the command line."""
    gate = _config(args.config).gate
    key_file = args.key_file or gate.key_file
    if key_file is None:
        raise ConfigError("gate.key_file: give --key-file or set [gate] key_file in the config")
    return gate, key_file, args.port or gate.serial_port


def run_rotate_key(args: argparse.Namespace) -> int:
    from drivers.gate_osdp import OsdpController

    gate, key_file, port = _bus(args)

    def connect(key: bytes) -> OsdpController:
        return OsdpController(port, gate.address, key, baud=gate.baud, reconnect_s=0.5)

    rotate_key(key_file, connect, print, args.timeout)
    return 0


def rotate_key(
    key_file: Path, connect: Callable[[bytes], Any], say: Callable[[str], None], timeout_s: float
) -> bytes:
    """A new key on the controller (osdp_KEYSET in a session with the old one), then in
    ``key_file``; returns it. The new key waits in ``<key_file>.next`` until the controller
    has answered with it, so an interrupted rotation is finished by running it again.
    """
    from drivers.gate_osdp import load_key, save_key

    old = load_key(key_file)
    pending = key_file.with_name(key_file.name + ".next")
    resumed = pending.exists()
    new = load_key(pending) if resumed else os.urandom(16)
    if not resumed:
        save_key(pending, new)
    with connect(old) as ctl:
        if ctl.wait_online(timeout_s):
            ctl.change_key(new, timeout_s)
        elif not resumed:
            raise HardwareError(
                f"the gate controller did not open a secure session with the key in {key_file}:"
                " is the kiosk service stopped (it holds the port) and the bus wired?"
            )
    with connect(new) as ctl:
        if not ctl.wait_online(timeout_s):
            raise HardwareError(
                f"the gate controller does not answer with the new key; it is kept in {pending}:"
                " run 'kiosk mcu rotate-key' again to finish"
            )
    save_key(key_file, new)
    pending.unlink()
    say(f"the gate controller and {key_file} now hold a new key; the old one is refused")
    return new


def read_bundle(path: Path, since: Path | None) -> Any:
    """The bundle in the file ``path``, or built from the firmware folder ``path``."""
    from drivers.gate_bundle import Bundle, build_bundle, bundle_version

    if path.is_dir():
        return build_bundle(path, since)
    if since is not None:
        raise ConfigError("--since goes with a firmware folder, not with a bundle file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read the bundle {path}: {e.strerror}") from None
    return Bundle(data, bundle_version(data), files=0, carried=0)


def run_update(args: argparse.Namespace) -> int:
    from drivers.gate_osdp import OsdpController, load_key
    from drivers.gate_update import update_controller

    bundle = read_bundle(args.bundle, args.since)
    if args.save is not None:
        args.save.write_bytes(bundle.data)
        print(f"firmware {bundle.version} bundle written to {args.save} ({len(bundle.data)} bytes)")
        return 0
    gate, key_file, port = _bus(args)
    shown = [-1]

    def progress(done: int, size: int) -> None:
        tenth = done * 10 // size
        if tenth != shown[0]:
            shown[0] = tenth
            print(f"  sent {done} of {size} bytes", flush=True)

    with OsdpController(port, gate.address, load_key(key_file), baud=gate.baud,
                        rs485=gate.rs485, reconnect_s=0.5) as ctl:  # fmt: skip
        if not ctl.wait_online(15):
            raise HardwareError(
                f"the gate controller did not open a secure session on {port} with the key in"
                f" {key_file}: is the kiosk service stopped (it holds the port) and the bus wired?"
            )
        print(f"gate controller {gate.address} runs firmware {ctl.firmware_version};"
              f" sending {bundle.version} ({len(bundle.data)} bytes)")  # fmt: skip
        version = update_controller(ctl, bundle.data, progress)
    print(f"gate controller {gate.address} runs firmware {version} and keeps it")
    return 0
