"""Ready-made keys, passes and health certificates for tests, simulators and benchmarks.

It ships inside the package (as gpiozero ships its mock pins) so the kiosk's tests, the
simulator and the office server's tests can all make credentials the same way. Nothing here is
used by a running kiosk.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, ObjectIdentifier

from kiosk.model import PassClaims, Role
from kiosk.passes.base45 import b45encode
from kiosk.passes.cose import ALG_ES256, ALG_PS256, HEADER_ALG, HEADER_KID, sig_structure
from kiosk.passes.hcert import CLAIM_HCERT
from kiosk.passes.issuer import IssuerKey
from kiosk.passes.transport import HC1, KP1
from kiosk.passes.trust import dsc_kid

__all__ = [
    "T0",
    "Dsc",
    "cbor_map",
    "fixed_issuer_key",
    "hc1",
    "hcert_cwt",
    "kp1",
    "make_dsc",
    "make_hcert",
    "sample_claims",
    "sample_dcc",
    "sign1_bytes",
    "sign_with",
]

T0 = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)  # a Monday morning in February 2020
SigningKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def fixed_issuer_key(issuer: str = "Office 7", seed: int = 7) -> IssuerKey:
    """A deterministic issuer key (never use one outside tests: its private key is public)."""
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    return IssuerKey(issuer, private)


def sample_claims(issuer: str = "Office 7", **changes: Any) -> PassClaims:
    """A resident's two-week pass from T0; keyword arguments replace single fields."""
    claims = PassClaims(
        issuer=issuer,
        pass_id="P-000123",
        issued_at=T0,
        not_before=T0,
        expires_at=T0 + timedelta(days=14),
        compounds=("C01",),
        household_id="H-0042",
        role=Role.RESIDENT,
        holder_name="张三",
    )
    return replace(claims, **changes)


