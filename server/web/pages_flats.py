"""The flats list of one compound, a page at a time, and a clerk adding a flat by hand.

A compound has thousands of flats: the database sorts them naturally (``flat_order``), counts
them once and hands over one page (server.web.paging).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.model import RiskColour
from server import office
from server.exc import AlreadyExists
from server.importer import PART, Flat, household_id
from server.models import Compound, Holder, Household
from server.web.access import CLERKS, Viewer, require, web_of
from server.web.audit import audit
from server.web.board import buildings, shown_colour
from server.web.lookup import get_or_404
from server.web.paging import PAGE_SIZE, PARAM, page_number, page_of
from server.web.render import PREFIX, page

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
Text = Annotated[str, Form(max_length=300)]


@router.get("/c/{compound_id}/flats")
def flats(
    request: Request, compound_id: str, viewer: Clerk, building: str = "", page_no: str = ""
) -> object:
    """The compound's flats in natural order (1-1-2 before 1-1-10), a page at a time."""
    return _listing(request, viewer, compound_id, building, page_number(page_no))


def _listing(
    request: Request,
    viewer: Viewer,
    compound_id: str,
    building: str,
    asked: int,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> object:
    """One page of the list; with ``errors``, the add form shows them beside its fields."""
    web = web_of(request)
    with web.transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        where = [Household.compound_id == compound_id]
        if building:
            where.append(Household.building == building)
        natural = (Household.flat_order, Household.id)
        shown, rows = page_of(s, Household, where, natural, asked, {"building": building})
        people = _residents_of(s, [row.id for row in rows])
        now = web.now()
        names = buildings(s, compound_id)
    listed = [(flat, people.get(flat.id, 0), shown_colour(flat, now)) for flat in rows]
    return page(
        request,
        "flats.html",
        viewer,
        status=status,
        compound=compound,
        rows=listed,
        building=building,
        buildings=names,
        pages=shown,
        form=form or {},
        errors=errors or {},
    )


def _residents_of(session: Session, household_ids: list[str]) -> dict[str, int]:
    """How many active residents each of these households has (those with none are absent)."""
    if not household_ids:
        return {}
    counts = session.execute(
        select(Holder.household_id, func.count())
        .where(Holder.household_id.in_(household_ids), Holder.active)
        .group_by(Holder.household_id)
    )
    return {household: count for household, count in counts}


@router.post("/c/{compound_id}/flats")
def add_flat(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    building: Text = "",
    unit: Text = "",
    room: Text = "",
) -> object:
    """A flat added by hand; the list opens on the page that shows it."""
    parts = {"building": building.strip(), "unit": unit.strip(), "room": room.strip()}
    errors = {k: _part_error(v) for k, v in parts.items() if _part_error(v)}
    if errors:
        return _listing(request, viewer, compound_id, "", 1, parts, errors, 422)
    web = web_of(request)
    flat = Flat(**parts)
    try:
        with web.transaction() as s:
            row = office.add_household(
                s, household_id(compound_id, flat), compound_id, RiskColour.WHITE
            )
            row.building, row.unit, row.room = flat.building, flat.unit, flat.room
            audit(s, viewer, "add_flat", f"household {row.id}", web.now())
            s.flush()  # fills flat_order
            shown_on = _place_of(s, row) // PAGE_SIZE + 1
    except AlreadyExists:
        return _listing(
            request, viewer, compound_id, "", 1, parts, {"room": "flats.err.exists"}, 409
        )
    target = f"{PREFIX}/c/{compound_id}/flats?{PARAM}={shown_on}#flat-{quote(row.id)}"
    return RedirectResponse(target, status_code=303)


def _part_error(text: str) -> str:
    """Why a building, unit or room cannot be used ('' if it can): the import's own rule, so a
    flat's id is safe in a link ("5/6" was not) and matches what the import writes."""
    if not text:
        return "reg.err.required"
    return "" if PART.fullmatch(text) else "flats.err.part"


def _place_of(session: Session, row: Household) -> int:
    """How many flats of its compound are listed before ``row``."""
    before = (Household.flat_order < row.flat_order) | (
        (Household.flat_order == row.flat_order) & (Household.id < row.id)
    )
    query = select(func.count()).where(Household.compound_id == row.compound_id, before)
    return session.scalar(query) or 0
