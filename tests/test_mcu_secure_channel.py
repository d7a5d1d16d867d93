"""The secure channel against an attacker on the bus, with a panel built apart from libosdp.

The attacker has recorded sessions on the wires and can send any bytes, fixing up sequence
numbers and CRCs (they need no secret). Whatever part of a recording comes back, in a live
session or without one, on the same board or a restarted one, the relay never moves.
"""

from __future__ import annotations

import pytest

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import KEY, board, with_seq
from tests.osdp_panel import (
    ACK,
    ID,
    NAK,
    OSTATR,
    OUT,
    POLL,
    Panel,
    pulse,
    replay_frames,
)

pytestmark = pytest.mark.slow


def relay_pulses(vm: FirmwareVm) -> int:
    return int(vm.state["switched_on"]["relay"])


def record(vm: FirmwareVm, panel: Panel) -> list[bytes]:
    """A whole session on the wires: start, handshake, polls and one relay pulse."""
    panel.sent.clear()
    panel.open_session()
    assert panel.exchange(panel.command(POLL, secure=True)).code in (ACK, 0x90)
    assert pulse(panel).code == OSTATR and vm.relay
    vm.advance(1100)
    assert not vm.relay
    panel.exchange(panel.command(POLL, secure=True))
    return list(panel.sent)


def replay(vm: FirmwareVm, frames: list[bytes]) -> None:
    replay_frames(lambda f: vm.advance(10, rx=f), lambda: int(vm.state["seq"]), frames)
    vm.advance(200)


def segments(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, n + 1)]


def test_scrypt_is_refused_in_a_live_session_and_the_session_carries_on() -> None:
    with board() as vm:
        panel = Panel.on(vm, KEY)
        panel.open_session()
        scrypt = panel.sent[-1]
        panel.seq = vm.state["seq"] % 3 + 1
        nak = vm.advance(10, rx=with_seq(scrypt, panel.seq))[1:]
        assert nak[4] & 0x08 == 0 and nak[5:7] == bytes([NAK, 6])  # plain: no MAC to chain
        panel.seq = panel.seq % 3 + 1
        assert vm.state["secure"]
        assert pulse(panel).code == OSTATR  # the MAC chain was left as it was
        assert vm.relay


def test_scrypt_without_a_challenge_or_a_second_time_is_refused() -> None:
    with board() as vm:
        panel = Panel.on(vm, KEY)
        panel.seq = 0
        panel.exchange(panel.command(ID, b"\x00"))
        ccrypt = panel.exchange(panel.challenge())
        panel.exchange(panel.command(ID, b"\x00"))  # anything between: the challenge is gone
        assert panel.exchange(panel.answer(ccrypt)).nak_reason == 6
        assert not vm.state["secure"]


@pytest.mark.parametrize("live", [True, False], ids=["live-session", "after-reset"])
def test_any_recorded_segment_replayed_never_moves_the_relay(live: bool) -> None:
    with board() as vm:
        panel = Panel.on(vm, KEY)
        frames = record(vm, panel)
        for i, j in segments(len(frames)):
            if live:
                frames = record(vm, panel)  # the session the attacker just watched is live
            else:
                vm.reset()
            before = relay_pulses(vm)
            replay(vm, frames[i:j])
            assert relay_pulses(vm) == before, f"frames {i}..{j - 1} of a session moved the relay"


def test_a_restarted_simulator_does_not_answer_a_recording_the_same_way() -> None:
    with board() as vm:
        frames = record(vm, Panel.on(vm, KEY))
    with board() as vm:  # `kiosk mcu sim` started again: fresh PD random numbers
        replay(vm, frames)
        assert relay_pulses(vm) == 0 and not vm.state["secure"]
        assert vm.state["refused"] >= 1


@pytest.mark.parametrize("byte", range(4))
def test_a_mac_wrong_in_any_one_of_its_four_bytes_is_refused(byte: int) -> None:
    with board() as vm:
        panel = Panel.on(vm, KEY)
        panel.open_session()
        frame = bytearray(panel.command(OUT, bytes([0, 5, 10, 0]), secure=True))
        frame[-6 + byte] ^= 0x01  # the MAC is the 4 bytes before the CRC
        reply = panel.exchange(with_seq(bytes(frame), frame[5] & 3))  # CRC made right
        assert reply.code == NAK
        vm.advance(100)
        assert vm.state["mac_failures"] == 1 and not vm.state["secure"]
        assert relay_pulses(vm) == 0


def test_the_session_ends_when_the_host_is_lost_and_its_keys_open_nothing() -> None:
    with board(site={"OFFLINE_MS": 3000, "MAX_OPEN_MS": 60000}) as vm:
        panel = Panel.on(vm, KEY)
        panel.open_session()
        assert panel.exchange(panel.command(POLL, secure=True)).code in (ACK, 0x90)
        vm.advance(3100)  # the cable is cut: no authenticated poll for the offline limit
        assert not vm.state["online"] and not vm.state["secure"]
        # The host (or whoever has its session keys) comes back mid-chain: a new session first.
        assert pulse(panel).code == NAK
        vm.advance(100)
        assert relay_pulses(vm) == 0
