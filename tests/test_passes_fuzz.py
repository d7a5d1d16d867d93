"""Hostile input: whatever a QR code holds, the verifier answers with a reason, never raises."""

from __future__ import annotations

from datetime import timedelta

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.model import Reason
from kiosk.passes import TrustList, Verifier, issue_pass
from kiosk.passes.base45 import ALPHABET, b45decode, b45encode
from kiosk.passes.testing import (
    T0,
    fixed_issuer_key,
    kp1,
    make_dsc,
    make_hcert,
    sample_claims,
    sign1_bytes,
)
from kiosk.passes.trust import trusted_certificate

KEY = fixed_issuer_key()
DSC = make_dsc()
VERIFIER = Verifier(KEY.trust_list() | TrustList((trusted_certificate(DSC.certificate),)))
GOOD = issue_pass(KEY, sample_claims())
GOOD_HC1 = make_hcert(DSC)
AT = T0 + timedelta(hours=1)

cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.integers(), inner, max_size=4),
    max_leaves=12,
)


def _checked(text: str) -> Reason:
    v = VERIFIER.verify(text, AT)
    assert isinstance(v.reason, Reason)
    assert not v.detail.startswith("unexpected"), v.detail  # no exception reached the guard
    return v.reason


@given(st.text(max_size=600))
def test_any_text_gets_a_reason(text: str) -> None:
    _checked(text)


@given(st.binary(max_size=600), st.sampled_from(["KP1:", "HC1:"]))
def test_random_bytes_behind_a_prefix_get_a_reason(data: bytes, prefix: str) -> None:
    _checked(prefix + b45encode(data))


@given(st.text(alphabet=ALPHABET, max_size=600), st.sampled_from(["KP1:", "HC1:"]))
def test_random_base45_text_gets_a_reason(body: str, prefix: str) -> None:
    _checked(prefix + body)


@given(st.integers(min_value=0, max_value=len(GOOD) - 1))
def test_truncated_pass_is_refused(cut: int) -> None:
    assert _checked(GOOD[:cut]) is not Reason.OK


@given(st.integers(min_value=0, max_value=len(GOOD_HC1) - 1))
def test_truncated_certificate_is_refused(cut: int) -> None:
    assert _checked(GOOD_HC1[:cut]) is not Reason.OK


@given(st.data())
def test_mutated_pass_is_refused(data: st.DataObject) -> None:
    raw = bytearray(b45decode(GOOD[4:]))
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    raw[index] ^= flip
    assert _checked("KP1:" + b45encode(bytes(raw))) is not Reason.OK


@given(cbor_values)
def test_any_signed_cbor_payload_gets_a_reason(payload: object) -> None:
    cose = sign1_bytes(KEY.private_key, {1: -8, 4: KEY.kid}, cbor2.dumps(payload))
    assert _checked(kp1(cose)) in {Reason.BAD_CLAIMS}


@given(cbor_values, cbor_values)
def test_any_headers_get_a_reason(protected: object, unprotected: object) -> None:
    item = [cbor2.dumps(protected), unprotected, b"\xa0", b"sig"]
    _checked(kp1(cbor2.dumps(cbor2.CBORTag(18, item))))
    _checked(kp1(cbor2.dumps(item)))


@given(cbor_values)
@settings(max_examples=50)
def test_any_cbor_structure_gets_a_reason(item: object) -> None:
    _checked(kp1(cbor2.dumps(cbor2.CBORTag(18, item))))


def test_huge_text_is_refused_without_decoding() -> None:
    assert _checked("KP1:" + "A" * 100_000) is Reason.BAD_ENCODING


def test_deeply_nested_cbor_gets_a_reason() -> None:
    nested = b"\x81" * 5000 + b"\x00"
    assert _checked(kp1(b"\xd2" + nested, compress=True)) is Reason.BAD_COSE
