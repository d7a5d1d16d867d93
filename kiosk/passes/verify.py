"""The verifier: QR text -> ``Verification``. It never raises, whatever the input.

Order of checks (the first failure is the reason): prefix, base45, zlib, COSE structure,
header rules (``kiosk.passes.headers``), algorithm, kid, key known, signature, key valid at
``at``, claims, revoked, not yet valid, expired. The signature is checked before any claim is
read (hcert specification 6.3). A revoked, not yet valid or expired credential still comes with
the refusal, so a screen can say whose it is. Compound and household rules are not here: see
``kiosk.rules``.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.exc import PassError
from kiosk.model import Credential, CredentialKind, Reason, Verification
from kiosk.passes.claims import claims_from_cwt
from kiosk.passes.cose import (
    ALG_EDDSA,
    ALG_ES256,
    ALG_NAMES,
    ALG_PS256,
    HEADER_ALG,
    HEADER_KID,
    Sign1,
    expected_header,
    key_fits,
    loads_strict,
    parse_sign1,
    sig_structure,
    signature_ok,
)
from kiosk.passes.hcert import hcert_claims
from kiosk.passes.transport import KP1, decode_text
from kiosk.passes.trust import TrustedKey, TrustList

__all__ = ["DEFAULT_LEEWAY", "Verifier"]

# A kiosk clock a few minutes behind the office's must not refuse a pass issued just now.
DEFAULT_LEEWAY = timedelta(minutes=5)
# The camera sees the same code in frame after frame; remember this many signature checks.
SIGNATURE_CACHE = 256
HCERT_ALGS = (ALG_ES256, ALG_PS256)
# hcert specification 3.3.3: a kid in both header buckets is accepted, the protected one used
# (EU test case CO21). Any other label in both, and anything of a KP1 pass, is refused.
HCERT_IN_BOTH = frozenset({HEADER_KID})
# Enum members used on every scan, looked up once: on Python 3.11 EnumType defines __getattr__,
# which takes attribute lookups on it off the fast path (about 0.1 us each).
_PASS, _OK, _BAD_CLAIMS = CredentialKind.PASS, Reason.OK, Reason.BAD_CLAIMS


class Verifier:
    """Checks KP1 passes and HC1 health certificates against a trust list.

    ``revoked`` holds pass ids revoked since the trust list was made (the office data the
    sync agent keeps); the trust list's own revocations apply too. The trust list itself is
    fixed: for another one, make another verifier.
    """

    def __init__(
        self,
        trust: TrustList,
        revoked: Container[str] = frozenset(),
        *,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        self._trust = trust
        self.revoked = revoked
        self.leeway = leeway
        # The keys a credential may name, by (kind, kid, alg): one dict lookup per check.
        self._keys = _keys_by_algorithm(trust)
        # The protected headers those keys' signers write: a code carrying one of them needs
        # no CBOR decoding of its header.
        self._headers = dict(expected_header(alg, kid) for _, kid, alg in self._keys)
        # Signature outcomes only: the trust list is fixed for this verifier, while time,
        # key windows and revocations are checked again on every call.
        self._good_keys: dict[tuple[Any, ...], tuple[TrustedKey, ...]] = {}

    @property
    def trust(self) -> TrustList:
        """The trust list this verifier checks against (read only: the indexes below use it)."""
        return self._trust

    def verify(self, text: str, at: datetime) -> Verification:
        """Parse and verify one QR text at time ``at`` (naive times are taken as UTC)."""
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        try:
            return self._verify(text, at)
        except PassError as error:
            return Verification(Reason(error.reason), detail=str(error))
        except Exception as error:  # the contract: a hostile QR code never stops the kiosk
            return Verification(Reason.BAD_COSE, detail=f"unexpected {type(error).__name__}")

    def _verify(self, text: str, at: datetime) -> Verification:
        if not isinstance(text, str):
            raise PassError(Reason.UNKNOWN_FORMAT, "not a text")
        prefix, body = decode_text(text)
        if prefix == KP1:
            return self._pass(parse_sign1(body, self._headers), at)
        return self._hcert(parse_sign1(body, self._headers, in_both=HCERT_IN_BOTH), at)

    def _pass(self, sign1: Sign1, at: datetime) -> Verification:
        alg = sign1.protected.get(HEADER_ALG)  # a pass names its algorithm in the protected header
        if alg != ALG_EDDSA:
            raise PassError(Reason.BAD_COSE, f"protected alg {alg!r} is not EdDSA (-8)")
        kid = sign1.kid(allow_unprotected=False)
        key = self._signer(_PASS, alg, kid, sign1, at)
        claims = claims_from_cwt(loads_strict(sign1.payload, "CWT claims", _BAD_CLAIMS))
        if claims.issuer != key.issuer:
            raise PassError(Reason.BAD_CLAIMS, f"iss {claims.issuer!r} is not the key's issuer")
        credential = Credential(_PASS, kid, claims)
        if claims.pass_id in self._trust.revoked or claims.pass_id in self.revoked:
            return Verification(Reason.REVOKED, credential, f"pass {claims.pass_id} is revoked")
        return self._lifetime(credential, claims.not_before, claims.expires_at, at)

    def _hcert(self, sign1: Sign1, at: datetime) -> Verification:
        # The hcert test data has alg in the unprotected header at times (never in both:
        # check_headers); COSE allows it, and the key found by kid must fit that algorithm.
        alg = sign1.header(HEADER_ALG, allow_unprotected=True)
        if alg not in HCERT_ALGS:
            raise PassError(Reason.BAD_COSE, f"alg {alg!r} is not ES256 (-7) or PS256 (-37)")
        kid = sign1.kid(allow_unprotected=True)
        key = self._signer(CredentialKind.HCERT, alg, kid, sign1, at)
        claims = hcert_claims(loads_strict(sign1.payload, "CWT claims", Reason.BAD_CLAIMS))
        if key.usages and not claims.entry_types <= key.usages:
            allowed = "/".join(sorted(key.usages))
            raise PassError(Reason.KEY_NOT_VALID, f"signer may only sign {allowed} entries")
        credential = Credential(
            CredentialKind.HCERT, kid, hcert=claims.payload, hcert_expires_at=claims.expires_at
        )
        return self._lifetime(credential, claims.issued_at, claims.expires_at, at)

    def _lifetime(
        self, credential: Credential, start: datetime, end: datetime, at: datetime
    ) -> Verification:
        if at + self.leeway < start:
            detail = f"valid from {start:%Y-%m-%d %H:%M}Z"
            return Verification(Reason.NOT_YET_VALID, credential, detail)
        if at >= end:
            return Verification(Reason.EXPIRED, credential, f"expired {end:%Y-%m-%d %H:%M}Z")
        return Verification(_OK, credential)

    def _signer(
        self, kind: CredentialKind, alg: int, kid: bytes, sign1: Sign1, at: datetime
    ) -> TrustedKey:
        """The trusted key that made this signature and is valid at ``at``."""
        keys = self._keys.get((kind, kid, alg))
        if keys is None:
            if not self._trust.candidates(kind, kid):
                raise PassError(Reason.UNKNOWN_KEY, f"kid {kid.hex()} is not in the trust list")
            raise PassError(Reason.BAD_SIGNATURE, f"kid {kid.hex()} is not a {ALG_NAMES[alg]} key")
        good = self._signed_by(alg, keys, sign1)
        if not good:
            raise PassError(Reason.BAD_SIGNATURE, f"signature does not match kid {kid.hex()}")
        for key in good:
            if key.valid_at(at):
                return key
        raise PassError(Reason.KEY_NOT_VALID, _window(good[0]))

    def _signed_by(
        self, alg: int, keys: tuple[TrustedKey, ...], sign1: Sign1
    ) -> tuple[TrustedKey, ...]:
        """The keys among ``keys`` (all of one kind and kid) whose signature ``sign1`` carries.

        Remembered for the last SIGNATURE_CACHE signatures.
        """
        signed = sig_structure(sign1.protected_raw, sign1.payload)
        cache_key = (keys[0].kind, alg, keys[0].kid, signed, sign1.signature)
        good = self._good_keys.get(cache_key)
        if good is None:
            signature = sign1.signature
            good = tuple([k for k in keys if signature_ok(alg, k.public_key, signature, signed)])
            if len(self._good_keys) >= SIGNATURE_CACHE:
                del self._good_keys[next(iter(self._good_keys))]  # the oldest
            self._good_keys[cache_key] = good
        return good


def _keys_by_algorithm(
    trust: TrustList,
) -> dict[tuple[CredentialKind, bytes, int], tuple[TrustedKey, ...]]:
    """The trust list's keys by (kind, kid, alg), in trust list order; only keys fit for alg."""
    index: dict[tuple[CredentialKind, bytes, int], list[TrustedKey]] = {}
    for key in trust.keys:
        for alg in ALG_NAMES:
            if key_fits(alg, key.public_key):
                index.setdefault((key.kind, key.kid, alg), []).append(key)
    return {name: tuple(keys) for name, keys in index.items()}


def _window(key: TrustedKey) -> str:
    start = "-" if key.valid_from is None else f"{key.valid_from:%Y-%m-%d}"
    end = "-" if key.valid_until is None else f"{key.valid_until:%Y-%m-%d}"
    return f"key {key.kid.hex()} of {key.issuer} is valid {start} to {end}"
