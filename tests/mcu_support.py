"""Shared pieces of the gate controller tests: the firmware in MicroPython, a CP on a pty."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drivers.gate_osdp import OsdpController
from drivers.gate_osdp_sim import FirmwareVm, PtyBridge

KEY = bytes.fromhex("5a" * 16)
WRONG_KEY = bytes.fromhex("a5" * 16)
# Long relay limit, short offline limit: a relay that drops early dropped because the host left.
SITE = {"MAX_OPEN_MS": 60000, "OFFLINE_MS": 3000, "HELD_OPEN_MS": 20000}


def wait_for(condition: Callable[[], Any], timeout_s: float = 15.0, what: str = "") -> Any:
    """Wait for a condition that depends on libosdp's own (real-time) thread."""
    pause = threading.Event()
    for _ in range(int(timeout_s / 0.01)):
        value = condition()
        if value:
            return value
        pause.wait(0.01)
    raise AssertionError(f"timed out waiting for {what or condition}")


@contextmanager
def board(
    key: bytes | None = KEY, site: dict[str, Any] | None = None, **vm_args: Any
) -> Iterator[FirmwareVm]:
    vm = FirmwareVm(key=key, site=SITE if site is None else site, **vm_args)
    try:
        yield vm
    finally:
        vm.close()


@contextmanager
def linked(
    key: bytes | None = KEY,
    cp_key: bytes = KEY,
    site: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    **vm_args: Any,
) -> Iterator[tuple[FirmwareVm, PtyBridge, OsdpController]]:
    """Firmware on a pty with the kiosk's libosdp control panel on the other end; ``clock``:
    the controller's (real time unless a test simulates it)."""
    with board(key, site, **vm_args) as vm:
        bridge = PtyBridge(vm, clock=clock)
        ctl = OsdpController(bridge.path, 1, cp_key, max_open_s=60, reconnect_s=0.5)
        try:
            yield vm, bridge, ctl
        finally:
            ctl.close()
            bridge.close()


def kinds(ctl: OsdpController) -> list[tuple[str, int]]:
    return [(e.kind, e.value) for e in ctl.events]


def crc16(data: bytes) -> int:
    """OSDP's CRC-16 (AUG-CCITT), written apart from the firmware's so tests can check it."""
    crc = 0x1D0F
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def with_seq(frame: bytes, seq: int) -> bytes:
    """The same frame with another sequence number and a correct CRC (no secret needed)."""
    body = bytearray(frame[1:-2] if frame[:1] == b"\xff" else frame[:-2])
    body[4] = (body[4] & ~3) | seq
    crc = crc16(bytes(body))
    return b"\xff" + bytes(body) + bytes([crc & 0xFF, crc >> 8])
