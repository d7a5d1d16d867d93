"""The kiosk at rest: CPU share of one core and resident memory with nobody at the gate.

Runs the simulated kiosk (camera frames decoded at the camera's frame rate, mock GPIO, the
emulated thermometer, the SQLite log) in real time in its loop thread, as ``kiosk run`` does
without the screen. Targets: CPU <= 10 % of one core, RSS <= 150 MB.

    .venv/bin/python -m bench.idle            # 10 s
    .venv/bin/python -m bench.idle --quick    # 3 s
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from kiosk.app import build
from kiosk.config import load_config
from kiosk.runner import KioskRunner

TARGET_CPU_PERCENT = 10.0
TARGET_RSS_MB = 150.0


def rss_mb() -> float:
    """Current resident set size (VmRSS) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as scratch:
        config = load_config(None, {"device.data_dir": scratch})
        app = build(config, sim=True)
        runner = KioskRunner(app.kiosk, 1.0 / config.camera.fps)
        try:
            runner.start()
            time.sleep(1.0)  # settle: imports, first frames
            cpu0, wall0, ticks0 = time.process_time(), time.perf_counter(), runner.ticks
            time.sleep(seconds)
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            ticks = runner.ticks - ticks0
            memory = rss_mb()
        finally:
            runner.stop()
            app.close()
    percent = 100 * cpu / wall
    print(f"idle kiosk over {wall:.1f} s at {config.camera.fps} fps ({ticks} ticks):")
    print(f"  CPU {percent:.1f} % of one core (target <= {TARGET_CPU_PERCENT:.0f} %)")
    print(f"  RSS {memory:.0f} MB (target <= {TARGET_RSS_MB:.0f} MB)")
    ok = percent <= TARGET_CPU_PERCENT and memory <= TARGET_RSS_MB
    print("  meets both targets" if ok else "  MISSES a target")


if __name__ == "__main__":
    main()
