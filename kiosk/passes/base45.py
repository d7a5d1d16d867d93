"""Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet.

Strict decoding: a character outside the alphabet, a length that leaves one character over
(length % 3 == 1) or a group whose value does not fit its bytes is an error, so one QR text
has exactly one meaning.
"""

from __future__ import annotations

__all__ = ["ALPHABET", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BAD = 0xFF
# bytes.translate table: an ASCII character -> its base45 value, anything else -> _BAD.
_TABLE = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else _BAD for b in range(256))
# The low byte of each 24-bit slot (see _groups) for the groups of the longest QR text; shifted
# right, it is the mask for fewer groups, which is cheaper than building one for every text.
_MOST_GROUPS = 4296 // 3
_LOW_BYTES = int.from_bytes(b"\0\0\xff" * _MOST_GROUPS, "big")


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
    count, tail = divmod(len(values), 3)
    out = _groups(values[: 3 * count])
    if out is None:
        at = next(i for i in range(0, 3 * count, 3) if _number(values[i : i + 3]) > 0xFFFF)
        raise ValueError(f"base45 group {text[at : at + 3]!r} at {at} overflows 2 bytes")
    if tail:
        n = _number(values[-2:])
        if n > 0xFF:
            raise ValueError(f"base45 group {text[-2:]!r} at {len(text) - 2} overflows 1 byte")
        out.append(n)
    return bytes(out)


def _groups(values: bytes) -> bytearray | None:
    """Whole groups of three values as two bytes each; None if one of them overflows.

    All groups at once, without a Python loop per group: each group is a 24-bit slot of one
    big integer, (c, d, e) -> c·2¹⁶ + d·2⁸ + e, and the arithmetic works on every slot at
    the same time. A group's number c + 45·d + 45²·e is below 2¹⁷, so no slot spills into
    the next.
    """
    count = len(values) // 3
    packed = int.from_bytes(values, "big")
    if count <= _MOST_GROUPS:
        low = _LOW_BYTES >> 24 * (_MOST_GROUPS - count)  # the low byte of every slot
    else:
        low = int.from_bytes(b"\0\0\xff" * count, "big")
    numbers = (packed >> 16 & low) + 45 * (packed >> 8 & low) + 45 * 45 * (packed & low)
    if numbers >> 16 & low:  # a number above 0xFFFF
        return None
    out = bytearray(numbers.to_bytes(3 * count, "big"))
    del out[0::3]  # each slot's top byte, zero
    return out


def _number(values: bytes) -> int:
    """The number of one group of two or three values (least significant first)."""
    return sum(v * 45**i for i, v in enumerate(values))
