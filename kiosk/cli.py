"""The ``kiosk`` command line: one subcommand per module in kiosk.commands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand name -> module in kiosk.commands. Modules are imported only when listed
# here, so adding a command is one line.
COMMANDS: dict[str, str] = {
    "sim": "sim",
    "config": "config",
    "verify": "verify",
    "scan": "scan",
    "issue": "issue",
    "enroll": "enroll",
    "demo": "demo",
    "run": "run",
    "selftest": "selftest",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"kiosk.commands.{module_name}")
        module.add_parser(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
