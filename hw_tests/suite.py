"""All checks in order, with a summary: ``python -m hw_tests`` and ``kiosk selftest``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hw_tests import (
    buttons,
    camera,
    controller,
    door,
    end_to_end,
    gpiolib,
    indicators,
    relay,
    screen,
    thermometer,
    touchscreen,
)
from hw_tests.harness import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_common_arguments, options_from
from hw_tests.runner import Check, Outcome, run_check
from kiosk.exc import ConfigError

CHECKS: dict[str, Check] = {
    "screen": screen.check,
    "gpiolib": gpiolib.check,
    "thermometer": thermometer.check,
    "camera": camera.check,
    "relay": relay.check,
    "controller": controller.check,
    "indicators": indicators.check,
    "door": door.check,
    "buttons": buttons.check,
    "touchscreen": touchscreen.check,
    "end_to_end": end_to_end.check,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The suite's options: the common ones, the thermometer's --reference, the car gate's
    --plate, and --only."""
    add_common_arguments(parser)
    thermometer.add_arguments(parser)
    end_to_end.add_arguments(parser)
    parser.add_argument("--only", default="", help="comma-separated checks: " + ",".join(CHECKS))


def summary(outcomes: Sequence[Outcome]) -> str:
    """One line per check and a verdict."""
    lines = ["", "Hardware self-test summary:"]
    lines += [f"  {o.status.upper():4}  {o.name:12} {o.seconds:5.1f} s  {o.message}"
              for o in outcomes]
    failed = [o.name for o in outcomes if not o.ok]
    lines.append(f"  FAILED: {', '.join(failed)}" if failed else "  all checks passed")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the chosen checks; exit 1 when any failed, 2 on bad usage or configuration."""
    names = [n for n in args.only.split(",") if n] or list(CHECKS)
    unknown = sorted(set(names) - set(CHECKS))
    if unknown:
        print(f"error: unknown check(s) {unknown}; choose from {list(CHECKS)}", file=sys.stderr)
        return EXIT_USAGE
    options = options_from(args)
    try:
        outcomes = [run_check(name, CHECKS[name], options) for name in names]
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(summary(outcomes))
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hw_tests", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
