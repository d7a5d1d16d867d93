"""``kiosk enroll CODE``: trade the office's one-time code for this kiosk's credential."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kiosk.config import load_config
from kiosk.exc import ConfigError, SyncError
from kiosk.update.keys import keys_file


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="enroll this kiosk at the office server with a one-time code")
    p.add_argument("code", help="the code from `kiosk-server enroll-code`")
    p.add_argument("--config", type=Path, default=None, help="the kiosk's TOML file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sync.client import enroll  # local: requests is only needed when enrolling

    try:
        config = load_config(args.config)
        sync = config.sync
        if not sync.server_url or sync.credential_file is None:
            raise ConfigError("set sync.server_url and sync.credential_file before enrolling")
        ca = str(sync.ca_file) if sync.ca_file else None
        credential = enroll(
            sync.server_url,
            args.code,
            config.device.id,
            sync.credential_file,
            ca_file=ca,
            timeout_s=sync.timeout_s,
            keys_file=keys_file(config.device.data_dir),
        )
    except (ConfigError, SyncError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"enrolled {credential.device_id} in {credential.compound_id}; {sync.credential_file}")
    return 0
