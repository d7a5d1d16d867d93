"""libosdp's control panel against the MicroPython firmware, over a pseudo-terminal.

The kiosk side (drivers.gate_osdp, built on libosdp) and the controller (mcu/firmware in
MicroPython 1.27) meet on a pty as they would on an RS-485 line. libosdp keeps its own
real-time clock, so these tests wait for conditions; the controller's clock is moved on
by the test (``bridge.advance``) wherever a timeout matters.
"""

from __future__ import annotations

from typing import Any

import pytest

from drivers.gate_osdp import OsdpController
from drivers.timers import ManualTimers
from kiosk.exc import HardwareError
from tests.mcu_support import KEY, SITE, WRONG_KEY, crc16, kinds, linked, wait_for, with_seq
from tests.osdp_panel import replay_frames

pytestmark = pytest.mark.slow


def frames(stream: bytes) -> list[bytes]:
    """Split a captured line into OSDP frames (from SOM, without the mark byte)."""
    out, i = [], 0
    while (i := stream.find(b"\x53", i)) >= 0 and i + 4 < len(stream):
        n = stream[i + 2] | stream[i + 3] << 8
        frame = stream[i : i + n]
        if len(frame) == n and n >= 7 and crc16(frame[:-2]) == frame[-2] | frame[-1] << 8:
            out.append(frame)
            i += n
        else:
            i += 1
    return out


def test_secure_channel_relay_pulse_and_input_events() -> None:
    with linked() as (vm, bridge, ctl):
        assert ctl.wait_online(15)
        assert vm.state["secure"]
        ctl.gate.open(2)
        wait_for(lambda: ctl.gate.is_open, what="output status: relay on")
        assert vm.relay
        bridge.advance(2100)
        wait_for(lambda: not ctl.gate.is_open, what="relay back off")
        bridge.call("drive", input="door", active=True)
        wait_for(lambda: ("door", 1) in kinds(ctl), what="door event")
        assert ctl.door.active
        bridge.call("drive", input="exit", active=True)
        wait_for(lambda: ("exit", 1) in kinds(ctl), what="exit button event")
        assert ctl.exit_button.active
        seqs = [e.seq for e in ctl.events]
        assert seqs == list(range(1, len(seqs) + 1))


def test_status_reports_leds_and_buzzer() -> None:
    with linked() as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        bridge.call("drive", input="tamper", active=True)
        bridge.advance(100)
        ctl._inputs = [False] * 4  # forget what the events said: the report must tell
        ctl.refresh_status()
        wait_for(lambda: ctl._inputs == [False, False, True, False], what="osdp_ISTATR")
        ctl.indicator.show("pass")
        wait_for(lambda: bridge.call("state")["outputs"]["green"], what="green LED on")
        wait_for(lambda: bridge.call("state")["switched_on"]["buzzer"] == 1, what="one beep")
        ctl.indicator.show("refuse")
        wait_for(lambda: bridge.call("state")["outputs"]["red"], what="red LED on")
        assert not bridge.call("state")["outputs"]["green"]


def test_the_relay_is_never_held_longer_than_max_open_whatever_the_host_asks() -> None:
    with linked(site={"MAX_OPEN_MS": 2000, "OFFLINE_MS": 60000}) as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        bridge.freeze()  # 100 ms either side of the limit: no real time may slip in
        ctl.submit(
            {"command": osdp_command("Output"), "output_no": 0, "control_code": 2, "timer_count": 0}
        )  # fmt: skip  (permanent on)
        wait_for(lambda: bridge.call("state")["outputs"]["relay"])
        bridge.advance(1900)
        assert bridge.call("state")["outputs"]["relay"]
        bridge.advance(200)
        assert not bridge.call("state")["outputs"]["relay"]
        ctl.gate.open(50)  # a timed pulse far beyond the limit
        wait_for(lambda: bridge.call("state")["outputs"]["relay"])
        bridge.advance(2100)
        assert not bridge.call("state")["outputs"]["relay"]


def osdp_command(name: str) -> int:
    import osdp

    return int(getattr(osdp.Command, name))


def test_a_wrong_key_never_gets_a_session_or_the_relay() -> None:
    with linked(cp_key=WRONG_KEY) as (vm, bridge, ctl):
        wait_for(lambda: bridge.call("state")["handshakes"] >= 2, what="two refused handshakes")
        assert not ctl.online
        assert not vm.state["secure"]
        with pytest.raises(HardwareError, match="offline"):
            ctl.gate.open(2)
        assert not vm.state["outputs"]["relay"]


