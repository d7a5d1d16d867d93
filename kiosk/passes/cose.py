"""COSE_Sign1 (RFC 9052) as the passes use it: parse, build, and check one signature.

Only what the two pass formats need: tag 18 or an untagged 4-array, ``alg`` and ``kid`` headers,
no external AAD, and the algorithms EdDSA (Ed25519), ES256 and PS256. Every parse problem is a
``PassError`` with a stable reason code; the verifier turns it into a ``Verification``. Headers
follow RFC 9052 section 3 (``kiosk.passes.headers``).

Parsing runs on every code the camera reads, so the common case takes a short way: a COSE_Sign1
written plainly (as the issuer writes passes) is read without the CBOR decoder, and a protected
header the caller already knows by its bytes is not decoded again. Such a code has an empty
unprotected header and a protected one its signer wrote, so no header rule can fail and none
is checked. Anything else goes through cbor2, and its header maps are checked against their
bytes (cbor2 keeps only the last of two equal keys); both ways give the same result for the
same bytes (tests/test_passes_fuzz.py).
"""

from __future__ import annotations

import io
from collections.abc import Container, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, cast

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kiosk.exc import PassError
from kiosk.model import Reason
from kiosk.passes.cbor_scan import check_labels, head, skip_item
from kiosk.passes.headers import HEADER_ALG, HEADER_KID, check_headers

__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "ALG_PS256",
    "HEADER_ALG",
    "HEADER_KID",
    "NO_HEADERS",
    "PublicKey",
    "Sign1",
    "build_sign1",
    "expected_header",
    "loads_strict",
    "parse_sign1",
    "sig_structure",
    "signature_ok",
]

TAG_SIGN1 = 18
TAG_CWT = 61  # RFC 8392 section 6: a CWT may be tagged as such around its COSE tag
ALG_EDDSA = -8
ALG_ES256 = -7
ALG_PS256 = -37
ALG_NAMES = {ALG_EDDSA: "EdDSA", ALG_ES256: "ES256", ALG_PS256: "PS256"}

# The start of every Sig_structure: an array of 4, then the text "Signature1" (RFC 9052 4.4).
_SIG1_START = b"\x84\x6aSignature1"
_NO_EXTERNAL_AAD = b"\x40"  # external_aad: the empty byte string
# The heads of byte strings shorter than 256 bytes (length in the head up to 23, else in one
# byte after 0x58), made once: a protected header and a pass payload are that short.
_SHORT_BSTR_HEADS = tuple(bytes((0x40 | n,)) if n < 24 else bytes((0x58, n)) for n in range(0x100))

# How a plainly written COSE_Sign1 starts: tag 18, then an array of 4 (see _plain_fields).
_PLAIN_START = b"\xd2\x84"
_EMPTY_MAP = b"\xa0"
NO_HEADERS: Mapping[Any, Any] = MappingProxyType({})  # an empty header map, shared

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class Sign1(NamedTuple):
    """A parsed COSE_Sign1; ``protected_raw`` is kept byte-exact for the signature check.

    A named tuple rather than a frozen dataclass: one is made for every code the camera reads.
    """

    protected_raw: bytes
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes

    def header(self, label: int, *, allow_unprotected: bool) -> Any:
        """A header parameter: the protected one, else (if allowed) the unprotected one."""
        value = self.protected.get(label)
        if value is None and allow_unprotected:
            value = self.unprotected.get(label)
        return value

    def kid(self, *, allow_unprotected: bool) -> bytes:
        """The key id: protected header first, the unprotected one only if allowed."""
        kid = self.header(HEADER_KID, allow_unprotected=allow_unprotected)
        if kid is None:
            where = "a" if allow_unprotected else "the protected"
            raise PassError(Reason.BAD_COSE, f"no kid in {where} header")
        if not isinstance(kid, bytes) or not kid:
            raise PassError(Reason.BAD_COSE, "kid is not a byte string")
        return kid


