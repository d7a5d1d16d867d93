"""Releases and their staged rollout, for office admins (docs/updates.md).

``/admin/releases`` lists every release with its rollout; ``/c/{compound}/releases`` is the same
list with the controls for that compound: start a release at one of its kiosks, take it further,
pause, resume, or go back to the release before it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from server.models import Compound, Kiosk
from server.releases import rollout
from server.releases.views import ReleaseView, release_list
from server.web.access import ADMINS, Viewer, require, web_of
from server.web.audit import audit
from server.web.errors import PageNotFound
from server.web.pages_gates import compound_or_404
from server.web.render import PREFIX, page
from server.web.timefmt import DEFAULT_ZONE, local

router = APIRouter()
Admin = Annotated[Viewer, Depends(require(ADMINS))]
AdminOf = Annotated[Viewer, Depends(require(ADMINS, compound_from="compound_id"))]
STEPS = {
    "advance": rollout.advance,
    "pause": rollout.pause,
    "resume": rollout.resume,
    "revert": rollout.revert,
}


@router.get("/admin/releases")
def all_releases(request: Request, viewer: Admin) -> Response:
    with web_of(request).transaction() as s:
        items = [_row(r, DEFAULT_ZONE) for r in release_list(s)]
        compounds = s.scalars(select(Compound).order_by(Compound.id)).all()
    return page(request, "releases.html", viewer, items=items, compounds=compounds, compound=None)


@router.get("/c/{compound_id}/releases")
def compound_releases(request: Request, compound_id: str, viewer: AdminOf) -> Response:
    with web_of(request).transaction() as s:
        compound = compound_or_404(s, compound_id)
        items = [_row(r, compound.timezone) for r in release_list(s)]
        kiosks = s.scalars(
            select(Kiosk.device_id)
            .where(Kiosk.compound_id == compound_id, Kiosk.revoked.is_(False))
            .order_by(Kiosk.device_id)
        ).all()
    return page(request, "releases.html", viewer, items=items, compound=compound, kiosks=kiosks)


@router.post("/c/{compound_id}/releases/{version}/start")
def start(
    request: Request,
    compound_id: str,
    version: str,
    viewer: AdminOf,
    kiosk: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    web = web_of(request)
    with web.transaction() as s:
        chosen = s.get(Kiosk, kiosk)
        if chosen is None or chosen.compound_id != compound_id:
            raise PageNotFound("releases.err.kiosk")
        rollout.start(s, version, kiosk, web.now())
        audit(s, viewer, "release_start", f"release {version}", web.now(), kiosk=kiosk)
    return _back(compound_id)


@router.post("/c/{compound_id}/releases/{version}/{action}")
def step(
    request: Request, compound_id: str, version: str, action: str, viewer: AdminOf
) -> Response:
    if action not in STEPS:
        raise PageNotFound("err.not_found")
    web = web_of(request)
    with web.transaction() as s:
        compound_or_404(s, compound_id)
        STEPS[action](s, version, web.now())
        audit(s, viewer, f"release_{action}", f"release {version}", web.now())
    return _back(compound_id)


def _back(compound_id: str) -> Response:
    return RedirectResponse(f"{PREFIX}/c/{compound_id}/releases", status_code=303)


def _row(item: ReleaseView, zone: str) -> dict[str, Any]:
    """A release as the page shows it; ``actions`` are the steps its rollout allows now."""
    r = item.rollout
    return {
        "version": item.version,
        "created": local(item.created_at, zone),
        "notes": item.notes,
        "files": item.files,
        "size_kib": f"{(item.size + 1023) // 1024:,}",
        "rollout": r,
        "changed": local(r.changed_at, zone) if r else "",
        "failures": item.failures,
        "actions": _actions(r),
    }


def _actions(r: Any) -> list[str]:
    if r is None:
        return []
    if r.state == rollout.State.RUNNING.value:
        found = ["advance"] if r.stage != rollout.Stage.ALL.value else []
        return [*found, "pause", *(["revert"] if r.previous else [])]
    if r.state in (rollout.State.PAUSED.value, rollout.State.STOPPED.value):
        return ["resume", *(["revert"] if r.previous else [])]
    return []
