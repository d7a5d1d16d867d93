"""Logging in and out, the language switch, and the start page each role lands on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from server.web import auth, i18n
from server.web.access import (
    EVERYONE,
    SESSION_COOKIE,
    Viewer,
    public,
    require,
    secure_cookies,
    web_of,
)
from server.web.auth import UserRole
from server.web.errors import Forbidden
from server.web.render import PREFIX, page
from server.web.tables import UserCompound

router = APIRouter()
Maybe = Annotated[Viewer | None, Depends(public)]
Anyone = Annotated[Viewer, Depends(require(EVERYONE))]
Leaving = Annotated[Viewer, Depends(require(EVERYONE, password_to_change=True))]


def _safe_next(target: str | None) -> str:
    """Only a path inside this app (never another site) may follow a login."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"


@router.get("/login")
def login_page(request: Request, viewer: Maybe, next: str = "") -> object:
    return page(request, "login.html", viewer, next=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    viewer: Maybe,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> object:
    web = web_of(request)
    address = request.client.host if request.client else "?"
    now = web.now()
    try:
        with web.transaction() as s:
            user = auth.login(s, username, password, address, now)
            started = None if user is None else auth.start_session(s, user, now)
    except auth.TooManyAttempts as error:
        t = i18n.translator(_lang(request))
        if error.seconds < 120:  # the growing wait of one user name from this address
            message = t("login.wait", seconds=error.seconds)
        else:
            message = t("login.too_many", minutes=error.minutes)
        form = {"username": username}
        return page(request, "login.html", None, status=429, next=next, message=message, form=form)
    if started is None:  # the failure was committed above: it counts towards the limit
        message = i18n.translator(_lang(request))("login.wrong")
        return page(
            request,
            "login.html",
            None,
            status=401,
            next=next,
            message=message,
            form={"username": username},
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, started, secure_cookies(request))
    return response


def set_session_cookie(response: Response, started: auth.LoginResult, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
        max_age=int(started.lifetime.total_seconds()),
    )


def _lang(request: Request) -> str:
    return i18n.language(request.cookies.get(i18n.COOKIE))


@router.post("/logout")
def logout(request: Request, viewer: Leaving) -> RedirectResponse:
    web = web_of(request)
    with web.transaction() as s:
        auth.end_session(s, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "") -> RedirectResponse:
    """Choose the page language (a cookie); then back to the page the link was on."""
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        i18n.COOKIE, i18n.language(lang), samesite="lax", path="/", max_age=365 * 86400
    )
    return response


@router.get("/")
def home(request: Request, viewer: Anyone) -> RedirectResponse:
    """Each role's start page: residents their pass, staff their compound."""
    if viewer.role is UserRole.RESIDENT:
        return RedirectResponse(PREFIX + "/me", status_code=303)
    if viewer.role is UserRole.ADMIN:
        return RedirectResponse(PREFIX + "/compounds", status_code=303)
    with web_of(request).transaction() as s:
        first = s.scalar(
            select(UserCompound.compound_id)
            .where(UserCompound.user_id == viewer.user_id)
            .order_by(UserCompound.compound_id)
        )
    if first is None:
        raise Forbidden("err.no_compound")
    if viewer.role is UserRole.SUPERVISOR:
        return RedirectResponse(f"{PREFIX}/c/{first}/gates", status_code=303)
    return RedirectResponse(f"{PREFIX}/c/{first}/", status_code=303)
