"""What the gate controller puts on the wire, checked against OSDP 2.2 frame by frame.

A control panel written from the standard (tests/osdp_panel.py) talks to the firmware in
MicroPython 1.27 on the test's own clock, so each rule is one exact exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import KEY, board
from tests.osdp_panel import SCBK_D, Panel

POLL = 0x60
EGRESS, HOST = 9, 7


def panel(vm: FirmwareVm, step_ms: int = 10) -> Panel:
    return Panel(lambda line: vm.advance(step_ms, rx=line))


@contextmanager
def session(
    key: bytes | None = KEY, site: dict[str, Any] | None = None
) -> Iterator[tuple[FirmwareVm, Panel]]:
    """A board and a panel with a secure session made with ``key`` (SCBK-D without one)."""
    with board(key, site) as vm:
        cp = panel(vm)
        assert cp.handshake(key or SCBK_D).code == 0x78
        yield vm, cp


def test_an_install_mode_session_never_counts_as_the_host() -> None:
    """Anyone on the bus can make a session with the published SCBK-D: it is not the kiosk."""
    with session(key=None) as (vm, cp):
        for _ in range(5):
            assert cp.secure(POLL).code in (0x40, 0x90)
        state = vm.state
        assert state["secure"] and state["install_mode"]
        assert not state["online"]
        assert [HOST, 1] not in [e[1:] for e in state["events"]]


def test_exit_button_opens_on_the_controller_while_the_host_polls() -> None:
    with session(site={"EGRESS_OPEN_MS": 3000, "OFFLINE_MS": 60000}) as (vm, cp):
        cp.secure(POLL)
        assert vm.state["online"]
        vm.drive("exit", True)
        vm.advance(50)  # past the debounce
        cp.secure(POLL)
        assert vm.relay and vm.state["online"]
        assert [EGRESS, 1] in [e[1:] for e in vm.state["events"]]
        vm.advance(2900)
        assert vm.relay
        vm.advance(100)
        assert not vm.relay


def test_egress_never_cuts_a_longer_opening_by_the_host_short() -> None:
    with session(site={"EGRESS_OPEN_MS": 2000, "OFFLINE_MS": 60000}) as (vm, cp):
        assert cp.secure(0x68, bytes([0, 5, 80, 0])).data == b"\x01"  # 8 s pulse
        vm.drive("exit", True)
        vm.advance(3000)
        assert vm.relay
        vm.advance(5000)
        assert not vm.relay
