"""Runs one check or all of them: builds the rig and the person, reports, sets the exit code."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hw_tests.harness import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CheckFailed,
    Options,
    Person,
    SimPerson,
    Skipped,
    TerminalPerson,
    add_common_arguments,
    options_from,
)
from hw_tests.rig import Rig
from kiosk.exc import ConfigError, KioskError

__all__ = ["Check", "Outcome", "main", "run_check"]

Check = Callable[[Rig, Person, Options], str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one check found: "pass", "fail" or "skip", and why."""

    name: str
    status: str
    message: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def person_for(options: Options) -> Person:
    """The simulated person in --sim, otherwise whoever is at the terminal."""
    if options.sim:
        return SimPerson(options.fault)
    return TerminalPerson(yes=options.yes, interactive=options.interactive,
                          timeout_s=options.timeout_s)


def run_check(name: str, check: Check, options: Options) -> Outcome:
    """Run one check on a fresh rig; outputs are off again whatever happens."""
    started = time.monotonic()
    print(f"[{name}] {'simulated' if options.sim else 'device'} check")
    try:
        with Rig.from_options(options.config, sim=options.sim, fault=options.fault) as rig:
            message = check(rig, person_for(options), options)
        status = "pass"
    except Skipped as skipped:
        status, message = "skip", str(skipped)
    except CheckFailed as failed:
        status, message = "fail", str(failed)
    except ConfigError:
        raise
    except (KioskError, OSError, ValueError) as error:  # a driver's own, specific message
        status, message = "fail", f"{type(error).__name__}: {error}"
    except Exception as error:  # a bug in a check must still fail it, visibly
        traceback.print_exc()
        status, message = "fail", f"unexpected {type(error).__name__}: {error}"
    outcome = Outcome(name, status, message, time.monotonic() - started)
    print(f"[{name}] {status.upper()}: {message}")
    return outcome


def main(
    name: str,
    check: Check,
    argv: Sequence[str] | None = None,
    extend: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The ``python -m hw_tests.<name>`` entry point: 0 pass or skip, 1 fail, 2 bad usage."""
    parser = argparse.ArgumentParser(prog=f"python -m hw_tests.{name}",
                                     description=(sys.modules[check.__module__].__doc__ or ""))
    add_common_arguments(parser)
    if extend is not None:
        extend(parser)
    options = options_from(parser.parse_args(argv))
    try:
        outcome = run_check(name, check, options)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if outcome.ok else EXIT_FAILED
