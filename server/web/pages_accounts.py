"""An admin's page for one staff account (disable, enable, reset the password, change the
compounds) and everyone's own page for changing their password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Compound
from server.web import accounts
from server.web.access import ADMINS, EVERYONE, SESSION_COOKIE, Viewer, require, web_of
from server.web.audit import audit
from server.web.auth import STAFF, user_compounds
from server.web.errors import FormInvalid, PageNotFound
from server.web.lookup import int_or_404
from server.web.render import PREFIX, page
from server.web.tables import User

router = APIRouter()
Admin = Annotated[Viewer, Depends(require(ADMINS))]
Anyone = Annotated[Viewer, Depends(require(EVERYONE, password_to_change=True))]
Secret = Annotated[str, Form(max_length=200)]
STAFF_ROLES = tuple(r.value for r in STAFF)


def _staff(session: Session, user_id: str) -> User:
    """A staff account by id (residents' accounts are looked after from the person page)."""
    user = session.get(User, int_or_404(user_id))
    if user is None or user.role not in STAFF_ROLES:
        raise PageNotFound("err.not_found")
    return user


def _account_page(
    request: Request, viewer: Viewer, user_id: str, status: int = 200, **extra: Any
) -> object:
    with web_of(request).transaction() as s:
        user = _staff(s, user_id)
        mine = sorted(user_compounds(s, user))
        compounds = s.scalars(select(Compound).order_by(Compound.id)).all()
    chosen = extra.pop("chosen", mine)
    extra.setdefault("temporary", "")  # only the answer to a reset shows one
    return page(
        request,
        "account.html",
        viewer,
        status=status,
        account=user,
        compounds=compounds,
        chosen=chosen,
        **extra,
    )


@router.get("/admin/users/{user_id}")
def account(request: Request, user_id: str, viewer: Admin) -> object:
    return _account_page(request, viewer, user_id)


def _back(user_id: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def disable(request: Request, user_id: str, viewer: Admin) -> object:
    return _set_active(request, user_id, viewer, False)


@router.post("/admin/users/{user_id}/enable")
def enable(request: Request, user_id: str, viewer: Admin) -> object:
    return _set_active(request, user_id, viewer, True)


def _set_active(request: Request, user_id: str, viewer: Viewer, active: bool) -> object:
    web = web_of(request)
    with web.transaction() as s:
        user = _staff(s, user_id)
        accounts.set_active(s, user, active, viewer.user_id)
        action = "enable_user" if active else "disable_user"
        audit(s, viewer, action, f"user {user.username}", web.now())
    return _back(user_id)


@router.post("/admin/users/{user_id}/reset")
def reset(request: Request, user_id: str, viewer: Admin) -> object:
    """A temporary password, shown once on this answer; the person changes it at log-in."""
    web = web_of(request)
    with web.transaction() as s:
        user = _staff(s, user_id)
        temporary = accounts.reset_password(s, user)
        audit(s, viewer, "reset_password", f"user {user.username}", web.now())
    return _account_page(request, viewer, user_id, temporary=temporary)


@router.post("/admin/users/{user_id}/compounds")
def compounds(
    request: Request,
    user_id: str,
    viewer: Admin,
    compound: Annotated[list[str] | None, Form(max_length=128)] = None,
) -> object:
    """The compounds a clerk or supervisor works for (ticked boxes); effective at once."""
    chosen = (compound or [])[:200]
    web = web_of(request)
    try:
        with web.transaction() as s:
            user = _staff(s, user_id)
            before = sorted(user_compounds(s, user))
            after = accounts.set_compounds(s, user, chosen)
            target = f"user {user.username}"
            audit(s, viewer, "compounds", target, web.now(), before=before, after=list(after))
    except FormInvalid as invalid:
        return _account_page(
            request, viewer, user_id, status=422, errors=invalid.errors, chosen=chosen
        )
    return _back(user_id)


@router.get("/account/password")
def password_page(request: Request, viewer: Anyone) -> object:
    return page(request, "password.html", viewer)


@router.post("/account/password")
def change_password(
    request: Request,
    viewer: Anyone,
    current: Secret = "",
    password: Secret = "",
    repeat: Secret = "",
) -> object:
    web = web_of(request)
    try:
        with web.transaction() as s:
            user = s.get(User, viewer.user_id)
            assert user is not None  # the session was just checked
            token = request.cookies.get(SESSION_COOKIE)
            accounts.change_password(s, user, current, password, repeat, token)
            audit(s, viewer, "change_password", f"user {user.username}", web.now())
    except FormInvalid as invalid:
        return page(request, "password.html", viewer, status=422, errors=invalid.errors)
    return RedirectResponse(PREFIX + "/", status_code=303)