def test_replayed_and_forged_packets_are_refused_and_counted() -> None:
    with linked() as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        ctl.gate.open(1)
        wait_for(lambda: ctl.gate.is_open)
        bridge.advance(1100)
        wait_for(lambda: not bridge.call("state")["outputs"]["relay"])
        captured = [f for f in frames(bytes(bridge.sniffed)) if f[7] == 0x68]  # osdp_OUT
        assert captured and captured[0][6] == 0x17  # sent encrypted, with a MAC
        forged = bytearray(captured[0])
        forged[9] ^= 0x01  # one bit of the encrypted timer
        for attack in (bytes(forged), captured[0]):  # forged, then replayed
            bridge.connected = False  # the attacker has the line to itself
            state = bridge.call("state")
            before, expected = state["mac_failures"], state["seq"] % 3 + 1
            bridge.inject(with_seq(attack, expected))  # sequence number fixed up: MAC decides
            state = bridge.call("state")
            assert state["mac_failures"] == before + 1
            assert bridge.injected_replies[-1][6] == 0x41  # osdp_NAK
            assert not state["outputs"]["relay"] and not state["secure"]
            bridge.connected = True
            wait_for(lambda: ctl.online and bridge.call("state")["secure"], 30, "new session")
        wait_for(lambda: kinds(ctl).count(("auth_failed", 1)) == 2, what="MAC failures reported")
        assert not ctl.gate.is_open


def command_of(frame: bytes) -> int:
    return frame[5 + (frame[5] if frame[4] & 0x08 else 0)]


@pytest.mark.parametrize("start", [0x77, 0x76, 0x68], ids=["from-SCRYPT", "from-CHLNG", "OUT"])
def test_a_recorded_libosdp_session_replayed_into_it_never_moves_the_relay(start: int) -> None:
    """A man in the middle of the kiosk's own session replays its start and the osdp_OUT."""
    with linked() as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        bridge.freeze()  # the session stays live while the attacker holds the line
        ctl.gate.open(1)
        wait_for(lambda: ctl.gate.is_open)
        bridge.advance(1100)
        wait_for(lambda: not bridge.call("state")["outputs"]["relay"])
        bridge.connected = False
        recorded = frames(bytes(bridge.sniffed))
        ops = [command_of(f) for f in recorded]
        first = len(ops) - 1 - ops[::-1].index(start)
        end = ops.index(0x68, first) if start != 0x68 else first
        state = bridge.call("state")
        assert state["secure"]
        replay_frames(
            bridge.inject, lambda: int(bridge.call("state")["seq"]), recorded[first : end + 1]
        )
        bridge.advance(200)
        assert bridge.call("state")["switched_on"]["relay"] == state["switched_on"]["relay"]


def test_cable_cut_drops_the_relay_keeps_egress_and_delivers_events_once() -> None:
    with linked() as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        bridge.freeze()  # 100 ms either side of the offline limit: only `advance` moves time
        ctl.gate.open(50)  # far longer than the offline limit (3 s)
        wait_for(lambda: ctl.gate.is_open)
        bridge.connected = False
        bridge.advance(2900)
        assert bridge.call("state")["outputs"]["relay"]
        bridge.advance(200)
        state = bridge.call("state")
        assert not state["outputs"]["relay"] and not state["online"]
        bridge.call("drive", input="exit", active=True)
        bridge.advance(100)
        assert bridge.call("state")["outputs"]["relay"]  # egress with the host away
        bridge.call("drive", input="exit", active=False)
        bridge.call("drive", input="door", active=True)
        bridge.advance(100)
        bridge.call("drive", input="door", active=False)
        bridge.advance(100)
        waiting = bridge.call("state")["events_waiting"]
        assert waiting >= 6
        bridge.connected = True
        wait_for(lambda: ctl.online and bridge.call("state")["events_waiting"] == 0, 30)
        got = kinds(ctl)
        for event in [("host_link", 0), ("egress", 1), ("exit", 1), ("door", 1), ("door", 0)]:
            assert got.count(event) == 1, event
        seqs = [e.seq for e in ctl.events]
        assert seqs == list(range(1, len(seqs) + 1))  # every record once, none lost


def test_exit_button_opens_on_the_controller_while_the_host_polls() -> None:
    """Egress is the controller's job: no osdp_OUT from the panel, yet the door opens."""
    with linked(site={**SITE, "EGRESS_OPEN_MS": 4000, "OFFLINE_MS": 60000}) as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        wait_for(lambda: bridge.call("state")["online"], what="authenticated polls")
        bridge.freeze()  # the host keeps polling in real time; the controller's clock waits
        bridge.call("drive", input="exit", active=True)
        bridge.advance(100)
        state = bridge.call("state")
        assert state["online"] and state["outputs"]["relay"]
        wait_for(lambda: ("egress", 1) in kinds(ctl), what="egress event at the kiosk")
        assert ("exit", 1) in kinds(ctl)
        assert not [f for f in frames(bytes(bridge.sniffed)) if f[7] == 0x68]  # no osdp_OUT
        bridge.call("drive", input="exit", active=False)
        bridge.advance(3900)
        assert bridge.call("state")["outputs"]["relay"]
        bridge.advance(200)
        assert not bridge.call("state")["outputs"]["relay"]


