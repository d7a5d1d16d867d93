"""What every hardware check shares: its options, the person at the kiosk, waiting, exit codes.

A check is a function ``check(rig, person, options) -> str``: it returns what it saw when the
hardware works and raises ``CheckFailed`` (exit 1) saying what to look at when it does not, or
``Skipped`` (exit 0, reported) when it needs a person and none is there.
"""

from __future__ import annotations

import argparse
import select
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from kiosk.exc import KioskError

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CheckFailed",
    "Options",
    "Person",
    "SimPerson",
    "Skipped",
    "TerminalPerson",
    "add_common_arguments",
    "options_from",
    "wait_until",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SIM_TIMEOUT_S = 5.0
DEVICE_TIMEOUT_S = 30.0
MAX_REPEAT = 1000


class CheckFailed(KioskError, AssertionError):
    """A hardware check saw the part misbehave; the message says what to look at."""


class Skipped(KioskError, RuntimeError):
    """A check needs a person at the kiosk and was run non-interactively."""


@dataclass(frozen=True, slots=True)
class Options:
    """How a check runs. ``fault`` (simulation only) breaks the simulated part on purpose."""

    sim: bool = False
    yes: bool = False
    interactive: bool = True
    timeout_s: float = DEVICE_TIMEOUT_S
    fault: str | None = None
    config: Path | None = None
    repeat: int = 3
    reference_c: float | None = None
    plate: str | None = None  # end_to_end at a car gate: the car driven up


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every check takes."""
    parser.add_argument("--sim", action="store_true", help="use the simulated hardware")
    parser.add_argument("--yes", action="store_true", help="assume yes to every question")
    parser.add_argument(
        "--non-interactive",
        action="store_true",
        help="ask nothing; skip what needs a person (implies --yes)",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait per step")
    parser.add_argument("--config", type=Path, default=None, help="kiosk TOML file")
    parser.add_argument("--fault", default=None, help="--sim only: break the simulated part")
    parser.add_argument("--repeat", type=int, default=3, help="clicks, beeps or readings")


def options_from(args: argparse.Namespace) -> Options:
    """Options from parsed arguments; refuses --fault without --sim."""
    if args.fault and not args.sim:
        raise SystemExit("--fault only works with --sim (it breaks the simulated part)")
    if not 1 <= args.repeat <= MAX_REPEAT:  # a typo of 10**9 clicked the relay for hours
        raise SystemExit(f"--repeat must be 1 to {MAX_REPEAT}, got {args.repeat}")
    default_timeout = SIM_TIMEOUT_S if args.sim else DEVICE_TIMEOUT_S
    return Options(
        sim=args.sim,
        yes=args.yes or args.non_interactive,
        interactive=not args.non_interactive,
        timeout_s=args.timeout if args.timeout is not None else default_timeout,
        fault=args.fault,
        config=args.config,
        repeat=args.repeat,
        reference_c=getattr(args, "reference", None),
        plate=getattr(args, "plate", None),
    )


def wait_until(
    ready: Callable[[], bool],
    timeout_s: float,
    failure: str,
    *,
    poll_s: float = 0.01,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Poll ``ready`` until it is true; return the seconds it took or raise CheckFailed."""
    start = clock()
    while not ready():
        if clock() - start > timeout_s:
            raise CheckFailed(f"{failure} (waited {timeout_s:g} s)")
        sleep(poll_s)
    return clock() - start


class Person(Protocol):
    """Whoever stands at the kiosk during the checks."""

    def ask_to(self, instruction: str, simulate: Callable[[], None]) -> None:
        """Ask for an action (open the door, tap a target); ``simulate`` does it in --sim."""
        ...

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question (did you hear the relay click?)."""
        ...


class TerminalPerson:
    """A person at the terminal. ``yes`` answers every question with yes; a question not
    answered within ``timeout_s`` counts as no."""

    def __init__(
        self,
        *,
        yes: bool,
        interactive: bool,
        timeout_s: float,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.yes, self.interactive, self.timeout_s = yes, interactive, timeout_s
        self._in, self._out = stdin, stdout

    def ask_to(self, instruction: str, simulate: Callable[[], None]) -> None:
        if not self.interactive:
            raise Skipped(f"needs a person to {instruction}")
        print(f"  >>> please {instruction} (within {self.timeout_s:g} s)", file=self._out)

    def confirm(self, question: str) -> bool:
        if self.yes:
            return True
        print(f"  >>> {question} [y/N] ", end="", file=self._out, flush=True)
        ready, _, _ = select.select([self._in], [], [], self.timeout_s)
        answer = self._in.readline().strip().lower() if ready else ""
        return answer in ("y", "yes")


class SimPerson:
    """The simulated person of --sim: does what is asked and answers yes.

    Faults: "absent" (does nothing, so waits time out) and "unconfirmed" (answers no).
    """

    def __init__(self, fault: str | None = None, stdout: TextIO = sys.stdout) -> None:
        self.fault = fault
        self._out = stdout

    def ask_to(self, instruction: str, simulate: Callable[[], None]) -> None:
        print(f"  (sim) {instruction}", file=self._out)
        if self.fault != "absent":
            simulate()

    def confirm(self, question: str) -> bool:
        answer = self.fault != "unconfirmed"
        print(f"  (sim) {question} -> {'yes' if answer else 'no'}", file=self._out)
        return answer
