"""QR text <-> COSE bytes: a prefix, base45, and zlib where the format wants it.

KP1 (the project's passes): ``"KP1:" + base45(body)``; ``body`` is the COSE_Sign1 itself or
its zlib stream, whichever is shorter. The first byte tells them apart without guessing:
0x78 is the zlib header the issuer writes; 0xD2 (tag 18), 0x84 (array of 4) and 0xD8 (a tag
with a one-byte number: the CWT tag 61 of RFC 8392) start a COSE_Sign1. No other first byte
is accepted.

HC1 (EU Digital COVID Certificates): ``"HC1:" + base45(zlib(COSE_Sign1))``; the hcert
specification (section 4.2.1) says the CWT SHALL be compressed, so an uncompressed HC1 body
is refused.
"""

from __future__ import annotations

import zlib

from kiosk.exc import PassError
from kiosk.model import Reason
from kiosk.passes.base45 import b45decode, b45encode

__all__ = ["HC1", "KP1", "MAX_BODY", "MAX_TEXT", "decode_text", "encode_kp1"]

KP1 = "KP1:"
HC1 = "HC1:"
MAX_TEXT = 4296  # the most characters a QR code holds in alphanumeric mode
MAX_BODY = 16 * 1024  # decompressed COSE bytes; more is a zip bomb, not a pass
ZLIB_FIRST = 0x78
COSE_FIRST = frozenset({0xD2, 0x84, 0xD8})  # tag 18, array of 4, a one-byte tag such as 61


def encode_kp1(cose: bytes) -> str:
    """The QR text of a KP1 pass; compressed only if that makes it shorter."""
    packed = zlib.compress(cose, 9)
    return KP1 + b45encode(packed if len(packed) < len(cose) else cose)


def decode_text(text: str) -> tuple[str, bytes]:
    """Split a QR text into its prefix ("KP1:" or "HC1:") and its COSE bytes."""
    if len(text) > MAX_TEXT:
        raise PassError(Reason.BAD_ENCODING, f"text of {len(text)} characters is too long")
    prefix, body = text[:4], text[4:]
    if prefix not in (KP1, HC1):
        raise PassError(Reason.UNKNOWN_FORMAT, "no KP1: or HC1: prefix")
    try:
        raw = b45decode(body)
    except ValueError as error:
        raise PassError(Reason.BAD_ENCODING, str(error)) from None
    if prefix == HC1:
        return prefix, _inflate(raw)
    if raw and raw[0] == ZLIB_FIRST:
        return prefix, _inflate(raw)
    if raw and raw[0] in COSE_FIRST:
        return prefix, raw
    raise PassError(Reason.BAD_ENCODING, "body is neither zlib nor COSE_Sign1")


def _inflate(raw: bytes) -> bytes:
    """zlib-decompress at most MAX_BODY bytes; a truncated or oversized stream is refused."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, MAX_BODY)
    except zlib.error as error:
        raise PassError(Reason.BAD_ENCODING, f"zlib: {error}") from None
    if inflater.unconsumed_tail:
        raise PassError(Reason.BAD_ENCODING, f"body inflates to more than {MAX_BODY} bytes")
    if not inflater.eof or inflater.unused_data:
        raise PassError(Reason.BAD_ENCODING, "zlib stream is truncated or has trailing bytes")
    return out
