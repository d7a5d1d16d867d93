"""COSE header rules of RFC 9052 section 3, on validly signed passes and certificates.

Every pass here carries a good signature over exactly the bytes shown, so only the header
rule under test can refuse it. Each rule is tried both ways the kiosk reads a COSE_Sign1:
tagged (the short reader of cose._plain_fields) and untagged (cbor2).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kiosk.model import Reason
from kiosk.passes import TrustList, Verifier
from kiosk.passes.claims import cwt_from_claims
from kiosk.passes.cose import _plain_fields
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
from kiosk.passes.trust import trusted_certificate

KEY = fixed_issuer_key()
DSC = make_dsc()
VERIFIER = Verifier(KEY.trust_list() | TrustList((trusted_certificate(DSC.certificate),)))
CWT = cwt_from_claims(sample_claims())
AT = T0 + timedelta(hours=1)
ALG, KID = (1, -8), (4, KEY.kid)  # the two headers a pass needs, as (label, value)


def reason(protected: bytes | dict[Any, Any], unprotected: Any = None, *, tag: bool) -> Reason:
    cose = sign1_bytes(KEY.private_key, protected, CWT, unprotected=unprotected, tag=tag)
    verification = VERIFIER.verify(kp1(cose), AT)
    return verification.reason


READERS = pytest.mark.parametrize("tag", [True, False], ids=["short reader", "cbor2"])


@READERS
def test_a_plain_pass_is_accepted_by_both_readers(tag: bool) -> None:
    assert reason(cbor_map(ALG, KID), tag=tag) is Reason.OK
    with_a_repeat = sign1_bytes(KEY.private_key, cbor_map(ALG, KID, ALG), CWT, tag=tag)
    assert (_plain_fields(with_a_repeat) is not None) is tag  # the reader the test names


# --- a label once per map ------------------------------------------------------------------


@READERS
@pytest.mark.parametrize(
    "protected",
    [
        cbor_map((1, -7), KID, ALG),  # cbor2 keeps the last alg: without the rule, EdDSA
        cbor_map(ALG, KID, ALG),
        cbor_map(ALG, KID, (99, 1), (99, 2)),
        cbor_map(ALG, KID, ("x", 1), ("x", 1)),
        cbor_map(ALG, KID, b"\x19\x00\x63\x01", (99, 2)),  # 99 written in two ways
        cbor_map(ALG, KID, b"\x7f\x61x\xff\x01", ("x", 2)),  # "x" in chunks, then plain
    ],
    ids=["alg", "alg-again", "unknown-int", "text", "int-two-ways", "text-two-ways"],
)
def test_a_label_twice_in_the_protected_header_is_refused(protected: bytes, tag: bool) -> None:
    assert reason(protected, tag=tag) is Reason.BAD_HEADER


@pytest.mark.parametrize(
    "unprotected",
    [
        cbor_map((99, 1), (99, 2)),
        cbor_map((33, b"a"), (33, b"b")),
        b"\xbf\x18\x63\x01\x18\x63\x02\xff",  # an indefinite map, 99 twice
    ],
    ids=["unknown-int", "x5chain", "indefinite-map"],
)
def test_a_label_twice_in_the_unprotected_header_is_refused(unprotected: bytes) -> None:
    assert reason(cbor_map(ALG, KID), unprotected, tag=True) is Reason.BAD_HEADER


@READERS
@pytest.mark.parametrize(
    "label", [b"\x41k", b"\xf5", b"\xf9\x3c\x00", b"\x80", b"\xc1\x01"], ids=repr
)
def test_a_label_that_is_not_an_integer_or_text_is_refused(label: bytes, tag: bool) -> None:
    assert reason(cbor_map(ALG, KID, label + b"\x01"), tag=tag) is Reason.BAD_HEADER


# --- one bucket per label ------------------------------------------------------------------


@pytest.mark.parametrize("unprotected", [{1: -8}, {1: -7}, {4: KEY.kid}, {4: b"other"}], ids=repr)
def test_a_pass_header_in_both_buckets_is_refused(unprotected: dict[int, Any]) -> None:
    assert reason({1: -8, 4: KEY.kid}, unprotected, tag=True) is Reason.BAD_HEADER


def test_a_certificate_alg_in_both_buckets_is_refused() -> None:
    text = make_hcert(DSC, issued_at=T0, unprotected={1: DSC.alg})
    assert VERIFIER.verify(text, AT).reason is Reason.BAD_HEADER


def test_a_certificate_kid_in_both_buckets_is_accepted_as_the_hcert_spec_says() -> None:
    v = VERIFIER.verify(make_hcert(DSC, issued_at=T0, kid_in="both"), AT)
    assert v.reason is Reason.OK and v.credential is not None
    assert v.credential.kid == DSC.kid  # the protected one


# --- crit ----------------------------------------------------------------------------------


@READERS
@pytest.mark.parametrize(
    ("crit", "extra", "expected"),
    [
        ([1], (), Reason.OK),  # alg is understood: naming it is allowed
        ([1, 4], (), Reason.OK),
        ([99], ((99, "x"),), Reason.UNKNOWN_CRITICAL),
        ([1, -70000], ((-70000, 0),), Reason.UNKNOWN_CRITICAL),
        (["ext"], (("ext", 1),), Reason.UNKNOWN_CRITICAL),
        ([3], ((3, 0),), Reason.UNKNOWN_CRITICAL),  # content type: read by nothing here
        ([99], (), Reason.BAD_HEADER),  # names a header that is not there
        ([], (), Reason.BAD_HEADER),
        (1, (), Reason.BAD_HEADER),
        ({1: 1}, (), Reason.BAD_HEADER),
        ([b"\x01"], (), Reason.BAD_HEADER),
        ([True], (), Reason.BAD_HEADER),
        ([1.0], (), Reason.BAD_HEADER),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_crit_is_understood_or_the_pass_is_refused(
    crit: Any, extra: tuple[tuple[Any, Any], ...], expected: Reason, tag: bool
) -> None:
    assert reason(cbor_map(ALG, (2, crit), KID, *extra), tag=tag) is expected


def test_crit_naming_an_unprotected_header_is_refused() -> None:
    assert reason(cbor_map(ALG, (2, [99]), KID), {99: "x"}, tag=True) is Reason.BAD_HEADER


def test_crit_in_the_unprotected_header_is_refused() -> None:
    assert reason(cbor_map(ALG, KID), {2: [99], 99: 1}, tag=True) is Reason.BAD_HEADER


def test_a_certificate_with_an_unknown_critical_header_is_refused() -> None:
    text = make_hcert(DSC, issued_at=T0, unprotected={2: [99]})
    assert VERIFIER.verify(text, AT).reason is Reason.BAD_HEADER


# --- types of the common headers; unknown ones ignored -------------------------------------


@READERS
@pytest.mark.parametrize(
    "extra",
    [(3, -1), (3, b"cbor"), (5, 1), (6, "iv"), (9, [b"s"]), (10, 7)],
    ids=repr,
)
def test_a_common_header_of_the_wrong_type_is_refused(extra: tuple[Any, Any], tag: bool) -> None:
    assert reason(cbor_map(ALG, KID, extra), tag=tag) is Reason.BAD_HEADER


def test_iv_and_partial_iv_together_are_refused() -> None:
    assert reason(cbor_map(ALG, KID, (5, b"i")), {6: b"p"}, tag=True) is Reason.BAD_HEADER


@READERS
@pytest.mark.parametrize(
    ("extra", "unprotected"),
    [((), {99: [1, {2: 3}]}), (((3, 61),), {}), (((-65537, b"x"),), {"note": "hi"})],
    ids=["unknown-unprotected", "content-type", "private-labels"],
)
def test_headers_the_kiosk_does_not_act_on_are_ignored(
    extra: tuple[tuple[Any, Any], ...], unprotected: dict[Any, Any], tag: bool
) -> None:
    assert reason(cbor_map(ALG, KID, *extra), unprotected, tag=tag) is Reason.OK
