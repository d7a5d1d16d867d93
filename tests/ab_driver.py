"""Run one A/B scenario in its own process and kill -9 it at a named step (test_update_ab.py).

    python tests/ab_driver.py ROOT SCENARIO [STEP#N]

SCENARIO is "good" (switch to 2.0, start, pass the health check) or "bad" (switch, start, fail
it). STEP#N is the N-th time the step is reached (1-based); without it the scenario runs whole
and prints the steps it passed, one a line.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.update.ab import AB

NEW = "2.0"


def scenario(ab: AB, name: str) -> None:
    ab.switch(NEW)
    ab.settle()  # the service's restart: the guard counts the trial's first start
    if name == "good":
        ab.commit()
    else:
        ab.rollback("health check: the screen was not drawn")


def main(root: str, name: str, kill_at: str = "") -> None:
    seen: Counter[str] = Counter()

    def checkpoint(step: str) -> None:
        seen[step] += 1
        mark = f"{step}#{seen[step]}"
        if mark == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if not kill_at:
            print(mark, flush=True)

    scenario(AB(Path(root), checkpoint), name)


if __name__ == "__main__":
    main(*sys.argv[1:])
