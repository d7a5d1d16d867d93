"""`kiosk mcu sim`, `kiosk mcu flash`, the controller's hardware check, the demo over OSDP."""

from __future__ import annotations

import argparse
import json
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from drivers.gate_osdp import OsdpController, load_key, save_key
from drivers.gate_osdp_sim import PtyBridge
from hw_tests.controller import check as controller_check
from hw_tests.harness import EXIT_OK, Skipped
from hw_tests.runner import main as run_check
from kiosk.app import build
from kiosk.cli import main
from kiosk.commands import mcu
from kiosk.config import load_config
from kiosk.exc import ConfigError, HardwareError
from kiosk.store import EventLog
from tests.mcu_support import KEY, board, wait_for

pytestmark = pytest.mark.slow


def test_flash_dry_run_makes_a_private_key_and_installs_the_kiosks_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "gate.key"
    config = tmp_path / "kiosk.toml"
    config.write_text("[gate]\naddress = 7\noffline_s = 3.0\n[gpio]\nmax_open_s = 8.0\n")
    args = ["mcu", "flash", "--config", str(config), "--key-file", str(key_file), "--dry-run"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(load_key(key_file)) == 16
    assert "-m mpremote connect auto fs cp" in out and "main.py" in out and "scbk.hex :" in out
    enforced = json.loads(out.split("the controller enforces: ", 1)[1])
    assert enforced["ADDRESS"] == 7 and enforced["OFFLINE_MS"] == 3000
    assert enforced["MAX_OPEN_MS"] == 8000
    assert main(args) == 0  # the key is kept, not replaced
    assert "new secure channel key" not in capsys.readouterr().out


def test_flash_refuses_a_bad_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "gate.key"
    key_file.write_text("not hex\n")
    assert main(["mcu", "flash", "--key-file", str(key_file), "--dry-run"]) == 2
    assert "32 hex digits" in capsys.readouterr().err


def test_rotate_key_changes_the_key_on_the_controller_and_in_the_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "gate.key"
    save_key(key_file, KEY)
    with board(key=KEY) as vm, PtyBridge(vm) as bridge:
        args = ["mcu", "rotate-key", "--key-file", str(key_file), "--port", bridge.path]
        assert main(args) == 0
        assert "now hold a new key" in capsys.readouterr().out
        new = load_key(key_file)
        assert new != KEY and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert bridge.call("read_file", path="scbk.hex")["text"] == new.hex()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["gate.key"]  # no .next, no temp
        tried = bridge.call("state")["handshakes"]
        with OsdpController(bridge.path, 1, KEY, reconnect_s=0.5) as old:
            wait_for(lambda: bridge.call("state")["handshakes"] >= tried + 2, what="2 handshakes")
            assert not old.online and not bridge.call("state")["secure"]


def test_sim_serves_the_firmware_on_a_pty_that_a_panel_can_use(tmp_path: Path) -> None:
    lines: list[str] = []
    stop = threading.Event()
    args = argparse.Namespace(config=None, key_file=tmp_path / "sim.key", seconds=0)
    server = threading.Thread(target=mcu.serve, args=(args, lines.append, stop))
    server.start()
    try:
        wait_for(lambda: any("Point an OSDP control panel" in ln for ln in lines))  # the last
        port = next(ln.split()[1] for ln in lines if "port:" in ln)
        assert any("address: 1" in ln for ln in lines)
        assert any(str(tmp_path / "sim.key") in ln for ln in lines)
        with OsdpController(port, 1, load_key(tmp_path / "sim.key")) as ctl:
            assert ctl.wait_online(15)
    finally:
        stop.set()
        server.join(10)


def test_controller_check_passes_in_simulation(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check("controller", controller_check, ["--sim", "--yes"]) == EXIT_OK
    assert "firmware 1.1.0; secure channel in" in capsys.readouterr().out


def test_controller_check_is_skipped_for_the_gpio_back_end() -> None:
    from hw_tests.harness import Options, SimPerson
    from hw_tests.rig import Rig

    options = Options(sim=False, yes=True, interactive=False)
    with pytest.raises(Skipped, match="gpio"):
        controller_check(Rig(load_config(None), sim=True), SimPerson(), options)


def test_osdp_back_end_needs_its_key_file_on_a_real_kiosk(tmp_path: Path) -> None:
    config = load_config(None, {"gate.backend": "osdp", "device.data_dir": str(tmp_path),
                                "camera.backend": "sim", "thermometer.backend": "sim",
                                "gpio.backend": "mock"})  # fmt: skip
    with pytest.raises(ConfigError, match="key_file"):
        build(config, sim=False)


def test_demo_runs_with_the_gate_controller(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--gate", "osdp", "--no-office", "--data-dir", str(tmp_path)]
    assert main(args) == 0
    with EventLog(tmp_path / "events.db") as log:
        tally = log.tally()
    assert tally[("decision", "allow", "ok")] == 3
    assert tally[("decision", "deny", "fever")] == 1
    assert tally[("decision", "allow", "exit_button")] == 1


class _FakeController:
    """Answers only to ``has[0]``, the key the controller holds; takes osdp_KEYSET."""

    def __init__(self, has: list[bytes], key: bytes) -> None:
        self.has, self.key = has, key

    def __enter__(self) -> _FakeController:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def wait_online(self, timeout_s: float) -> bool:
        return self.key == self.has[0]

    def change_key(self, new: bytes, timeout_s: float) -> None:
        self.has[0] = new


def test_an_interrupted_rotation_is_finished_by_running_it_again(tmp_path: Path) -> None:
    key_file, pending = tmp_path / "gate.key", tmp_path / "gate.key.next"
    save_key(key_file, KEY)
    new = bytes(range(16))
    save_key(pending, new)
    has = [new]  # the controller took the new key; the Pi stopped before storing it
    with pytest.raises(HardwareError, match=r"gate\.key\.next"):
        mcu.rotate_key(key_file, lambda k: _FakeController([bytes(16)], k), print, 0.1)
    assert load_key(key_file) == KEY and load_key(pending) == new  # nothing lost
    assert mcu.rotate_key(key_file, lambda k: _FakeController(has, k), print, 0.1) == new
    assert load_key(key_file) == new and not pending.exists()


def _flash_onto(
    bridge: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[int, list[str]]:
    """`kiosk mcu flash` against the simulated board: OSDP on the pty, mpremote simulated."""
    key_file = tmp_path / "gate.key"
    key_file.write_text(KEY.hex() + "\n")
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[gate]\nserial_port = "{bridge.path}"\naddress = 1\n')
    done: list[str] = []

    def mpremote(command: list[str], capture: bool = False) -> str:
        verb = command[command.index("connect") + 2]
        done.append(verb)
        if verb == "exec":
            return bridge.call("exec", code="import sys\nresult = 1")["result"] and "(1, 27, 0)\n"
        if verb == "fs":
            copied = command[command.index("cp") + 1 : -1]
            files = {Path(p).name: Path(p).read_text() for p in copied}
            if not bridge.call("flash", ms=6000, files=files)["flashed"]:
                raise HardwareError("mpremote failed: the board reset during the copy")
        return ""

    monkeypatch.setattr(mcu, "_run", mpremote)
    args = ["mcu", "flash", "--config", str(config), "--key-file", str(key_file), *extra]
    return main(args), done


def test_flash_onto_a_running_controller_goes_through_a_maintenance_boot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with board(KEY) as vm, PtyBridge(vm) as bridge:
        bridge.advance(100)
        assert bridge.call("state")["watchdog"]
        code, done = _flash_onto(bridge, tmp_path, monkeypatch)
        assert code == 0, capsys.readouterr().err
        assert done == ["exec", "fs", "reset"]
        state = bridge.call("state")
        assert state["boots"] == 3 and state["watchdog"] and not state["maintenance"]
        assert json.loads(vm.read_file("config.json") or "")["ADDRESS"] == 1
        assert "maintenance boot over OSDP" in capsys.readouterr().out


def test_flash_without_the_maintenance_boot_is_cut_off_by_the_watchdog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with board(KEY) as vm, PtyBridge(vm) as bridge:
        bridge.advance(100)
        code, _ = _flash_onto(bridge, tmp_path, monkeypatch, "--new-board")
        assert code != 0 and "reset during the copy" in capsys.readouterr().err
        assert "ADDRESS" not in json.loads(vm.read_file("config.json") or "")  # the old one
        assert bridge.call("state")["reset_cause"] == 3  # the watchdog's


def test_flash_refuses_a_micropython_older_than_1_24() -> None:
    with pytest.raises(HardwareError, match=r"MicroPython 1\.23\.0; .* 1\.24 or newer"):
        mcu.require_micropython("(1, 23, 0)\n")
    with pytest.raises(HardwareError, match=r"needs 1\.24"):
        mcu.require_micropython("")
    mcu.require_micropython("(1, 24, 0)\n")


def test_flash_runs_the_files_it_copied_not_an_earlier_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A board that runs an update from fw_a goes back to the top of its flash."""
    updated = (
        "import os, json\nos.mkdir('fw_a')\n"
        "for n in os.listdir():\n"
        "    if n.endswith('.py') and n != 'main.py':\n"
        "        open('fw_a/' + n, 'w').write(open(n).read())\n"
        "open('fw_a/version.py', 'w').write('VERSION = (9, 9, 9)')\n"
        "open('slots.json', 'w').write(json.dumps({'slot': 'fw_a'}))\nresult = 1"
    )
    with board(KEY) as vm, PtyBridge(vm) as bridge:
        bridge.call("exec", code=updated)
        bridge.call("reset")
        assert bridge.call("state")["firmware"]["version"] == [9, 9, 9]
        code, _done = _flash_onto(bridge, tmp_path, monkeypatch)
        assert code == 0, capsys.readouterr().err
        assert bridge.call("state")["firmware"] == {
            "version": [1, 1, 0], "trial": False, "slots": {"slot": ""}}  # fmt: skip
