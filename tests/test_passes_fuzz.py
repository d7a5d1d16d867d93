"""Hostile input: whatever a QR code holds, the verifier answers with a reason, never raises."""

from __future__ import annotations

from datetime import timedelta

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.exc import PassError
from kiosk.model import Reason
from kiosk.passes import TrustList, Verifier, issue_pass
from kiosk.passes.base45 import ALPHABET, b45decode, b45encode
from kiosk.passes.cbor_scan import check_labels, skip_item
from kiosk.passes.cose import (
    _decoded_fields,
    _plain_fields,
    expected_header,
    loads_strict,
    parse_sign1,
)
from kiosk.passes.testing import (
    T0,
    cbor_map,
    fixed_issuer_key,
    kp1,
    make_dsc,
    make_hcert,
    sample_claims,
    sign1_bytes,
)
from kiosk.passes.transport import decode_text
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


def _bstr(content: bytes, head: str) -> bytes:
    """A CBOR byte string with the shortest head, or a longer one (still valid CBOR)."""
    size = len(content)
    if head == "1 byte" and size < 0x100:
        return bytes((0x58, size)) + content
    if head == "2 bytes" and size < 0x10000:
        return b"\x59" + size.to_bytes(2, "big") + content
    if head == "4 bytes":  # valid, but longer than any pass needs: left to the decoder
        return b"\x5a" + size.to_bytes(4, "big") + content
    return cbor2.dumps(content)


heads = st.sampled_from(["shortest", "1 byte", "2 bytes", "4 bytes"])
fields = st.tuples(st.binary(max_size=300), heads)


@given(
    fields,
    fields,
    fields,
    st.one_of(st.just(b""), st.binary(min_size=1, max_size=3)),
    st.one_of(st.just(0), st.integers(min_value=1, max_value=4)),
)
def test_plain_reading_gives_what_the_decoder_gives(
    protected, payload, signature, after: bytes, cut: int
) -> None:
    """The shortcut for plainly written COSE_Sign1 reads them as the decoder does, or not at all."""
    data = b"\xd2\x84" + _bstr(*protected) + b"\xa0" + _bstr(*payload) + _bstr(*signature)
    data = (data + after)[: len(data) + len(after) - cut]
    plain = _plain_fields(data)
    try:
        decoded = _decoded_fields(data)
    except PassError:
        assert plain is None
        return
    if plain is not None:
        assert (plain[0], dict(plain[1]), plain[2], plain[3]) == (
            decoded[0],
            dict(decoded[1]),
            decoded[2],
            decoded[3],
        )
    if not after and not cut and "4 bytes" not in (protected[1], payload[1], signature[1]):
        assert plain is not None  # the shortcut is taken where it is meant to be


@given(
    st.sampled_from([b"\x84", b"\xd8\x3d\xd2\x84", b"\xd2\x9f", b"\xd2\x85"]),
    st.sampled_from([b"\xa0", b"\xa1\x04\x41k", b"\xbf\xff"]),
)
def test_anything_else_is_left_to_the_decoder(start: bytes, unprotected: bytes) -> None:
    data = start + cbor2.dumps(b"\xa0") + unprotected + cbor2.dumps(b"") + cbor2.dumps(b"s")
    assert _plain_fields(data) is None
    assert _plain_fields(b"\xd2\x84" + cbor2.dumps(b"\xa0") + unprotected[1:] + b"@@@") is None


@given(st.data())
def test_mutated_pass_parses_the_same_either_way(data: st.DataObject) -> None:
    raw = bytearray(decode_text(GOOD)[1])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[index] ^= data.draw(st.integers(min_value=1, max_value=255))
    plain = _plain_fields(bytes(raw))
    if plain is not None:
        decoded = _decoded_fields(bytes(raw))
        assert (plain[0], plain[2], plain[3]) == (decoded[0], decoded[2], decoded[3])


def test_known_headers_are_what_their_bytes_decode_to() -> None:
    raw, header = expected_header(-8, KEY.kid)
    assert loads_strict(raw, "protected header") == dict(header)
    assert parse_sign1(decode_text(GOOD)[1]).protected_raw == raw  # what the issuer writes
    assert parse_sign1(decode_text(GOOD)[1], {raw: header}).protected == {1: -8, 4: KEY.kid}


@given(cbor_values)
def test_skipping_an_item_ends_where_the_decoder_ends(item: object) -> None:
    data = cbor2.dumps(item) + b"\x00"  # something after it, which the skip must not take
    assert skip_item(data, 0) == len(data) - 1


labels = st.integers(min_value=-300, max_value=300) | st.sampled_from(["a", "b", "ab"])


@given(st.lists(st.tuples(labels, cbor_values), max_size=12))
def test_a_header_map_is_refused_exactly_when_a_label_repeats(entries: list) -> None:
    data = cbor_map(*entries)
    try:
        check_labels(data, 0, loads_strict(data, "map"), "map")
    except PassError as error:
        assert error.reason == Reason.BAD_HEADER
        refused = True
    else:
        refused = False
    assert refused == (len({label for label, _ in entries}) < len(entries))
