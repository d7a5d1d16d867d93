"""What the gate controller puts on the wire, checked against OSDP 2.2 frame by frame.

A control panel written from the standard (tests/osdp_panel.py) talks to the firmware in
MicroPython 1.27 on the test's own clock, so each rule is one exact exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import KEY, board
from tests.osdp_panel import BUZ, CAP, ID, LED, OUT, POLL, SCBK_D, Panel, frame

EGRESS, HOST = 9, 7


@contextmanager
def session(
    key: bytes | None = KEY, site: dict[str, Any] | None = None
) -> Iterator[tuple[FirmwareVm, Panel]]:
    """A board and a panel with a secure session made with ``key`` (SCBK-D without one: no
    key file and the install jumper held, install mode)."""
    with board(key, site, jumper=key is None) as vm:
        cp = Panel.on(vm)
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
        assert cp.secure(0x68, bytes([0, 5, 80, 0])).data[0] == 1  # 8 s pulse
        vm.drive("exit", True)
        vm.advance(3000)
        assert vm.relay
        vm.advance(5000)
        assert not vm.relay


# -- OSDP 2.2 details ---------------------------------------------------------------------
WRAP = 1 << 30  # time.ticks_ms() on the rp2 port counts modulo 2**30


def led(
    temporary: tuple[int, ...] = (0, 0, 0, 0, 0, 0), permanent: tuple[int, ...] = (0,) * 5
) -> bytes:
    """One osdp_LED record for LED 0: temporary (code, on, off, on colour, off colour, timer)
    and permanent (code, on, off, on colour, off colour); times in 100 ms."""
    *head, timer = temporary
    return bytes([0, 0, *head, timer & 0xFF, timer >> 8, *permanent])


def lights(vm: FirmwareVm) -> tuple[bool, bool]:
    outputs = vm.state["outputs"]
    return outputs["green"], outputs["red"]


def test_led_temporary_state_shows_its_on_colour_until_its_timer_ends() -> None:
    with session() as (vm, cp):
        green_steady = (1, 10, 0, 2, 0)
        red_for_2s = (2, 10, 0, 1, 2, 20)  # off colour green: never shown while steady
        assert cp.secure(LED, led(red_for_2s, green_steady)).code == 0x40
        assert lights(vm) == (False, True)
        vm.advance(1900)
        assert lights(vm) == (False, True)
        vm.advance(200)
        assert lights(vm) == (True, False)  # the timer ran out: the permanent state again


def test_led_flashes_between_its_on_and_off_colours() -> None:
    with session() as (vm, cp):
        red_amber = (1, 3, 2, 1, 3)  # red 300 ms, amber 200 ms
        assert cp.secure(LED, led(permanent=red_amber)).code == 0x40
        seen = []
        for _ in range(5):
            seen.append(lights(vm))
            vm.advance(100)
        assert seen[:3] == [(False, True)] * 3 and seen[3:] == [(True, True)] * 2


def test_an_led_the_controller_does_not_have_is_refused_not_shown_on_led_0() -> None:
    with session() as (vm, cp):
        record = bytearray(led(permanent=(1, 10, 0, 1, 0)))
        record[1] = 1  # LED 1
        assert cp.secure(LED, bytes(record)).data == b"\x09"  # unable to process the record
        assert lights(vm) == (False, False)


def test_input_changes_are_reported_with_the_standard_istatr() -> None:
    with session() as (vm, cp):
        assert cp.secure(POLL).code in (0x40, 0x90)
        vm.drive("door", True)
        vm.advance(100)
        reply = cp.secure(POLL)
        assert (reply.code, reply.data) == (0x49, b"\x01\x00\x00\x00")
        assert cp.secure(POLL).code == 0x90  # the numbered events follow on the next poll
        vm.drive("tamper", True)
        vm.advance(100)
        assert cp.secure(POLL).data == b"\x01\x00\x01\x00"


def test_a_broadcast_is_answered_from_the_broadcast_address() -> None:
    with board() as vm:
        reply = Panel.on(vm).raw(frame(0x7F, 0, ID, b"\x00"))
        assert reply is not None and reply.code == 0x45
        assert reply.address == 0xFF  # 0x7F with the reply bit, not our own 0x81


@pytest.mark.parametrize("seq", [1, 2, 3])
def test_the_first_command_after_power_up_must_carry_sequence_0(seq: int) -> None:
    with board() as vm:
        cp = Panel.on(vm)
        cp.seq = seq
        reply = cp.plain(ID, b"\x00")
        assert (reply.code, reply.data) == (0x41, b"\x04")  # osdp_NAK: sequence number
        cp.seq = (seq % 3) + 1
        assert cp.plain(ID, b"\x00").code == 0x41  # still waiting for the 0
        assert cp.raw(frame(1, seq, ID, bytes(300))).data == b"\x02"  # too long, also no 0
        cp.seq = (seq % 3) + 1
        assert cp.plain(ID, b"\x00").data == b"\x04"
        cp.seq = 0
        assert cp.plain(ID, b"\x00").code == 0x45
        assert cp.plain(ID, b"\x00").code == 0x45


def out(code: int, tenths: int = 0, output: int = 0) -> bytes:
    return bytes([output, code, tenths & 0xFF, tenths >> 8])


def test_out_codes_3_and_4_let_a_timed_pulse_finish_first() -> None:
    with session(site={"MAX_OPEN_MS": 60000, "OFFLINE_MS": 60000}) as (vm, cp):
        cp.secure(OUT, out(5, 20))  # on for 2 s
        assert cp.secure(OUT, out(3)).data[0] == 1  # permanent off, after the pulse
        vm.advance(1900)
        assert vm.relay
        vm.advance(200)
        assert not vm.relay
        cp.secure(OUT, out(5, 20))
        cp.secure(OUT, out(4))  # permanent on, after the pulse
        vm.advance(2500)
        assert vm.relay
        assert cp.secure(OUT, out(1)).data[0] == 0  # permanent off, now


def test_out_codes_1_and_6_abort_or_interrupt_and_the_permanent_state_returns() -> None:
    with session(site={"MAX_OPEN_MS": 60000, "OFFLINE_MS": 60000}) as (vm, cp):
        cp.secure(OUT, out(5, 50))
        assert cp.secure(OUT, out(1)).data[0] == 0  # aborts the timed pulse
        vm.advance(100)
        assert not vm.relay
        cp.secure(OUT, out(2))  # permanent on
        assert cp.secure(OUT, out(6, 10)).data[0] == 0  # off for 1 s
        vm.advance(900)
        assert not vm.relay
        vm.advance(200)
        assert vm.relay  # back to the permanent state


def test_buzzer_tone_0_is_silent() -> None:
    with session() as (vm, cp):
        assert cp.secure(BUZ, bytes([0, 0, 2, 2, 3])).code == 0x40  # tone 0: no tone
        vm.advance(1500)
        assert vm.state["switched_on"]["buzzer"] == 0
        cp.secure(BUZ, bytes([0, 2, 2, 2, 3]))  # tone 2: the default tone, three beeps
        vm.advance(1500)
        assert vm.state["switched_on"]["buzzer"] == 3


def test_output_capability_declares_timed_commands() -> None:
    with board() as vm:
        reply = Panel.on(vm).plain(CAP, b"\x00")
        caps = {reply.data[i]: reply.data[i + 1 : i + 3] for i in range(0, len(reply.data), 3)}
        level, outputs = caps[2]  # function 2: output control
        assert level in (3, 4) and outputs == 2  # 3: on/off and timed; the relay and output 1


def test_output_1_lights_the_booth_for_its_time_and_never_moves_the_relay() -> None:
    """The booth light or siren on the controller's second output ([gate] alarm_output)."""
    with session(site={"OFFLINE_MS": 60000}) as (vm, cp):
        reply = cp.secure(OUT, out(5, 200, output=1))  # on for 20 s
        assert reply.data == b"\x00\x01"  # osdp_OSTATR: relay off, output 1 on
        vm.advance(19900)
        cp.secure(POLL)
        assert vm.state["outputs"]["alarm"] and not vm.relay
        vm.advance(200)
        assert not vm.state["outputs"]["alarm"]
        assert vm.state["switched_on"]["relay"] == 0
        assert cp.secure(OUT, out(5, 10, output=2)).nak_reason == 9  # no output 2


