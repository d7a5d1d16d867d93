"""The gate controller's firmware in real MicroPython 1.27, with a simulated board.

No control panel here: what the controller does on its own, on an exact, test-driven clock.
"""

from __future__ import annotations

import random

import pytest

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import KEY, board, crc16

HELD = 5


def kinds(vm: FirmwareVm) -> list[list[int]]:
    return [record[1:] for record in vm.state["events"]]


FIPS197 = """
import aes
k = bytes(range(16))
c = aes.aes(k, 1).encrypt(bytes.fromhex("00112233445566778899aabbccddeeff"))
result = [c.hex(), aes.aes(k, 1).decrypt(c).hex()]
"""


def test_runs_in_micropython_without_cryptolib_using_the_pure_aes() -> None:
    with board() as vm:
        assert vm.run_python("import sys\nresult = sys.implementation.name") == "micropython"
        assert (
            vm.run_python("try:\n import cryptolib\n result = 1\nexcept ImportError:\n result = 0")
            == 0
        )
        assert vm.run_python(FIPS197) == [
            "69c4e0d86a7b0430d8cdb78070b4c55a",
            "00112233445566778899aabbccddeeff",
        ]


def test_crc_is_osdps_crc16_aug_ccitt() -> None:
    with board() as vm:
        assert vm.run_python('import link\nresult = link.crc16(b"123456789", 0, 9)') == 0xE5CC


def test_relay_is_off_at_boot_and_the_door_is_locked() -> None:
    with board() as vm:
        vm.advance(1000)
        assert vm.state["outputs"]["relay"] is False
        assert vm.state["online"] is False


def test_exit_button_opens_while_no_host_is_there_and_only_for_egress_time() -> None:
    with board(site={"EGRESS_OPEN_MS": 4000, "MAX_OPEN_MS": 10000}) as vm:
        vm.drive("exit", True)
        vm.advance(100)
        assert vm.relay
        vm.drive("exit", False)
        vm.advance(3800)
        assert vm.relay
        vm.advance(200)
        assert not vm.relay


def test_egress_time_never_exceeds_max_open() -> None:
    with board(site={"EGRESS_OPEN_MS": 9000, "MAX_OPEN_MS": 2000}) as vm:
        vm.drive("exit", True)
        vm.advance(100)
        assert vm.relay
        vm.advance(2000)
        assert not vm.relay


@pytest.mark.parametrize(("fire_opens", "relay"), [(True, True), (False, False)])
def test_fire_alarm_holds_the_door_open_where_configured(fire_opens: bool, relay: bool) -> None:
    with board(site={"FIRE_OPENS": fire_opens, "MAX_OPEN_MS": 2000}) as vm:
        vm.drive("fire", True)
        vm.advance(100)
        vm.advance(30_000)  # far longer than max_open: fire overrides it
        assert vm.relay is relay
        vm.drive("fire", False)
        vm.advance(100)
        assert not vm.relay


def test_door_opened_without_relay_or_exit_button_is_forced() -> None:
    with board() as vm:
        vm.advance(5000)
        vm.drive("door", True)
        vm.advance(100)
        assert vm.state["forced"] == 1


def test_door_opened_for_egress_is_not_forced_but_held_open_is_reported() -> None:
    with board(site={"HELD_OPEN_MS": 10000}) as vm:
        vm.advance(5000)
        vm.drive("exit", True)
        vm.advance(100)
        vm.drive("door", True)
        vm.advance(100)
        assert vm.state["forced"] == 0
        vm.advance(9_700)
        assert [HELD, 1] not in kinds(vm)
        vm.advance(300)
        assert [HELD, 1] in kinds(vm)
        vm.drive("door", False)
        vm.advance(100)
        assert kinds(vm)[-1] == [HELD, 0]


