"""Verifications per second on one core: KP1 passes and HC1 certificates (ES256, PS256).

Two figures each: "distinct" verifies a different credential every time (every signature
is checked); "repeated" verifies one credential again and again, as when the camera sees the
same code in frame after frame (the verifier remembers signature checks).

    .venv/bin/python -m bench.verify            # about 20 s
    .venv/bin/python -m bench.verify --quick    # about 2 s
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from datetime import timedelta

from kiosk.model import PassClaims
from kiosk.passes import TrustList, Verifier, issue_pass
from kiosk.passes.testing import T0, Dsc, fixed_issuer_key, make_dsc, make_hcert, sample_claims
from kiosk.passes.trust import trusted_certificate
from kiosk.passes.verify import SIGNATURE_CACHE

TARGET_PER_S = 5000  # a kiosk must never wait for the verifier
AT = T0 + timedelta(hours=1)


def rate(verifier: Verifier, texts: list[str], seconds: float) -> float:
    """Verifications per second over ``texts`` (cycled), measured for about ``seconds``."""
    assert all(verifier.verify(t, AT).valid for t in texts[:3]), "credentials must be valid"
    count, started, cycle = 0, time.perf_counter(), itertools.cycle(texts)
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(100):
            verifier.verify(next(cycle), AT)
        count += 100
    return count / elapsed


def hcert_maker(dsc: Dsc) -> Callable[[int], str]:
    return lambda n: make_hcert(dsc, issued_at=T0 - timedelta(seconds=n + 1))


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
    for name, (trust, make) in cases.items():
        # More texts than the verifier remembers, so "distinct" checks every signature.
        count = max(distinct if name.startswith("KP1") else 0, 2 * SIGNATURE_CACHE + 88)
        texts = [make(n) for n in range(count)]
        cold = rate(Verifier(trust), texts, seconds)
        warm = rate(Verifier(trust), texts[:1], seconds)
        target = f"  (target {TARGET_PER_S}/s distinct)" if name.startswith("KP1") else ""
        print(
            f"{name:12s} {len(texts[0]):4d} chars  distinct {cold:7.0f}/s  "
            f"repeated {warm:7.0f}/s{target}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
