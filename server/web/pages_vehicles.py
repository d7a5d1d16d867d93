"""A compound's registered vehicles for the clerk: the list (search by plate), a household's
car, a service vehicle for a few days, and taking one off the registry."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import vehicles
from server.exc import Refused
from server.models import Compound, Household, VehicleRow
from server.web import i18n
from server.web.access import CLERKS, Viewer, require, web_of
from server.web.audit import audit
from server.web.errors import PageNotFound
from server.web.lookup import get_or_404
from server.web.render import PREFIX, language_of, page
from server.web.vehicleforms import plate_and_window, plate_of, plate_searched, refusal, shown

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
Text = Annotated[str, Form(max_length=300)]
# Past NOTE_MAX the page says so beside the field; past this the form is no note at all.
Note = Annotated[str, Form(max_length=4 * vehicles.NOTE_MAX)]
SHOWN = 200  # vehicles listed at once (a search by plate finds the rest)


@router.get("/c/{compound_id}/vehicles")
def vehicles_page(request: Request, compound_id: str, viewer: Clerk, plate: str = "") -> object:
    return _listing(request, viewer, compound_id, plate[:20])


def _listing(
    request: Request,
    viewer: Viewer,
    compound_id: str,
    plate: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> object:
    web = web_of(request)
    with web.transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        query = select(VehicleRow).where(VehicleRow.compound_id == compound_id)
        if plate.strip():
            query = query.where(VehicleRow.plate.contains(plate_searched(plate)))
        rows = s.scalars(query.order_by(VehicleRow.plate).limit(SHOWN)).all()
        listed = shown(s, compound, rows, web.now())
    return page(
        request,
        "vehicles.html",
        viewer,
        status=status,
        compound=compound,
        rows=listed,
        plate=plate,
        form=form or {},
        errors=errors or {},
    )


@router.post("/c/{compound_id}/vehicles/car")
def add_car(
    request: Request, compound_id: str, viewer: Clerk, car_plate: Text = "", flat: Text = ""
) -> object:
    """A household's own car, the flat written as on the flats list (3-2-501) or its id."""
    form = {"car_plate": car_plate, "flat": flat}
    web = web_of(request)
    t = i18n.translator(language_of(request))
    plate = plate_of(car_plate, t, "car_plate")
    if isinstance(plate, dict):
        return _listing(request, viewer, compound_id, "", form, plate, 422)

    def work(s: Session) -> str | None:
        home = _household(s, compound_id, flat)
        if home is None:
            return None
        row = vehicles.add_resident_car(s, home.id, plate, now=web.now(), by=viewer.user_id)
        audit(s, viewer, "add_car", f"vehicle {row.id}", web.now(), compound_id=compound_id)
        return row.plate

    try:
        added = web.run(work)
    except Refused as error:
        words = refusal(error, t, "car_plate")
        return _listing(request, viewer, compound_id, "", form, words, 422)
    if added is None:
        words = {"flat": t("vehicle.err.flat")}
        return _listing(request, viewer, compound_id, "", form, words, 422)
    return _back(compound_id, added)


def _household(s: Session, compound_id: str, flat: str) -> Household | None:
    """The compound's household by its flat (building-unit-room) or, failing that, its id."""
    text = flat.strip()
    parts = text.split("-")
    where = [Household.compound_id == compound_id]
    if len(parts) == 3:
        building, unit, room = parts
        found = s.scalars(
            select(Household).where(
                *where,
                Household.building == building,
                Household.unit == unit,
                Household.room == room,
            )
        ).first()
        if found is not None:
            return found
    return s.scalars(select(Household).where(*where, Household.id == text)).first()


@router.post("/c/{compound_id}/vehicles/service")
def add_service(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    plate: Text = "",
    first: Text = "",
    last: Text = "",
    note: Note = "",
) -> object:
    """A delivery, removals or repair vehicle let in from ``first`` to ``last``."""
    form = {"plate": plate, "first": first, "last": last, "note": note}
    web = web_of(request)
    t = i18n.translator(language_of(request))
    read = plate_and_window(plate, first, last, t)
    if isinstance(read, dict):
        return _listing(request, viewer, compound_id, "", form, read, 422)

    def work(s: Session) -> str:
        get_or_404(s, Compound, compound_id)
        row = vehicles.add_service_vehicle(
            s, compound_id, *read, note=note, now=web.now(), by=viewer.user_id
        )
        audit(s, viewer, "add_service_vehicle", f"vehicle {row.id}", web.now(),
              compound_id=compound_id, plate=row.plate)  # fmt: skip
        return row.plate

    try:
        added = web.run(work)
    except Refused as error:
        return _listing(request, viewer, compound_id, "", form, refusal(error, t), 422)
    return _back(compound_id, added)


@router.post("/c/{compound_id}/vehicles/{vehicle_id}/remove")
def remove(request: Request, compound_id: str, vehicle_id: str, viewer: Clerk) -> object:
    web = web_of(request)
    with web.transaction() as s:
        row = s.get(VehicleRow, vehicle_id)
        if row is None or row.compound_id != compound_id:
            raise PageNotFound("err.not_found")
        vehicles.remove_vehicle(s, vehicle_id)
        audit(s, viewer, "remove_vehicle", f"vehicle {vehicle_id}", web.now(),
              compound_id=compound_id, plate=row.plate)  # fmt: skip
    return RedirectResponse(f"{PREFIX}/c/{compound_id}/vehicles", status_code=303)


def _back(compound_id: str, plate: str) -> RedirectResponse:
    target = f"{PREFIX}/c/{compound_id}/vehicles?plate={quote(plate)}"
    return RedirectResponse(target, status_code=303)
