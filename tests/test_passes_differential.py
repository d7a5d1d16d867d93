"""Differential test against pycose: the kiosk never accepts a credential pycose refuses.

A pass (KP1, Ed25519) or certificate (HC1, ES256) is built with its header maps mutated: a
label repeated, a label in both buckets or moved, crit in its variants, unknown labels,
common labels of the wrong type. Each is signed properly over its protected bytes, so the
signature never decides; the kiosk's verdict is compared with pycose's (decode, then
verify_signature). The kiosk is stricter than pycose (it also refuses what pycose lets through,
such as a label twice in a map, which cbor2 hides from pycose), so the property is one way.
tests/test_passes_headers.py checks each rule by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pycose.keys import CoseKey
from pycose.messages import Sign1Message

from kiosk.model import Reason
from kiosk.passes import TrustList, Verifier
from kiosk.passes.claims import cwt_from_claims
from kiosk.passes.testing import (
    T0,
    cbor_map,
    fixed_issuer_key,
    hc1,
    hcert_cwt,
    kp1,
    make_dsc,
    sample_claims,
    sign1_bytes,
)
from kiosk.passes.trust import trusted_certificate

KEY = fixed_issuer_key()
DSC = make_dsc("ES256")
VERIFIER = Verifier(KEY.trust_list() | TrustList((trusted_certificate(DSC.certificate),)))
AT = T0 + timedelta(hours=1)


class Kind:
    """One credential format: its signing key, headers, payload, text, and pycose's key."""

    def __init__(
        self, key: Any, alg: int, kid: bytes, payload: Any, text: Callable[[bytes], str]
    ) -> None:
        self.key, self.alg, self.kid, self.text = key, alg, kid, text
        self.payload = cbor2.dumps(payload)
        spki = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        pem = key.public_key().public_bytes(*spki).decode("ascii")
        self.pycose_key = CoseKey.from_pem_public_key(pem)


KP1 = Kind(KEY.private_key, -8, KEY.kid, cwt_from_claims(sample_claims()), kp1)
HC1 = Kind(DSC.key, -7, DSC.kid, hcert_cwt(issued_at=T0), hc1)

# Text labels: pycose reads a text label as the name of a registered header ("alg" is alg,
# case-insensitively), which RFC 9052 does not; names it knows are left out on purpose.
UNKNOWN_LABELS = st.sampled_from([99, 256, -65537, -70000, 7, 33, "x", "note"])
COMMON_LABELS = st.sampled_from([1, 2, 3, 4, 5, 6, 9, 10])
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**20), max_value=2**20),
    st.binary(max_size=8),
    st.text(max_size=4),
    st.floats(allow_nan=False),
    st.lists(st.integers(min_value=-8, max_value=99) | st.sampled_from(["x", b"\x01"]), max_size=3),
    st.dictionaries(st.integers(min_value=0, max_value=9), st.integers(), max_size=2),
)
CRITS = st.one_of(
    st.lists(st.sampled_from([1, 2, 3, 4, 5, 99, -70000, "x"]), max_size=3),
    VALUES,
)
Header = list[tuple[Any, Any]]


@st.composite
def mutated(draw: st.DrawFn, kind: Kind) -> tuple[Header, Header]:
    """The headers (protected, unprotected) of ``kind`` after one to four mutations."""
    buckets: tuple[Header, Header] = ([(1, kind.alg), (4, kind.kid)], [])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        operation = draw(st.sampled_from(MUTATIONS))
        event(operation.__name__)
        operation(draw, buckets)
    return buckets


def _put(draw: st.DrawFn, bucket: Header, entry: tuple[Any, Any]) -> None:
    bucket.insert(draw(st.integers(min_value=0, max_value=len(bucket))), entry)


def repeat_label(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    bucket = draw(st.sampled_from([b for b in buckets if b] or [buckets[0]]))
    if bucket:
        label, value = draw(st.sampled_from(bucket))
        _put(draw, bucket, (label, draw(st.just(value) | VALUES)))


def label_in_both(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    source = draw(st.sampled_from([0, 1]))
    if buckets[source]:
        label, value = draw(st.sampled_from(buckets[source]))
        _put(draw, buckets[1 - source], (label, draw(st.just(value) | VALUES)))


def move_label(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    protected, unprotected = buckets
    if protected:
        entry = protected.pop(draw(st.integers(min_value=0, max_value=len(protected) - 1)))
        _put(draw, unprotected, entry)


def add_crit(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    crit = draw(CRITS)
    _put(draw, buckets[draw(st.sampled_from([0, 0, 1]))], (2, crit))
    if isinstance(crit, list) and draw(st.booleans()):  # also carry what it names
        for label in crit:
            _put(draw, buckets[draw(st.sampled_from([0, 0, 1]))], (label, draw(VALUES)))


def add_unknown_label(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    _put(draw, buckets[draw(st.sampled_from([0, 1]))], (draw(UNKNOWN_LABELS), draw(VALUES)))


def add_common_label(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    _put(draw, buckets[draw(st.sampled_from([0, 1]))], (draw(COMMON_LABELS), draw(VALUES)))


def retype(draw: st.DrawFn, buckets: tuple[Header, Header]) -> None:
    protected = buckets[0]
    if protected:
        at = draw(st.integers(min_value=0, max_value=len(protected) - 1))
        protected[at] = (protected[at][0], draw(VALUES))


MUTATIONS = (
    repeat_label,
    label_in_both,
    move_label,
    add_crit,
    add_unknown_label,
    add_common_label,
    retype,
)


def pycose_accepts(cose_untagged: bytes, kind: Kind) -> bool:
    """pycose's verdict: it decodes the message and the signature verifies."""
    try:
        # from_cose_obj on the decoded array: pycose 1.1's decode() expects cbor2 < 6 (see
        # tests/test_passes_interop.py), and the tag adds nothing to what is compared.
        message = Sign1Message.from_cose_obj(cbor2.loads(cose_untagged), True)
        message.key = kind.pycose_key
        return bool(message.verify_signature())
    except Exception:  # pycose's ways of calling a message malformed are many
        return False


@pytest.mark.parametrize("kind", [KP1, HC1], ids=["KP1", "HC1"])
@settings(max_examples=400, derandomize=True, deadline=None)
@given(data=st.data())
def test_the_kiosk_never_accepts_what_pycose_refuses(kind: Kind, data: st.DataObject) -> None:
    protected, unprotected = data.draw(mutated(kind))
    raw = (cbor_map(*protected) if protected else b"", cbor_map(*unprotected))
    cose = sign1_bytes(kind.key, raw[0], kind.payload, unprotected=raw[1], tag=False)
    reason = VERIFIER.verify(kind.text(cose), AT).reason
    accepted_by_pycose = pycose_accepts(cose, kind)
    event(f"kiosk {reason}, pycose {'accepts' if accepted_by_pycose else 'refuses'}")
    if reason is Reason.OK:
        assert accepted_by_pycose, (protected, unprotected)


@pytest.mark.parametrize("kind", [KP1, HC1], ids=["KP1", "HC1"])
def test_both_accept_the_unmutated_credential(kind: Kind) -> None:
    raw = cbor_map((1, kind.alg), (4, kind.kid))
    cose = sign1_bytes(kind.key, raw, kind.payload, tag=False)
    assert VERIFIER.verify(kind.text(cose), AT).reason is Reason.OK
    assert pycose_accepts(cose, kind)
