"""The CWT claims of a KP1 pass (RFC 8392) and their mapping to ``kiosk.model.PassClaims``.

Standard claims use their registered labels; the project's own claims use private-use labels
(below -65536, RFC 8392 section 9.1). docs/pass-format.md documents every label.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kiosk.exc import PassError
from kiosk.model import PassClaims, Reason, Role

__all__ = [
    "CLAIM_COMPOUNDS",
    "CLAIM_EXP",
    "CLAIM_HOLDER",
    "CLAIM_HOST_FLAT",
    "CLAIM_HOUSEHOLD",
    "CLAIM_IAT",
    "CLAIM_ISS",
    "CLAIM_ROLE",
    "CLAIM_VISITOR_USES",
    "claims_from_cwt",
    "cwt_from_claims",
    "from_numeric_date",
    "numeric_date",
]

CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_NBF = 5
CLAIM_IAT = 6
CLAIM_CTI = 7
CLAIM_COMPOUNDS = -65537
CLAIM_HOUSEHOLD = -65538
CLAIM_ROLE = -65539
CLAIM_HOLDER = -65540
CLAIM_VISITOR_USES = -65541
CLAIM_HOST_FLAT = -65542

MAX_TEXT = 200  # bytes of UTF-8 in any one text claim; a QR code has no room for more
MAX_COMPOUNDS = 32
# A character is at most 4 bytes of UTF-8: only a longer text needs its bytes counted.
_SURELY_SHORT = MAX_TEXT // 4
_ROLES = {role.value: role for role in Role}
# The required claims, by label, as errors name them.
_NAMES = {
    CLAIM_IAT: "iat",
    CLAIM_ISS: "iss",
    CLAIM_CTI: "cti",
    CLAIM_EXP: "exp",
    CLAIM_COMPOUNDS: "compounds",
    CLAIM_HOUSEHOLD: "household",
    CLAIM_ROLE: "role",
    CLAIM_HOLDER: "holder name",
}


def numeric_date(when: datetime) -> int:
    """A timezone-aware datetime as a CWT NumericDate (whole seconds since the epoch)."""
    if when.tzinfo is None:
        raise ValueError("pass times must be timezone-aware")
    return int(when.timestamp())


def from_numeric_date(value: Any, name: str) -> datetime:
    """A NumericDate claim as an aware UTC datetime; BAD_CLAIMS if it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PassError(Reason.BAD_CLAIMS, f"{name} is not a NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise PassError(Reason.BAD_CLAIMS, f"{name} is out of range") from None


def cwt_from_claims(claims: PassClaims) -> dict[int, Any]:
    """The CWT claims map for ``claims``; the visitor limit and host are left out when unset."""
    cwt: dict[int, Any] = {
        CLAIM_ISS: claims.issuer,
        CLAIM_EXP: numeric_date(claims.expires_at),
        CLAIM_NBF: numeric_date(claims.not_before),
        CLAIM_IAT: numeric_date(claims.issued_at),
        CLAIM_CTI: claims.pass_id.encode("utf-8"),
        CLAIM_COMPOUNDS: list(claims.compounds),
        CLAIM_HOUSEHOLD: claims.household_id,
        CLAIM_ROLE: claims.role.value,
        CLAIM_HOLDER: claims.holder_name,
    }
    if claims.visitor_uses is not None:
        cwt[CLAIM_VISITOR_USES] = claims.visitor_uses
    if claims.host_flat is not None:
        cwt[CLAIM_HOST_FLAT] = claims.host_flat
    return cwt


def claims_from_cwt(cwt: Any) -> PassClaims:
    """Check a decoded CWT claims map and return its ``PassClaims``; BAD_CLAIMS if malformed."""
    if not isinstance(cwt, (dict, Mapping)):  # dict first: what cbor2 gives, without the ABC
        raise PassError(Reason.BAD_CLAIMS, "CWT claims are not a map")
    try:
        iat = cwt[CLAIM_IAT]
        issued_at = from_numeric_date(iat, "iat")
        issuer = _text(cwt[CLAIM_ISS], "iss")
        pass_id = _pass_id(cwt[CLAIM_CTI])
        nbf = cwt.get(CLAIM_NBF)
        # Issuers write nbf = iat: the same number need not become a datetime twice.
        same = nbf is None or (type(nbf) is type(iat) and nbf == iat)
        not_before = issued_at if same else from_numeric_date(nbf, "nbf")
        expires_at = from_numeric_date(cwt[CLAIM_EXP], "exp")
        compounds = _compounds(cwt[CLAIM_COMPOUNDS])
        household_id = _text(cwt[CLAIM_HOUSEHOLD], "household")
        role = _role(cwt[CLAIM_ROLE])
        holder_name = _text(cwt[CLAIM_HOLDER], "holder name")
    except KeyError as error:
        label = error.args[0]
        raise PassError(Reason.BAD_CLAIMS, f"claim {_NAMES[label]} ({label}) is missing") from None
    visitor_uses = _uses(cwt.get(CLAIM_VISITOR_USES))
    host_flat = _optional_text(cwt.get(CLAIM_HOST_FLAT), "host flat")
    # Positional, named as the fields and in their order: keywords cost a third of a
    # microsecond here, on every scan.
    return PassClaims(
        issuer,
        pass_id,
        issued_at,
        not_before,
        expires_at,
        compounds,
        household_id,
        role,
        holder_name,
        visitor_uses,
        host_flat,
    )


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value or value.isspace():
        raise PassError(Reason.BAD_CLAIMS, f"{name} is not a non-empty text")
    if len(value) > _SURELY_SHORT and len(value.encode("utf-8", "surrogatepass")) > MAX_TEXT:
        raise PassError(Reason.BAD_CLAIMS, f"{name} is longer than {MAX_TEXT} bytes")
    return value


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _pass_id(value: Any) -> str:
    if not isinstance(value, bytes):
        raise PassError(Reason.BAD_CLAIMS, "cti is not a byte string")
    try:
        return _text(value.decode("utf-8"), "cti")
    except UnicodeDecodeError:
        raise PassError(Reason.BAD_CLAIMS, "cti is not UTF-8 text") from None


def _compounds(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_COMPOUNDS:
        raise PassError(Reason.BAD_CLAIMS, f"compounds is not a list of 1-{MAX_COMPOUNDS} ids")
    for compound in value:
        _text(compound, "compound id")
    return tuple(value)


def _role(value: Any) -> Role:
    role = _ROLES.get(value) if isinstance(value, str) else None
    if role is None:
        choices = ", ".join(_ROLES)
        raise PassError(Reason.BAD_CLAIMS, f"role {value!r} is not one of {choices}")
    return role


def _uses(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise PassError(Reason.BAD_CLAIMS, "visitor uses is not a whole number 1-10000")
    return value
