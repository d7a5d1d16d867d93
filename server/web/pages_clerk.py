"""Clerk pages of one compound: overview and poster, households, residents, search.

A resident's full phone number and photo are shown only on their own page (and the photo's
URL), and every view of them is written to the audit log; lists show masked phones.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import office
from server.models import Compound, Holder, Household, Pass
from server.web import departures, directory
from server.web.access import (
    ADMINS,
    CLERKS,
    Viewer,
    by_holder,
    by_household,
    by_pass,
    require,
    web_of,
)
from server.web.audit import audit
from server.web.board import label, shown_colour
from server.web.errors import FormInvalid
from server.web.lookup import get_or_404, int_or_404
from server.web.paging import page_number, pages
from server.web.qr import qr_data_uri
from server.web.registrations import PENDING
from server.web.render import PREFIX, page
from server.web.tables import Registration
from server.web.vehicleforms import households_vehicles

router = APIRouter()
Admin = Annotated[Viewer, Depends(require(ADMINS))]
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
FlatClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_household))]
PersonClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_holder))]
PassClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_pass))]
Text = Annotated[str, Form(max_length=300)]
PHOTO_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/compounds")
def compounds(request: Request, viewer: Admin) -> object:
    with web_of(request).transaction() as s:
        rows = s.execute(
            select(Compound, func.count(Household.id))
            .outerjoin(Household, Household.compound_id == Compound.id)
            .group_by(Compound.id)
            .order_by(Compound.id)
        ).all()
    return page(request, "compounds.html", viewer, rows=rows)


@router.get("/c/{compound_id}/")
def overview(request: Request, compound_id: str, viewer: Clerk) -> object:
    with web_of(request).transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        flats = s.scalar(select(func.count()).where(Household.compound_id == compound_id))
        people = s.scalar(
            select(func.count())
            .select_from(Holder)
            .join(Household, Household.id == Holder.household_id)
            .where(Household.compound_id == compound_id, Holder.active)
        )
        pending = s.scalar(
            select(func.count()).where(
                Registration.compound_id == compound_id, Registration.status == PENDING
            )
        )
    poster = str(request.url_for("register_page", compound_id=compound_id))
    return page(
        request,
        "overview.html",
        viewer,
        compound=compound,
        flats=flats,
        people=people,
        pending=pending,
        poster_url=poster,
        poster_qr=_poster_qr(poster),
    )


def _poster_qr(link: str) -> str:
    import segno

    uri: str = segno.make_qr(link, error="m").png_data_uri(scale=6, border=4)
    return uri


@router.get("/h/{household_id}")
def household(request: Request, household_id: str, viewer: FlatClerk) -> object:
    web = web_of(request)
    with web.transaction() as s:
        flat = get_or_404(s, Household, household_id)
        compound = get_or_404(s, Compound, flat.compound_id)
        people = s.scalars(
            select(Holder).where(Holder.household_id == flat.id).order_by(Holder.id)
        ).all()
        passes = s.scalars(
            select(Pass).where(Pass.household_id == flat.id).order_by(Pass.issued_at.desc())
        ).all()
        cars = households_vehicles(s, compound, flat.id, web.now())
    return page(
        request,
        "household.html",
        viewer,
        compound=compound,
        flat=flat,
        flat_label=label(flat),
        colour=shown_colour(flat, web.now()),
        people=people,
        passes=passes,
        cars=cars,
    )


@router.get("/p/{holder_id}")
def person(request: Request, holder_id: str, viewer: PersonClerk) -> object:
    return _person_page(request, holder_id, viewer)


def _person_page(
    request: Request,
    holder_id: str,
    viewer: Viewer,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> object:
    web = web_of(request)
    with web.transaction() as s:
        holder = get_or_404(s, Holder, int_or_404(holder_id))
        flat = get_or_404(s, Household, holder.household_id)
        compound = get_or_404(s, Compound, flat.compound_id)
        passes = s.scalars(
            select(Pass).where(Pass.holder_id == holder.id).order_by(Pass.issued_at.desc())
        ).all()
        audit(s, viewer, "view_phone", f"holder {holder.id}", web.now())
    return page(
        request,
        "person.html",
        viewer,
        status=status,
        compound=compound,
        holder=holder,
        flat=flat,
        flat_label=label(flat),
        passes=passes,
        form={"name": holder.name, "phone": holder.phone, **(form or {})},
        errors=errors or {},
    )


@router.get("/p/{holder_id}/photo.jpg")
def photo(request: Request, holder_id: str, viewer: PersonClerk) -> Response:
    web = web_of(request)
    with web.transaction() as s:
        holder = get_or_404(s, Holder, int_or_404(holder_id))
        if holder.photo is None:
            return Response(status_code=404)
        audit(s, viewer, "view_photo", f"holder {holder.id}", web.now())
        return Response(holder.photo, media_type=holder.photo_type, headers=PHOTO_HEADERS)


@router.post("/p/{holder_id}/edit")
def edit(
    request: Request, holder_id: str, viewer: PersonClerk, name: Text = "", phone: Text = ""
) -> object:
    web = web_of(request)
    with web.transaction() as s:
        holder = get_or_404(s, Holder, int_or_404(holder_id))
        changed = directory.edit(s, holder, name, phone)
        if changed:
            audit(s, viewer, "edit", f"holder {holder.id}", web.now(), **changed)
    return RedirectResponse(f"{PREFIX}/p/{holder_id}", status_code=303)


@router.post("/p/{holder_id}/deactivate")
def deactivate(
    request: Request, holder_id: str, viewer: PersonClerk, reason: Text = "", confirm: Text = ""
) -> object:
    """A resident who moved out: asks why and a ticked confirmation; undone by reactivate."""
    web = web_of(request)
    now = web.now()
    try:
        with web.transaction() as s:
            holder = get_or_404(s, Holder, int_or_404(holder_id))
            revoked = departures.deactivate(s, holder, reason, confirm == "yes", now)
            target = f"holder {holder.id}"
            audit(s, viewer, "deactivate", target, now, reason=reason.strip(), passes=revoked)
    except FormInvalid as invalid:
        form = {"reason": reason}
        return _person_page(
            request, holder_id, viewer, status=422, form=form, errors=invalid.errors
        )
    return RedirectResponse(f"{PREFIX}/p/{holder_id}", status_code=303)


@router.post("/p/{holder_id}/reactivate")
def reactivate(request: Request, holder_id: str, viewer: PersonClerk) -> object:
    """Undo a deactivation (moved back, or the wrong person was deactivated)."""
    web = web_of(request)
    now = web.now()
    with web.transaction() as s:
        holder = get_or_404(s, Holder, int_or_404(holder_id))
        restored = departures.reactivate(s, holder, now)
        audit(s, viewer, "reactivate", f"holder {holder.id}", now, passes=restored)
    return RedirectResponse(f"{PREFIX}/p/{holder_id}", status_code=303)


@router.post("/p/{holder_id}/issue")
def issue(request: Request, holder_id: str, viewer: PersonClerk) -> object:
    web = web_of(request)
    with web.transaction() as s:
        holder = get_or_404(s, Holder, int_or_404(holder_id))
        if not holder.active:
            raise FormInvalid({"holder": "person.inactive"})
        row, text = office.issue_resident_pass(s, holder.id, at=web.now())
        row.qr_text = text
        audit(s, viewer, "issue", f"pass {row.pass_id}", web.now(), holder=holder.id)
    return RedirectResponse(f"{PREFIX}/p/{holder_id}", status_code=303)


@router.post("/pass/{pass_id}/revoke")
def revoke(request: Request, pass_id: str, viewer: PassClerk, reason: Text = "") -> object:
    web = web_of(request)
    with web.transaction() as s:
        row = directory.revoke(s, pass_id, reason)
        audit(s, viewer, "revoke", f"pass {pass_id}", web.now(), reason=row.revoke_reason)
    back = f"/p/{row.holder_id}" if row.holder_id else f"/h/{row.household_id}"
    return RedirectResponse(PREFIX + back, status_code=303)


@router.get("/c/{compound_id}/search")
def search(
    request: Request, compound_id: str, viewer: Clerk, q: str = "", page_no: str = ""
) -> object:
    asked = page_number(page_no)
    text = q[:100]
    with web_of(request).transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        found, total = _found(s, compound_id, text, asked)
        shown = pages(asked, total, {"q": q}, size=directory.PAGE)
    return page(
        request,
        "search.html",
        viewer,
        compound=compound,
        q=q,
        found=found,
        pages=shown,
        label=label,
    )


def _found(
    session: Session, compound_id: str, text: str, asked: int
) -> tuple[list[directory.Found], int]:
    """Page ``asked`` (past the end: the last) of the residents matching ``text``, and how many
    match in all."""
    if not text.strip():
        return [], 0
    if asked == 1:
        found, more = directory.search(session, compound_id, text)
        if not more:  # most searches find less than a page: counted without a second pass
            return found, len(found)
    total = directory.count(session, compound_id, text)
    number = pages(asked, total, size=directory.PAGE).number
    return directory.search(session, compound_id, text, number)[0], total


@router.get("/qr/{pass_id}")
def pass_qr(request: Request, pass_id: str, viewer: PassClerk) -> object:
    """A pass's QR on screen (a clerk shows it to a resident who cannot print)."""
    with web_of(request).transaction() as s:
        row = get_or_404(s, Pass, pass_id)
        compound = get_or_404(s, Compound, row.compound_id)
    qr = qr_data_uri(row.qr_text) if row.qr_text else ""
    return page(request, "pass_qr.html", viewer, compound=compound, issued=row, qr=qr)
