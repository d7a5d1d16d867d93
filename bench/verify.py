"""Verifications per CPU second on one core: KP1 passes and HC1 certificates (ES256, PS256).

Two figures each: "distinct" verifies a different credential every time (every signature
is checked); "repeated" verifies one credential again and again, as when the camera sees the
same code in frame after frame (the verifier remembers signature checks).

For KP1 the same run also measures the physical limit: the raw Ed25519 check alone
(cryptography's ``Ed25519PublicKey.verify`` on the very Sig_structure bytes the verifier
checks) over the same passes, and prints full verification as a share of it (goal >= 0.8:
parsing, claims and rules may cost at most a quarter of the signature check).

    .venv/bin/python -m bench.verify            # about 25 s
    .venv/bin/python -m bench.verify --quick    # about 3 s
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.model import PassClaims
from kiosk.passes import TrustList, Verifier, issue_pass
from kiosk.passes.cose import parse_sign1, sig_structure
from kiosk.passes.testing import T0, Dsc, fixed_issuer_key, make_dsc, make_hcert, sample_claims
from kiosk.passes.transport import decode_text
from kiosk.passes.trust import trusted_certificate
from kiosk.passes.verify import SIGNATURE_CACHE

TARGET_PER_S = 5000  # a kiosk must never wait for the verifier
TARGET_RATIO = 0.8  # full verification / raw Ed25519 check
AT = T0 + timedelta(hours=1)


def rate(verifier: Verifier, texts: list[str], seconds: float) -> float:
    """Verifications per second over ``texts`` (cycled), measured for about ``seconds``."""
    assert all(verifier.verify(t, AT).valid for t in texts[:3]), "credentials must be valid"
    return _per_second(lambda text: verifier.verify(text, AT), texts, seconds)


def raw_rate(public: ed25519.Ed25519PublicKey, texts: list[str], seconds: float) -> float:
    """Raw Ed25519 checks per second on the Sig_structure of each text (parsed beforehand)."""
    signed = []
    for text in texts:
        sign1 = parse_sign1(decode_text(text)[1])
        signed.append((sign1.signature, sig_structure(sign1.protected_raw, sign1.payload)))
    return _per_second(lambda pair: public.verify(*pair), signed, seconds)


def _per_second(call: Callable[[Any], object], items: list[Any], seconds: float) -> float:
    # CPU time, not wall time: on a shared machine the wall clock also counts the moments
    # this process waited for a core, which would make the figures a lottery.
    count, started, cycle = 0, time.process_time(), itertools.cycle(items)
    while (elapsed := time.process_time() - started) < seconds:
        for _ in range(100):
            call(next(cycle))
        count += 100
    return count / elapsed


def hcert_maker(dsc: Dsc) -> Callable[[int], str]:
    return lambda n: make_hcert(dsc, issued_at=T0 - timedelta(seconds=n + 1))


def kp1_ratio(texts: list[str], trust: TrustList, seconds: float, rounds: int) -> None:
    """Full KP1 verification against the raw Ed25519 check, interleaved to share the noise."""
    public = trust.keys[0].public_key
    assert isinstance(public, ed25519.Ed25519PublicKey)
    full, raw = [], []
    for _ in range(rounds):
        full.append(rate(Verifier(trust), texts, seconds / rounds))
        raw.append(raw_rate(public, texts, seconds / rounds))
    best_full, best_raw = max(full), max(raw)
    ratio = best_full / best_raw
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"KP1 raw Ed25519 verify {best_raw:7.0f}/s   full verification {best_full:7.0f}/s   "
        f"ratio {ratio:.2f} ({verdict} the goal >= {TARGET_RATIO}; best of {rounds} rounds each)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run for a smoke test")
    quick = parser.parse_args().quick
    seconds, distinct = (0.3, 600) if quick else (3.0, 5000)
    key = fixed_issuer_key()

    def kp1(n: int) -> str:
        claims: PassClaims = sample_claims(pass_id=f"P-{n:06d}")
        return issue_pass(key, claims)

    cases: dict[str, tuple[TrustList, Callable[[int], str]]] = {
        "KP1 Ed25519": (key.trust_list(), kp1)
    }
    for alg in ("ES256", "PS256"):
        dsc = make_dsc(alg)
        cases[f"HC1 {alg}"] = (TrustList((trusted_certificate(dsc.certificate),)), hcert_maker(dsc))
    kp1_texts: list[str] = []
    for name, (trust, make) in cases.items():
        # More texts than the verifier remembers, so "distinct" checks every signature.
        count = max(distinct if name.startswith("KP1") else 0, 2 * SIGNATURE_CACHE + 88)
        texts = [make(n) for n in range(count)]
        kp1_texts = kp1_texts or texts
        cold = rate(Verifier(trust), texts, seconds)
        warm = rate(Verifier(trust), texts[:1], seconds)
        target = f"  (target {TARGET_PER_S}/s distinct)" if name.startswith("KP1") else ""
        print(
            f"{name:12s} {len(texts[0]):4d} chars  distinct {cold:7.0f}/s  "
            f"repeated {warm:7.0f}/s{target}"
        )
    kp1_ratio(kp1_texts, key.trust_list(), 2 * seconds, 3 if quick else 5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
