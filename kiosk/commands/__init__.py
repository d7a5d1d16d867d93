"""Subcommands of the ``kiosk`` CLI: each module has ``add_parser(subparsers)`` and ``run(args)``."""