def test_without_an_alarm_pin_there_is_no_output_1() -> None:
    with session(site={"ALARM_PIN": -1}) as (_vm, cp):
        assert cp.secure(OUT, out(5, 10, output=1)).nak_reason == 9
        assert cp.secure(OUT, out(1)).data == b"\x00"  # osdp_OSTATR: the relay alone
        caps = cp.secure(CAP, b"\x00").data
        assert caps[3:6] == b"\x02\x03\x01"


def test_a_frame_longer_than_the_receive_buffer_is_answered_command_length() -> None:
    with board() as vm:
        cp = Panel.on(vm)
        caps = cp.plain(CAP, b"\x00").data
        size = next(caps[i + 1] | caps[i + 2] << 8 for i in range(0, len(caps), 3) if caps[i] == 10)
        long_id = frame(1, 1, ID, bytes(size))  # one byte more than the buffer, at least
        reply = cp.raw(long_id)
        assert reply is not None and (reply.code, reply.data) == (0x41, b"\x02")
        assert cp.raw(frame(2, 2, ID, bytes(size))) is None  # another PD's: not ours to answer
        broken = bytearray(long_id)
        broken[100] ^= 1
        assert cp.raw(bytes(broken)) is None  # damaged: not answered at all
        cp.seq = 2
        assert cp.plain(ID, b"\x00").code == 0x45  # and the line goes on


