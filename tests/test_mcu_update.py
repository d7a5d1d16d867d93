"""The gate controller's firmware updated over OSDP (issue 21, item 4), in MicroPython 1.27.

A control panel written from the OSDP 2.2 text (tests/osdp_panel.py) sends a bundle
(drivers/gate_bundle.py) with osdp_FILETRANSFER inside the secure channel; the controller
stages it, restarts into the new firmware on trial and keeps it only once the host has
spoken to it securely. Bundles carry only the files that differ from mcu/firmware, so each
transfer is a few fragments.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from drivers.gate_bundle import build_bundle
from drivers.gate_osdp_sim import FIRMWARE_DIR, FirmwareVm
from tests.mcu_support import KEY, board
from tests.osdp_panel import FILETRANSFER, FTSTAT, NAK, POLL, SCBK_D, Panel

pytestmark = pytest.mark.slow

FIRMWARE_EVENT, EGRESS = 13, 9
TRIAL_MS = 3000  # longer than the watchdog's 2 s, so a starving firmware meets the dog first
SITE = {"OFFLINE_MS": 60000, "MAX_OPEN_MS": 60000, "TRIAL_MS": TRIAL_MS, "EGRESS_OPEN_MS": 3000}
RESTART_MS = 600  # the board restarts 500 ms after the last fragment's answer
FRAGMENT = 224  # the largest that keeps a secure frame within the controller's 256 bytes
OLD = [1, 1, 0]


def firmware(folder: Path, release: str = "1, 2, 0", **changes: str) -> Path:
    """mcu/firmware with another version and, per file, text added at its end."""
    shutil.copytree(FIRMWARE_DIR, folder)
    (folder / "version.py").write_text(f'"""A test release."""\n\nVERSION = ({release})\n')
    for name, text in changes.items():
        path = folder / f"{name}.py"
        path.write_text(path.read_text() + text)
    return folder


def chunk(data: bytes, offset: int, size: int = FRAGMENT, ftype: int = 1) -> bytes:
    """osdp_FILETRANSFER's data: FtType, FtSizeTotal, FtOffset, FtFragmentSize, FtData."""
    part = data[offset : offset + size]
    return struct.pack("<BIIH", ftype, len(data), offset, len(part)) + part


def status(reply: object) -> int:
    """osdp_FTSTAT's FtStatusDetail (signed)."""
    assert getattr(reply, "code", None) == FTSTAT, f"expected osdp_FTSTAT, got {reply}"
    return int.from_bytes(reply.data[3:5], "little", signed=True)  # type: ignore[attr-defined]


def send(cp: Panel, data: bytes, upto: int | None = None) -> list[int]:
    """The bundle's fragments in order (up to byte ``upto``); each answer's status."""
    end = len(data) if upto is None else upto
    return [status(cp.secure(FILETRANSFER, chunk(data, off))) for off in range(0, end, FRAGMENT)]


@contextmanager
def controller() -> Iterator[tuple[FirmwareVm, Panel]]:
    """The controller running mcu/firmware, and a panel in a secure session with it."""
    with board(KEY, SITE) as vm:
        cp = Panel.on(vm, KEY)
        cp.open_session()
        yield vm, cp


def version_and_slots(vm: FirmwareVm) -> tuple[list[int], dict[str, object]]:
    fw = vm.request("state")["firmware"]
    return fw["version"], fw["slots"]


def events(vm: FirmwareVm, kind: int) -> list[int]:
    return [value for _seq, k, value in vm.state["events"] if k == kind]


