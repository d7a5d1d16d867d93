"""A new firmware for the gate controller, sent over the OSDP bus it already runs on.

``update_controller`` sends a bundle (drivers.gate_bundle) with osdp_FILETRANSFER in the
running secure session, then follows the controller through its restart: the new firmware
runs on trial and is kept once the kiosk has spoken to it securely (mcu/firmware/slots.py);
one that never reaches the kiosk gives way to the previous firmware by itself. The door
stays locked meanwhile and the exit button keeps opening it (the controller's own loop).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from drivers.gate_bundle import bundle_version
from drivers.gate_osdp import ControllerEvent
from kiosk.exc import HardwareError

__all__ = ["FILE_ID", "Progress", "UpdateError", "update_controller"]

FIRST_UPDATABLE = (1, 1, 0)  # the first firmware with the boot selector (mcu/firmware/main.py)
FILE_ID = 1  # the controller's FtType for a firmware bundle (mcu/firmware/transfer.py)
Progress = Callable[[int, int], None]  # (bytes the controller has, bundle size)
_ON_TRIAL, _KEPT, _GAVE_WAY = 1, 2, 0  # values of the controller's "firmware" event


class UpdateError(HardwareError):
    """The controller did not take the new firmware; what it runs and what to do."""


class Controller(Protocol):
    """What an update needs of drivers.gate_osdp.OsdpController."""

    address: int

    @property
    def firmware_version(self) -> str: ...
    def wait_online(self, timeout_s: float) -> bool: ...
    def send_file(self, file_id: int, data: bytes) -> None: ...
    def file_progress(self) -> tuple[int, int] | None: ...
    def end_file(self) -> None: ...
    @property
    def online(self) -> bool: ...
    def subscribe(self, listener: Callable[[ControllerEvent], None]) -> None: ...
    def unsubscribe(self, listener: Callable[[ControllerEvent], None]) -> None: ...


def update_controller(
    ctl: Controller,
    bundle: Path | bytes,
    progress: Progress | None = None,
    *,
    send_timeout_s: float = 900.0,
    stall_timeout_s: float = 20.0,
    restart_timeout_s: float = 30.0,
    trial_timeout_s: float = 120.0,
) -> str:
    """Install ``bundle`` on the controller; returns the version it runs afterwards.

    ``progress(done, size)`` is called as fragments are acknowledged. UpdateError says
    what went wrong; the controller then still runs the firmware it ran before.
    """
    data = bundle if isinstance(bundle, bytes) else Path(bundle).read_bytes()
    version = bundle_version(data)
    if not ctl.wait_online(30):
        raise UpdateError(f"gate controller {ctl.address} is offline; nothing was sent")
    before = ctl.firmware_version
    news = _FirmwareNews()
    ctl.subscribe(news)
    try:
        ctl.send_file(FILE_ID, data)
        try:
            sent = _follow_transfer(ctl, len(data), progress, news,
                                    (send_timeout_s, stall_timeout_s))  # fmt: skip
        finally:
            ctl.end_file()
        restarted = news.wait(lambda: news.on_trial or news.outcome is not None,
                              restart_timeout_s)  # fmt: skip
        if restarted:
            news.wait(lambda: news.outcome is not None, trial_timeout_s)
    finally:
        ctl.unsubscribe(news)
    now = ctl.firmware_version if ctl.wait_online(30) else "unknown"
    if news.outcome == _KEPT and now == version:
        if progress is not None and sent < len(data):  # it restarted before we asked
            progress(len(data), len(data))
        return version
    if not restarted and _older_than_updates(before):
        raise UpdateError(
            f"gate controller {ctl.address} runs firmware {before}, which takes no updates over"
            " the bus: give it this firmware once with 'kiosk mcu flash' (docs/hardware.md,"
            " 'Updating the firmware')"
        )
    if not restarted:
        raise UpdateError(
            f"gate controller {ctl.address} refused firmware {version} and runs {now}: the"
            " transfer was cut, a file hash did not match, or the bundle leaves out a file the"
            " controller does not have (build it without --since to send every file)"
        )
    if news.outcome == _GAVE_WAY:
        raise UpdateError(
            f"firmware {version} never reached the kiosk on gate controller {ctl.address}"
            f" (it failed to start or stayed silent); the controller went back to {now}"
        )
    raise UpdateError(
        f"gate controller {ctl.address} did not confirm firmware {version} within"
        f" {trial_timeout_s:.0f} s (it ran {before}, now {now}); it goes back to the previous"
        " firmware by itself unless the new one reaches the kiosk"
    )


def _older_than_updates(version: str) -> bool:
    """Firmware before 1.1.0 has no boot selector and no osdp_FILETRANSFER."""
    try:
        return tuple(int(n) for n in version.split(".")) < FIRST_UPDATABLE
    except ValueError:
        return False


def _follow_transfer(
    ctl: Controller,
    size: int,
    progress: Progress | None,
    news: _FirmwareNews,
    timeouts: tuple[float, float],
) -> int:
    """Until the last fragment is acknowledged, the transfer ends, the board restarts (the
    link drops once it has some of the bundle) or nothing moves for the stall timeout; the
    bytes the controller acknowledged."""
    timeout_s, stall_s = timeouts
    pause = threading.Event()
    deadline = time.monotonic() + timeout_s
    moved = time.monotonic()
    done = 0
    while time.monotonic() < deadline:
        state = ctl.file_progress()
        if state is not None and state[0] != done:
            done, moved = state[0], time.monotonic()
            if progress is not None:
                progress(done, size)
        if state is None or done >= size or news.on_trial or (done and not ctl.online):
            return done
        if time.monotonic() - moved > stall_s:
            return done  # refused, or the bus is gone: the caller says which
        pause.wait(0.05)
    raise UpdateError(
        f"sending the firmware to gate controller {ctl.address} stopped at {done} of {size}"
        f" bytes for {timeout_s:.0f} s; the controller runs its previous firmware"
    )


class _FirmwareNews:
    """The controller's "firmware" events during an update (from libosdp's thread)."""

    def __init__(self) -> None:
        self.on_trial = False
        self.outcome: int | None = None
        self._changed = threading.Condition()

    def __call__(self, event: ControllerEvent) -> None:
        if event.kind != "firmware":
            return
        with self._changed:
            if event.value == _ON_TRIAL:
                self.on_trial = True
            else:
                self.outcome = event.value
            self._changed.notify_all()

    def wait(self, heard: Callable[[], bool], timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for ``heard()``; its last value."""
        with self._changed:
            return self._changed.wait_for(heard, timeout_s)
