"""CSRF: a random token in an HttpOnly SameSite=Strict cookie that every form posts back.

Another site can make a browser post a form here, but it can neither read this cookie nor
guess its value, so a post whose ``csrf`` field differs from the cookie is refused.
"""

from __future__ import annotations

import secrets

from fastapi import Request
from starlette.responses import Response

from server.web.errors import CsrfFailed, WebError

COOKIE = "office_csrf"
FIELD = "csrf"
MAX_FORM_BYTES = 12 * 1024 * 1024  # a phone camera photo with room to spare
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def token_for(request: Request) -> str:
    """The token for forms on this page (a new one when the browser has none yet)."""
    existing = request.cookies.get(COOKIE, "")
    if len(existing) >= 32:
        return existing
    if not hasattr(request.state, "new_csrf"):
        request.state.new_csrf = secrets.token_urlsafe(32)
    token: str = request.state.new_csrf
    return token


def set_cookie(request: Request, response: Response, secure: bool) -> None:
    """Give the browser the token a page's forms were rendered with."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(COOKIE, new, httponly=True, samesite="strict", secure=secure, path="/")


async def check(request: Request) -> None:
    """Refuse an unsafe request whose form does not carry the cookie's token."""
    if request.method in SAFE_METHODS:
        return
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise WebError(f"the form is too large (at most {MAX_FORM_BYTES >> 20} MiB)", 413)
    try:
        form = await request.form(max_part_size=MAX_FORM_BYTES)
    except Exception as error:  # python-multipart's errors have no common base class
        raise WebError(f"the form could not be read ({error})", 400) from None
    if any(isinstance(v, str) and "\x00" in v for v in form.values()):
        raise WebError("err.nul", 400)
    sent = form.get(FIELD)
    cookie = request.cookies.get(COOKIE, "")
    if not isinstance(sent, str) or not cookie or not secrets.compare_digest(sent, cookie):
        raise CsrfFailed("err.csrf")
