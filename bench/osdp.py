"""Command-to-relay time through the gate controller, next to the Pi's own relay pin.

OSDP: ``gate.open()`` on the kiosk's libosdp control panel, the osdp_OUT command encrypted
and MAC'd at 115200 baud over a pseudo-terminal, the firmware in MicroPython 1.27 (the
WebAssembly build under Node.js, pure-Python AES) checking the MAC, decrypting and setting
its relay pin. Stopped when the simulated relay pin is high; also when the controller's
osdp_OSTATR reply has told the kiosk so. gpio: ``RelayGate.open()`` to the pin level on
gpiozero's mock pins. A real RP2040 is estimated on paper in the README (cryptolib in C,
125 MHz): the VM's figure is an upper bound dominated by the emulator, not the line.

    .venv/bin/python -m bench.osdp            # 200 pulses
    .venv/bin/python -m bench.osdp --quick    # 20 pulses
"""

from __future__ import annotations

import argparse
import os
import time

from drivers.gate_osdp import OsdpController
from drivers.gate_osdp_sim import FirmwareVm, PtyBridge

BAUD = 115200
OUT_FRAME_BYTES = 31  # mark, header, security block, osdp_OUT, one AES block, MAC, CRC
REFRESH_MS = 20.0  # libosdp's ControlPanel thread runs the link every 20 ms
POLL_OVERLAP_MS = 5.0  # worst case: a poll and its reply are on the line first
RP2040_FIRMWARE_MS = 1.5  # frame, CRC, MAC check, decrypt, pin: MicroPython + cryptolib (C)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def wait(condition: object, timeout_s: float = 5.0) -> float:
    start = time.perf_counter()
    while not condition():  # type: ignore[operator]
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError("the relay did not follow")
        time.sleep(0.0002)
    return time.perf_counter()


def measure_osdp(runs: int) -> tuple[list[float], list[float]]:
    key = os.urandom(16)
    to_pin, to_status = [], []
    with (
        FirmwareVm(key, {"MAX_OPEN_MS": 10000}) as vm,
        PtyBridge(vm) as bridge,
        OsdpController(bridge.path, 1, key, baud=BAUD) as ctl,
    ):
        if not ctl.wait_online(20):
            raise SystemExit("the controller did not come online")
        for _ in range(runs):
            started = time.perf_counter()
            ctl.gate.open(0.2)
            pin = wait(lambda: vm.state["outputs"]["relay"])
            status = wait(lambda: ctl.gate.is_open)
            to_pin.append((pin - started) * 1000)
            to_status.append((status - started) * 1000)
            bridge.advance(300)  # the pulse ends without waiting for it
            wait(lambda: not ctl.gate.is_open)
    return to_pin, to_status


def measure_gpio(runs: int) -> list[float]:
    from gpiozero.pins.mock import MockFactory

    from drivers.gpio import RelayGate

    factory = MockFactory()
    gate = RelayGate(17, True, factory)
    pin = factory.pin(17)
    took = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            gate.open(0.2)
            if not pin.state:
                raise SystemExit("the mock relay pin did not switch")
            took.append((time.perf_counter() - started) * 1000)
            gate.close_gate()
    finally:
        gate.close()
        factory.close()
    return took


def line(name: str, values: list[float]) -> str:
    return (
        f"  {name:44} p50 {percentile(values, 50):7.2f} ms   p99 {percentile(values, 99):7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.osdp", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 pulses instead of 200")
    args = parser.parse_args()
    runs = 20 if args.quick else 200
    to_pin, to_status = measure_osdp(runs)
    gpio = measure_gpio(runs)
    wire_ms = OUT_FRAME_BYTES * 10 / BAUD * 1000
    print(f"command-to-relay over {runs} pulses ({BAUD} baud, secure channel):")
    print(line("osdp: gate.open() -> relay pin (VM)", to_pin))
    print(line("osdp: gate.open() -> OSTATR back at the kiosk", to_status))
    print(line("gpio: gate.open() -> relay pin (mock pins)", gpio))
    print(f"  osdp_OUT on the wire: {OUT_FRAME_BYTES} bytes = {wire_ms:.2f} ms at {BAUD} baud")
    print(
        "  ratio VM p50 / wire time: "
        f"{percentile(to_pin, 50) / wire_ms:.1f}x (libosdp's 20 ms refresh cycle included)"
    )
    p50 = REFRESH_MS / 2 + wire_ms + RP2040_FIRMWARE_MS
    p99 = REFRESH_MS + POLL_OVERLAP_MS + wire_ms + RP2040_FIRMWARE_MS
    print(
        f"  RP2040 on paper: p50 ~{p50:.0f} ms, p99 ~{p99:.0f} ms (refresh wait + wire +"
        f" {RP2040_FIRMWARE_MS} ms firmware); add the relay's own 5-10 ms, as for gpio"
    )


if __name__ == "__main__":
    main()
