"""The controller's key fails secure: damaged is not absent, install mode needs a person there.

Install mode (the published key SCBK-D, only to receive a key) is entered only with no key
file at all and the install jumper held at boot; a key file that does not parse is a fault
that opens nothing. The key is rotated over the bus in a session made with the current key.
"""

from __future__ import annotations

import pytest

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import KEY, board
from tests.osdp_panel import (
    ACK,
    CCRYPT,
    CHLNG,
    KEYSET,
    NAK,
    OSTATR,
    OUT,
    SCBK_D,
    Panel,
    pulse,
)

pytestmark = pytest.mark.slow

NEW_KEY = bytes(range(16))
KEY_EVENT = 12


def refused_handshake(vm: FirmwareVm, panel: Panel, *, default_key: bool = False) -> int:
    """A handshake the controller must refuse; returns the NAK reason it gave."""
    panel.seq = 0
    reply = panel.exchange(panel.challenge(default_key=default_key))
    if reply.code == CCRYPT:  # answered with another key: the cryptograms cannot match
        reply = panel.exchange(panel.answer(reply, check=False))
    assert reply.code == NAK and not vm.state["secure"]
    return int(reply.data[0])


def keyset(vm: FirmwareVm, panel: Panel, key: bytes, *, encrypt: bool = True) -> int:
    frame = panel.command(KEYSET, bytes([1, 16]) + key, secure=True, encrypt=encrypt)
    return panel.exchange(frame).code


@pytest.mark.parametrize(
    "text", ["", "\n", KEY.hex()[:30], KEY.hex()[:31], "zz" * 16, KEY.hex() + "00"]
)
def test_a_damaged_key_file_is_a_fault_and_never_install_mode(text: str) -> None:
    with board(key=None, files={"scbk.hex": text}, jumper=True) as vm:
        state = vm.state
        assert state["key_damaged"] and not state["install_mode"]
        assert [KEY_EVENT, 3] in [e[1:] for e in state["events"]]
        refused_handshake(vm, Panel.on(vm, KEY), default_key=True)
        refused_handshake(vm, Panel.on(vm, KEY))
        vm.advance(2000)
        assert vm.state["switched_on"]["red"] >= 4  # "key damaged": red blinks on its own
        assert vm.state["switched_on"]["relay"] == 0
        assert vm.read_file("scbk.hex") == text  # left for someone to look at


@pytest.mark.parametrize("jumper", [False, True])
def test_install_mode_needs_no_key_file_and_the_jumper_held_at_boot(jumper: bool) -> None:
    with board(key=None, jumper=jumper) as vm:
        assert vm.state["install_mode"] is jumper
        panel = Panel.on(vm, NEW_KEY)
        if not jumper:
            refused_handshake(vm, panel, default_key=True)
            vm.drive("install", True)  # after boot: read at boot only
            vm.advance(100)
            refused_handshake(vm, panel, default_key=True)
            return
        panel.open_session(default_key=True)
        assert keyset(vm, panel, NEW_KEY) == ACK
        assert vm.read_file("scbk.hex") == NEW_KEY.hex()
        assert not vm.state["install_mode"]
        panel.open_session()
        assert pulse(panel).code == OSTATR and vm.relay


def test_a_session_with_the_install_key_never_drives_the_relay() -> None:
    with board(key=None, jumper=True) as vm:
        panel = Panel.on(vm, NEW_KEY)
        panel.open_session(default_key=True)
        assert vm.state["secure"]
        for code in (2, 5):  # permanent on, timed pulse
            reply = panel.exchange(panel.command(OUT, bytes([0, code, 10, 0]), secure=True))
            assert reply.code == NAK
        vm.advance(100)
        assert vm.state["switched_on"]["relay"] == 0


def test_the_key_is_rotated_in_a_session_with_the_current_key_and_the_old_one_is_refused() -> None:
    with board(key=KEY) as vm:
        old = Panel.on(vm, KEY)
        old.open_session()
        assert keyset(vm, old, NEW_KEY) == ACK
        assert vm.read_file("scbk.hex") == NEW_KEY.hex()
        assert vm.read_file("scbk.hex.new") is None
        assert not vm.state["secure"]  # the session of the old key ended with it
        assert [KEY_EVENT, 1] in [e[1:] for e in vm.state["events"]]
        assert refused_handshake(vm, old) == 5
        new = Panel.on(vm, NEW_KEY)
        new.open_session()
        assert pulse(new).code == OSTATR and vm.relay
        vm.reset()  # kept across a restart
        refused_handshake(vm, old)
        new.open_session()


@pytest.mark.parametrize("how", ["in clear", "default key", "install key session"])
def test_a_key_is_never_taken_in_clear_nor_the_published_one(how: str) -> None:
    with board(key=KEY) as vm:
        panel = Panel.on(vm, KEY)
        panel.open_session()
        if how == "in clear":
            assert keyset(vm, panel, NEW_KEY, encrypt=False) == NAK
        elif how == "default key":
            assert keyset(vm, panel, SCBK_D) == NAK
        else:  # a board with a key refuses SCBK-D sessions, so no KEYSET can come in one
            assert refused_handshake(vm, panel, default_key=True)
        assert vm.read_file("scbk.hex") == KEY.hex()


def test_a_challenge_is_only_answered_for_the_key_the_board_has() -> None:
    with board(key=None) as vm:  # no key file, no jumper: nothing to make a session with
        assert Panel.on(vm, KEY).plain(CHLNG, bytes(8)).code == NAK
