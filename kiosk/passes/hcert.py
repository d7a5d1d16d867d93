"""The CWT claims of an EU Digital COVID Certificate (hcert specification section 3.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.exc import PassError
from kiosk.model import Reason
from kiosk.passes.claims import CLAIM_EXP, CLAIM_IAT, CLAIM_ISS, from_numeric_date

__all__ = ["CLAIM_HCERT", "HcertClaims", "hcert_claims"]

CLAIM_HCERT = -260
HCERT_EU_DCC_V1 = 1
ENTRY_TYPES = ("t", "v", "r")  # test, vaccination, recovery: the keys a DSC's EKU may limit


@dataclass(frozen=True, slots=True)
class HcertClaims:
    """What the kiosk reads from an HC1 CWT: the DCC payload and its signature's lifetime."""

    payload: dict[str, Any]
    issuer: str | None
    issued_at: datetime
    expires_at: datetime

    @property
    def entry_types(self) -> frozenset[str]:
        """Which of test/vaccination/recovery entries the certificate holds."""
        return frozenset(t for t in ENTRY_TYPES if self.payload.get(t))


def hcert_claims(cwt: Any) -> HcertClaims:
    """Check the CWT claims of an HC1 certificate; BAD_CLAIMS if a required one is wrong."""
    if not isinstance(cwt, Mapping):
        raise PassError(Reason.BAD_CLAIMS, "CWT claims are not a map")
    issuer = cwt.get(CLAIM_ISS)
    if issuer is not None and not isinstance(issuer, str):
        raise PassError(Reason.BAD_CLAIMS, "iss is not a text")
    for label, name in ((CLAIM_EXP, "exp"), (CLAIM_IAT, "iat")):
        if label not in cwt:
            raise PassError(Reason.BAD_CLAIMS, f"claim {name} ({label}) is missing")
    return HcertClaims(
        payload=_payload(cwt.get(CLAIM_HCERT)),
        issuer=issuer,
        issued_at=from_numeric_date(cwt[CLAIM_IAT], "iat"),
        expires_at=from_numeric_date(cwt[CLAIM_EXP], "exp"),
    )


def _payload(hcert: Any) -> dict[str, Any]:
    if not isinstance(hcert, Mapping):
        raise PassError(Reason.BAD_CLAIMS, "claim hcert (-260) is missing or not a map")
    payload = hcert.get(HCERT_EU_DCC_V1)
    if not isinstance(payload, dict) or not all(isinstance(k, str) for k in payload):
        raise PassError(Reason.BAD_CLAIMS, "hcert has no EU DCC v1 payload (key 1)")
    return payload
