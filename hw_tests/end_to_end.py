"""End-to-end check: a valid pass held up to the camera opens the gate, which closes again.

    python -m hw_tests.end_to_end [--sim] [--timeout S] [--yes]

On a device, hold up a pass signed by a key in [trust] files. In --sim a test issuer signs a
pass and the simulated person shows it; ``--fault untrusted`` shows one from an unknown
issuer, which must leave the gate shut.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drivers.qr import make_decoder
from hw_tests.harness import CheckFailed, Options, Person, wait_until
from hw_tests.rig import Rig
from kiosk.model import Verification
from kiosk.passes.issuer import IssuerKey, issue_pass
from kiosk.passes.testing import sample_claims
from kiosk.passes.trust import TrustList, load_trust
from kiosk.passes.verify import Verifier

SIM_OPEN_S = 0.2


def test_pass(rig: Rig, options: Options) -> tuple[str, TrustList]:
    """A pass valid now for this compound, and the trust list that accepts it (--sim)."""
    now = datetime.now(UTC)
    key = IssuerKey.generate("Self-test office")
    signer = IssuerKey.generate("Unknown office") if options.fault == "untrusted" else key
    claims = sample_claims(signer.issuer, compounds=(rig.config.device.compound,),
                           issued_at=now, not_before=now - timedelta(minutes=5),
                           expires_at=now + timedelta(hours=1))
    return issue_pass(signer, claims), key.trust_list()


def check(rig: Rig, person: Person, options: Options) -> str:
    """Camera -> decoder -> verifier -> relay, as the kiosk chains them."""
    camera = rig.camera()
    relay = rig.relay()
    decoder = make_decoder(rig.config.camera.decoder)
    if options.sim:
        text, trust = test_pass(rig, options)
    else:
        text, trust = "", load_trust(rig.config.trust.files)
    verifier = Verifier(trust)
    person.ask_to("hold up a valid pass for this compound",
                  lambda: rig.sim_camera.present(text))
    seen: list[Verification] = []

    def verified() -> bool:
        frame = camera.read()
        codes = decoder.decode(frame) if frame is not None else []
        seen.extend(verifier.verify(code, datetime.now(UTC)) for code in codes)
        return any(v.valid for v in seen)

    wait_until(verified, options.timeout_s, "no valid pass was read; refused: "
               + (", ".join(sorted({str(v.reason) for v in seen})) or "nothing decoded"))
    open_s = SIM_OPEN_S if options.sim else rig.config.gpio.open_s
    relay.open(open_s)
    if not relay.is_open or not person.confirm("did the gate unlock?"):
        raise CheckFailed("a valid pass was read but the gate did not open")
    wait_until(lambda: not relay.is_open, open_s + 2.0, "the gate did not lock again by itself")
    return f"valid pass read, gate open for {open_s:g} s, then locked"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("end_to_end", check))
