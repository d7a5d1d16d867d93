"""One emulated arm64 machine (qemu-system-aarch64 -M virt) running a kiosk image.

The machine has what the kiosk needs from a Pi: a GPU with a KMS driver (virtio-gpu, the
panel at 800x480), a hardware watchdog (i6300esb), a disk for the root and one for the data
partition, and a network (QEMU's user network; the host's loopback is 10.0.2.2 to the guest).
Its first serial port is the kernel console, where journald forwards the journal: the test
reads the boot from ``console``. The monitor socket takes screen captures (``screendump``).
``power_cut()`` is kill -9 of QEMU: what the guest had not written to its disks is lost, as
when the mains goes.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image

from tests.vm_image import VmImage

__all__ = ["QEMU", "EmulatedMachine", "missing_qemu"]

T = TypeVar("T")

QEMU = "qemu-system-aarch64"
PANEL = (800, 480)  # the 7" touch display's pixels; the kiosk takes the whole mode
# Kernel console on the serial port; the journal follows it there (journald's console forward).
CMDLINE = (
    "root=/dev/vda rw console=ttyAMA0 systemd.journald.forward_to_console=1 "
    "systemd.show_status=1 net.ifnames=1"
)


def missing_qemu() -> str | None:
    """Why no machine can be emulated here, or None."""
    for tool in (QEMU, "mkfs.ext4", "debugfs"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install qemu-system-arm e2fsprogs)"
    return None


class EmulatedMachine:
    """A kiosk image booted under QEMU (TCG: no KVM for arm64 on an x86 host)."""

    def __init__(self, image: VmImage, root: Path, data: Path, where: Path, name: str) -> None:
        self.image = image
        self.root = root
        self.data = data
        self.where = where
        self.console = where / f"{name}-console.log"
        self.monitor = where / f"{name}-monitor.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def command(self) -> list[str]:
        return [
            QEMU, "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1536",
            "-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd),
            "-append", CMDLINE,
            "-drive", f"if=none,id=root,format=raw,file={self.root}",
            "-device", "virtio-blk-pci,drive=root",
            "-drive", f"if=none,id=data,format=raw,file={self.data}",
            "-device", "virtio-blk-pci,drive=data",
            "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,romfile=",
            "-device", f"virtio-gpu-pci,xres={PANEL[0]},yres={PANEL[1]}",
            "-device", "i6300esb",
            "-display", "none", "-serial", f"file:{self.console}",
            "-monitor", f"unix:{self.monitor},server=on,wait=off",
        ]  # fmt: skip

    def start(self) -> EmulatedMachine:
        self.monitor.unlink(missing_ok=True)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=(self.where / "qemu-stderr.log").open("ab"),
        )  # fmt: skip
        return self

    def since_start(self) -> float:
        return time.monotonic() - self.started

    def log(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def wait_for(self, pattern: str, timeout_s: float) -> re.Match[str]:
        """The first match of ``pattern`` on the console, waiting up to ``timeout_s``."""
        found = self.poll(lambda: re.search(pattern, self.log()), timeout_s)
        if found is None:
            raise AssertionError(
                f"no {pattern!r} on the console after {timeout_s:.0f} s; its end:\n"
                f"{self.log()[-5000:]}"
            )
        return found

    def poll(
        self, check: Callable[[], T | None], timeout_s: float, every_s: float = 2.0
    ) -> T | None:
        deadline = time.monotonic() + timeout_s
        while True:
            self._still_running()
            result = check()
            if result is not None or time.monotonic() > deadline:
                return result
            time.sleep(every_s)

    def screendump(self, path: Path) -> np.ndarray:
        """The screen as QEMU shows it, as an RGB array (also saved at ``path``, a PPM)."""
        self._hmp(f"screendump {path}")
        with Image.open(path) as picture:
            return np.asarray(picture.convert("RGB"))

    def power_cut(self) -> None:
        """kill -9: no shutdown, no flush of what the guest still held in its memory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def _hmp(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(str(self.monitor))
            reply = self._until_prompt(sock)
            sock.sendall(command.encode() + b"\n")
            reply = self._until_prompt(sock)
        return reply

    @staticmethod
    def _until_prompt(sock: socket.socket) -> str:
        received = b""
        while not received.rstrip().endswith(b"(qemu)"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        return received.decode(errors="replace")

    def _still_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            stderr = (self.where / "qemu-stderr.log").read_text(errors="replace")
            raise AssertionError(
                f"QEMU exited ({self.process.returncode}): {stderr[-2000:]}\n"
                f"console:\n{self.log()[-4000:]}"
            )
