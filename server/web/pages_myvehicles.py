"""A resident's cars on the phone: the household's own cars, and inviting a visitor's car for a
few days and entries (as a visitor pass is for a person). Only the viewer's own household."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from server import vehicles
from server.exc import Refused, ServerError
from server.models import Compound, Household, VehicleRow
from server.web import i18n, timefmt
from server.web.access import RESIDENTS, Viewer, require, web_of
from server.web.audit import audit
from server.web.board import QUARANTINE, shown_colour
from server.web.errors import PageNotFound
from server.web.lookup import get_or_404
from server.web.render import PREFIX, language_of, page
from server.web.vehicleforms import entries_of, households_vehicles, plate_and_window, refusal

router = APIRouter()
Resident = Annotated[Viewer, Depends(require(RESIDENTS))]
Text = Annotated[str, Form(max_length=300)]


@router.get("/me/vehicles")
def my_vehicles(request: Request, viewer: Resident) -> object:
    now = web_of(request).now()
    with web_of(request).transaction() as s:
        _, compound = _home(s, viewer)
        first = timefmt.today(now, compound.timezone).isoformat()
    return _page(request, viewer, {"first": first, "last": first, "entries": "1"})


def _page(
    request: Request,
    viewer: Viewer,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> object:
    web = web_of(request)
    t = i18n.translator(language_of(request))
    now = web.now()
    with web.transaction() as s:
        flat, compound = _home(s, viewer)
        listed = households_vehicles(s, compound, flat.id, now)
        quarantine = ""
        if shown_colour(flat, now) in QUARANTINE:
            until = timefmt.local(flat.quarantine_until, compound.timezone) or "—"
            quarantine = t("invite.quarantine", colour=t("colour." + flat.colour), until=until)
    return page(
        request,
        "my_vehicles.html",
        viewer,
        status=status,
        place=compound,
        rows=listed,
        form=form,
        errors=errors or {},
        limit=compound.visitor_entries,
        quarantine=quarantine,
    )


def _home(s: Session, viewer: Viewer) -> tuple[Household, Compound]:
    if viewer.household_id is None:
        raise ServerError("err.not_approved")
    flat = get_or_404(s, Household, viewer.household_id)
    return flat, get_or_404(s, Compound, flat.compound_id)


@router.post("/me/vehicles/invite")
def invite_car(
    request: Request,
    viewer: Resident,
    plate: Text = "",
    first: Text = "",
    last: Text = "",
    entries: Text = "",
) -> object:
    """Invite a visitor's car; a household under quarantine invites nobody."""
    form = {"plate": plate, "first": first, "last": last, "entries": entries}
    web = web_of(request)
    t = i18n.translator(language_of(request))
    now = web.now()
    read = plate_and_window(plate, first, last, t)
    count = entries_of(entries)
    if isinstance(read, dict):
        return _page(request, viewer, form, read, 422)

    def work(s: Session) -> bool:
        flat, compound = _home(s, viewer)
        if shown_colour(flat, now) in QUARANTINE:
            return False
        if count is None:
            raise vehicles.entries_refused(compound, entries.strip()[:20])
        row = vehicles.invite_car(s, flat.id, *read, entries=count, now=now, by=viewer.user_id)
        audit(s, viewer, "invite_car", f"vehicle {row.id}", now,
              compound_id=flat.compound_id, plate=row.plate)  # fmt: skip
        return True

    try:
        invited = web.run(work)
    except Refused as error:
        return _page(request, viewer, form, refusal(error, t), 422)
    if not invited:  # under quarantine: the page says so instead of the form
        return _page(request, viewer, form, {}, 403)
    return RedirectResponse(f"{PREFIX}/me/vehicles", status_code=303)


@router.post("/me/vehicles/{vehicle_id}/remove")
def remove_invitation(request: Request, vehicle_id: str, viewer: Resident) -> object:
    """A resident withdraws an invitation of the household (its own cars are the clerk's)."""
    web = web_of(request)
    with web.transaction() as s:
        row = s.get(VehicleRow, vehicle_id)
        if row is None or row.household_id != viewer.household_id or row.kind != "visitor":
            raise PageNotFound("err.not_found")
        vehicles.remove_vehicle(s, vehicle_id)
        audit(s, viewer, "remove_vehicle", f"vehicle {vehicle_id}", web.now(),
              compound_id=row.compound_id, plate=row.plate)  # fmt: skip
    return RedirectResponse(f"{PREFIX}/me/vehicles", status_code=303)
