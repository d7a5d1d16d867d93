"""Visitor passes a resident invites ahead: valid on one local day, for a few entries, and
carrying the host's flat so the kiosk shows the guard "visitor of 3-2-501".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from kiosk.model import PassClaims, Role
from kiosk.passes import issue_pass
from server.exc import NotFound, ServerConfigError
from server.models import Compound, Household, Pass
from server.office import signing_key
from server.web.timefmt import end_of_day, start_of_day, today

NAME_MAX = 50
DAYS_AHEAD = 30  # an invitation may be for today or up to this many days ahead


class VisitorRefused(ServerConfigError):
    """An invitation the office does not issue (name, day or entries out of bounds)."""

    status = 400


@dataclass(frozen=True, slots=True)
class VisitorPass:
    row: Pass
    text: str  # the QR text, "KP1:..."
    host_flat: str


def host_flat(household: Household) -> str:
    """How the guard is told the host: "3-2-501", or the household id when it has no flat."""
    if household.building and household.unit and household.room:
        return f"{household.building}-{household.unit}-{household.room}"
    return household.id


def issue_visitor_pass(
    session: Session,
    household_id: str,
    visitor_name: str,
    *,
    day: date,
    entries: int,
    now: datetime,
) -> VisitorPass:
    """Sign a visitor pass for ``day`` (the compound's local day) and ``entries`` entries."""
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household {household_id!r}")
    compound = session.get(Compound, household.compound_id)
    assert compound is not None  # a foreign key
    name = " ".join(visitor_name.split())
    _check(name, day, entries, compound, now)
    key = signing_key(session)
    flat = host_flat(household)
    claims = PassClaims(
        issuer=key.issuer,
        pass_id=f"V{secrets.token_hex(6).upper()}",
        issued_at=now,
        not_before=min(now, start_of_day(day, compound.timezone)),
        expires_at=end_of_day(day, compound.timezone),
        compounds=(compound.id,),
        household_id=household.id,
        role=Role.VISITOR,
        holder_name=name,
        visitor_uses=entries,
        host_flat=flat,
    )
    text = issue_pass(key, claims)
    row = Pass(
        pass_id=claims.pass_id,
        holder_id=None,
        household_id=household.id,
        compound_id=compound.id,
        role=Role.VISITOR.value,
        kid=key.kid.hex(),
        issued_at=claims.issued_at,
        not_before=claims.not_before,
        expires_at=claims.expires_at,
        qr_text=text,
    )
    session.add(row)
    session.flush()
    return VisitorPass(row, text, flat)


def _check(name: str, day: date, entries: int, compound: Compound, now: datetime) -> None:
    if not name:
        raise VisitorRefused("the visitor's name is empty")
    if len(name) > NAME_MAX:
        raise VisitorRefused(f"the visitor's name is longer than {NAME_MAX} characters")
    first = today(now, compound.timezone)
    if not first <= day <= first + timedelta(days=DAYS_AHEAD):
        raise VisitorRefused(f"the visit must be today or within {DAYS_AHEAD} days, not {day}")
    if not 1 <= entries <= compound.visitor_entries:
        raise VisitorRefused(
            f"a visitor pass allows 1 to {compound.visitor_entries} entries, not {entries}"
        )
