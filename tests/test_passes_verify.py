"""The verifier's reason codes, one scenario per behaviour."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import cbor2
import pytest

from kiosk.model import CredentialKind, Reason, Verification
from kiosk.passes import IssuerKey, TrustList, Verifier, issue_pass
from kiosk.passes.claims import cwt_from_claims
from kiosk.passes.cose import parse_sign1, sig_structure, signature_ok
from kiosk.passes.testing import T0, fixed_issuer_key, kp1, sample_claims, sign1_bytes
from kiosk.passes.transport import decode_text

KEY = fixed_issuer_key()
TRUST = KEY.trust_list()
CWT = cwt_from_claims(sample_claims())
PROTECTED = {1: -8, 4: KEY.kid}


def verify(text: str, at=T0 + timedelta(hours=1), trust: TrustList = TRUST, **kw: Any):
    return Verifier(trust, **kw).verify(text, at)


def crafted(protected=PROTECTED, payload: Any = CWT, **kw: Any) -> str:
    return kp1(sign1_bytes(KEY.private_key, protected, payload, **kw))


def test_valid_pass_is_ok() -> None:
    v = verify(issue_pass(KEY, sample_claims()))
    assert v.valid and v.credential is not None
    assert v.credential.kind is CredentialKind.PASS


def test_untagged_and_compressed_cose_are_accepted() -> None:
    assert verify(crafted(tag=False)).valid
    untagged = sign1_bytes(KEY.private_key, PROTECTED, CWT, tag=False)
    assert verify(kp1(untagged, compress=True)).valid


def test_cwt_tag_around_cose_tag_is_accepted() -> None:
    inner = cbor2.loads(sign1_bytes(KEY.private_key, PROTECTED, CWT))
    assert verify(kp1(cbor2.dumps(cbor2.CBORTag(61, inner)))).valid


def test_text_without_prefix_is_unknown_format() -> None:
    assert verify("https://example.org/pass/1").reason is Reason.UNKNOWN_FORMAT


def test_broken_base45_is_bad_encoding() -> None:
    assert verify("KP1:abc").reason is Reason.BAD_ENCODING


def test_cbor_that_is_not_cose_is_bad_cose() -> None:
    assert verify(kp1(cbor2.dumps([1, 2, 3, 4]))).reason is Reason.BAD_COSE


def test_other_cbor_tag_is_bad_cose() -> None:
    inner = cbor2.loads(sign1_bytes(KEY.private_key, PROTECTED, CWT))
    assert verify(kp1(cbor2.dumps(cbor2.CBORTag(98, inner.value)))).reason is Reason.BAD_COSE


def test_bytes_after_the_cose_are_bad_cose() -> None:
    raw = sign1_bytes(KEY.private_key, PROTECTED, CWT) + b"\x00"
    assert verify(kp1(raw)).reason is Reason.BAD_COSE


@pytest.mark.parametrize("alg", [-7, -37, 1, "EdDSA"])
def test_wrong_algorithm_is_bad_cose(alg: Any) -> None:
    assert verify(crafted({1: alg, 4: KEY.kid})).reason is Reason.BAD_COSE


@pytest.mark.parametrize("alg", [None, b"\xf8", 1.5, [-8]])
def test_algorithm_of_wrong_type_is_bad_header(alg: Any) -> None:
    assert verify(crafted({1: alg, 4: KEY.kid})).reason is Reason.BAD_HEADER


def test_missing_kid_is_bad_cose() -> None:
    v = verify(crafted({1: -8}))
    assert v.reason is Reason.BAD_COSE and "kid" in v.detail


def test_kid_only_in_unprotected_header_is_refused_for_passes() -> None:
    v = verify(crafted({1: -8}, unprotected={4: KEY.kid}))
    assert v.reason is Reason.BAD_COSE and "protected" in v.detail


def test_kid_of_wrong_type_is_bad_header() -> None:
    assert verify(crafted({1: -8, 4: KEY.kid.hex()})).reason is Reason.BAD_HEADER


def test_unknown_kid_is_unknown_key() -> None:
    assert verify(crafted({1: -8, 4: b"12345678"})).reason is Reason.UNKNOWN_KEY


def test_pass_from_another_issuer_key_is_unknown_key() -> None:
    other = IssuerKey.generate("Office 7")
    assert verify(issue_pass(other, sample_claims())).reason is Reason.UNKNOWN_KEY


def test_forged_signature_is_bad_signature() -> None:
    forger = fixed_issuer_key(seed=9)  # its own key, but claiming the real key's kid
    text = kp1(sign1_bytes(forger.private_key, PROTECTED, CWT))
    assert verify(text).reason is Reason.BAD_SIGNATURE


def test_changed_claims_break_the_signature() -> None:
    good = cbor2.loads(sign1_bytes(KEY.private_key, PROTECTED, CWT))
    changed = {**CWT, -65539: "staff"}
    item = [good.value[0], {}, cbor2.dumps(changed), good.value[3]]
    assert verify(kp1(cbor2.dumps(cbor2.CBORTag(18, item)))).reason is Reason.BAD_SIGNATURE


def test_key_before_its_window_is_key_not_valid() -> None:
    late = replace(KEY, valid_from=T0 + timedelta(days=1))
    v = verify(issue_pass(KEY, sample_claims()), trust=late.trust_list())
    assert v.reason is Reason.KEY_NOT_VALID and KEY.kid.hex() in v.detail


def test_retired_key_is_key_not_valid() -> None:
    retired = replace(KEY, valid_until=T0)
    v = verify(issue_pass(KEY, sample_claims()), trust=retired.trust_list())
    assert v.reason is Reason.KEY_NOT_VALID


def test_old_and_new_keys_are_both_valid_during_a_switch() -> None:
    old = replace(KEY, valid_until=T0 + timedelta(days=7))
    new = replace(fixed_issuer_key(seed=8), valid_from=T0 - timedelta(days=1))
    trust = old.trust_list() | new.trust_list()
    for key in (old, new):
        assert verify(issue_pass(key, sample_claims()), trust=trust).valid
    after = T0 + timedelta(days=8)
    assert verify(issue_pass(old, sample_claims()), at=after, trust=trust).reason is (
        Reason.KEY_NOT_VALID
    )
    assert verify(issue_pass(new, sample_claims()), at=after, trust=trust).valid


@pytest.mark.parametrize(
    ("label", "value"),
    [
        (1, 7),  # iss not text
        (4, "tomorrow"),  # exp not a number
        (4, True),
        (7, "P-000123"),  # cti must be bytes
        (7, b"\xff\xfe"),  # ... of UTF-8 text
        (-65537, "C01"),  # compounds must be a list
        (-65537, []),
        (-65539, "tourist"),
        (-65539, ["resident"]),
        (-65541, 0),
        (-65541, 2.5),
        (-65540, ""),
    ],
)
def test_claim_of_wrong_type_is_bad_claims(label: int, value: Any) -> None:
    assert verify(crafted(payload={**CWT, label: value})).reason is Reason.BAD_CLAIMS


@pytest.mark.parametrize("label", [1, 4, 6, 7, -65537, -65538, -65539, -65540])
def test_missing_claim_is_bad_claims(label: int) -> None:
    cwt = {k: v for k, v in CWT.items() if k != label}
    assert verify(crafted(payload=cwt)).reason is Reason.BAD_CLAIMS


def test_payload_that_is_not_a_map_is_bad_claims() -> None:
    assert verify(crafted(payload=[1, 2])).reason is Reason.BAD_CLAIMS
    assert verify(crafted(payload=b"\xff")).reason is Reason.BAD_CLAIMS


def test_issuer_claim_must_match_the_key() -> None:
    v = verify(crafted(payload={**CWT, 1: "Office 8"}))
    assert v.reason is Reason.BAD_CLAIMS and "issuer" in v.detail


def test_expired_pass_is_expired_and_still_says_whose() -> None:
    v = verify(issue_pass(KEY, sample_claims()), at=T0 + timedelta(days=14))
    assert v.reason is Reason.EXPIRED
    assert v.credential is not None and v.credential.claims is not None
    assert v.credential.claims.holder_name == "张三"


def test_pass_before_its_start_is_not_yet_valid() -> None:
    claims = sample_claims(not_before=T0 + timedelta(days=2))
    assert verify(issue_pass(KEY, claims)).reason is Reason.NOT_YET_VALID


def test_clock_a_few_minutes_behind_still_accepts_a_new_pass() -> None:
    text = issue_pass(KEY, sample_claims())
    assert verify(text, at=T0 - timedelta(minutes=4)).valid
    assert verify(text, at=T0 - timedelta(minutes=4), leeway=timedelta(0)).reason is (
        Reason.NOT_YET_VALID
    )


def test_missing_nbf_means_valid_from_issue() -> None:
    cwt = {k: v for k, v in CWT.items() if k != 5}
    assert verify(crafted(payload=cwt)).valid


def test_pass_revoked_in_trust_list_is_revoked() -> None:
    trust = TrustList(TRUST.keys, frozenset({"P-000123"}))
    assert verify(issue_pass(KEY, sample_claims()), trust=trust).reason is Reason.REVOKED


def test_pass_revoked_by_office_data_is_revoked() -> None:
    v = verify(issue_pass(KEY, sample_claims()), revoked={"P-000123"})
    assert v.reason is Reason.REVOKED and v.credential is not None


def test_revocation_of_another_pass_does_not_matter() -> None:
    assert verify(issue_pass(KEY, sample_claims()), revoked={"P-999"}).valid


def test_naive_time_is_taken_as_utc() -> None:
    naive = (T0 + timedelta(hours=1)).replace(tzinfo=None)
    assert verify(issue_pass(KEY, sample_claims()), at=naive).valid


def test_non_text_input_is_unknown_format() -> None:
    v: Verification = Verifier(TRUST).verify(b"KP1:", T0)  # type: ignore[arg-type]
    assert v.reason is Reason.UNKNOWN_FORMAT


def test_remembered_signature_is_still_checked_for_time_and_revocation() -> None:
    revoked: set[str] = set()
    verifier = Verifier(TRUST, revoked)
    text = issue_pass(KEY, sample_claims())
    assert verifier.verify(text, T0).valid
    assert verifier.verify(text, T0 + timedelta(days=15)).reason is Reason.EXPIRED
    revoked.add("P-000123")
    assert verifier.verify(text, T0).reason is Reason.REVOKED


def test_remembered_bad_signature_stays_bad_and_memory_is_bounded() -> None:
    verifier = Verifier(TRUST)
    forged = kp1(sign1_bytes(fixed_issuer_key(seed=9).private_key, PROTECTED, CWT))
    for _ in range(2):
        assert verifier.verify(forged, T0).reason is Reason.BAD_SIGNATURE
    for n in range(300):
        verifier.verify(issue_pass(KEY, sample_claims(pass_id=f"P-{n}")), T0)
    assert len(verifier._good_keys) <= 256


def test_a_verifier_keeps_the_trust_list_it_was_made_with() -> None:
    verifier = Verifier(TRUST)
    with pytest.raises(AttributeError):
        verifier.trust = TrustList()  # type: ignore[misc]
    assert verifier.trust is TRUST
    assert verifier.verify(issue_pass(KEY, sample_claims()), T0).valid


def test_signature_check_is_chosen_by_algorithm_and_refuses_unknown_ones() -> None:
    sign1 = parse_sign1(decode_text(issue_pass(KEY, sample_claims()))[1])
    signed, public = sig_structure(sign1.protected_raw, sign1.payload), TRUST.keys[0].public_key
    assert signature_ok(-8, public, sign1.signature, signed)
    assert not signature_ok(-8, public, sign1.signature, signed + b"\x00")
    assert not signature_ok(99, public, sign1.signature, signed)
