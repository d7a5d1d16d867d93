"""Interoperability with pycose, an independent COSE implementation."""

from __future__ import annotations

import zlib
from datetime import timedelta

import cbor2
from cryptography.hazmat.primitives import serialization
from pycose.algorithms import EdDSA, Es256
from pycose.headers import KID, Algorithm
from pycose.keys import CoseKey, OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from kiosk.model import Reason
from kiosk.passes import TrustList, Verifier, issue_pass
from kiosk.passes.base45 import b45encode
from kiosk.passes.claims import cwt_from_claims
from kiosk.passes.testing import T0, fixed_issuer_key, kp1, make_dsc, sample_claims, sample_dcc
from kiosk.passes.transport import decode_text
from kiosk.passes.trust import trusted_certificate

KEY = fixed_issuer_key()
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _okp(private: bool) -> OKPKey:
    x = KEY.private_key.public_key().public_bytes(*RAW)
    if not private:
        return OKPKey(crv=Ed25519, x=x)
    d = KEY.private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return OKPKey(crv=Ed25519, x=x, d=d)


def test_project_pass_verifies_with_pycose() -> None:
    _, cose = decode_text(issue_pass(KEY, sample_claims()))
    # pycose 1.1's decode() expects cbor2 < 6, which decoded a tag's content as a list and a
    # dict; cbor2 6 gives a tuple and a frozendict. So strip the one-byte tag 18 here.
    assert cose[0] == 0xD2
    message = Sign1Message.from_cose_obj(cbor2.loads(cose[1:]), True)
    message.key = _okp(private=False)
    assert message.verify_signature()
    assert message.phdr[KID] == KEY.kid
    assert cbor2.loads(message.payload)[7] == b"P-000123"


def test_pycose_pass_verifies_in_the_project() -> None:
    payload = cbor2.dumps(cwt_from_claims(sample_claims()))
    message = Sign1Message(phdr={Algorithm: EdDSA, KID: KEY.kid}, payload=payload)
    message.key = _okp(private=True)
    v = Verifier(KEY.trust_list()).verify(kp1(message.encode()), T0 + timedelta(hours=1))
    assert v.reason is Reason.OK, v.detail
    assert v.credential is not None and v.credential.claims == sample_claims()


def test_pycose_tampered_pass_is_refused_in_the_project() -> None:
    payload = cbor2.dumps(cwt_from_claims(sample_claims()))
    message = Sign1Message(phdr={Algorithm: EdDSA, KID: KEY.kid}, payload=payload)
    message.key = _okp(private=True)
    encoded = bytearray(message.encode())
    encoded[-1] ^= 1
    assert Verifier(KEY.trust_list()).verify(kp1(bytes(encoded)), T0).reason is (
        Reason.BAD_SIGNATURE
    )


def test_pycose_es256_health_certificate_verifies_in_the_project() -> None:
    dsc = make_dsc("ES256")
    expires = int((T0 + timedelta(days=30)).timestamp())
    cwt = {4: expires, 6: int(T0.timestamp()), -260: {1: sample_dcc()}}
    message = Sign1Message(phdr={Algorithm: Es256, KID: dsc.kid}, payload=cbor2.dumps(cwt))
    pem = dsc.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    message.key = CoseKey.from_pem_private_key(pem.decode("ascii"))
    text = "HC1:" + b45encode(zlib.compress(message.encode()))
    trust = TrustList((trusted_certificate(dsc.certificate),))
    v = Verifier(trust).verify(text, T0 + timedelta(hours=1))
    assert v.reason is Reason.OK, v.detail
    assert v.credential is not None and v.credential.hcert == sample_dcc()
