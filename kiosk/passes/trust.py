"""Trust list: the keys passes and health certificates may be signed with, and revoked passes.

Two kinds of entry:
- pass issuer keys (Ed25519, the project's ``kiosk-trust/1`` JSON file), each with its own
  validity window so an old and a new key can both be valid while an office switches keys;
- EU DCC document signer certificates (X.509, PEM), whose kid is the first 8 bytes of the
  SHA-256 of the DER certificate (hcert specification, appendix A.1).

A ``TrustList`` is immutable, merges with ``|`` and round-trips through JSON, so the office
server can ship one file to every kiosk. docs/pass-format.md describes the file.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier

from kiosk.exc import TrustListError
from kiosk.model import CredentialKind
from kiosk.passes.cose import PublicKey

__all__ = [
    "FORMAT",
    "TrustList",
    "TrustedKey",
    "dsc_kid",
    "load_trust",
    "parse_trust_json",
    "trusted_certificate",
]

FORMAT = "kiosk-trust/1"
ISSUER_KEY_FORMAT = "kiosk-issuer-key/1"  # a private key file (kiosk.passes.issuer)
PEM_MARK = b"-----BEGIN CERTIFICATE-----"
ISSUER_FIELDS = ("kid", "issuer", "alg", "public_key", "valid_from", "valid_until")
TOP_FIELDS = ("format", "issuers", "certificates", "revoked")
# hcert appendix A.4: a DSC may be limited to test (t), vaccination (v) or recovery (r). The
# EU test data and early national signers use the same arcs with an extra ".0" after "4.1";
# the reference verifiers accept both spellings, and so does the kiosk.
HCERT_USAGES = {
    ObjectIdentifier(f"1.3.6.1.4.1{zero}.1847.2021.1.{n}"): kind
    for zero in ("", ".0")
    for n, kind in ((1, "t"), (2, "v"), (3, "r"))
}
EKU_OID = bytes.fromhex("551d25")  # 2.5.29.37, extendedKeyUsage, as its DER content bytes


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One signing key the kiosk trusts, for passes (PASS) or health certificates (HCERT)."""

    kid: bytes
    issuer: str
    public_key: PublicKey
    kind: CredentialKind = CredentialKind.PASS
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    certificate: bytes | None = field(default=None, repr=False)  # DER, for HCERT signers
    usages: frozenset[str] = frozenset()  # HCERT types it may sign ("t", "v", "r"); empty: all

    def valid_at(self, at: datetime) -> bool:
        """Whether the key may sign at ``at`` (its window includes both ends)."""
        after_start = self.valid_from is None or self.valid_from <= at
        return after_start and (self.valid_until is None or at <= self.valid_until)

    def public_bytes(self) -> bytes:
        """The raw public key (Ed25519) or SubjectPublicKeyInfo DER (others): its identity."""
        if isinstance(self.public_key, ed25519.Ed25519PublicKey):
            fmt = serialization.PublicFormat.Raw
            return self.public_key.public_bytes(serialization.Encoding.Raw, fmt)
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        return self.public_key.public_bytes(serialization.Encoding.DER, spki)


