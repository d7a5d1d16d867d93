"""The ``kiosk`` command line: one subcommand per module in kiosk.commands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from kiosk.exc import ConfigError, KioskError

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
    "mcu": "mcu",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"kiosk.commands.{module_name}")
        module.add_parser(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; a bad config exits 2, any other kiosk error 1, with its message."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KioskError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`kiosk verify ... | head`): stop quietly, as other tools do;
        # stdout points at nothing so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
