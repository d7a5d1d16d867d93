"""The clerk's directory: finding residents by name, phone, flat or pass id; editing them and
revoking a pass (a resident who moves out: server.web.departures)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from server import office
from server.exc import AlreadyDone
from server.models import Holder, Household, Pass
from server.web.errors import FormInvalid, WebError
from server.web.registrations import PHONE, clean_phone, name_problem

PAGE = 50
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])
FLAT = re.compile(r"^\s*([^-\s]+)-([^-\s]+)-([^-\s]+)\s*$")


@dataclass(frozen=True, slots=True)
class Person:
    """What a search result shows of a resident (not the photo, which the ORM row would load)."""

    id: int
    name: str
    phone: str
    active: bool


@dataclass(frozen=True, slots=True)
class FlatRef:
    id: str
    building: str
    unit: str
    room: str


@dataclass(frozen=True, slots=True)
class Found:
    holder: Person
    flat: FlatRef


def search(
    session: Session, compound_id: str, text: str, page: int = 1
) -> tuple[list[Found], bool]:
    """Residents of a compound matching ``text``; and whether there is a next page."""
    query = _residents(
        select(
            Holder.id,
            Holder.name,
            Holder.phone,
            Holder.active,
            Household.id,
            Household.building,
            Household.unit,
            Household.room,
        ),
        compound_id,
        text,
    )
    rows = session.execute(
        query.order_by(Household.flat_order, Holder.id)  # flats in the flats list's order
        .offset((max(page, 1) - 1) * PAGE)
        .limit(PAGE + 1)
    ).all()
    found = [Found(Person(*row[:4]), FlatRef(*row[4:])) for row in rows[:PAGE]]
    return found, len(rows) > PAGE


def count(session: Session, compound_id: str, text: str) -> int:
    """How many residents of a compound match ``text`` (the pages' "of N")."""
    return session.scalar(_residents(select(func.count(Holder.id)), compound_id, text)) or 0


def _residents(query: AnySelect, compound_id: str, text: str) -> AnySelect:
    query = query.join(Household, Household.id == Holder.household_id).where(
        Household.compound_id == compound_id
    )
    text = text.strip()
    return query.where(_matches(text)) if text else query


def _matches(text: str) -> ColumnElement[bool]:
    like = f"%{_escape(text)}%"
    options: list[ColumnElement[bool]] = [Holder.name.like(like, escape="\\")]
    digits = clean_phone(text)
    if digits.isdigit() and len(digits) >= 4:
        # Anywhere in the number: clerks ask for the last four digits (尾号). The name match
        # above reads the compound's residents anyway, so this costs no extra pass.
        options.append(Holder.phone.like(f"%{digits}%"))
    flat = FLAT.match(text)
    if flat:
        building, unit, room = flat.groups()
        options.append(
            (Household.building == building) & (Household.unit == unit) & (Household.room == room)
        )
    by_pass = select(Pass.holder_id).where(Pass.pass_id == text.upper())
    options.append(Holder.id.in_(by_pass))
    return or_(*options)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_person(name: str, phone: str) -> tuple[str, str]:
    """A resident's name and phone (optional) cleaned, or FormInvalid."""
    name, phone = name.strip(), clean_phone(phone)
    errors = {}
    if name_problem(name):
        errors["name"] = name_problem(name)
    if phone and not PHONE.match(phone):
        errors["phone"] = "reg.err.phone"
    if errors:
        raise FormInvalid(errors)
    return name, phone


def edit(session: Session, holder: Holder, name: str, phone: str) -> dict[str, str]:
    """Change a resident's name and phone; returns what changed (old -> new) for the audit."""
    name, phone = check_person(name, phone)
    changed = {}
    if name != holder.name:
        changed["name"] = f"{holder.name} -> {name}"
        holder.name = name
    if phone != holder.phone:
        changed["phone"] = "changed"  # the audit says that it changed, not the number
        holder.phone = phone
    return changed


def revoke(session: Session, pass_id: str, reason: str) -> Pass:
    if not reason.strip():
        raise FormInvalid({"reason": "reg.err.reason"})
    try:
        row = office.revoke_pass(session, pass_id)
    except AlreadyDone:
        raise WebError("err.already_revoked", 409) from None
    row.revoke_reason = reason.strip()[:300]
    return row
