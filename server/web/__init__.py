"""The community office in a browser: server-rendered pages under /office.

``mount(app, sessions, now)`` adds the web app to the API's FastAPI app as a sub-application
with its own error pages (HTML, where the API answers JSON). Each page module holds one
``router``; the permission check of every route is its ``require(...)`` dependency
(``server.web.access``), which the role/route table test walks.
"""

from __future__ import annotations

import logging
import pkgutil
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from server.exc import ServerError
from server.web import i18n, validation
from server.web.access import Web, current_viewer
from server.web.errors import FormInvalid, LoginNeeded, PasswordChangeNeeded, WebError
from server.web.render import PREFIX, language_of, page

log = logging.getLogger(__name__)
STATIC = __path__[0] + "/static"
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def create_web_app(
    sessions: sessionmaker[Session], now: Callable[[], datetime], *, secure_cookies: bool = False
) -> FastAPI:
    """The office web app on its own (``mount`` puts it under /office)."""
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.state.web = Web(sessions, now, secure_cookies)
    _install_error_pages(web)
    for name in page_modules():
        web.include_router(import_module(name).router)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")

    @web.middleware("http")
    async def security_headers(request: Request, call_next: Callable[..., Any]) -> Response:
        if "\x00" in request.scope["path"] or "%00" in request.url.query:
            # No database stores NUL in text (PostgreSQL refuses it): say so, do not fail.
            return _error_page(request, 400, "err.nul")
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    return web


def page_modules() -> list[str]:
    """Every ``server/web/pages_*.py``: each area of the app adds its pages as one module."""
    found = pkgutil.iter_modules(__path__, prefix=__name__ + ".")
    return sorted(m.name for m in found if m.name.rsplit(".", 1)[1].startswith("pages_"))


def mount(
    app: FastAPI,
    sessions: sessionmaker[Session],
    now: Callable[[], datetime],
    *,
    secure_cookies: bool = False,
) -> None:
    """Serve the office web app at /office of ``app``; / redirects there."""
    app.mount(PREFIX, create_web_app(sessions, now, secure_cookies=secure_cookies))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=303)


FIELD_LABELS = {  # field -> catalogue key of its label, for refusals shown on a page of their own
    "name": "reg.name",
    "phone": "reg.phone",
    "photo": "reg.photo",
    "building": "reg.building",
    "unit": "reg.unit",
    "room": "reg.room",
    "reason": "colour_form.reason",
    "plate": "vehicle.plate",
    "car_plate": "vehicle.plate",
    "first": "vehicle.first",
    "last": "vehicle.last",
    "note": "vehicle.note",
    "flat": "vehicle.flat",
}


def _field_words(request: Request, errors: dict[str, str]) -> str:
    """'姓名：必填; 手机号：…' in the page's language: which field, and what is wrong with it."""
    t = i18n.translator(language_of(request))
    words = i18n.catalogue()
    colon = "：" if language_of(request) == "zh-CN" else ": "
    return "; ".join(
        (t(FIELD_LABELS[k]) + colon if k in FIELD_LABELS else "") + (t(v) if v in words else v)
        for k, v in errors.items()
    )


def _install_error_pages(web: FastAPI) -> None:
    @web.exception_handler(WebError)
    async def web_error(request: Request, error: WebError) -> Response:
        if isinstance(error, LoginNeeded) and request.method == "GET":
            target = quote(PREFIX + request.url.path.removeprefix(PREFIX), safe="/")
            return RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303)
        if isinstance(error, PasswordChangeNeeded) and request.method == "GET":
            return RedirectResponse(f"{PREFIX}/account/password", status_code=303)
        if isinstance(error, FormInvalid):  # a form without a page of its own to show it on
            return _error_page(request, error.status, _field_words(request, error.errors))
        return _error_page(request, error.status, error.message)

    @web.exception_handler(ServerError)
    async def server_error(request: Request, error: ServerError) -> Response:
        status = error.status if error.status < 500 else 400
        return _error_page(request, status, str(error), technical=True)

    @web.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        t = i18n.translator(language_of(request))
        problems = validation.refusal_words(error.errors(), FIELD_LABELS, t)
        return _error_page(request, 400, problems or t("err.v.invalid", field="?"))

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _error_page(request, error.status_code, str(error.detail), technical=True)

    @web.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error in the office web app")
        return _error_page(
            request, 500, "internal error; the office log has details", technical=True
        )


def _error_page(request: Request, status: int, message: str, technical: bool = False) -> Response:
    """The error page; a ``technical`` message (the office's own English, for its log and its
    tests) is shown on English pages, the other languages say what to do in their words."""
    lang = language_of(request)
    if technical and lang != "en":
        hint = f"err.hint.{status}"
        message = i18n.translator(lang)(hint if hint in i18n.catalogue() else "err.hint.other")
    try:
        viewer = current_viewer(request)
    except Exception:  # the database itself may be why we are here
        viewer = None
    return page(request, "error.html", viewer, status=status, status_code=status, message=message)
