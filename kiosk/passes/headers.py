"""COSE header rules (RFC 9052 section 3) for the headers of a pass or health certificate.

- A label appears once in a map (``cbor_scan.check_labels``, against the bytes) and in one
  bucket only: a label in both the protected and the unprotected header is refused, except
  those the caller names (HC1's kid: the hcert specification 3.3.3 says to accept a kid in
  both and use the protected one, and the EU test case CO21 does so).
- ``crit`` is in the protected header, a non-empty array of labels, each present in the
  protected header; a label the kiosk does not act on makes the credential UNKNOWN_CRITICAL.
- The common header parameters have their registered types (RFC 9052 table 3, RFC 8613 for
  the kid context, RFC 9338 for Countersignature0); IV and Partial IV are not both present.

Other labels carry nothing the kiosk acts on and are ignored, as RFC 9052 says. Breaking a
rule is BAD_HEADER.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import Any

from kiosk.exc import PassError
from kiosk.model import Reason
from kiosk.passes.cbor_scan import is_label

__all__ = [
    "HEADER_ALG",
    "HEADER_CRIT",
    "HEADER_KID",
    "UNDERSTOOD",
    "check_headers",
]

HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_CONTENT_TYPE = 3
HEADER_KID = 4
HEADER_IV = 5
HEADER_PARTIAL_IV = 6
HEADER_COUNTERSIGNATURE0 = 9
HEADER_KID_CONTEXT = 10
# The labels whose meaning the verifier applies; ``crit`` may name only these.
UNDERSTOOD = frozenset({HEADER_ALG, HEADER_CRIT, HEADER_KID})


def _is_bytes(value: Any) -> bool:
    return isinstance(value, bytes)


def _is_content_type(value: Any) -> bool:
    return isinstance(value, str) or (is_label(value) and value >= 0)


_TYPES: dict[int, tuple[str, Callable[[Any], bool]]] = {
    HEADER_ALG: ("an integer or a text", is_label),
    HEADER_CONTENT_TYPE: ("a text or an unsigned integer", _is_content_type),
    HEADER_KID: ("a byte string", _is_bytes),
    HEADER_IV: ("a byte string", _is_bytes),
    HEADER_PARTIAL_IV: ("a byte string", _is_bytes),
    HEADER_COUNTERSIGNATURE0: ("a byte string", _is_bytes),
    HEADER_KID_CONTEXT: ("a byte string", _is_bytes),
}


def check_headers(
    protected: Mapping[Any, Any], unprotected: Mapping[Any, Any], in_both: Container[int] = ()
) -> None:
    """Apply the rules above to decoded headers whose labels ``check_labels`` has passed."""
    for label in unprotected:
        if label in protected and label not in in_both:
            raise PassError(
                Reason.BAD_HEADER,
                f"header {label!r} is in both the protected and the unprotected header",
            )
    if HEADER_CRIT in unprotected:
        raise PassError(Reason.BAD_HEADER, "crit (2) must be in the protected header")
    if HEADER_CRIT in protected:
        _check_crit(protected[HEADER_CRIT], protected)
    for bucket in (protected, unprotected):
        for label, value in bucket.items():
            rule = _TYPES.get(label)  # labels are integers or texts here, never True for 1
            if rule is not None and not rule[1](value):
                raise PassError(Reason.BAD_HEADER, f"header {label!r} is not {rule[0]}: {value!r}")
    if _either(HEADER_IV, protected, unprotected) and _either(
        HEADER_PARTIAL_IV, protected, unprotected
    ):
        raise PassError(Reason.BAD_HEADER, "IV (5) and Partial IV (6) are both present")


def _either(label: int, protected: Mapping[Any, Any], unprotected: Mapping[Any, Any]) -> bool:
    return label in protected or label in unprotected


def _check_crit(crit: Any, protected: Mapping[Any, Any]) -> None:
    if not isinstance(crit, list | tuple) or not crit:
        raise PassError(Reason.BAD_HEADER, "crit (2) is not a non-empty array of labels")
    for label in crit:
        if not is_label(label):
            raise PassError(Reason.BAD_HEADER, f"crit (2) holds {label!r}, which is not a label")
        if label not in protected:
            raise PassError(
                Reason.BAD_HEADER, f"crit (2) names {label!r}, which the protected header lacks"
            )
        if label not in UNDERSTOOD:
            raise PassError(
                Reason.UNKNOWN_CRITICAL,
                f"crit (2) requires header {label!r}, which this kiosk does not understand",
            )
