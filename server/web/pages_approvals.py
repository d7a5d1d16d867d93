"""The queue of self-registrations: a clerk approves (a pass is signed) or rejects with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from server.models import Compound, Household
from server.web.access import CLERKS, Viewer, by_registration, require, web_of
from server.web.audit import audit
from server.web.board import label
from server.web.errors import FormInvalid, PageNotFound
from server.web.lookup import get_or_404, int_or_404
from server.web.paging import PARAM, page_number, page_of
from server.web.registrations import PENDING, approve, duplicate_flags, reject
from server.web.render import PREFIX, page
from server.web.tables import Registration

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
RegClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_registration))]
PHOTO_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
PageNo = Annotated[str, Form(max_length=20)]
QUEUE_PAGE = 20  # each registration is a card with a photo


@router.get("/c/{compound_id}/approvals")
def queue(request: Request, compound_id: str, viewer: Clerk, page_no: str = "") -> object:
    """Registrations waiting, oldest first, a page at a time; the title counts them all."""
    asked = page_number(page_no)
    web = web_of(request)
    with web.transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        waiting = (Registration.compound_id == compound_id, Registration.status == PENDING)
        oldest_first = (Registration.created_at, Registration.id)
        shown, rows = page_of(s, Registration, waiting, oldest_first, asked, size=QUEUE_PAGE)
        items = [
            {
                "row": row,
                "flat": label(get_or_404(s, Household, row.household_id)),
                "flags": duplicate_flags(s, row),
            }
            for row in rows
        ]
    return page(request, "approvals.html", viewer, compound=compound, items=items, pages=shown)


def _back_to_queue(compound_id: str, number: int) -> RedirectResponse:
    """The queue page the clerk decided on (the next registrations have moved up into it)."""
    query = f"?{PARAM}={number}" if number > 1 else ""
    return RedirectResponse(f"{PREFIX}/c/{compound_id}/approvals{query}", status_code=303)


@router.get("/reg/{registration_id}/photo.jpg")
def registration_photo(request: Request, registration_id: str, viewer: RegClerk) -> Response:
    web = web_of(request)
    with web.transaction() as s:
        row = get_or_404(s, Registration, int_or_404(registration_id))
        if not row.photo:  # decided: the photo moved to the resident or was dropped
            raise PageNotFound("err.not_found")
        audit(s, viewer, "view_photo", f"registration {row.id}", web.now())
        data = row.photo
    return Response(data, media_type="image/jpeg", headers=PHOTO_HEADERS)


@router.post("/reg/{registration_id}/approve")
def approve_one(
    request: Request, registration_id: str, viewer: RegClerk, page_no: PageNo = ""
) -> RedirectResponse:
    back = page_number(page_no)  # checked before anything is decided
    web = web_of(request)
    now = web.now()
    with web.transaction() as s:
        row = get_or_404(s, Registration, int_or_404(registration_id))
        holder = approve(s, row, viewer.username, now)
        audit(s, viewer, "approve", f"registration {row.id}", now, holder=holder.id)
    return _back_to_queue(row.compound_id, back)


@router.post("/reg/{registration_id}/reject")
def reject_one(
    request: Request,
    registration_id: str,
    viewer: RegClerk,
    reason: Annotated[str, Form(max_length=300)] = "",
    page_no: PageNo = "",
) -> object:
    back = page_number(page_no)
    web = web_of(request)
    now = web.now()
    with web.transaction() as s:
        row = get_or_404(s, Registration, int_or_404(registration_id))
        try:
            reject(s, row, viewer.username, reason, now)
        except FormInvalid as invalid:
            return page(
                request,
                "error.html",
                viewer,
                status=422,
                status_code=422,
                message=next(iter(invalid.errors.values())),
            )
        audit(s, viewer, "reject", f"registration {row.id}", now, reason=row.reason)
    return _back_to_queue(row.compound_id, back)
