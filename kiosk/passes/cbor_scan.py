"""Reading CBOR by its heads, without decoding: what a decoder hides, seen in the bytes.

cbor2 turns a map into a dict and so keeps only the last of two equal keys; RFC 9052 section 3
says a COSE header with a label twice must be refused. ``check_labels`` compares the number of
entries the map's head declares with the number cbor2 kept, and where they differ (or the map
has no count) ``map_labels`` reads the labels straight from the bytes, in order, and refuses a
repeat. The input has already been decoded once by cbor2 (so it is well-formed); every read is
still bounds-checked, and an item that runs past the end is a ``PassError``, not IndexError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.exc import PassError
from kiosk.model import Reason

__all__ = ["Label", "check_labels", "head", "is_label", "map_labels", "skip_item"]

Label = int | str  # a COSE header label (RFC 9052 section 1.5: label = int / tstr)

_MAJOR_BYTES, _MAJOR_TEXT, _MAJOR_ARRAY, _MAJOR_MAP, _MAJOR_TAG = 2, 3, 4, 5, 6
_BREAK = 0xFF
_INDEFINITE = -1  # "items until a break" in skip_item's count of what is still open


def head(data: bytes, at: int) -> tuple[int, int | None, int]:
    """The head at ``at``: (major type, argument, index after the head).

    The argument is None for an indefinite length (and for the break code, major type 7).
    """
    if at >= len(data):
        raise PassError(Reason.BAD_COSE, "the CBOR ends inside an item")
    initial = data[at]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        return major, info, at + 1
    if info < 28:
        end = at + 1 + (1 << (info - 24))
        if end > len(data):
            raise PassError(Reason.BAD_COSE, "the CBOR ends inside a head")
        return major, int.from_bytes(data[at + 1 : end], "big"), end
    if info == 31 and major in (_MAJOR_BYTES, _MAJOR_TEXT, _MAJOR_ARRAY, _MAJOR_MAP, 7):
        return major, None, at + 1
    raise PassError(Reason.BAD_COSE, f"CBOR head 0x{initial:02x} is not well-formed")


def skip_item(data: bytes, at: int) -> int:
    """The index just after the CBOR item that starts at ``at``.

    Iterative, so a deeply nested item costs no Python recursion.
    """
    major, argument, after = head(data, at)
    if argument is not None and major in (_MAJOR_BYTES, _MAJOR_TEXT):  # the common case
        if after + argument > len(data):
            raise PassError(Reason.BAD_COSE, "a CBOR string runs past the end")
        return after + argument
    still_open = [1]  # items still to read in each container being skipped
    while still_open:
        if still_open[-1] == 0:
            still_open.pop()
            continue
        major, argument, at = head(data, at)
        if argument is None and major == 7:  # the break that ends an indefinite item
            if still_open.pop() != _INDEFINITE:
                raise PassError(Reason.BAD_COSE, "a CBOR break outside an indefinite item")
            continue
        if still_open[-1] != _INDEFINITE:
            still_open[-1] -= 1
        if argument is None:  # indefinite string (of chunks), array or map
            still_open.append(_INDEFINITE)
        elif major in (_MAJOR_BYTES, _MAJOR_TEXT):
            at += argument
        elif major == _MAJOR_ARRAY:
            still_open.append(argument)
        elif major == _MAJOR_MAP:
            still_open.append(2 * argument)
        elif major == _MAJOR_TAG:
            still_open.append(1)
    if at > len(data):
        raise PassError(Reason.BAD_COSE, "a CBOR string runs past the end")
    return at


def is_label(value: Any) -> bool:
    """Whether ``value`` as cbor2 decodes it is a COSE label: an integer (not a bool) or a text."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def check_labels(data: bytes, at: int, decoded: Mapping[Any, Any], where: str) -> None:
    """BAD_HEADER unless the map at ``at``, which cbor2 decoded as ``decoded``, has integer or
    text labels, each once.

    Counting is enough when the head gives a count: cbor2 keeps one entry per distinct key, so
    as many entries as the head declares means no key came twice. Otherwise the bytes are read.
    """
    _, count, _ = head(data, at)
    if count == len(decoded) and all(map(is_label, decoded)):
        return
    map_labels(data, at, where)  # names the label that is wrong or repeated
    if count is not None:  # cannot happen: a lost entry is a repeat that map_labels names
        raise PassError(Reason.BAD_HEADER, f"{where}: {count} entries decode to {len(decoded)}")


def map_labels(data: bytes, at: int, where: str) -> tuple[list[Label], int]:
    """The labels of the map at ``at`` in order, and the index after the map.

    BAD_HEADER if a label is neither an integer nor a text, or if one appears twice.
    """
    major, count, at = head(data, at)
    if major != _MAJOR_MAP:
        raise PassError(Reason.BAD_COSE, f"{where} is not a map")
    labels: list[Label] = []
    while count is None or len(labels) < count:
        if count is None and data[at : at + 1] == bytes((_BREAK,)):
            return labels, at + 1
        label, at = _label(data, at, where)
        if label in labels:
            raise PassError(Reason.BAD_HEADER, f"{where}: label {label!r} appears twice")
        labels.append(label)
        at = skip_item(data, at)
    return labels, at


def _label(data: bytes, at: int, where: str) -> tuple[Label, int]:
    """The integer or text at ``at`` and the index after it."""
    major, argument, after = head(data, at)
    if major == 0 and argument is not None:
        return argument, after
    if major == 1 and argument is not None:
        return -1 - argument, after
    if major == _MAJOR_TEXT:
        return _text(data, at), skip_item(data, at)
    kind = {2: "byte string", 4: "array", 5: "map", 6: "tag", 7: "simple value or float"}
    raise PassError(
        Reason.BAD_HEADER, f"{where}: a label is a {kind[major]}; labels are integers or texts"
    )


def _text(data: bytes, at: int) -> str:
    """The text item at ``at``, definite or in chunks."""
    _, length, at = head(data, at)
    chunks = []
    if length is not None:
        chunks.append(data[at : at + length])
    else:
        while data[at] != _BREAK:
            _, length, at = head(data, at)
            chunks.append(data[at : at + (length or 0)])
            at += length or 0
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise PassError(Reason.BAD_COSE, "a text label is not UTF-8") from None
