"""Self-registration: a resident asks for a pass; a clerk approves (pass issued) or rejects.

Likely duplicates are flagged for the clerk, never refused outright: two people may share a
phone, and two grandmothers in one flat may share a name. The clerk decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server import office, spellings
from server.exc import AlreadyDone, AlreadyExists
from server.invisible import has_invisible
from server.models import Holder, Household
from server.web.auth import UserRole, add_user, hash_password
from server.web.errors import FormInvalid, WebError
from server.web.passwords import WeakPassword
from server.web.tables import Registration, User

PASS_DAYS = 180
PHONE = re.compile(r"^\+?\d{6,15}$")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True, slots=True)
class Applicant:
    """What the resident typed, already cleaned; ``photo`` is the prepared JPEG."""

    building: str
    unit: str
    room: str
    name: str
    phone: str
    password: str
    photo: bytes


def clean_phone(text: str) -> str:
    """The phone as the importer keeps it (+86, spaces and dashes dropped), so the duplicate
    check sees "+86 138-0013-8000" and an imported 13800138000 as one number."""
    return spellings.phone_digits(unicodedata.normalize("NFKC", text or ""))


def name_problem(name: str) -> str:
    """The catalogue key of what is wrong with a person's name ('' when nothing): it is printed
    on passes and shown to the guard, so no line breaks or direction overrides hide in it."""
    if not name:
        return "reg.err.required"
    if len(name) > 60:
        return "reg.err.name_long"
    if has_invisible(name):
        return "reg.err.name_chars"
    return ""


def check_fields(building: str, unit: str, room: str, name: str, phone: str) -> dict[str, str]:
    """Field -> catalogue key of the problem (empty when all is well)."""
    errors = {}
    for field, value in (("building", building), ("unit", unit), ("room", room)):
        if not value.strip():
            errors[field] = "reg.err.required"
    if name_problem(name.strip()):
        errors["name"] = name_problem(name.strip())
    if not PHONE.match(clean_phone(phone)):
        errors["phone"] = "reg.err.phone"
    return errors


def find_flat(session: Session, compound_id: str, building: str, unit: str, room: str) -> Household:
    """The flat as a resident may type it: "２号楼", "1单元", "502室" find 2-1-502."""
    typed = {"building": building, "unit": unit, "room": room}
    part = {k: spellings.flat_part(k, unicodedata.normalize("NFKC", v)) for k, v in typed.items()}
    found = session.scalar(
        select(Household).where(
            Household.compound_id == compound_id,
            Household.building == part["building"],
            Household.unit == part["unit"],
            Household.room == part["room"],
        )
    )
    if found is None:
        raise FormInvalid({"room": "reg.err.no_flat"})
    return found


def submit(session: Session, compound_id: str, who: Applicant, now: datetime) -> Registration:
    """Record a registration and its resident account (user name: the phone number)."""
    flat = find_flat(session, compound_id, who.building, who.unit, who.room)
    try:
        user = _rejected_account(session, who) or add_user(
            session, who.phone, who.password, UserRole.RESIDENT, now=now, display_name=who.name
        )
    except AlreadyExists:
        raise FormInvalid({"phone": "reg.err.phone_taken"}) from None
    except WeakPassword as weak:
        raise FormInvalid({"password": weak.key}) from None
    row = Registration(
        compound_id=compound_id,
        household_id=flat.id,
        name=who.name.strip(),
        phone=who.phone,
        photo=who.photo,
        user_id=user.id,
        status=PENDING,
        created_at=now,
        reason="",
    )
    session.add(row)
    session.flush()
    return row


def _rejected_account(session: Session, who: Applicant) -> User | None:
    """The account of an earlier sign-up with this phone that was rejected: it may try again.

    Such an account has no household and no pass, so taking it over gives nothing away.
    """
    user = session.scalar(select(User).where(User.username == who.phone))
    if user is None or user.role != UserRole.RESIDENT.value or user.household_id is not None:
        return None
    statuses = session.scalars(select(Registration.status).where(Registration.user_id == user.id))
    if any(status != REJECTED for status in statuses):
        return None
    user.password_hash, user.display_name = hash_password(who.password, who.phone), who.name
    return user


def duplicate_flags(session: Session, row: Registration) -> list[str]:
    """Catalogue keys of what makes this registration look like someone already known."""
    flags = []
    same_phone = select(func.count()).where(Holder.phone == row.phone, Holder.active)
    pending_phone = select(func.count()).where(
        Registration.phone == row.phone, Registration.id != row.id, Registration.status == PENDING
    )
    if session.scalar(same_phone) or session.scalar(pending_phone):
        flags.append("dup.phone")
    same_name = select(func.count()).where(
        Holder.household_id == row.household_id, Holder.name == row.name, Holder.active
    )
    pending_name = select(func.count()).where(
        Registration.household_id == row.household_id,
        Registration.name == row.name,
        Registration.id != row.id,
        Registration.status == PENDING,
    )
    if session.scalar(same_name) or session.scalar(pending_name):
        flags.append("dup.name_flat")
    return flags


def approve(session: Session, row: Registration, clerk: str, now: datetime) -> Holder:
    """Make the resident, sign their pass, and give their account the household; once."""
    _decide(session, row, APPROVED, clerk, now)
    holder = office.add_resident(session, row.name, row.household_id, phone=row.phone)
    holder.photo, holder.photo_type = row.photo, "image/jpeg"
    session.flush()
    issued, text = office.issue_resident_pass(session, holder.id, days=PASS_DAYS, at=now)
    issued.qr_text = text
    user = session.get(User, row.user_id)
    if user is not None:
        user.holder_id, user.household_id = holder.id, row.household_id
    row.holder_id = holder.id
    row.photo = b""  # it lives on the resident now; no second copy
    return holder


def reject(session: Session, row: Registration, clerk: str, reason: str, now: datetime) -> None:
    if not reason.strip():
        raise FormInvalid({"reason": "reg.err.reason"})
    _decide(session, row, REJECTED, clerk, now, reason.strip()[:300])
    row.photo = b""  # a refused person's face is not kept


def _decide(
    session: Session, row: Registration, status: str, clerk: str, now: datetime, reason: str = ""
) -> None:
    """Move a pending registration to ``status`` with one conditional UPDATE: of two clerks (or
    six clicks) deciding at once, one does; the others are told it is already decided."""
    try:
        office.transition(
            session,
            update(Registration)
            .where(Registration.id == row.id, Registration.status == PENDING)
            .values(status=status, decided_at=now, decided_by=clerk, reason=reason),
            f"registration {row.id} was already decided",
        )
    except AlreadyDone:
        session.refresh(row)
        raise WebError(f"err.decided.{row.status}", 409) from None
