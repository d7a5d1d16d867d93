"""Verifications per second on one core: KP1 passes and HC1 certificates (ES256, PS256).

.venv/bin/python -m bench.verify            # about 10 s
.venv/bin/python -m bench.verify --quick    # about 1 s
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from kiosk.passes import TrustList, Verifier, issue_pass
from kiosk.passes.testing import T0, fixed_issuer_key, make_dsc, make_hcert, sample_claims
from kiosk.passes.trust import trusted_certificate

TARGET_PER_S = 5000  # a kiosk must never wait for the verifier


def rate(verifier: Verifier, text: str, seconds: float) -> float:
    """Verifications per second of ``text``, measured for about ``seconds``."""
    at = T0 + timedelta(hours=1)
    assert verifier.verify(text, at).valid, "benchmark credential must be valid"
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(200):
            verifier.verify(text, at)
        count += 200
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run for a smoke test")
    seconds = 0.25 if parser.parse_args().quick else 3.0
    key = fixed_issuer_key()
    cases = {"KP1 (Ed25519)": (key.trust_list(), issue_pass(key, sample_claims()))}
    for alg in ("ES256", "PS256"):
        dsc = make_dsc(alg)
        cases[f"HC1 ({alg})"] = (
            TrustList((trusted_certificate(dsc.certificate),)),
            make_hcert(dsc),
        )
    for name, (trust, text) in cases.items():
        per_s = rate(Verifier(trust), text, seconds)
        mark = "" if not name.startswith("KP1") else f" (target {TARGET_PER_S}/s)"
        print(f"{name:15s} {len(text):5d} chars  {per_s:9.0f} verifications/s{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
