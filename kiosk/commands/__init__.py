"""Subcommands of the ``kiosk`` CLI: each module has ``add_parser(sub, name)`` and ``run``."""
