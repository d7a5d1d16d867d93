"""``kiosk issue``: maintainer tools to make issuer keys and passes without the office server.

    kiosk issue keygen --issuer "Office 7" --out office7.key [--trust-out office7-trust.json]
    kiosk issue trust --key office7.key [--out office7-trust.json]
    kiosk issue pass --key office7.key --pass-id P-1 --compound C01 --household H-0042 \\
        --role resident --name "Zhang San" --days 14 [--visitor-uses 3] [--png pass.png]

``pass`` prints the QR text on stdout. Exit status 2 for a bad option, key file or claim.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.atomic import write_atomic
from kiosk.commands.verify import iso_time
from kiosk.exc import PassError, TrustListError
from kiosk.model import PassClaims, Role
from kiosk.passes.issuer import IssuerKey, issue_pass, write_qr_png


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="make issuer keys, trust files and passes (maintainers)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    _keygen_parser(actions)
    _trust_parser(actions)
    _pass_parser(actions)


def _keygen_parser(actions: Any) -> None:
    p = actions.add_parser("keygen", help="make a new issuer key file (mode 0600)")
    p.add_argument("--issuer", required=True, help="issuer name written into every pass")
    p.add_argument("--out", type=Path, required=True, metavar="KEYFILE", help="private key file")
    p.add_argument(
        "--trust-out",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write the public kiosk-trust/1 file here",
    )
    p.add_argument(
        "--valid-from",
        type=iso_time,
        default=None,
        metavar="ISO8601",
        help="kiosks accept the key from this time (default: always)",
    )
    p.add_argument(
        "--valid-until",
        type=iso_time,
        default=None,
        metavar="ISO8601",
        help="kiosks accept the key until this time (default: no end)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing key file")
    p.set_defaults(run=run_keygen)


def _trust_parser(actions: Any) -> None:
    p = actions.add_parser("trust", help="print or write the public trust file of a key")
    p.add_argument("--key", type=Path, required=True, metavar="KEYFILE")
    p.add_argument("--out", type=Path, default=None, metavar="FILE", help="default: stdout")
    p.set_defaults(run=run_trust)


def _pass_parser(actions: Any) -> None:
    p = actions.add_parser("pass", help="sign a pass and print its QR text")
    p.add_argument("--key", type=Path, required=True, metavar="KEYFILE")
    p.add_argument("--pass-id", required=True, help="unique pass id (revocations name it)")
    p.add_argument(
        "--compound",
        action="append",
        required=True,
        dest="compounds",
        metavar="ID",
        help="compound the pass opens (repeat for more)",
    )
    p.add_argument("--household", required=True, metavar="ID", help="household id")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--name", required=True, help="holder's display name")
    p.add_argument("--days", type=_whole(3650), required=True, help="days the pass is valid")
    p.add_argument(
        "--visitor-uses",
        type=_whole(1000),
        default=None,
        metavar="N",
        help="admissions allowed (visitors; default unlimited)",
    )
    p.add_argument(
        "--start",
        type=iso_time,
        default=None,
        metavar="ISO8601",
        help="valid from this time (default: now)",
    )
    p.add_argument("--png", type=Path, default=None, metavar="OUT.png", help="write a QR image")
    p.add_argument("--scale", type=_whole(64), default=8, help="PNG pixels per QR module")
    p.set_defaults(run=run_pass)


def _whole(most: int) -> Callable[[str], int]:
    """An argparse type: 1 to ``most`` (a larger --days overflowed the calendar, a larger
    --scale ran out of memory drawing the PNG)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {most}")
        return value

    return parse


def run_keygen(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.force:
        return _fail(f"{args.out} exists; a replaced key cannot be recovered (use --force)")
    try:
        key = IssuerKey.generate(
            args.issuer, valid_from=args.valid_from, valid_until=args.valid_until
        )
    except ValueError as error:
        return _fail(str(error))
    key.save(args.out)
    if args.trust_out is not None:
        write_atomic(args.trust_out, key.trust_list().dumps())
    print(f"kid {key.kid.hex()} for {key.issuer!r} written to {args.out}")
    return 0


def run_trust(args: argparse.Namespace) -> int:
    try:
        key = IssuerKey.load(args.key)
    except TrustListError as error:
        return _fail(str(error))
    text = key.trust_list().dumps()
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.out, text)
    return 0


def run_pass(args: argparse.Namespace) -> int:
    try:
        key = IssuerKey.load(args.key)
        start = args.start or datetime.now(UTC).replace(microsecond=0)
        if start > datetime.max.replace(tzinfo=UTC) - timedelta(days=args.days):
            return _fail(f"--start {start:%Y-%m-%d} plus --days {args.days} passes the year 9999")
        claims = PassClaims(
            issuer=key.issuer,
            pass_id=args.pass_id,
            issued_at=datetime.now(UTC).replace(microsecond=0),
            not_before=start,
            expires_at=start + timedelta(days=args.days),
            compounds=tuple(args.compounds),
            household_id=args.household,
            role=Role(args.role),
            holder_name=args.name,
            visitor_uses=args.visitor_uses,
        )
        text = issue_pass(key, claims)
    except (TrustListError, PassError) as error:
        return _fail(str(error))
    if args.png is not None:
        write_qr_png(text, args.png, scale=args.scale)
    print(text)
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