def test_a_good_update_runs_on_trial_and_is_kept_once_it_answers_securely(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    assert bundle.carried == 1  # version.py only
    with controller() as (vm, cp):
        statuses = send(cp, bundle.data)
        assert statuses[-1] == 1 and set(statuses[:-1]) <= {0}
        vm.advance(RESTART_MS)
        assert vm.state["boots"] == 2  # it restarted into the new firmware
        assert vm.state["firmware"]["trial"]
        assert version_and_slots(vm) == ([1, 2, 0], {"slot": "", "trial": "fw_a", "tries": 1})
        cp.open_session()
        cp.secure(POLL)
        vm.advance(10)
        assert version_and_slots(vm) == ([1, 2, 0], {"slot": "fw_a"})
        assert events(vm, FIRMWARE_EVENT) == [1, 2]  # on trial, kept
        vm.reset()
        assert version_and_slots(vm)[0] == [1, 2, 0]  # and after a power cut too
        assert vm.state["switched_on"]["relay"] == 0  # the door stayed shut throughout


@pytest.mark.parametrize(
    ("broken", "wait_ms"),
    [
        ({"app": "\nraise RuntimeError('broken release')\n"}, 100),  # raises at import
        ({"version": "\ndef broken(:\n"}, 100),  # a syntax error
        # deaf: its link layer never completes a frame (small files keep the bundle short)
        ({"version": "\nimport link\nlink.Framer.feed = lambda *_: False\n"}, TRIAL_MS + 100),
        ({"app": "\nstep = lambda ctl, wdt, now: ctl.tick(now)\n"}, 2100),  # never feeds
    ],
    ids=["raises", "syntax", "silent", "starves-the-watchdog"],
)
def test_a_firmware_that_never_comes_up_gives_way_to_the_previous_one(
    tmp_path: Path, broken: dict[str, str], wait_ms: int
) -> None:
    bundle = build_bundle(firmware(tmp_path / "new", **broken), previous=FIRMWARE_DIR)
    with controller() as (vm, cp):
        assert send(cp, bundle.data)[-1] == 1
        vm.advance(RESTART_MS + wait_ms)
        cp.open_session()
        cp.secure(POLL)
        assert vm.state["online"]  # the previous firmware answers again
        assert version_and_slots(vm) == (OLD, {"slot": ""})
        assert events(vm, FIRMWARE_EVENT) == [0]  # and says the new one gave way
        vm.reset()
        assert version_and_slots(vm) == (OLD, {"slot": ""})
        assert vm.state["switched_on"]["relay"] == 0


def test_a_power_cut_during_the_trial_brings_the_previous_firmware_back(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    with controller() as (vm, cp):
        send(cp, bundle.data)
        vm.advance(RESTART_MS + 1000)
        assert vm.state["firmware"]["trial"]  # it runs, but the host has not spoken to it
        vm.reset()
        assert version_and_slots(vm) == (OLD, {"slot": ""})


def test_a_power_cut_while_the_new_files_are_copied_copies_them_again(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    with controller() as (vm, cp):
        send(cp, bundle.data)  # staged; the restart is half a second away
        assert version_and_slots(vm)[1] == {"slot": "", "stage": "fw_a"}
        half_written = "import os\nos.mkdir('fw_a')\nopen('fw_a/app.py', 'w').write('imp')\n"
        vm.run_python(half_written + "result = 1")  # as if the power failed during the copy
        vm.reset()
        assert version_and_slots(vm) == ([1, 2, 0], {"slot": "", "trial": "fw_a", "tries": 1})
        assert vm.read_file("update.bin") is None


def test_a_truncated_transfer_changes_nothing(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    with controller() as (vm, cp):
        last = (len(bundle.data) - 1) // FRAGMENT * FRAGMENT
        assert set(send(cp, bundle.data, upto=last)) == {0}  # all but the last fragment
        vm.advance(1000)
        vm.reset()
        assert vm.state["boots"] == 2
        assert version_and_slots(vm) == (OLD, {"slot": ""})
        assert not vm.state["firmware"]["trial"]


def test_fragments_out_of_order_are_refused(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    with controller() as (vm, cp):
        assert status(cp.secure(FILETRANSFER, chunk(bundle.data, 0))) == 0
        assert status(cp.secure(FILETRANSFER, chunk(bundle.data, 2 * FRAGMENT))) == -3
        assert vm.read_file("update.bin") is None


def test_a_hash_mismatch_is_refused_and_the_old_firmware_keeps_running(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    tampered = bundle.data[:-2] + b"9" + bundle.data[-1:]  # version.py's last line changed
    with controller() as (vm, cp):
        assert send(cp, tampered)[-1] == -3  # file data unacceptable
        cp.secure(POLL)
        assert vm.state["boots"] == 1 and vm.state["secure"]
        assert vm.read_file("update.bin") is None
        vm.reset()
        assert version_and_slots(vm) == (OLD, {"slot": ""})


def test_a_file_the_board_lacks_is_refused(tmp_path: Path) -> None:
    """Built against the wrong previous release: version.py is left out, but the board's
    own version.py is another one."""
    older = firmware(tmp_path / "older")
    bundle = build_bundle(firmware(tmp_path / "new"), previous=older)
    assert bundle.carried == 0
    with controller() as (vm, cp):
        assert send(cp, bundle.data)[-1] == -3
        assert version_and_slots(vm) == (OLD, {"slot": ""})


def test_a_transfer_outside_the_secure_channel_is_refused(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    with board(KEY, SITE) as vm:
        cp = Panel.on(vm, KEY)
        cp.seq = 0
        reply = cp.plain(FILETRANSFER, chunk(bundle.data, 0))
        assert (reply.code, reply.data) == (NAK, b"\x06")  # security conditions not met
    with board(None, SITE, jumper=True) as vm:  # install mode: anyone has SCBK-D
        cp = Panel.on(vm, SCBK_D)
        cp.open_session(default_key=True)
        reply = cp.secure(FILETRANSFER, chunk(bundle.data, 0))
        assert (reply.code, reply.data) == (NAK, b"\x06")
        assert vm.read_file("update.bin") is None


def test_egress_works_while_a_bundle_arrives(tmp_path: Path) -> None:
    bundle = build_bundle(firmware(tmp_path / "new"), previous=FIRMWARE_DIR)
    with controller() as (vm, cp):
        half = len(bundle.data) // FRAGMENT // 2 * FRAGMENT
        send(cp, bundle.data, upto=half)
        vm.drive("exit", True)
        vm.advance(50)  # past the debounce
        assert vm.relay  # the controller opened for the person inside
        assert EGRESS in [k for _s, k, _v in vm.state["events"]]
        vm.drive("exit", False)
        statuses = [status(cp.secure(FILETRANSFER, chunk(bundle.data, off)))
                    for off in range(half, len(bundle.data), FRAGMENT)]  # fmt: skip
        assert statuses[-1] == 1
        vm.advance(RESTART_MS)
        assert vm.state["boots"] == 2 and not vm.relay  # restarted into the new one: locked


def test_a_broken_second_update_gives_way_to_the_first_not_to_the_flashed_firmware(
    tmp_path: Path,
) -> None:
    good = build_bundle(firmware(tmp_path / "good"), previous=FIRMWARE_DIR)
    broken = firmware(tmp_path / "broken", "1, 3, 0", app="\nraise RuntimeError('broken')\n")
    with controller() as (vm, cp):
        send(cp, good.data)
        vm.advance(RESTART_MS)
        cp.open_session()
        cp.secure(POLL)
        vm.advance(10)
        assert version_and_slots(vm) == ([1, 2, 0], {"slot": "fw_a"})
        # built against the release the board runs now: fw_a supplies the unchanged files
        send(cp, build_bundle(broken, previous=tmp_path / "good").data)
        vm.advance(RESTART_MS)
        assert version_and_slots(vm) == ([1, 2, 0], {"slot": "fw_a"})
        assert vm.read_file("fw_a/version.py") == (tmp_path / "good/version.py").read_text()
