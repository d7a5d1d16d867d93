"""The kiosk at rest: CPU share of one core and resident memory with nobody at the gate.

Measures the whole process as ``kiosk run`` composes it: the kiosk loop at the camera's frame
rate (simulated camera frames decoded by the real decoder, mock GPIO, the emulated
thermometer, the SQLite log), the watchdog thread and the touch UI (pygame, drawn headless
with ``SDL_VIDEODRIVER=dummy``). It starts ``kiosk run --sim`` as a child process, waits for
its systemd ``READY=1`` (over a ``NOTIFY_SOCKET`` of its own), then reads the child's CPU time
and VmRSS from /proc. Targets: CPU <= 10 % of one core, RSS <= 150 MB.

    .venv/bin/python -m bench.idle            # 10 s
    .venv/bin/python -m bench.idle --quick    # 3 s
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_CPU_PERCENT = 10.0
TARGET_RSS_MB = 150.0
READY_TIMEOUT_S = 60.0
SETTLE_S = 2.0  # after READY: the first frames, the first screen drawn
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads (/proc/PID/stat utime, stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def kiosk_command(config: Path) -> list[str]:
    """``kiosk run --sim`` with the interpreter running this benchmark."""
    return [sys.executable, "-m", "kiosk", "run", "--sim", "--config", str(config)]


def wait_ready(sock: socket.socket, child: subprocess.Popen[bytes]) -> None:
    """Block until the child sends READY=1 (or exits, or the timeout passes)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"kiosk run exited with {child.returncode} before it was ready")
        try:
            if b"READY=1" in sock.recv(4096):
                return
        except TimeoutError:
            continue
    raise RuntimeError(f"kiosk run sent no READY=1 within {READY_TIMEOUT_S:.0f} s")


def measure(seconds: float, scratch: Path) -> tuple[float, float, float]:
    """(CPU % of one core, RSS MB, wall seconds) of ``kiosk run --sim`` left alone."""
    config = scratch / "kiosk.toml"
    config.write_text(f'[device]\ndata_dir = "{scratch / "data"}"\n', encoding="utf-8")
    notify_path = scratch / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify_path))
        sock.settimeout(0.5)
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "NOTIFY_SOCKET": str(notify_path)}
        env.update(PYGAME_HIDE_SUPPORT_PROMPT="1")
        env.pop("WATCHDOG_USEC", None)
        log = (scratch / "kiosk.log").open("wb")
        child = subprocess.Popen(kiosk_command(config), env=env, stdout=log, stderr=log)
        try:
            try:
                wait_ready(sock, child)
            except RuntimeError:
                sys.stderr.write((scratch / "kiosk.log").read_text(errors="replace")[-3000:])
                raise
            time.sleep(SETTLE_S)
            cpu0, wall0 = cpu_seconds(child.pid), time.perf_counter()
            time.sleep(seconds)
            cpu, wall = cpu_seconds(child.pid) - cpu0, time.perf_counter() - wall0
            memory = rss_mb(child.pid)
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
            log.close()
    return 100 * cpu / wall, memory, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as scratch:
        percent, memory, wall = measure(seconds, Path(scratch))
    print(f"idle `kiosk run --sim` (kiosk loop, watchdog, touch UI headless) over {wall:.1f} s:")
    print(f"  CPU {percent:.1f} % of one core (target <= {TARGET_CPU_PERCENT:.0f} %)")
    print(f"  RSS {memory:.0f} MB (target <= {TARGET_RSS_MB:.0f} MB)")
    ok = percent <= TARGET_CPU_PERCENT and memory <= TARGET_RSS_MB
    print("  meets both targets" if ok else "  MISSES a target")


if __name__ == "__main__":
    main()
