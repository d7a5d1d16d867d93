"""Re-flashing a running gate controller (issue 16, item 6): the maintenance boot.

A running board has its watchdog armed; mpremote's copy outlasts it. An authenticated
osdp_MFG makes the next boot a maintenance boot without the watchdog, the copy finishes,
and the board then boots normally with the watchdog armed again.
"""

from __future__ import annotations

from tests.mcu_support import KEY, board
from tests.osdp_panel import MFG, POLL, SCBK_D, Panel, frame

VENDOR = b"\x4b\x43\x4b"
MAINTENANCE = VENDOR + b"\x01"
COPY_MS = 6000  # mpremote copying a dozen files: far longer than the 2 s watchdog


def test_copying_onto_a_running_board_is_cut_off_by_its_watchdog() -> None:
    with board() as vm:
        vm.advance(100)
        assert not vm.flash(COPY_MS, {"notes.txt": "new"})
        assert vm.state["boots"] == 2 and vm.state["reset_cause"] == 3
        assert vm.read_file("notes.txt") is None


def test_a_maintenance_boot_lets_the_copy_finish_then_the_board_boots_normally() -> None:
    with board(key=KEY) as vm:
        cp = Panel.on(vm)
        assert cp.handshake(KEY).code == 0x78
        assert cp.secure(MFG, MAINTENANCE).code == 0x40  # the ACK is out before the restart
        state = vm.state
        assert state["boots"] == 2 and state["maintenance"] and not state["watchdog"]
        assert not vm.relay
        assert vm.advance(10, rx=frame(1, 0, POLL)) == b""  # silent on the bus
        vm.drive("exit", True)
        vm.advance(100)
        assert vm.relay  # egress still works
        vm.drive("exit", False)
        assert vm.read_file("maintenance") is None  # one maintenance boot, not more
        assert vm.flash(COPY_MS, {"notes.txt": "new"})
        assert vm.read_file("notes.txt") == "new"
        state = vm.state
        assert state["boots"] == 3 and not state["maintenance"] and state["watchdog"]
        assert not vm.relay
        vm.stall(2500)
        assert vm.state["boots"] == 4  # the watchdog is armed again


def test_an_unused_maintenance_boot_ends_in_a_normal_boot() -> None:
    with board(key=KEY, site={"MAINT_MS": 10000}) as vm:
        cp = Panel.on(vm)
        cp.handshake(KEY)
        cp.secure(MFG, MAINTENANCE)
        vm.advance(9900)
        assert vm.state["maintenance"] and vm.state["boots"] == 2
        vm.advance(200)
        assert not vm.state["maintenance"] and vm.state["watchdog"] and vm.state["boots"] == 3


def test_only_the_sites_key_asks_for_a_maintenance_boot() -> None:
    with board(key=KEY) as vm:
        cp = Panel.on(vm)
        assert cp.plain(MFG, MAINTENANCE).data == b"\x06"  # plain text: security conditions
        cp.handshake(KEY)
        assert cp.secure(MFG, b"\x00\x00\x00\x01").data == b"\x09"  # another vendor's
        assert cp.secure(MFG, VENDOR + b"\x02").data == b"\x09"  # not a command we know
        assert vm.state["boots"] == 1
    with board(key=None, jumper=True) as vm:
        cp = Panel.on(vm)
        assert cp.handshake(SCBK_D).code == 0x78  # install mode: anyone on the bus can do this
        assert cp.secure(MFG, MAINTENANCE).data == b"\x06"
        assert vm.state["boots"] == 1 and vm.read_file("maintenance") is None


def test_the_firmware_refuses_a_micropython_older_than_1_24() -> None:
    check = (
        "import app\nresult = []\n"
        "for v in ((1, 23, 0), (1, 24, 0), (1, 27, 1)):\n"
        "    try:\n        app.require_micropython(v)\n        result.append('ok')\n"
        "    except RuntimeError as e:\n        result.append(str(e))\n"
    )
    with board() as vm:
        old, *new = vm.run_python(check)
        assert "1.23.0 is too old" in old and "1.24 or newer" in old
        assert new == ["ok", "ok"]
