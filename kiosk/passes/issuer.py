"""Making passes: issuer keys, signing, and QR images. The office server uses this module.

key = IssuerKey.generate("Office 7")      # once; key.save(path) keeps it (mode 0600)
text = issue_pass(key, claims)             # "KP1:..."
write_qr_png(text, Path("pass.png"))
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from drivers.base import GreyFrame
from kiosk.atomic import write_atomic
from kiosk.exc import PassError, TrustListError
from kiosk.model import PassClaims
from kiosk.passes.claims import claims_from_cwt, cwt_from_claims
from kiosk.passes.cose import ALG_EDDSA, HEADER_ALG, HEADER_KID, build_sign1
from kiosk.passes.transport import encode_kp1
from kiosk.passes.trust import (
    ISSUER_KEY_FORMAT,
    TrustedKey,
    TrustList,
    iso_or_none,
    parse_time,
)

__all__ = ["KEY_FORMAT", "IssuerKey", "issue_pass", "qr_grey", "write_qr_png"]

KEY_FORMAT = ISSUER_KEY_FORMAT


def key_id(public_key: ed25519.Ed25519PublicKey) -> bytes:
    """The kid of an issuer key: the first 8 bytes of the SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8]


@dataclass(frozen=True)
class IssuerKey:
    """An issuer's Ed25519 signing key, with the validity window kiosks will give it."""

    issuer: str
    private_key: ed25519.Ed25519PrivateKey
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @classmethod
    def generate(
        cls, issuer: str, *, valid_from: datetime | None = None, valid_until: datetime | None = None
    ) -> IssuerKey:
        """A new random key for ``issuer``."""
        if not issuer.strip():
            raise ValueError("the issuer name must not be empty")
        return cls(issuer, ed25519.Ed25519PrivateKey.generate(), valid_from, valid_until)

    @property
    def kid(self) -> bytes:
        return key_id(self.private_key.public_key())

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def trusted_key(self) -> TrustedKey:
        """The public half, as kiosks trust it."""
        public = self.private_key.public_key()
        return TrustedKey(
            self.kid, self.issuer, public, valid_from=self.valid_from, valid_until=self.valid_until
        )

    def trust_list(self) -> TrustList:
        """A trust list holding only this key (merge lists with ``|``)."""
        return TrustList((self.trusted_key(),))

    # --- the key file --------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The key file's content. It holds the private key: keep it secret."""
        raw = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return {
            "format": KEY_FORMAT,
            "issuer": self.issuer,
            "kid": self.kid.hex(),
            "private_key": base64.b64encode(raw).decode("ascii"),
            "valid_from": iso_or_none(self.valid_from),
            "valid_until": iso_or_none(self.valid_until),
        }

    @classmethod
    def from_json(cls, document: Any, source: str = "issuer key") -> IssuerKey:
        """Rebuild a key from ``to_json`` output; TrustListError naming the problem if bad."""
        if not isinstance(document, dict) or document.get("format") != KEY_FORMAT:
            raise TrustListError(f"{source}: not a {KEY_FORMAT} key file")
        issuer = document.get("issuer")
        if not isinstance(issuer, str) or not issuer.strip():
            raise TrustListError(f"{source}: issuer must be a non-empty text")
        try:
            raw = base64.b64decode(document.get("private_key", ""), validate=True)
            private = ed25519.Ed25519PrivateKey.from_private_bytes(raw)
        except (TypeError, ValueError, binascii.Error):
            raise TrustListError(f"{source}: private_key is not a base64 Ed25519 key") from None
        key = cls(
            issuer,
            private,
            parse_time(document.get("valid_from"), f"{source}: valid_from"),
            parse_time(document.get("valid_until"), f"{source}: valid_until"),
        )
        if document.get("kid") not in (None, key.kid.hex()):
            raise TrustListError(f"{source}: kid does not match the private key")
        return key

    def save(self, path: Path) -> None:
        """Write the key file atomically, readable by its owner only (mode 0600)."""
        write_atomic(Path(path), json.dumps(self.to_json(), indent=2) + "\n", mode=0o600)

    @classmethod
    def load(cls, path: Path) -> IssuerKey:
        """Read a key file; refuses one that others may read, as ssh does."""
        path = Path(path)
        try:
            mode = path.stat().st_mode & 0o777
            data = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise TrustListError(f"{path}: cannot read the key file ({error})") from None
        if os.name == "posix" and mode & 0o077:
            raise TrustListError(
                f"{path}: others may read this private key (mode {mode:04o}); chmod 600 {path}"
            )
        try:
            document = json.loads(data)
        except json.JSONDecodeError as error:
            raise TrustListError(f"{path}: not JSON ({error})") from None
        return cls.from_json(document, str(path))


def issue_pass(key: IssuerKey, claims: PassClaims) -> str:
    """Sign ``claims`` and return the pass's QR text ("KP1:...").

    Raises PassError (BAD_CLAIMS) for claims a kiosk would refuse, and ValueError when the
    claims name another issuer than the key's.
    """
    if claims.issuer != key.issuer:
        raise ValueError(f"claims name issuer {claims.issuer!r}, the key is {key.issuer!r}'s")
    cwt = cwt_from_claims(claims)
    claims_from_cwt(cwt)  # the same checks the kiosk makes, so a bad pass is never printed
    payload = _cbor(cwt)
    protected = {HEADER_ALG: ALG_EDDSA, HEADER_KID: key.kid}
    return encode_kp1(build_sign1(protected, payload, key.sign))


def _cbor(cwt: dict[int, Any]) -> bytes:
    import cbor2  # local: cbor2 is an implementation detail of the claims encoding

    try:
        return cbor2.dumps(cwt)
    except (TypeError, ValueError) as error:
        raise PassError("bad_claims", f"claims cannot be encoded ({error})") from None


def _qr(text: str) -> segno.QRCode:
    # Error correction M exactly (no boosting) in alphanumeric mode: KP1/HC1 texts use only
    # the QR alphanumeric alphabet, which packs 5.5 bits per character.
    return segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False)


def write_qr_png(text: str, path: Path, *, scale: int = 8, border: int = 4) -> None:
    """Write ``text`` as a QR code PNG (``scale`` pixels per module, quiet zone ``border``)."""
    buffer = io.BytesIO()
    _qr(text).save(buffer, kind="png", scale=scale, border=border)
    write_atomic(Path(path), buffer.getvalue())


def qr_grey(text: str, *, scale: int = 4, border: int = 4) -> GreyFrame:
    """``text`` as a QR code in an 8-bit grey image (black 0, white 255), as a camera sees it."""
    matrix = np.array(list(_qr(text).matrix_iter(scale=scale, border=border)), dtype=bool)
    return np.where(matrix, 0, 255).astype(np.uint8)