def sign_with(key: SigningKey, data: bytes) -> bytes:
    """A COSE signature of ``data`` with ``key``: Ed25519, ES256 (raw r||s) or PS256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), hashes.SHA256.digest_size)
    return key.sign(data, pss, hashes.SHA256())


def sign1_bytes(
    key: SigningKey,
    protected: dict[Any, Any] | bytes,
    payload: Any,
    *,
    unprotected: dict[Any, Any] | bytes | None = None,
    tag: bool = True,
) -> bytes:
    """Any COSE_Sign1, also malformed ones: ``payload`` is CBOR-encoded unless it is bytes.

    A header given as bytes is used as it is: the protected header's encoding, or the
    unprotected map's own CBOR (cbor2 cannot write a map with a key twice).
    """
    protected_raw = _encoded(protected) if protected else b""
    unprotected_raw = _encoded(unprotected or {})
    body = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
    signature = sign_with(key, sig_structure(protected_raw, body))
    start = b"\xd2\x84" if tag else b"\x84"  # tag 18, an array of 4
    dumps = cbor2.dumps
    return start + dumps(protected_raw) + unprotected_raw + dumps(body) + dumps(signature)


def cbor_map(*entries: tuple[Any, Any] | bytes) -> bytes:
    """A CBOR map of the entries in this order, repeats kept (as no encoder writes them).

    An entry is a (key, value) pair, or bytes: a key and value already encoded.
    """
    if len(entries) >= 24:
        raise ValueError("at most 23 entries (a one-byte map head)")
    body = (e if isinstance(e, bytes) else cbor2.dumps(e[0]) + cbor2.dumps(e[1]) for e in entries)
    return bytes((0xA0 | len(entries),)) + b"".join(body)


def _encoded(header: dict[Any, Any] | bytes) -> bytes:
    return header if isinstance(header, bytes) else cbor2.dumps(header)


def kp1(cose: bytes, *, compress: bool = False) -> str:
    """A KP1 text of raw COSE bytes, compressed or not as asked."""
    return KP1 + b45encode(zlib.compress(cose) if compress else cose)


# --- EU Digital COVID Certificates -------------------------------------------------------------


class Dsc:
    """A document signer: private key and self-signed certificate."""

    def __init__(self, key: SigningKey, certificate: x509.Certificate) -> None:
        self.key = key
        self.certificate = certificate

    @property
    def kid(self) -> bytes:
        return dsc_kid(self.certificate.public_bytes(Encoding.DER))

    @property
    def alg(self) -> int:
        return ALG_ES256 if isinstance(self.key, ec.EllipticCurvePrivateKey) else ALG_PS256


def make_dsc(
    alg: str = "ES256",
    *,
    country: str = "XX",
    not_before: datetime = T0 - timedelta(days=365),
    not_after: datetime = T0 + timedelta(days=365),
    usages: Iterable[str] = (),
    raw_extensions: Iterable[tuple[str, bytes]] = (),
) -> Dsc:
    """A self-signed DSC; ``usages`` are extended key usage OIDs (dotted text).

    ``raw_extensions`` are (OID, value bytes) added as they are, e.g. BER that is not DER, as
    some national signers issue.
    """
    key: SigningKey = (
        ec.generate_private_key(ec.SECP256R1())
        if alg == "ES256"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{country} DSC test"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    oids = [ObjectIdentifier(u) for u in usages]
    if oids:
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    for oid, value in raw_extensions:
        raw = x509.UnrecognizedExtension(ObjectIdentifier(oid), value)
        builder = builder.add_extension(raw, critical=False)
    return Dsc(key, builder.sign(key, hashes.SHA256()))


def sample_dcc() -> dict[str, Any]:
    """A minimal EU DCC v1 vaccination payload (schema 1.3.0)."""
    return {
        "ver": "1.3.0",
        "nam": {"fn": "Muster", "fnt": "MUSTER", "gn": "Erika", "gnt": "ERIKA"},
        "dob": "1964-08-12",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 2,
                "sd": 2,
                "dt": "2021-05-01",
                "co": "XX",
                "is": "Test issuer",
                "ci": "URN:UVCI:01:XX:TEST0000000000000001#0",
            }
        ],
    }


def make_hcert(
    dsc: Dsc,
    *,
    payload: dict[str, Any] | None = None,
    issued_at: datetime = T0 - timedelta(days=1),
    expires_at: datetime = T0 + timedelta(days=180),
    kid_in: str = "protected",
    compress: bool = True,
    unprotected: dict[Any, Any] | None = None,
) -> str:
    """An HC1 text signed by ``dsc``; ``kid_in`` is "protected", "unprotected", "none" or
    "both" (the right kid protected, another unprotected, as the EU test case CO21).

    ``unprotected`` adds headers to the unprotected bucket.
    """
    cwt = hcert_cwt(payload, issued_at=issued_at, expires_at=expires_at)
    protected: dict[int, Any] = {HEADER_ALG: dsc.alg}
    unprotected = dict(unprotected or {})
    if kid_in in ("protected", "both"):
        protected[HEADER_KID] = dsc.kid
    if kid_in == "unprotected":
        unprotected[HEADER_KID] = dsc.kid
    elif kid_in == "both":
        unprotected[HEADER_KID] = b"foo"
    cose = sign1_bytes(dsc.key, protected, cwt, unprotected=unprotected)
    return hc1(cose, compress=compress)


def hcert_cwt(
    payload: dict[str, Any] | None = None,
    *,
    issued_at: datetime = T0 - timedelta(days=1),
    expires_at: datetime = T0 + timedelta(days=180),
) -> dict[int, Any]:
    """The CWT claims of a health certificate (``sample_dcc`` unless ``payload`` is given)."""
    return {
        1: "XX",
        4: int(expires_at.timestamp()),
        6: int(issued_at.timestamp()),
        CLAIM_HCERT: {1: payload if payload is not None else sample_dcc()},
    }


def hc1(cose: bytes, *, compress: bool = True) -> str:
    """An HC1 text of raw COSE bytes (the hcert spec asks for compression; tests may not)."""
    return HC1 + b45encode(zlib.compress(cose) if compress else cose)
