"""A small, deterministic demo community: an issuer key, households and one pass per story.

Used by ``kiosk demo`` (the scripted scenario), ``kiosk sim`` (the pass buttons) and tests.
``install(office)`` writes the office's side (trust list, household colours, a revocation,
photos) the way the sync agent would. Same ``seed`` and ``now``: same keys, same passes.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import cbor2
from cryptography.hazmat.primitives.asymmetric import ed25519
from PIL import Image

from kiosk.model import PassClaims, RiskColour, Role
from kiosk.office import OfficeData
from kiosk.passes.claims import cwt_from_claims
from kiosk.passes.cose import ALG_EDDSA, HEADER_ALG, HEADER_KID, build_sign1
from kiosk.passes.issuer import IssuerKey, issue_pass
from kiosk.passes.transport import encode_kp1

__all__ = ["ISSUER", "DemoWorld", "make_world"]

ISSUER = "Demo community office"


@dataclass(frozen=True)
class DemoPass:
    label: str
    text: str
    claims: PassClaims


@dataclass(frozen=True)
class DemoWorld:
    """The demo community at time ``now``: ``passes`` by label, households by id."""

    key: IssuerKey
    now: datetime
    compound: str
    passes: dict[str, DemoPass]
    households: dict[str, tuple[RiskColour, datetime | None]]
    revoked: tuple[str, ...]

    def text(self, label: str) -> str:
        return self.passes[label].text

    def install(self, office: OfficeData) -> None:
        """Write what the office would send: trust list, colours, revocations, photos."""
        with office.transaction():
            office.set_trust_json(json.dumps(self.key.trust_list().to_json()))
            for household_id, (colour, until) in self.households.items():
                office.set_household(household_id, colour, until)
            for pass_id in self.revoked:
                office.revoke(pass_id, self.now)
            for number, demo in enumerate(self.passes.values()):
                office.put_photo(demo.claims.pass_id, _photo(number))


def _key(seed: int) -> IssuerKey:
    private = ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"kiosk demo issuer {seed}".encode()).digest()
    )
    return IssuerKey(ISSUER, private)


def make_world(
    now: datetime, *, compound: str = "demo", seed: int = 2020, key: IssuerKey | None = None
) -> DemoWorld:
    """The demo community; ``compound`` must be the kiosk's ``device.compound``.

    ``key`` is the issuer (e.g. a real office's signing key); by default one made from ``seed``.
    """
    key = key or _key(seed)
    start, end = now - timedelta(days=1), now + timedelta(days=14)

    def claims(
        pass_id: str, household: str, name: str, role: Role = Role.RESIDENT, uses: int | None = None
    ) -> PassClaims:
        return PassClaims(
            key.issuer, pass_id, start, start, end, (compound,), household, role, name, uses
        )

    stories = {
        "resident": claims("P-0101", "H-0101", "王小华"),
        "fever": claims("P-0102", "H-0102", "李建国"),
        "revoked": claims("P-0103", "H-0103", "张伟"),
        "quarantine": claims("P-0303", "H-0303", "赵敏"),
        "visitor": claims("V-0001", "H-0101", "刘洋", Role.VISITOR, uses=2),
        "empty flat": claims("P-0505", "H-0505", "孙丽"),
        "sensor": claims("P-0106", "H-0106", "陈静"),
    }
    passes = {label: DemoPass(label, issue_pass(key, c), c) for label, c in stories.items()}
    forged = claims("P-0107", "H-0101", "周强")
    passes["forged"] = DemoPass("forged", forge(key, forged, seed), forged)
    households = {
        "H-0101": (RiskColour.WHITE, None),
        "H-0102": (RiskColour.WHITE, None),
        "H-0303": (RiskColour.RED, now + timedelta(days=10)),
        "H-0505": (RiskColour.GREEN, None),
    }
    return DemoWorld(key, now, compound, passes, households, ("P-0103",))


def forge(real: IssuerKey, claims: PassClaims, seed: int = 0) -> str:
    """A pass naming ``real``'s key id but signed with another key: a bad signature."""
    impostor = _key(seed + 1)
    protected = {HEADER_ALG: ALG_EDDSA, HEADER_KID: real.kid}
    payload = cbor2.dumps(cwt_from_claims(claims))
    return encode_kp1(build_sign1(protected, payload, impostor.sign))


def _photo(number: int) -> bytes:
    """A plain coloured square standing in for a registered photo."""
    colour = ((70 + 37 * number) % 256, (140 + 53 * number) % 256, (200 + 29 * number) % 256)
    out = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(out, format="PNG")
    return out.getvalue()
