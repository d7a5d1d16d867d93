"""The queue of self-registrations: a clerk approves (a pass is signed) or rejects with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from server.models import Compound, Household
from server.web.access import CLERKS, Viewer, by_registration, require, web_of
from server.web.audit import audit
from server.web.board import label
from server.web.errors import FormInvalid, PageNotFound
from server.web.lookup import get_or_404, int_or_404
from server.web.registrations import PENDING, approve, duplicate_flags, reject
from server.web.render import PREFIX, page
from server.web.tables import Registration

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
RegClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_registration))]
PHOTO_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/c/{compound_id}/approvals")
def queue(request: Request, compound_id: str, viewer: Clerk) -> object:
    web = web_of(request)
    with web.transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        rows = s.scalars(
            select(Registration)
            .where(Registration.compound_id == compound_id, Registration.status == PENDING)
            .order_by(Registration.created_at, Registration.id)
            .limit(200)
        ).all()
        items = [
            {
                "row": row,
                "flat": label(get_or_404(s, Household, row.household_id)),
                "flags": duplicate_flags(s, row),
            }
            for row in rows
        ]
    return page(request, "approvals.html", viewer, compound=compound, items=items)


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
def approve_one(request: Request, registration_id: str, viewer: RegClerk) -> RedirectResponse:
    web = web_of(request)
    now = web.now()
    with web.transaction() as s:
        row = get_or_404(s, Registration, int_or_404(registration_id))
        holder = approve(s, row, viewer.username, now)
        audit(s, viewer, "approve", f"registration {row.id}", now, holder=holder.id)
    return RedirectResponse(f"{PREFIX}/c/{row.compound_id}/approvals", status_code=303)


@router.post("/reg/{registration_id}/reject")
def reject_one(
    request: Request,
    registration_id: str,
    viewer: RegClerk,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> object:
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
    return RedirectResponse(f"{PREFIX}/c/{row.compound_id}/approvals", status_code=303)
