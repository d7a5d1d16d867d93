"""Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet.

Strict decoding: a character outside the alphabet, a length that leaves one character over
(length % 3 == 1) or a group whose value does not fit its bytes is an error, so one QR text
has exactly one meaning.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALPHABET", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BAD = 0xFF
# bytes.translate table: an ASCII character -> its base45 value, anything else -> _BAD.
_TABLE = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else _BAD for b in range(256))
_WEIGHTS = np.array([1, 45, 45 * 45], dtype=np.uint32)  # a group is c + 45·d + 45²·e


def b45encode(data: bytes) -> str:
    """Encode ``data``: each two bytes become three characters, a last odd byte two."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        e, rest = divmod(n, 45 * 45)
        d, c = divmod(rest, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode base45 ``text``; raise ValueError naming the first problem found."""
    if len(text) % 3 == 1:
        raise ValueError(f"base45 length {len(text)} leaves one character over")
    values = text.encode("ascii", "replace").translate(_TABLE)
    if _BAD in values:
        bad = values.index(_BAD)
        raise ValueError(f"{text[bad]!r} at {bad} is not a base45 character")
    # Whole groups at C speed: one 16-bit number per group of three values.
    full = len(values) // 3 * 3
    groups = np.frombuffer(values, np.uint8, full).reshape(-1, 3) @ _WEIGHTS
    if groups.size and groups.max() > 0xFFFF:
        at = int(np.argmax(groups > 0xFFFF)) * 3
        raise ValueError(f"base45 group {text[at : at + 3]!r} at {at} overflows 2 bytes")
    out = groups.astype(">u2").tobytes()
    if full < len(values):
        n = values[full] + 45 * values[full + 1]
        if n > 0xFF:
            raise ValueError(f"base45 group {text[full:]!r} at {full} overflows 1 byte")
        out += bytes((n,))
    return out