@dataclass(frozen=True)
class TrustList:
    """Trusted keys (several may share a kid) and the ids of revoked passes."""

    keys: tuple[TrustedKey, ...] = ()
    revoked: frozenset[str] = frozenset()
    _index: dict[tuple[CredentialKind, bytes], tuple[TrustedKey, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[tuple[CredentialKind, bytes], list[TrustedKey]] = {}
        for key in self.keys:
            index.setdefault((key.kind, key.kid), []).append(key)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    def candidates(self, kind: CredentialKind, kid: bytes) -> tuple[TrustedKey, ...]:
        """Every key of ``kind`` with ``kid``; the hcert spec says to try them all."""
        return self._index.get((kind, kid), ())

    def __or__(self, other: TrustList) -> TrustList:
        """Both lists' keys (without repeats) and revocations."""
        seen = {(k.kind, k.kid, k.public_bytes()) for k in self.keys}
        extra = [k for k in other.keys if (k.kind, k.kid, k.public_bytes()) not in seen]
        return TrustList((*self.keys, *extra), self.revoked | other.revoked)

    def to_json(self) -> dict[str, Any]:
        """The ``kiosk-trust/1`` document for this list (parse it back with parse_trust_json)."""
        issuers = [_issuer_json(k) for k in self.keys if k.kind is CredentialKind.PASS]
        certificates = [_pem(k.certificate) for k in self.keys if k.certificate is not None]
        return {
            "format": FORMAT,
            "issuers": issuers,
            "certificates": certificates,
            "revoked": sorted(self.revoked),
        }

    def dumps(self) -> str:
        """``to_json`` as indented JSON text."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


# --- loading -----------------------------------------------------------------------------------


def load_trust(paths: Iterable[Path | str]) -> TrustList:
    """Read and merge trust files: kiosk-trust/1 JSON and PEM certificates, told by content."""
    merged = TrustList()
    for path in map(Path, paths):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TrustListError(f"{path}: cannot read the trust file ({error.strerror})") from None
        merged = merged | _parse_file(data, str(path))
    return merged


def _parse_file(data: bytes, source: str) -> TrustList:
    if PEM_MARK in data:
        return TrustList(tuple(_pem_certificates(data, source)))
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TrustListError(
            f"{source}: neither PEM certificates nor {FORMAT} JSON ({error})"
        ) from None
    return parse_trust_json(document, source)


def parse_trust_json(document: Any, source: str = "trust list") -> TrustList:
    """Check a ``kiosk-trust/1`` document and build its TrustList; TrustListError if bad."""
    if not isinstance(document, dict):
        raise TrustListError(f"{source}: the top level is not a JSON object")
    if document.get("format") == ISSUER_KEY_FORMAT:
        raise TrustListError(
            f"{source}: is a private issuer key; give its public trust file instead "
            "(kiosk issue trust --key KEYFILE --out FILE)"
        )
    if document.get("format") != FORMAT:
        raise TrustListError(
            f"{source}: format {document.get('format')!r} is not supported (expected {FORMAT!r})"
        )
    _no_unknown_keys(document, TOP_FIELDS, source)
    issuers = _list(document, "issuers", source)
    keys = [_issuer_key(entry, f"{source}: issuers[{i}]") for i, entry in enumerate(issuers)]
    for i, pem in enumerate(_list(document, "certificates", source)):
        where = f"{source}: certificates[{i}]"
        if not isinstance(pem, str):
            raise TrustListError(f"{where}: not a PEM text")
        keys += _pem_certificates(pem.encode("ascii", "replace"), where)
    revoked = _list(document, "revoked", source)
    if not all(isinstance(r, str) and r for r in revoked):
        raise TrustListError(f"{source}: revoked: every entry must be a non-empty pass id")
    return TrustList(tuple(keys), frozenset(revoked))


def _list(document: Mapping[str, Any], name: str, source: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise TrustListError(f"{source}: {name} is not a list")
    return value


def _no_unknown_keys(entry: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    for name in entry:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known: {', '.join(known)}"
            raise TrustListError(f"{where}: unknown key {name!r}{hint}")


def _issuer_key(entry: Any, where: str) -> TrustedKey:
    if not isinstance(entry, dict):
        raise TrustListError(f"{where}: not a JSON object")
    _no_unknown_keys(entry, ISSUER_FIELDS, where)
    if entry.get("alg", "EdDSA") != "EdDSA":
        raise TrustListError(f"{where}: alg {entry.get('alg')!r} is not supported (EdDSA only)")
    issuer = entry.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise TrustListError(f"{where}: issuer must be a non-empty text")
    return TrustedKey(
        kid=_hex(entry.get("kid"), f"{where}: kid"),
        issuer=issuer,
        public_key=_ed25519(entry.get("public_key"), f"{where}: public_key"),
        valid_from=parse_time(entry.get("valid_from"), f"{where}: valid_from"),
        valid_until=parse_time(entry.get("valid_until"), f"{where}: valid_until"),
    )


def _hex(value: Any, where: str) -> bytes:
    try:
        kid = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise TrustListError(f"{where}: {value!r} is not hexadecimal bytes") from None
    if not kid:
        raise TrustListError(f"{where}: is empty")
    return kid


def _ed25519(value: Any, where: str) -> ed25519.Ed25519PublicKey:
    try:
        raw = base64.b64decode(value, validate=True)
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except (TypeError, ValueError, binascii.Error):
        raise TrustListError(f"{where}: not a base64 Ed25519 public key (32 bytes)") from None


def parse_time(value: Any, where: str) -> datetime | None:
    """An optional ISO 8601 time with an offset, as UTC; TrustListError naming ``where``."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise TrustListError(f"{where}: {value!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise TrustListError(f"{where}: {value!r} has no UTC offset (add Z or +08:00)")
    return when.astimezone(UTC)


def _issuer_json(key: TrustedKey) -> dict[str, Any]:
    return {
        "kid": key.kid.hex(),
        "issuer": key.issuer,
        "alg": "EdDSA",
        "public_key": base64.b64encode(key.public_bytes()).decode("ascii"),
        "valid_from": iso_or_none(key.valid_from),
        "valid_until": iso_or_none(key.valid_until),
    }


def iso_or_none(when: datetime | None) -> str | None:
    """A time as ISO 8601 UTC text ending in Z, or None."""
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- X.509 document signer certificates --------------------------------------------------------


def dsc_kid(der: bytes) -> bytes:
    """The hcert kid of a document signer certificate: SHA-256 of its DER, first 8 bytes."""
    return hashlib.sha256(der).digest()[:8]


def trusted_certificate(cert: x509.Certificate) -> TrustedKey:
    """A TrustedKey for an EU DCC document signer certificate."""
    der = cert.public_bytes(serialization.Encoding.DER)
    return TrustedKey(
        kid=dsc_kid(der),
        issuer=_subject_name(cert),
        public_key=cert.public_key(),  # type: ignore[arg-type]  # checked in _pem_certificates
        kind=CredentialKind.HCERT,
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
        certificate=der,
        usages=_usages(cert),
    )


def _pem_certificates(data: bytes, source: str) -> list[TrustedKey]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise TrustListError(f"{source}: bad PEM certificate ({error})") from None
    for cert in certs:
        algorithm = type(cert.public_key()).__name__
        if not isinstance(cert.public_key(), PublicKey):
            raise TrustListError(f"{source}: {algorithm} keys cannot sign health certificates")
    return [trusted_certificate(cert) for cert in certs]


def _subject_name(cert: x509.Certificate) -> str:
    for oid in (NameOID.COUNTRY_NAME, NameOID.COMMON_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return cert.subject.rfc4514_string() or "unnamed signer"


def _usages(cert: x509.Certificate) -> frozenset[str]:
    """The HCERT types a DSC may sign; empty when not limited (no or an empty EKU)."""
    try:
        eku: Iterable[ObjectIdentifier] = cert.extensions.get_extension_for_class(
            x509.ExtendedKeyUsage
        ).value
    except x509.ExtensionNotFound:
        return frozenset()
    except ValueError:
        # cryptography reads extensions as strict DER only. National signers issue certificates
        # that are valid BER but not DER (BasicConstraints with an explicit cA FALSE, an EKU
        # with zero identifiers, which the hcert spec allows). The kiosk needs one extension
        # from them, so it reads that one itself; the pass's signature check stays strict.
        eku = lenient_eku(cert.tbs_certificate_bytes)
    # Other extended key usages in a DSC are not about health certificates: ignored.
    return frozenset(HCERT_USAGES[oid] for oid in eku if oid in HCERT_USAGES)


def lenient_eku(tbs: bytes) -> list[ObjectIdentifier]:
    """The extendedKeyUsage identifiers in a TBSCertificate read as BER (none: no EKU)."""
    try:
        ((_, fields),) = _tlvs(tbs)  # TBSCertificate ::= SEQUENCE
        for tag, explicit in _tlvs(fields):
            if tag != 0xA3:  # [3] EXPLICIT Extensions
                continue
            ((_, extensions),) = _tlvs(explicit)
            for _, extension in _tlvs(extensions):
                parts = _tlvs(extension)  # extnID, critical (optional), extnValue
                if parts[0] == (0x06, EKU_OID):
                    ((_, purposes),) = _tlvs(parts[-1][1])
                    return [_oid(value) for kind, value in _tlvs(purposes) if kind == 0x06]
    except (ValueError, IndexError) as error:
        raise TrustListError(f"certificate extensions cannot be read ({error})") from None
    return []


def _tlvs(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) elements in ``data``: BER with definite lengths, one-byte tags."""
    items, at = [], 0
    while at < len(data):
        tag, length = data[at], data[at + 1]
        at += 2
        if length & 0x80:
            size = length & 0x7F
            if not 0 < size <= 4:
                raise ValueError("indefinite or oversized length")
            length = int.from_bytes(data[at : at + size], "big")
            at += size
        if at + length > len(data):
            raise ValueError("element runs past its parent")
        items.append((tag, data[at : at + length]))
        at += length
    return items


def _oid(content: bytes) -> ObjectIdentifier:
    arcs, value = [], 0
    for byte in content:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise ValueError("empty object identifier")
    first = min(arcs[0] // 40, 2)
    return ObjectIdentifier(".".join(map(str, [first, arcs[0] - 40 * first, *arcs[1:]])))


def _pem(der: bytes) -> str:
    cert = x509.load_der_x509_certificate(der)
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