def loads_strict(data: bytes, what: str, reason: Reason = Reason.BAD_COSE) -> Any:
    """Decode exactly one CBOR item that fills ``data``; anything else is ``reason``."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as error:  # cbor2 raises many types on hostile input
        raise PassError(reason, f"{what}: not CBOR ({type(error).__name__})") from None
    if stream.tell() != len(data):
        raise PassError(reason, f"{what}: {len(data) - stream.tell()} bytes after the CBOR")
    return item


def parse_sign1(
    data: bytes,
    known_headers: Mapping[bytes, Mapping[Any, Any]] = NO_HEADERS,
    *,
    in_both: Container[int] = (),
) -> Sign1:
    """Parse a COSE_Sign1: tagged (18), untagged, or tagged 61(18(...)) as a CWT.

    ``known_headers`` maps protected headers the caller expects (its signers' own) from their
    bytes to their decoded form; any other protected header is decoded here. ``in_both`` names
    the labels that may be in both header buckets (see ``check_headers``). The algorithm is
    checked by the caller.
    """
    fields = _plain_fields(data) or _decoded_fields(data)
    protected_raw, unprotected, payload, signature = fields
    protected = known_headers.get(protected_raw)
    if protected is None:
        protected = _protected_header(protected_raw)
        check_headers(protected, unprotected, in_both)
    elif unprotected:
        check_headers(protected, unprotected, in_both)
    return Sign1(protected_raw, protected, unprotected, payload, signature)


def _protected_header(raw: bytes) -> Mapping[Any, Any]:
    """The protected header decoded, its labels checked against its bytes (each once)."""
    if not raw:
        return NO_HEADERS
    protected = loads_strict(raw, "protected header")
    if not isinstance(protected, Mapping):
        raise PassError(Reason.BAD_COSE, "protected header is not a map")
    check_labels(raw, 0, protected, "protected header")
    return protected


_Fields = tuple[bytes, Mapping[Any, Any], bytes, bytes]


def _plain_fields(data: bytes) -> _Fields | None:
    """The fields of ``18([bstr, {}, bstr, bstr])`` with definite lengths and nothing after.

    Issuers write a pass this way, and reading it without a CBOR decoder saves most of the
    parse on every scan. Anything else (None) goes to the decoder: these bytes decode to
    the same fields either way, so the two readings cannot disagree.
    """
    if not data.startswith(_PLAIN_START):
        return None
    try:
        protected_raw, at = _bstr_at(data, len(_PLAIN_START))
        if data[at : at + 1] != _EMPTY_MAP:
            return None
        payload, at = _bstr_at(data, at + 1)
        signature, at = _bstr_at(data, at)
    except (IndexError, ValueError):  # the data ends early, or holds something else
        return None
    return (protected_raw, NO_HEADERS, payload, signature) if at == len(data) else None


def _bstr_at(data: bytes, at: int) -> tuple[bytes, int]:
    """The byte string whose head is at ``at``, and the index after it; ValueError if none.

    Only the heads a QR code can need: the length in the head, or in 1 or 2 bytes after it.
    """
    head = data[at]
    if 0x40 <= head < 0x58:
        start, end = at + 1, at + 1 + head - 0x40
    elif head == 0x58:
        start = at + 2
        end = start + int.from_bytes(data[at + 1 : start], "big")
    elif head == 0x59:
        start = at + 3
        end = start + int.from_bytes(data[at + 1 : start], "big")
    else:
        raise ValueError("no byte string here")
    if end > len(data):
        raise ValueError("the byte string runs past the end")
    return data[start:end], end


def _decoded_fields(data: bytes) -> _Fields:
    """The fields of any COSE_Sign1 encoding, through the CBOR decoder."""
    item = loads_strict(data, "COSE_Sign1")
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
        if not isinstance(item, cbor2.CBORTag):
            raise PassError(Reason.BAD_COSE, "the CWT tag (61) must wrap a COSE tag")
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_SIGN1:
            raise PassError(Reason.BAD_COSE, f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    # cbor2 decodes the content of a tag as immutable values: a tuple, not a list.
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise PassError(Reason.BAD_COSE, "COSE_Sign1 is not an array of 4")
    protected_raw, unprotected, payload, signature = item
    if not (
        isinstance(protected_raw, bytes)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise PassError(Reason.BAD_COSE, "COSE_Sign1 fields have the wrong types")
    if not isinstance(unprotected, Mapping):
        raise PassError(Reason.BAD_COSE, "unprotected header is not a map")
    check_labels(data, _unprotected_at(data), unprotected, "unprotected header")
    return protected_raw, unprotected, payload, signature


def _unprotected_at(data: bytes) -> int:
    """Where the unprotected header starts in a COSE_Sign1 that cbor2 has decoded."""
    major, _, at = head(data, 0)
    while major == 6:  # the tags in front: 18, or 61 then 18
        major, _, at = head(data, at)
    return skip_item(data, at)  # past the protected header's byte string


def expected_header(alg: int, kid: bytes) -> tuple[bytes, Mapping[Any, Any]]:
    """The protected header {alg, kid} as ``build_sign1`` writes it, and what it decodes to."""
    header = {HEADER_ALG: alg, HEADER_KID: kid}
    return cbor2.dumps(header), MappingProxyType(header)


def sig_structure(protected_raw: bytes, payload: bytes) -> bytes:
    """The bytes that are signed: Sig_structure for COSE_Sign1 without external AAD.

    That is the CBOR array ["Signature1", protected_raw, b"", payload]; it is built on every
    verification, so it is written out here instead of going through a general encoder.
    """
    return b"".join(
        (
            _SIG1_START,
            _bstr_head(len(protected_raw)),
            protected_raw,
            _NO_EXTERNAL_AAD,
            _bstr_head(len(payload)),
            payload,
        )
    )


def _bstr_head(length: int) -> bytes:
    """The shortest CBOR head of a byte string of ``length`` bytes (RFC 8949 section 3)."""
    if length < 0x100:
        return _SHORT_BSTR_HEADS[length]
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    if length < 0x1_0000_0000:
        return b"\x5a" + length.to_bytes(4, "big")
    return b"\x5b" + length.to_bytes(8, "big")


def build_sign1(protected: dict[int, Any], payload: bytes, signature_of: Any) -> bytes:
    """Encode a tagged COSE_Sign1; ``signature_of(to_be_signed) -> bytes`` signs."""
    protected_raw = cbor2.dumps(protected)
    signature = signature_of(sig_structure(protected_raw, payload))
    return cbor2.dumps(cbor2.CBORTag(TAG_SIGN1, [protected_raw, {}, payload, signature]))


def key_fits(alg: int, key: PublicKey) -> bool:
    """Whether ``key`` can check signatures of algorithm ``alg``."""
    if alg == ALG_EDDSA:
        return isinstance(key, ed25519.Ed25519PublicKey)
    if alg == ALG_ES256:
        return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    if alg == ALG_PS256:
        return isinstance(key, rsa.RSAPublicKey)
    return False


def signature_ok(alg: int, key: PublicKey, signature: bytes, signed: bytes) -> bool:
    """Check one signature; the key must fit ``alg`` (see ``key_fits``)."""
    # Told apart by alg, not by the key's class: an isinstance check against cryptography's
    # abstract key classes costs more than all the rest of this function.
    try:
        if alg == ALG_EDDSA:
            cast(ed25519.Ed25519PublicKey, key).verify(signature, signed)
        elif alg == ALG_ES256:
            ecdsa = ec.ECDSA(hashes.SHA256())
            cast(ec.EllipticCurvePublicKey, key).verify(_der_from_raw(signature), signed, ecdsa)
        elif alg == ALG_PS256:
            # RFC 8230: the PSS salt is as long as the hash.
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), hashes.SHA256.digest_size)
            cast(rsa.RSAPublicKey, key).verify(signature, signed, pss, hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _der_from_raw(signature: bytes) -> bytes:
    """COSE carries ECDSA signatures as r || s (RFC 9053); cryptography wants DER."""
    if len(signature) != 64:
        raise ValueError("an ES256 signature is 64 bytes")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    return encode_dss_signature(r, s)
