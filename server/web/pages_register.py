"""The poster QR's page: a resident registers in four steps on the phone and waits for a clerk.

flat (building / unit / room) -> name, phone and a password -> a photo from the phone's camera
-> check and submit. One form; office.js shows one step at a time (without JavaScript it is one
long form). The resident is logged in at once and sees "waiting for the office" until approved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from server.models import Compound
from server.web import auth, i18n, photos
from server.web.access import Viewer, public, secure_cookies, web_of
from server.web.audit import audit
from server.web.errors import FormInvalid, PageNotFound
from server.web.pages_auth import set_session_cookie
from server.web.registrations import Applicant, check_fields, clean_phone, submit
from server.web.render import PREFIX, language_of, page
from server.web.tables import User

router = APIRouter()
REGISTRATIONS_PER_HOUR = 20  # from one address: a family, or a clerk helping at the gate
Maybe = Annotated[Viewer | None, Depends(public)]
Text = Annotated[str, Form(max_length=200)]


def _compound(request: Request, compound_id: str) -> Compound:
    with web_of(request).transaction() as s:
        compound = s.get(Compound, compound_id)
    if compound is None:
        raise PageNotFound("err.not_found")
    return compound


@router.get("/r/{compound_id}")
def register_page(request: Request, compound_id: str, viewer: Maybe) -> object:
    compound = _compound(request, compound_id)
    return page(request, "register.html", viewer, poster=compound)


@router.post("/r/{compound_id}")
def register(
    request: Request,
    compound_id: str,
    viewer: Maybe,
    building: Text = "",
    unit: Text = "",
    room: Text = "",
    name: Text = "",
    phone: Text = "",
    password: Text = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> object:
    compound = _compound(request, compound_id)
    form = {"building": building, "unit": unit, "room": room, "name": name, "phone": phone}
    # Cheap checks first, the photo last: the fields, then the address's sign-up count, then
    # the upload's size; only a sign-up that passed them all has its photo decoded.
    errors = check_fields(building, unit, room, name, phone)
    if len(password) < auth.MIN_PASSWORD:
        errors["password"] = "reg.err.password"
    if errors:
        return _again(request, viewer, compound, form, errors)
    web = web_of(request)
    flood = f"register:{request.client.host if request.client else '?'}"
    try:
        with web.transaction() as s:
            auth.check_attempts(s, flood, REGISTRATIONS_PER_HOUR, timedelta(hours=1), web.now())
            auth.count_attempt(s, flood, web.now())
    except auth.TooManyAttempts as error:
        message = i18n.translator(language_of(request))("reg.too_many", minutes=error.minutes)
        return page(request, "error.html", viewer, status=429, status_code=429, message=message)
    try:
        prepared = photos.prepare(_upload(photo))
    except photos.PhotoInvalid as error:
        words = i18n.translator(language_of(request))(error.key, **error.values)
        return _again(request, viewer, compound, form, {"photo": words})
    who = Applicant(building, unit, room, name.strip(), clean_phone(phone), password, prepared)
    now = web.now()
    try:
        with web.transaction() as s:
            row = submit(s, compound_id, who, now)
            user = s.get(User, row.user_id)
            assert user is not None
            started = auth.start_session(s, user, now)
            audit(
                s,
                None,
                "register",
                f"registration {row.id}",
                now,
                compound_id=compound_id,
                household=row.household_id,
            )
    except FormInvalid as invalid:
        return _again(request, viewer, compound, form, invalid.errors)
    response = RedirectResponse(PREFIX + "/me", status_code=303)
    set_session_cookie(response, started, secure_cookies(request))
    return response


def _upload(photo: UploadFile | None) -> bytes:
    """The photo's bytes, refused unread when the spooled form says it is too large."""
    if photo is None:
        return b""
    if photo.size is not None and photo.size > photos.MAX_UPLOAD:
        raise photos.too_large()
    return photo.file.read(photos.MAX_UPLOAD + 1)


def _again(
    request: Request,
    viewer: Viewer | None,
    compound: Compound,
    form: dict[str, str],
    errors: dict[str, str],
) -> object:
    return page(
        request, "register.html", viewer, status=422, poster=compound, form=form, errors=errors
    )