def test_a_hung_main_loop_is_reset_by_the_watchdog_and_the_relay_is_off() -> None:
    """main() runs as on the board; a stalled loop is not fed and the simulated WDT bites."""
    with board(site={"EGRESS_OPEN_MS": 5000, "WDT_MS": 2000}) as vm:
        assert vm.state["watchdog"]  # armed by main() itself
        vm.drive("exit", True)
        vm.advance(100)
        assert vm.relay
        vm.stall(1500)  # shorter than the watchdog: no reset
        assert vm.state["boots"] == 1
        vm.stall(2500)
        assert vm.state["boots"] == 2
        assert vm.state["reset_cause"] == 3  # machine.WDT_RESET
        assert not vm.relay
        assert vm.state["watchdog"]  # armed again after the reset


def test_a_main_loop_that_stops_feeding_is_reset_within_the_timeout() -> None:
    code = "import app\napp.step = lambda ctl, wdt, now: ctl.tick(now)\nresult = 1"
    with board(site={"WDT_MS": 2000}) as vm:
        vm.run_python(code)  # a loop that runs but no longer feeds the dog
        vm.advance(1990)
        assert vm.state["boots"] == 1
        vm.advance(30)
        assert vm.state["boots"] == 2 and vm.state["reset_cause"] == 3


def test_a_running_main_loop_keeps_the_watchdog_fed() -> None:
    with board(site={"WDT_MS": 2000}) as vm:
        vm.advance(20_000)
        assert vm.state["boots"] == 1


def test_garbage_and_truncated_frames_are_dropped_and_the_line_recovers() -> None:
    with board() as vm:
        vm.advance(10, rx=bytes(range(256)) * 4)  # noise, including SOM bytes
        vm.advance(10, rx=b"\xff\x53\x01\x20\x00\x04\x61")  # header of a frame that never ends
        vm.advance(200)
        state = vm.state
        assert state["frames_dropped"] >= 1
        # An intact osdp_ID in plain text (CRC-16) is still answered afterwards.
        frame = bytearray(b"\xff\x53\x01\x09\x00\x04\x61\x00")
        crc = vm.run_python(
            f"import link\nresult = link.crc16(bytes.fromhex('{frame[1:].hex()}'), 0, 7)"
        )
        frame += bytes([crc & 0xFF, crc >> 8])
        reply = vm.advance(10, rx=bytes(frame))
        assert reply[:2] == b"\xff\x53" and reply[2] == 0x81 and reply[6] == 0x45  # osdp_PDID


def test_commands_in_plain_text_are_refused() -> None:
    with board(key=KEY) as vm:
        body = b"\x53\x01\x0c\x00\x04\x68\x00\x05\x0a\x00"  # osdp_OUT pulse, no secure channel
        crc = vm.run_python(
            f"import link\nresult = link.crc16(bytes.fromhex('{body.hex()}'), 0, 10)"
        )
        reply = vm.advance(10, rx=body + bytes([crc & 0xFF, crc >> 8]))
        assert reply[5] == 0x41 and reply[6] == 6  # osdp_NAK: security conditions not met
        vm.advance(100)
        assert not vm.relay


def test_well_framed_nonsense_is_answered_or_ignored_never_acted_on() -> None:
    """Frames with a valid CRC but random control bytes, security blocks and commands."""
    rng = random.Random(11)
    replies = 0
    with board(key=KEY) as vm:
        for _ in range(150):
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(2, 40)))
            ctrl = rng.choice([0x04, 0x05, 0x06, 0x07, 0x0C, 0x0D]) | (rng.randrange(2) << 3)
            frame = bytearray([0x53, 0x01, 0, 0, ctrl]) + body
            size = len(frame) + 2
            frame[2], frame[3] = size & 0xFF, size >> 8
            crc = crc16(bytes(frame))
            replies += bool(vm.advance(2, rx=bytes(frame) + bytes([crc & 0xFF, crc >> 8])))
            assert not vm.relay
        state = vm.state
        assert state["boots"] == 1 and not state["secure"]
        assert replies > 100  # parsed and answered (mostly osdp_NAK), not crashed on
