"""Signed passes (KP1) and EU health certificates (HC1): format, trust list, verifier, issuer.

See docs/pass-format.md. The kiosk uses ``Verifier``; the office server uses ``issuer``.
"""

from kiosk.passes.issuer import IssuerKey, issue_pass, qr_grey, write_qr_png
from kiosk.passes.trust import TrustedKey, TrustList, load_trust, parse_trust_json
from kiosk.passes.verify import Verifier

__all__ = [
    "IssuerKey",
    "TrustList",
    "TrustedKey",
    "Verifier",
    "issue_pass",
    "load_trust",
    "parse_trust_json",
    "qr_grey",
    "write_qr_png",
]