def test_a_long_frame_with_the_old_checksum_is_answered_command_length_too() -> None:
    with board() as vm:
        body = bytearray([0x53, 1, 0, 0, 0x00, ID]) + bytes(300)  # CTRL: sequence 0, checksum
        size = len(body) + 1
        body[2], body[3] = size & 0xFF, size >> 8
        body.append(-sum(body) & 0xFF)
        reply = Panel.on(vm).raw(b"\xff" + bytes(body))
        assert reply is not None and (reply.code, reply.data) == (0x41, b"\x02")
        body[-1] ^= 0xFF
        assert Panel.on(vm).raw(b"\xff" + bytes(body)) is None


def test_no_timer_stops_when_ticks_ms_wraps() -> None:
    """Deadlines just before the wrap, and the next pass of the main loop just after it."""
    with board(site={"OFFLINE_MS": 60000}, ticks0=WRAP - 1000) as vm:
        cp = Panel.on(vm)
        assert cp.handshake(KEY).code == 0x78
        vm.advance(WRAP - 370 - vm.state["ticks"])
        cp.secure(LED, led((2, 10, 0, 1, 0, 3), (1, 10, 0, 2, 0)))  # red for 300 ms
        cp.secure(BUZ, bytes([0, 2, 3, 0, 1]))  # one 300 ms beep
        cp.secure(OUT, out(5, 3))  # the relay for 300 ms
        vm.advance(WRAP - 110 - vm.state["ticks"])
        vm.advance(10, rx=frame(1, 1, POLL)[:5])  # a frame that stops after its length
        assert lights(vm) == (False, True) and vm.state["outputs"]["buzzer"] and vm.relay
        vm.stall(200)  # one slow pass of the loop: the next comes after the wrap
        vm.advance(20)
        assert vm.state["ticks"] < 1000
        assert lights(vm) == (True, False)  # the temporary state ended
        assert not vm.state["outputs"]["buzzer"] and not vm.relay
        assert cp.secure(POLL).code in (0x40, 0x49, 0x90)  # the cut frame was dropped