def test_on_simulated_time_the_controller_keeps_it_and_libosdp_keeps_up() -> None:
    """The demo's simulated time runs far faster than libosdp polls in real time: it waits
    for the panel's polls (the controller never takes the kiosk for gone, and its news
    reaches the kiosk as fast as on a bus) and the relay's time is the kiosk's (a 2 s pulse
    ends after 2 simulated seconds, at once in real time)."""
    timers = ManualTimers()
    with linked(site=SITE, clock=timers.now) as (_vm, bridge, ctl):

        def now_state() -> dict[str, Any]:
            bridge.advance(0)  # the controller's main loop up to the simulated time
            return bridge.call("state")

        timers.pace(bridge.keep_up)
        assert ctl.wait_online(15)
        wait_for(lambda: bridge.call("state")["online"], what="authenticated polls")
        for _ in range(100):  # 10 s, 3 times the controller's offline limit
            timers.advance(0.1)
        state = now_state()
        assert state["now"] > 9900 and state["online"] and ctl.online
        ctl.gate.open(2)
        wait_for(lambda: bridge.call("state")["outputs"]["relay"], what="the relay on")
        for _ in range(19):
            timers.advance(0.1)
        assert now_state()["outputs"]["relay"]
        for _ in range(2):
            timers.advance(0.1)
        assert not now_state()["outputs"]["relay"]
        bridge.call("drive", input="door", active=True)
        start = timers.now()
        while not ctl.door.active:  # ISTATR, then the event: polls as on a bus, not 1 s apart
            timers.advance(0.01)
            assert timers.now() - start < 0.5, "the door's news took half a simulated second"


def test_controller_reset_in_the_middle_of_a_pulse() -> None:
    with linked() as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        ctl.gate.open(30)
        wait_for(lambda: ctl.gate.is_open)
        bridge.call("reset")
        assert not bridge.call("state")["outputs"]["relay"]
        assert bridge.call("state")["boots"] == 2
        wait_for(lambda: ctl.online and bridge.call("state")["events_waiting"] == 0, 30)
        assert ("boot", 1) in kinds(ctl)  # reset cause 1: power on / reset button
        bridge.advance(1000)
        assert not bridge.call("state")["outputs"]["relay"]  # nothing re-opens it
        assert not ctl.gate.is_open


def test_host_restart_while_events_wait() -> None:
    with linked() as (_vm, bridge, ctl):
        assert ctl.wait_online(15)
        wait_for(lambda: bridge.call("state")["events_waiting"] == 0)
        ctl.close()  # the kiosk process dies
        bridge.advance(3100)
        for name in ("door", "exit"):
            bridge.call("drive", input=name, active=True)
            bridge.advance(100)
            bridge.call("drive", input=name, active=False)
            bridge.advance(100)
        assert bridge.call("state")["events_waiting"] >= 5
        fresh = OsdpController(bridge.path, 1, KEY, max_open_s=60, reconnect_s=0.5)
        try:
            wait_for(lambda: fresh.online and bridge.call("state")["events_waiting"] == 0, 30)
            got = kinds(fresh)
            for event in [("door", 1), ("door", 0), ("exit", 1), ("exit", 0)]:
                assert got.count(event) == 1, event
            assert fresh.duplicates == 0
        finally:
            fresh.close()


def test_install_mode_takes_the_key_from_the_control_panel() -> None:
    osdp = pytest.importorskip("osdp")
    from drivers.gate_osdp import SerialChannel

    with linked(key=None, jumper=True) as (vm, bridge, ctl):
        ctl.close()  # the kiosk's panel insists on the secure channel: use a plain libosdp one
        assert vm.read_file("scbk.hex") is None
        channel = SerialChannel(bridge.path, 115200)

        class Stream(osdp.Channel):
            def read(self, n: int) -> bytes:
                return channel.read(n)

            def write(self, buf: bytes) -> int:
                return channel.write(buf)

            def flush(self) -> None:
                channel.flush()

        cp = osdp.ControlPanel([osdp.PDInfo(1, Stream(), scbk=KEY)], log_level=osdp.LogLevel.Error)
        cp.start()
        try:
            wait_for(lambda: bridge.call("read_file", path="scbk.hex")["text"] == KEY.hex())
            wait_for(lambda: cp.is_sc_active(1) and bridge.call("state")["secure"])
            assert not bridge.call("state")["install_mode"]
        finally:
            cp.stop()
            channel.close()
