"""`update_controller` (drivers.gate_update): libosdp's file transfer against the firmware.

The kiosk's own control panel (libosdp, real time) sends bundles to the firmware in
MicroPython over a pseudo-terminal, as `kiosk mcu update` and the kiosk's updater do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.gate_bundle import build_bundle
from drivers.gate_osdp_sim import FIRMWARE_DIR
from drivers.gate_update import UpdateError, update_controller
from tests.mcu_support import linked
from tests.test_mcu_update import SITE as PANEL_SITE
from tests.test_mcu_update import firmware

pytestmark = pytest.mark.slow
pytest.importorskip("osdp")

# libosdp reconnects in real time: a busy test machine must not fail a good trial
SITE = {**PANEL_SITE, "TRIAL_MS": 30000}


def test_a_new_firmware_is_sent_confirmed_and_its_version_returned(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    seen: list[tuple[int, int]] = []
    with linked(site=SITE) as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        assert ctl.firmware_version == "1.1.0"
        assert update_controller(ctl, bundle.data, lambda *p: seen.append(p)) == "1.2.0"
        assert ctl.firmware_version == "1.2.0"
        assert seen[-1] == (len(bundle.data), len(bundle.data))
        state = bridge.call("state")
        assert state["firmware"]["slots"] == {"slot": "fw_a"}
        assert state["switched_on"]["relay"] == 0


def test_a_firmware_that_fails_to_start_is_reported_and_the_old_one_answers(
    tmp_path: Path,
) -> None:
    broken = firmware(tmp_path / "new", app="\nraise RuntimeError('broken release')\n")
    bundle = build_bundle(broken, previous=FIRMWARE_DIR)
    with linked(site=SITE) as (_vm, _bridge, ctl):
        assert ctl.wait_online(15)
        with pytest.raises(UpdateError, match=r"never reached the kiosk.*went back to 1\.1\.0"):
            update_controller(ctl, bundle.data)
        assert ctl.online and ctl.firmware_version == "1.1.0"


def test_a_refused_bundle_is_reported_and_nothing_changes(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    tampered = bundle.data[:-2] + b"9" + bundle.data[-1:]
    with linked(site=SITE) as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        with pytest.raises(UpdateError, match=r"refused firmware 1\.2\.0 and runs 1\.1\.0"):
            update_controller(ctl, tampered, restart_timeout_s=5)
        assert bridge.call("state")["boots"] == 1


def test_kiosk_mcu_update_sends_a_folder_and_says_what_the_controller_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from drivers.gate_osdp import save_key
    from drivers.gate_osdp_sim import PtyBridge
    from kiosk.cli import main
    from tests.mcu_support import KEY, board

    new = firmware(tmp_path / "new")
    save_key(tmp_path / "gate.key", KEY)
    with board(KEY, SITE) as vm, PtyBridge(vm) as bridge:
        args = ["mcu", "update", str(new), "--since", str(FIRMWARE_DIR),
                "--key-file", str(tmp_path / "gate.key"), "--port", bridge.path]  # fmt: skip
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "runs firmware 1.1.0; sending 1.2.0" in out
        assert "runs firmware 1.2.0 and keeps it" in out


def test_kiosk_mcu_update_saves_a_bundle_that_names_its_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from drivers.gate_bundle import bundle_version
    from kiosk.cli import main

    saved = tmp_path / "fw.bundle"
    assert main(["mcu", "update", str(firmware(tmp_path / "new")), "--save", str(saved)]) == 0
    assert bundle_version(saved.read_bytes()) == "1.2.0"
    assert "firmware 1.2.0 bundle written" in capsys.readouterr().out
    assert main(["mcu", "update", str(tmp_path / "nowhere")]) != 0
    assert "cannot read the bundle" in capsys.readouterr().err


def test_a_controller_from_before_updates_is_told_to_be_flashed_once(tmp_path: Path) -> None:
    """Firmware 1.0.0 knew no osdp_FILETRANSFER: it answered osdp_NAK "unknown command"."""
    old = firmware(tmp_path / "old", "1, 0, 0",
                   pd="\nPeripheral._file_transfer = lambda self, f, at, size, seq, mark:"
                      " self._nak(3, seq, mark)\n")  # fmt: skip
    bundle = build_bundle(firmware(tmp_path / "new"))
    with linked(site=SITE, firmware_dir=old) as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        with pytest.raises(UpdateError, match=r"runs firmware 1\.0\.0, which takes no updates"):
            update_controller(ctl, bundle.data, stall_timeout_s=3, restart_timeout_s=3)
        assert bridge.call("state")["boots"] == 1
