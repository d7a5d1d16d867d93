"""CSRF: every form carries a token signed with the browser's session, and every post shows it.

The token is an HMAC keyed with the session cookie's secret (before log-in: with a random
pre-session cookie, HttpOnly and SameSite=Strict). Another site can make a browser post a form
here, but it can read neither cookie, so it cannot make the token; and a cookie an attacker
manages to plant does not help either, because the token is not the cookie's value but a
signature made with it. A post with no token, an empty or malformed one, or no cookie to check
it against is refused (403), the log-in and sign-up forms included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from fastapi import Request
from starlette.responses import Response

from server.web.errors import CsrfFailed, WebError

COOKIE = "office_csrf"  # the pre-session secret: signs the forms of log-in and sign-up
SESSION_COOKIE = "office_session"
FIELD = "csrf"
MAX_FORM_BYTES = 12 * 1024 * 1024  # a phone camera photo with room to spare
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MIN_SECRET = 32  # characters of a cookie worth signing with (token_urlsafe(32) gives 43)
PURPOSE = b"office-csrf/1"


def sign(secret: str) -> str:
    """The form token for a session (or pre-session) secret."""
    mac = hmac.new(secret.encode("utf-8"), PURPOSE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def secret_of(cookies: Mapping[str, str]) -> str:
    """What this browser's tokens are signed with: its session, else its pre-session cookie."""
    for name in (SESSION_COOKIE, COOKIE):
        value = cookies.get(name, "")
        if len(value) >= MIN_SECRET:
            return value
    return ""


def token_for(request: Request) -> str:
    """The token for forms on this page (a new pre-session cookie when the browser has none)."""
    secret = secret_of(request.cookies)
    if not secret:
        if not hasattr(request.state, "new_csrf"):
            request.state.new_csrf = secrets.token_urlsafe(32)
        secret = request.state.new_csrf
    return sign(secret)


def set_cookie(request: Request, response: Response, secure: bool) -> None:
    """Give the browser the pre-session secret a page's forms were signed with."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(COOKIE, new, httponly=True, samesite="strict", secure=secure, path="/")


async def check(request: Request) -> None:
    """Refuse an unsafe request whose form does not carry this browser's token."""
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
    if not valid(form.get(FIELD), request.cookies):
        raise CsrfFailed("err.csrf")


def valid(sent: object, cookies: Mapping[str, str]) -> bool:
    """Whether ``sent`` is the token of this browser's secret (never for an empty one)."""
    secret = secret_of(cookies)
    if not secret or not isinstance(sent, str) or not sent.isascii() or not sent:
        return False
    return hmac.compare_digest(sent.encode("ascii"), sign(secret).encode("ascii"))
