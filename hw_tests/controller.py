"""Gate controller check: secure channel up, a relay pulse confirmed by the controller.

    python -m hw_tests.controller [--sim] [--yes]

Only with ``[gate] backend = "osdp"`` (skipped otherwise, except with --sim, where the
firmware runs in MicroPython on a pseudo-terminal). A failure names the usual causes:
RS-485 A/B swapped, the transceiver's direction switched wrongly, baud or address different
from the controller's, a different key.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Any

from hw_tests.harness import CheckFailed, Options, Person, Skipped, wait_until
from hw_tests.rig import Rig

PULSE_S = 1.0


def check(rig: Rig, person: Person, options: Options) -> str:
    """Open the OSDP link, pulse the relay once and watch the controller report it."""
    gate = rig.config.gate
    if gate.backend != "osdp" and not options.sim:
        raise Skipped('[gate] backend is "gpio": no gate controller to check')
    with ExitStack() as stack:
        ctl = stack.enter_context(_controller(rig, options, stack))
        where = f"address {gate.address} on {'a pty' if options.sim else gate.serial_port}"
        took = wait_until(
            lambda: ctl.online,
            max(options.timeout_s, 10.0),
            f"no secure channel with the controller at {where}: check the RS-485 A/B wires,"
            f' gate.rs485 ("{gate.rs485}": who switches the transceiver; docs/hardware.md,'
            f' "The bus"), gate.baud ({gate.baud}), gate.address and that the key matches the'
            " flashed one",
        )
        ctl.gate.open(PULSE_S)
        wait_until(lambda: ctl.gate.is_open, 5, "the controller did not report the relay on")
        wait_until(lambda: not ctl.gate.is_open, PULSE_S + 5, "the relay did not drop by itself")
        if not person.confirm("did the relay on the gate controller click once?"):
            raise CheckFailed("no click heard: check the relay driver and its supply on the Pico")
        boots = [e for e in ctl.events if e.kind == "boot"]
        cause = f", last reset cause {boots[-1].value}" if boots else ""
        return (f"firmware {ctl.firmware_version or 'unknown'}; secure channel in {took:.1f} s;"
                f" relay pulse reported by the controller{cause}")  # fmt: skip


def _controller(rig: Rig, options: Options, stack: ExitStack) -> Any:
    from drivers.gate_osdp import OsdpController, load_key

    gate = rig.config.gate
    if not options.sim:
        if gate.key_file is None:
            raise CheckFailed("gate.key_file is not set: 'kiosk mcu flash' makes the key")
        return OsdpController(gate.serial_port, gate.address, load_key(gate.key_file),
                              baud=gate.baud, rs485=gate.rs485)  # fmt: skip
    from drivers.gate_osdp_sim import FirmwareVm, PtyBridge, SimulatorMissing

    key = os.urandom(16)
    try:
        vm = stack.enter_context(FirmwareVm(key, {"ADDRESS": gate.address}))
    except SimulatorMissing as missing:
        if gate.backend == "osdp":
            raise
        # A device wired for direct GPIO has no Node.js: its self-test has no controller to try.
        raise Skipped(f'[gate] backend is "gpio" and {missing}') from None
    bridge = stack.enter_context(PtyBridge(vm))
    return OsdpController(bridge.path, gate.address, key)


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("controller", check))
