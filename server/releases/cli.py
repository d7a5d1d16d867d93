"""``kiosk-server release ...``: update keys, recording releases and steering their rollout."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.local import Office
from server.releases import keys, rollout
from server.releases.store import Store, add_release, release_folder, resign_all

Add = Callable[[str, Callable[[argparse.Namespace, Office], int], str], argparse.ArgumentParser]


def _store(args: argparse.Namespace, db: Office) -> Store:
    return Store(release_folder(db.sessions.kw["bind"], args.releases))


def cmd_key_new(args: argparse.Namespace, db: Office) -> int:
    store = _store(args, db)
    with db.session() as s:
        key = keys.new_key(s, store.root, datetime.now(UTC))
    role = (
        "signs releases from now"
        if key.signing
        else (
            "is sent to the kiosks with their next sync; it signs releases once the older key is "
            "retired (kiosk-server release key retire OLD_KID)"
        )
    )
    print(f"update key {key.kid} {role}")
    print(f"back up {store.root / keys.KEYS_FOLDER / (key.kid + '.key')} (see docs/updates.md)")
    return 0


def cmd_key_list(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        found = keys.list_keys(s)
    if not found:
        print("no update keys; kiosk-server release key new makes one")
    for key in found:
        state = "retired" if key.retired else "signing" if key.signing else "trusted"
        print(f"{key.kid}  {state:8}  {key.created_at:%Y-%m-%d %H:%M}Z  {key.public_b64}")
    return 0


def cmd_key_retire(args: argparse.Namespace, db: Office) -> int:
    store = _store(args, db)
    with db.session() as s:
        keys.retire_key(s, args.kid)
        count = resign_all(s, store)
    print(f"update key {args.kid} retired; kiosks stop trusting it with their next sync")
    print(f"{count} release(s) signed again with the signing key")
    return 0


def cmd_add(args: argparse.Namespace, db: Office) -> int:
    store = _store(args, db)
    with db.session() as s:
        manifest, copied = add_release(
            s,
            store,
            args.wheel,
            dependencies=args.dependency or (),
            firmware=args.mcu_firmware,
            notes=args.notes,
            now=datetime.now(UTC),
        )
    total = sum(f.size for f in manifest.files)
    print(
        f"release {manifest.version}: {len(manifest.files)} file(s), {total:,} bytes, "
        f"{copied:,} of them new in the store"
    )
    return 0


def cmd_list(args: argparse.Namespace, db: Office) -> int:
    from server.releases.views import release_list

    with db.session() as s:
        for item in release_list(s):
            print(f"{item.version:12} {item.created_at:%Y-%m-%d %H:%M}Z  {item.summary}")
    return 0


def _rollout(step: Callable[..., Any]) -> Callable[[argparse.Namespace, Office], int]:
    def command(args: argparse.Namespace, db: Office) -> int:
        extra = (args.kiosk,) if getattr(args, "kiosk", None) else ()
        with db.session() as s:
            row = step(s, args.version, *extra, datetime.now(UTC))
            print(f"rollout of {row.version}: {row.state} at stage {row.stage}")
        return 0

    return command


def add_commands(add: Add) -> None:
    p = add("release", _help, "releases for the kiosks: keys, add, list, rollout")
    p.add_argument("--releases", type=Path, help="the release folder (default: beside office.db)")
    sub = p.add_subparsers(dest="release_command", required=True, metavar="COMMAND")

    def step(
        name: str, run: Callable[[argparse.Namespace, Office], int], help: str
    ) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help)
        q.set_defaults(run=run)
        return q

    q = step("key", _help, "update keys: new, list, retire")
    keys_sub = q.add_subparsers(dest="key_command", required=True, metavar="COMMAND")
    keys_sub.add_parser("new", help="make an update key").set_defaults(run=cmd_key_new)
    keys_sub.add_parser("list", help="the update keys").set_defaults(run=cmd_key_list)
    r = keys_sub.add_parser("retire", help="stop trusting a key; the next one signs")
    r.add_argument("kid")
    r.set_defaults(run=cmd_key_retire)
    q = step("add", cmd_add, "record a release (signed with the update key)")
    q.add_argument("wheel", type=Path, help="the checkpoint_kiosk wheel")
    q.add_argument("--dependency", type=Path, action="append", help="a wheel it needs (repeat)")
    q.add_argument("--mcu-firmware", type=Path, help="the controller's firmware bundle or folder")
    q.add_argument("--notes", required=True, help="what changed, for the office's list")
    step("list", cmd_list, "the releases and their rollouts")
    q = step("start", _rollout(rollout.start), "offer a release to one kiosk (the first stage)")
    q.add_argument("version")
    q.add_argument("--kiosk", required=True, help="the first kiosk's device id")
    for name, fn, help in (
        ("advance", rollout.advance, "next stage: the first kiosk's compound, then every kiosk"),
        ("pause", rollout.pause, "offer it to no more kiosks for now"),
        ("resume", rollout.resume, "go on after a pause or a stop"),
        ("revert", rollout.revert, "offer the kiosks it reached the release before it"),
    ):
        step(name, _rollout(fn), help).add_argument("version")


def _help(args: argparse.Namespace, db: Office) -> int:
    raise AssertionError("argparse requires a sub-command")
