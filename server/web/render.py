"""Turning a template into a page: the shared Jinja2 environment and its helpers.

Autoescaping is on for every template, so names and reasons people typed are shown as text.
Templates get ``t`` (words in the viewer's language), ``lang``, ``viewer``, ``csrf`` (the form
token), ``url`` (a path under the app's prefix) and the filters ``local``, ``local_date``,
``mask_phone`` and ``mask_name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from server.web import csrf, i18n, timefmt
from server.web.access import Viewer, secure_cookies, web_of

TEMPLATES = Path(__file__).with_name("templates")
PREFIX = "/office"


def mask_phone(phone: str | None) -> str:
    """``138****5678``: enough to tell two people apart in a list, not enough to call."""
    digits = (phone or "").strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep = min(3, len(digits) - 4)
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def mask_name(name: str | None) -> str:
    """``王*华`` / ``L*** Y***``: the pass shows who it is for without spelling it out."""
    text = (name or "").strip()
    if " " in text:
        return " ".join(part[:1] + "*" * (len(part) - 1) for part in text.split())
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def url(path: str) -> str:
    return PREFIX + path


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        local=timefmt.local,
        local_date=timefmt.local_date,
        mask_phone=mask_phone,
        mask_name=mask_name,
    )
    env.globals.update(url=url, languages=i18n.LANGUAGES)
    return env


ENV = _environment()


def language_of(request: Request) -> str:
    return i18n.language(request.cookies.get(i18n.COOKIE))


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` for ``viewer``; sets the CSRF cookie the page's forms rely on."""
    lang = language_of(request)
    web = web_of(request)
    t = i18n.translator(lang)
    if "errors" in context:  # field -> catalogue key (or words already)
        words = i18n.catalogue()
        context["errors"] = {k: t(v) if v in words else v for k, v in context["errors"].items()}
    values = {
        "request": request,
        "viewer": viewer,
        "lang": lang,
        "t": t,
        "csrf": csrf.token_for(request),
        "now": web.now(),
        "errors": {},
        "form": {},
        **context,
    }
    html = ENV.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    csrf.set_cookie(request, response, secure_cookies(request))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
