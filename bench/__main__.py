"""Run every benchmark in one process tree, side by side, and print their figures.

    .venv/bin/python -m bench            # full run (several minutes)
    .venv/bin/python -m bench --quick    # smoke run (seconds each)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHES = [
    "decode",
    "verify",
    "latency",
    "lane",
    "idle",
    "eventlog",
    "render",
    "aim",
    "upload",
    "fleet",
    "idle_poll",
    "osdp",
    "office",
    "plates",
    "update",
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("names", nargs="*", default=BENCHES, help="benchmarks to run")
    args = parser.parse_args()
    failed = []
    for name in args.names:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        if subprocess.run(cmd, check=False).returncode != 0:
            failed.append(name)
        print(f"--- bench.{name}: {time.perf_counter() - started:.1f} s wall", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
