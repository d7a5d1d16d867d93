"""``kiosk selftest``: run the on-device hardware checks (hw_tests) and print a summary."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any, name: str) -> None:
    from hw_tests.suite import add_arguments

    p = sub.add_parser(name, help="check the camera, thermometer, relay, door, buttons, screen")
    add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hw_tests.suite import run as run_suite

    return run_suite(args)
