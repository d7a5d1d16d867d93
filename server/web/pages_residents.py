"""A clerk adds a resident by hand (an elderly neighbour without a phone) or gives one a new
photo; the resident's pass is signed at once so it can be printed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from server import office
from server.models import Household
from server.web import photos
from server.web.access import CLERKS, Viewer, by_holder, by_household, require, web_of
from server.web.audit import audit
from server.web.directory import check_person
from server.web.errors import FormInvalid
from server.web.i18n import translator
from server.web.lookup import get_or_404, int_or_404
from server.web.render import PREFIX, language_of

router = APIRouter()
FlatClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_household))]
PersonClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_holder))]
Text = Annotated[str, Form(max_length=200)]
Photo = Annotated[UploadFile | None, File()]


def _photo(request: Request, upload: UploadFile | None, required: bool) -> bytes | None:
    data = upload.file.read(photos.MAX_UPLOAD + 1) if upload is not None else b""
    if not data and not required:
        return None
    try:
        return photos.prepare(data)
    except photos.PhotoInvalid as error:
        words = translator(language_of(request))(error.key, **error.values)
        raise FormInvalid({"photo": words}) from None


@router.post("/h/{household_id}/residents")
def add_resident(
    request: Request,
    household_id: str,
    viewer: FlatClerk,
    name: Text = "",
    phone: Text = "",
    photo: Photo = None,
) -> RedirectResponse:
    name, phone = check_person(name, phone)
    prepared = _photo(request, photo, required=False)
    web = web_of(request)
    with web.transaction() as s:
        flat = get_or_404(s, Household, household_id)
        holder = office.add_resident(s, name, flat.id, phone=phone, photo=prepared)
        issued, text = office.issue_resident_pass(s, holder.id, at=web.now())
        issued.qr_text = text
        audit(s, viewer, "add_resident", f"holder {holder.id}", web.now(), pass_id=issued.pass_id)
    return RedirectResponse(f"{PREFIX}/p/{holder.id}", status_code=303)


@router.post("/p/{holder_id}/photo")
def replace_photo(
    request: Request, holder_id: str, viewer: PersonClerk, photo: Photo = None
) -> RedirectResponse:
    prepared = _photo(request, photo, required=True)
    assert prepared is not None  # required
    web = web_of(request)
    with web.transaction() as s:
        holder = office.set_photo(s, int_or_404(holder_id), prepared)
        audit(s, viewer, "photo", f"holder {holder.id}", web.now())
    return RedirectResponse(f"{PREFIX}/p/{holder_id}", status_code=303)
