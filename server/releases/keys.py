"""The office's update keys: Ed25519, never the pass-signing keys.

The public halves are in the database (kiosks get them at enrollment and in the delta's
``update_keys``); each private half is a file ``keys/KID.key`` (PKCS#8 PEM, mode 0600) in the
release folder, so a copy of the database cannot sign a release. The signing key is the oldest
key not retired: a new key is sent to kiosks first and signs releases only once the older one
is retired, by which time the kiosks trust it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.exc import NotFound, ServerConfigError
from server.models import UpdateKeyRow
from server.office import record_change

KEYS_FOLDER = "keys"


@dataclass(frozen=True, slots=True)
class UpdateKey:
    kid: str
    public: bytes
    created_at: datetime
    retired: bool
    signing: bool

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public).decode("ascii")


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


def new_key(session: Session, folder: Path, now: datetime) -> UpdateKey:
    """Make a key, write its private half (0600) and send its public half to the kiosks."""
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    kid = key_id(public)
    _write_private(folder / KEYS_FOLDER / f"{kid}.key", private)
    session.add(UpdateKeyRow(kid=kid, public=public, created_at=now, retired=False))
    session.flush()
    keys_changed(session)
    return next(k for k in list_keys(session) if k.kid == kid)


def _write_private(path: Path, private: ed25519.Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL and the mode at creation: the key is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())


def list_keys(session: Session) -> list[UpdateKey]:
    """Every key, oldest first; the oldest one not retired is the signing key."""
    rows = session.scalars(select(UpdateKeyRow).order_by(UpdateKeyRow.created_at, UpdateKeyRow.kid))
    keys, signing_seen = [], False
    for row in rows:
        signing = not row.retired and not signing_seen
        signing_seen = signing_seen or signing
        keys.append(UpdateKey(row.kid, row.public, row.created_at, row.retired, signing))
    return keys


def trusted_public_keys(session: Session) -> list[bytes]:
    """The raw public keys kiosks should trust: every key not retired."""
    return [k.public for k in list_keys(session) if not k.retired]


def retire_key(session: Session, kid: str) -> UpdateKey:
    """Stop trusting a key; the next one signs from now on. The last key cannot be retired."""
    row = session.get(UpdateKeyRow, kid)
    if row is None:
        raise NotFound(f"no update key {kid!r}; `kiosk-server release key list` shows them")
    if not row.retired and len(trusted_public_keys(session)) == 1:
        raise ServerConfigError(
            f"update key {kid} is the only one kiosks trust: make its successor first "
            "(kiosk-server release key new), let the kiosks sync, then retire it"
        )
    row.retired = True
    session.flush()
    keys_changed(session)
    return next(k for k in list_keys(session) if k.kid == kid)


def signing_key(session: Session, folder: Path) -> tuple[str, ed25519.Ed25519PrivateKey]:
    """The key releases are signed with now, and its id."""
    current = next((k for k in list_keys(session) if k.signing), None)
    if current is None:
        raise ServerConfigError(
            "the office has no update key; make one with `kiosk-server release key new` "
            "(kiosks enrolled before it get it with their next sync)"
        )
    path = folder / KEYS_FOLDER / f"{current.kid}.key"
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ServerConfigError(
            f"{path}: the private half of update key {current.kid} is missing; restore it from "
            "the backup, or retire the key after making a new one"
        ) from None
    if (
        not isinstance(loaded, ed25519.Ed25519PrivateKey)
        or key_id(
            loaded.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )
        != current.kid
    ):
        raise ServerConfigError(f"{path}: is not the private half of update key {current.kid}")
    return current.kid, loaded


def keys_changed(session: Session) -> None:
    """Send every kiosk the whole set of keys it should trust (a delta's ``update_keys``)."""
    encoded = [base64.b64encode(k).decode("ascii") for k in trusted_public_keys(session)]
    record_change(session, None, "update_keys", {"update_keys": encoded})
