"""The update keys this kiosk trusts: given at enrollment, changed by the office later, kept in
the state dir (``DATA_DIR/update/keys.json``), never in the code."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.atomic import write_atomic
from kiosk.exc import KioskError

__all__ = ["TrustedKeys", "UpdateKeyError", "keys_file", "parse_key"]

MAX_KEYS = 16  # as sync.protocol.MAX_UPDATE_KEYS


class UpdateKeyError(KioskError, ValueError):
    """An update key is not a base64 raw Ed25519 public key."""


def keys_file(data_dir: Path) -> Path:
    """Where a kiosk with this data dir keeps its trusted update keys."""
    return Path(data_dir) / "update" / "keys.json"


def parse_key(text: str) -> ed25519.Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UpdateKeyError(f"update key {text!r:.20} is not base64") from None
    if len(raw) != 32:
        raise UpdateKeyError(f"update key {text!r:.20} is {len(raw)} bytes, not 32 (raw Ed25519)")
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True, slots=True)
class TrustedKeys:
    """``keys.json``: a list of base64 raw Ed25519 public keys."""

    path: Path

    def texts(self) -> list[str]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise UpdateKeyError(
                f"{self.path}: unreadable ({error}); enroll the kiosk again"
            ) from None
        if not isinstance(doc, list) or not all(isinstance(k, str) for k in doc):
            raise UpdateKeyError(f"{self.path}: not a list of keys; enroll the kiosk again")
        return doc

    def load(self) -> list[ed25519.Ed25519PublicKey]:
        return [parse_key(text) for text in self.texts()]

    def replace(self, raw_keys: Iterable[bytes]) -> bool:
        """Trust exactly these raw 32-byte keys from now on (the office sends the whole set);
        False when nothing changed."""
        keys = list(dict.fromkeys(base64.b64encode(k).decode("ascii") for k in raw_keys))
        if len(keys) > MAX_KEYS:
            raise UpdateKeyError(f"an office sends at most {MAX_KEYS} update keys, not {len(keys)}")
        for text in keys:
            parse_key(text)
        if keys == self.texts() and self.path.exists():
            return False
        write_atomic(self.path, json.dumps(keys, indent=1) + "\n", mode=0o644)
        return True
