"""KP1 format: base45 (RFC 9285), the transport rule, claims mapping and the test vectors."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.exc import PassError
from kiosk.model import Reason, Role
from kiosk.passes import TrustList, Verifier, issue_pass, parse_trust_json
from kiosk.passes.base45 import ALPHABET, b45decode, b45encode
from kiosk.passes.claims import claims_from_cwt, cwt_from_claims
from kiosk.passes.cose import sig_structure
from kiosk.passes.testing import T0, fixed_issuer_key, sample_claims
from kiosk.passes.transport import decode_text, encode_kp1

VECTORS = json.loads((Path(__file__).parent / "vectors" / "kp1.json").read_text("utf-8"))

# RFC 9285 section 4.3 examples, plus a two-character tail.
RFC_EXAMPLES = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("raw", "text"), RFC_EXAMPLES)
def test_base45_rfc_examples_encode_and_decode(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("GGW", "overflows 2 bytes"),  # 16 + 16*45 + 32*2025 = 65536: one over 0xFFFF
        (":::", "overflows 2 bytes"),
        ("ZZ", "overflows 1 byte"),
        ("A", "leaves one character over"),
        ("ABCD", "leaves one character over"),
        ("abc", "'a' at 0 is not a base45 character"),
        ("AB=", "'=' at 2 is not a base45 character"),
        ("汉字A", "'汉' at 0 is not a base45 character"),
    ],
)
def test_base45_rejects_invalid_text(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        b45decode(text)


def test_base45_largest_values_still_decode() -> None:
    assert b45decode("FGW") == b"\xff\xff"
    assert b45decode("U5") == b"\xff"


def _b45decode_one_group_at_a_time(text: str) -> bytes | None:
    """RFC 9285 read literally: the oracle for the decoder, which works on all groups at once."""
    if len(text) % 3 == 1 or any(ch not in ALPHABET for ch in text):
        return None
    out = bytearray()
    for at in range(0, len(text), 3):
        group = [ALPHABET.index(ch) for ch in text[at : at + 3]]
        n = sum(v * 45**i for i, v in enumerate(group))
        if n >= 256 ** (len(group) - 1):
            return None
        out += n.to_bytes(len(group) - 1, "big")
    return bytes(out)


@given(st.text(alphabet=ALPHABET + "a=", max_size=60))
def test_base45_decodes_as_the_rfc_says(text: str) -> None:
    expected = _b45decode_one_group_at_a_time(text)
    if expected is None:
        with pytest.raises(ValueError):
            b45decode(text)
    else:
        assert b45decode(text) == expected


@given(st.binary(max_size=300))
def test_base45_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize("size", [2 * 1431, 2 * 1432, 2 * 1432 + 1, 2 * 1433, 5000])
def test_base45_decodes_texts_longer_than_a_qr_code_holds(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    text = b45encode(data)
    assert b45decode(text) == data == _b45decode_one_group_at_a_time(text)


def test_base45_overflow_is_found_in_any_group() -> None:
    good = b45encode(bytes(range(40)))
    for at in range(0, len(good), 3):
        text = good[:at] + "GGW" + good[at + 3 :]
        with pytest.raises(ValueError, match=f"'GGW' at {at} overflows 2 bytes"):
            b45decode(text)


@pytest.mark.parametrize("size", [0, 1, 23, 24, 255, 256, 65535, 65536])
def test_sig_structure_is_the_cbor_array_rfc_9052_signs(size: int) -> None:
    payload, protected = bytes(range(256)) * (size // 256) + bytes(size % 256), b"\xa1\x01\x27"
    expected = cbor2.dumps(["Signature1", protected, b"", payload])
    assert sig_structure(protected, payload) == expected
    assert sig_structure(payload, protected) == cbor2.dumps(["Signature1", payload, b"", protected])


def test_claims_name_the_first_missing_claim() -> None:
    cwt = cwt_from_claims(sample_claims())
    del cwt[-65539]
    with pytest.raises(PassError, match=r"claim role \(-65539\) is missing"):
        claims_from_cwt(cwt)


@pytest.mark.parametrize("nbf", [None, "same", "later", True, 1.5])
def test_not_before_is_read_whether_or_not_it_repeats_iat(nbf: object) -> None:
    cwt = cwt_from_claims(sample_claims())
    if nbf is None:
        del cwt[5]
    elif nbf == "same":
        cwt[5] = int(cwt[6])  # a new int object, equal to iat
    elif nbf == "later":
        cwt[5] = cwt[6] + 60
    else:
        cwt[5] = nbf
    if nbf is True:  # a boolean is no NumericDate, not even when iat is the 1 it equals
        cwt[6] = 1
        with pytest.raises(PassError, match="nbf is not a NumericDate"):
            claims_from_cwt(cwt)
        return
    claims = claims_from_cwt(cwt)
    assert claims.not_before == datetime.fromtimestamp(cwt.get(5, cwt[6]), UTC)


@pytest.mark.parametrize("vector", VECTORS["passes"], ids=lambda v: v["name"])
def test_vector_is_reproduced_by_the_issuer(vector: dict) -> None:
    key = fixed_issuer_key()
    claims = sample_claims(
        **{
            k: (tuple(v) if k == "compounds" else Role(v) if k == "role" else v)
            for k, v in vector["claims"].items()
            if k not in ("issued_at", "not_before", "expires_at")
        }
    )
    assert issue_pass(key, claims) == vector["text"]
    assert decode_text(vector["text"])[1].hex() == vector["cose_hex"]


@pytest.mark.parametrize("vector", VECTORS["passes"], ids=lambda v: v["name"])
def test_vector_verifies_with_its_trust_file(vector: dict) -> None:
    verifier = Verifier(parse_trust_json(VECTORS["trust"]))
    at = datetime.fromisoformat(VECTORS["verify_at"])
    v = verifier.verify(vector["text"], at)
    assert v.reason is Reason.OK, v.detail
    assert v.credential is not None and v.credential.claims is not None
    claims = v.credential.claims
    assert claims.pass_id == vector["claims"]["pass_id"]
    assert claims.compounds == tuple(vector["claims"]["compounds"])
    assert claims.visitor_uses == vector["claims"]["visitor_uses"]
    assert claims.expires_at == datetime.fromisoformat(vector["claims"]["expires_at"])


def test_vectors_show_both_body_kinds() -> None:
    first_bytes = {decode_text(v["text"])[1][:1] for v in VECTORS["passes"]}
    assert first_bytes == {b"\xd2"}  # both decode to tagged COSE_Sign1
    raw_first = {b45decode(v["text"][4:])[0] for v in VECTORS["passes"]}
    assert raw_first == {0xD2, 0x78}  # one stored as is, one compressed


def test_round_trip_keeps_every_claim() -> None:
    key = fixed_issuer_key()
    claims = sample_claims(role=Role.VISITOR, visitor_uses=2, compounds=("C01", "C09"))
    v = Verifier(key.trust_list()).verify(issue_pass(key, claims), T0)
    assert v.credential is not None and v.credential.claims == claims
    assert v.credential.kid == key.kid
    assert claims.expires_at.tzinfo is UTC


def test_compression_is_used_only_when_shorter() -> None:
    short = bytes.fromhex(VECTORS["passes"][0]["cose_hex"])
    assert b45decode(encode_kp1(short)[4:]) == short
    repetitive = short + bytes(300)
    assert b45decode(encode_kp1(repetitive)[4:]) == zlib.compress(repetitive, 9)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", Reason.UNKNOWN_FORMAT),
        ("kp1:AAA", Reason.UNKNOWN_FORMAT),
        ("HC2:AAA", Reason.UNKNOWN_FORMAT),
        ("KP1:" + b45encode(b"\x00\x01"), Reason.BAD_ENCODING),  # neither zlib nor COSE
        ("KP1:" + b45encode(b"\x78\x9c\x00"), Reason.BAD_ENCODING),  # broken zlib
        ("KP1:" + "0" * 4300, Reason.BAD_ENCODING),  # longer than any QR code
    ],
)
def test_transport_refusals(text: str, reason: Reason) -> None:
    with pytest.raises(PassError) as caught:
        decode_text(text)
    assert caught.value.reason == reason


def test_zip_bomb_is_refused() -> None:
    bomb = zlib.compress(b"\xd2" + bytes(100_000), 9)
    with pytest.raises(PassError, match="more than"):
        decode_text("KP1:" + b45encode(bomb))


def test_claims_use_private_labels_and_bytes_cti() -> None:
    cwt = cwt_from_claims(sample_claims())
    assert cwt[7] == b"P-000123"
    assert all(label < -65536 for label in cwt if label < 0)
    assert -65541 not in cwt  # unlimited visitor uses are left out


def test_issuer_refuses_claims_a_kiosk_would_refuse() -> None:
    key = fixed_issuer_key()
    with pytest.raises(PassError, match="holder name"):
        issue_pass(key, sample_claims(holder_name="x" * 300))
    with pytest.raises(ValueError, match="issuer"):
        issue_pass(key, sample_claims(issuer="Office 8"))


def test_naive_times_are_refused_when_issuing() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue_pass(fixed_issuer_key(), sample_claims(expires_at=datetime(2020, 3, 1)))


def test_empty_trust_list_knows_no_key() -> None:
    text = VECTORS["passes"][0]["text"]
    assert Verifier(TrustList()).verify(text, T0).reason is Reason.UNKNOWN_KEY
