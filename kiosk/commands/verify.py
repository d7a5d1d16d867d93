"""``kiosk verify``: verify pass or health-certificate texts and print one JSON line each.

    kiosk verify --trust office.json --trust dsc.pem [--at 2020-02-10T08:00:00Z] TEXT...

Exit status: 0 all valid, 1 any invalid, 2 usage or trust-file error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from kiosk.exc import TrustListError
from kiosk.model import Credential, Verification
from kiosk.passes.trust import load_trust
from kiosk.passes.verify import Verifier

__all__ = ["add_common_arguments", "credential_json", "iso_time", "make_verifier", "result_line"]


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="verify KP1 passes and HC1 certificates given as text")
    add_common_arguments(p)
    p.add_argument("texts", nargs="+", metavar="TEXT", help='QR text, "KP1:..." or "HC1:..."')
    p.set_defaults(run=run)


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    """--trust and --at, shared with ``kiosk scan``."""
    p.add_argument(
        "--trust",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="trust file: kiosk-trust/1 JSON or PEM certificates (repeat for more)",
    )
    p.add_argument(
        "--at",
        type=iso_time,
        default=None,
        metavar="ISO8601",
        help="check validity at this time instead of now (no offset: UTC)",
    )


def iso_time(text: str) -> datetime:
    """An argparse type: an ISO 8601 time, UTC when it has no offset."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def make_verifier(trust_files: list[Path]) -> Verifier | None:
    """A verifier for the trust files, or None after printing why not (exit status 2)."""
    if not trust_files:
        print("error: give at least one --trust FILE (kiosk-trust/1 JSON or PEM)", file=sys.stderr)
        return None
    try:
        return Verifier(load_trust(trust_files))
    except TrustListError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    verifier = make_verifier(args.trust)
    if verifier is None:
        return 2
    at = args.at or datetime.now(UTC)
    all_valid = True
    for text in args.texts:
        v = verifier.verify(text, at)
        all_valid &= v.valid
        print(result_line(text, v, text=text, decode_ms=None))
    return 0 if all_valid else 1


def result_line(
    source: str,
    v: Verification | None,
    *,
    text: str | None,
    decode_ms: float | None,
    reason: str = "",
    detail: str = "",
) -> str:
    """One JSON line of ``kiosk verify``/``kiosk scan`` output.

    Without a verification (no code found, unreadable image) ``reason`` and ``detail`` say why.
    """
    line = {
        "input": source,
        "decoded": text is not None,
        "text": text,
        "valid": v is not None and v.valid,
        "reason": v.reason.value if v is not None else reason,
        "detail": v.detail if v is not None else detail,
        "claims": credential_json(v.credential) if v is not None else None,
        "decode_ms": decode_ms,
    }
    return json.dumps(line, ensure_ascii=False, default=_jsonable)


def credential_json(credential: Credential | None) -> dict[str, Any] | None:
    """The claims as JSON-able values: a pass's claims, or an HC1 certificate's payload."""
    if credential is None:
        return None
    if credential.hcert is not None:
        return dict(credential.hcert)
    if credential.claims is None:
        return None
    claims = asdict(credential.claims)
    claims["compounds"] = list(credential.claims.compounds)
    return {key: _jsonable(value) for key, value in claims.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)  # CBOR values JSON has no type for (tags, decimals): as text
