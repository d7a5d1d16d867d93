"""EU Digital COVID Certificates (HC1): generated cases, and the EU's public dgc-testdata.

The EU's test data is not copied into this repository. To run it, clone
eu-digital-green-certificates/dgc-testdata and point ``DGC_TESTDATA`` at the clone:
every case of the common set (``common/2DCode/raw/*.json``) then runs against the verifier.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from kiosk.exc import TrustListError
from kiosk.model import CredentialKind, Reason
from kiosk.passes import TrustList, Verifier, load_trust
from kiosk.passes.base45 import b45encode
from kiosk.passes.testing import T0, Dsc, make_dsc, make_hcert, sample_dcc, sign1_bytes
from kiosk.passes.trust import dsc_kid, trusted_certificate

DGC_DIR = Path(os.environ.get("DGC_TESTDATA", "/nonexistent"))
NO_DGC = (
    "the EU dgc-testdata cases need DGC_TESTDATA="
    "<a clone of eu-digital-green-certificates/dgc-testdata>"
)
# dgc-testdata expectation -> the reasons that fulfil "False" for it.
FAILS_AS = {
    "EXPECTEDUNPREFIX": {Reason.UNKNOWN_FORMAT},
    "EXPECTEDB45DECODE": {Reason.BAD_ENCODING},
    "EXPECTEDCOMPRESSION": {Reason.BAD_ENCODING},
    "EXPECTEDDECODE": {
        Reason.BAD_COSE,
        Reason.BAD_HEADER,
        Reason.UNKNOWN_CRITICAL,
        Reason.BAD_CLAIMS,
    },
    "EXPECTEDVERIFY": {Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY, Reason.BAD_COSE},
    "EXPECTEDKEYUSAGE": {Reason.KEY_NOT_VALID},
    # The validation clock is outside the DSC's validity too, which is checked first.
    "EXPECTEDEXPIRATIONCHECK": {Reason.EXPIRED, Reason.NOT_YET_VALID, Reason.KEY_NOT_VALID},
}
TIME_REASONS = FAILS_AS["EXPECTEDEXPIRATIONCHECK"]
# Schema validation and reading the picture are not the verifier's job.
NOT_CHECKED = {"EXPECTEDSCHEMAVALIDATION", "EXPECTEDPICTUREDECODE", "EXPECTEDVALIDOBJECT"}


def _case_files() -> list[Path]:
    return sorted(DGC_DIR.glob("common/2DCode/raw/*.json"))


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for path in _case_files():
        case = json.loads(path.read_text("utf-8"))
        failing = [k for k, v in case.get("EXPECTEDRESULTS", {}).items() if v is False]
        if "TESTCTX" in case and (not set(failing) <= NOT_CHECKED or not failing):
            cases.append((f"{path.parts[-4]}-{path.stem}", case))
    return cases


CASES = _cases()


@pytest.mark.skipif(not CASES, reason=NO_DGC)
@pytest.mark.parametrize(
    ("name", "case"), CASES or [("none", {})], ids=[n for n, _ in CASES] or ["none"]
)
def test_dgc_testdata_case(name: str, case: dict) -> None:
    context = case["TESTCTX"]
    cert = x509.load_der_x509_certificate(base64.b64decode(context["CERTIFICATE"]))
    at = datetime.fromisoformat(context["VALIDATIONCLOCK"].replace("Z", "+00:00"))
    v = Verifier(TrustList((trusted_certificate(cert),))).verify(case.get("PREFIX", ""), at)
    expected = case["EXPECTEDRESULTS"]
    failing = [k for k, ok in expected.items() if ok is False and k in FAILS_AS]
    if "EXPECTEDEXPIRATIONCHECK" not in expected and v.reason in TIME_REASONS:
        return  # the case does not ask for the time checks (dgc-testdata's README)
    if failing:
        assert v.reason in set.union(*(FAILS_AS[k] for k in failing)), v.detail
    else:
        assert v.reason is Reason.OK, v.detail
        assert v.credential is not None and v.credential.kind is CredentialKind.HCERT
        if "JSON" in case:
            assert v.credential.hcert == case["JSON"]


@pytest.mark.skipif(not CASES, reason=NO_DGC)
def test_dgc_testdata_has_both_algorithms() -> None:
    heads = [json.loads(p.read_text()).get("COSE", "")[:40].lower() for p in _case_files()]
    assert any("013824" in h for h in heads)  # PS256
    assert any("0126" in h for h in heads)  # ES256


@pytest.fixture(scope="module", params=["ES256", "PS256"])
def dsc(request: pytest.FixtureRequest):
    return make_dsc(request.param)


def _verify(dsc, text: str, at: datetime = T0):
    return Verifier(TrustList((trusted_certificate(dsc.certificate),))).verify(text, at)


def test_generated_certificate_is_valid(dsc) -> None:
    v = _verify(dsc, make_hcert(dsc))
    assert v.reason is Reason.OK, v.detail
    assert v.credential is not None and v.credential.hcert == sample_dcc()
    assert v.credential.hcert_expires_at == T0 + timedelta(days=180)
    assert v.credential.kid == dsc.kid


def test_kid_in_unprotected_header_is_accepted(dsc) -> None:
    assert _verify(dsc, make_hcert(dsc, kid_in="unprotected")).valid


def test_missing_kid_is_bad_cose(dsc) -> None:
    assert _verify(dsc, make_hcert(dsc, kid_in="none")).reason is Reason.BAD_COSE


def test_uncompressed_hc1_is_refused_as_the_spec_says(dsc) -> None:
    assert _verify(dsc, make_hcert(dsc, compress=False)).reason is Reason.BAD_ENCODING


def test_expired_certificate_is_expired(dsc) -> None:
    text = make_hcert(dsc, expires_at=T0 - timedelta(seconds=1))
    v = _verify(dsc, text)
    assert v.reason is Reason.EXPIRED and v.credential is not None


def test_certificate_issued_in_the_future_is_not_yet_valid(dsc) -> None:
    assert _verify(dsc, make_hcert(dsc, issued_at=T0 + timedelta(days=1))).reason is (
        Reason.NOT_YET_VALID
    )


def test_signer_certificate_outside_its_validity_is_key_not_valid(dsc) -> None:
    v = _verify(dsc, make_hcert(dsc), at=T0 + timedelta(days=400))
    assert v.reason is Reason.KEY_NOT_VALID


def test_another_signer_with_the_same_kid_is_bad_signature(dsc) -> None:
    other = make_dsc("ES256" if dsc.alg == -7 else "PS256")
    forged = sign1_bytes(other.key, {1: dsc.alg, 4: dsc.kid}, {4: 2_000_000_000, 6: 1})
    assert _verify(dsc, "HC1:" + b45encode(zlib.compress(forged))).reason is Reason.BAD_SIGNATURE


def test_signer_of_another_algorithm_is_bad_signature(dsc) -> None:
    other_alg = -37 if dsc.alg == -7 else -7  # the kid is right, its key is of the other type
    forged = sign1_bytes(dsc.key, {1: other_alg, 4: dsc.kid}, {4: 2_000_000_000, 6: 1})
    v = _verify(dsc, "HC1:" + b45encode(zlib.compress(forged)))
    assert v.reason is Reason.BAD_SIGNATURE and "is not a" in v.detail


def test_pass_key_does_not_verify_health_certificates(dsc) -> None:
    # A kid known only as a KP1 issuer key is not a DSC.
    assert Verifier(TrustList()).verify(make_hcert(dsc), T0).reason is Reason.UNKNOWN_KEY


def test_key_usage_limits_entry_types() -> None:
    tests_only = make_dsc(usages=["1.3.6.1.4.1.1847.2021.1.1"])
    v = _verify(tests_only, make_hcert(tests_only))
    assert v.reason is Reason.KEY_NOT_VALID and "t entries" in v.detail
    test_dcc = {**sample_dcc(), "t": [{"tg": "840539006"}]}
    del test_dcc["v"]
    assert _verify(tests_only, make_hcert(tests_only, payload=test_dcc)).valid


def test_missing_hcert_claim_is_bad_claims() -> None:
    dsc = make_dsc()
    cose = sign1_bytes(dsc.key, {1: -7, 4: dsc.kid}, {4: 2_000_000_000, 6: 1})
    assert _verify(dsc, "HC1:" + b45encode(zlib.compress(cose))).reason is Reason.BAD_CLAIMS


def test_pem_file_gives_the_spec_kid(tmp_path: Path) -> None:
    dsc = make_dsc()
    pem = tmp_path / "dsc.pem"
    pem.write_bytes(dsc.certificate.public_bytes(Encoding.PEM))
    trust = load_trust([pem])
    der = dsc.certificate.public_bytes(Encoding.DER)
    assert [k.kid for k in trust.keys] == [dsc_kid(der)]
    assert trust.keys[0].issuer == "XX"


# BasicConstraints { cA BOOLEAN DEFAULT FALSE } with the default written out: BER, not DER.
EXPLICIT_CA_FALSE = ("2.5.29.19", bytes.fromhex("3003010100"))
EMPTY_EKU = ("2.5.29.37", bytes.fromhex("3000"))  # zero identifiers: allowed by the hcert spec
TESTS_ONLY_EKU = ("2.5.29.37", bytes.fromhex("300d060b2b060104018e378f650101"))  # ...1847.2021.1.1


@pytest.mark.parametrize(
    ("extensions", "signs_vaccinations"),
    [
        ([EXPLICIT_CA_FALSE], True),
        ([EXPLICIT_CA_FALSE, EMPTY_EKU], True),
        ([EMPTY_EKU], True),
        ([EXPLICIT_CA_FALSE, TESTS_ONLY_EKU], False),  # the usage limit is still read
    ],
)
def test_signer_certificate_that_is_not_strict_der_loads_and_verifies(
    tmp_path: Path, extensions: list[tuple[str, bytes]], signs_vaccinations: bool
) -> None:
    dsc = make_dsc(raw_extensions=extensions)
    with pytest.raises(ValueError):
        dsc.certificate.extensions  # noqa: B018 -- cryptography's strict DER refuses it
    pem = tmp_path / "national.pem"
    other = make_dsc().certificate
    pem.write_bytes(dsc.certificate.public_bytes(Encoding.PEM) + other.public_bytes(Encoding.PEM))
    trust = load_trust([pem])
    assert len(trust.keys) == 2  # one odd certificate no longer loses the whole file
    der = base64.b64decode("".join(pem.read_text().split("-----")[2].split()))
    assert trust.keys[0].kid == dsc_kid(der) == dsc.kid
    verified = Verifier(trust).verify(make_hcert(dsc), T0)
    assert verified.valid is signs_vaccinations, verified


def test_signer_certificate_not_strict_der_still_needs_a_matching_signature(
    tmp_path: Path,
) -> None:
    dsc = make_dsc(raw_extensions=[EXPLICIT_CA_FALSE])
    impostor = Dsc(make_dsc().key, dsc.certificate)  # the signer's kid, another key
    pem = tmp_path / "national.pem"
    pem.write_bytes(dsc.certificate.public_bytes(Encoding.PEM))
    forged = make_hcert(impostor)
    assert Verifier(load_trust([pem])).verify(forged, T0).reason is Reason.BAD_SIGNATURE


def test_broken_pem_file_names_the_file(tmp_path: Path) -> None:
    pem = tmp_path / "bad.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(TrustListError, match=r"bad\.pem: bad PEM certificate"):
        load_trust([pem])
