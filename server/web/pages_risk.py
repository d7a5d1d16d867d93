"""The city's risk list of plates: upload the city's file, see what it would change (new,
updated, expired, refused rows with reasons), then confirm. As with the households import,
the confirm form carries the checked file back and it is checked again before anything is
written, so what is imported is what the clerk previewed."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import importread, risklist
from server.invisible import without_invisible
from server.models import Compound, RiskPlateRow
from server.web import i18n
from server.web.access import CLERKS, Viewer, require, web_of
from server.web.audit import audit
from server.web.pages_gates import compound_or_404
from server.web.pages_import import SHOWN_REJECTS, Confirmed, Name
from server.web.render import language_of, page
from server.web.timefmt import local_date
from server.xlsxread import ImportFileError

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
NEWEST = 50  # plates listed under the form (the count says how many in all)


@router.get("/c/{compound_id}/risk")
def risk_page(request: Request, compound_id: str, viewer: Clerk) -> Response:
    return _page(request, viewer, compound_id)


@router.post("/c/{compound_id}/risk")
def risk_preview(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    file: Annotated[UploadFile | None, File()] = None,
    sheet: Name = "",
) -> Response:
    """Check the file (a plain def: read on a worker thread, bounded by importread's limits)."""
    if file is None or not file.filename:
        return _page(
            request,
            viewer,
            compound_id,
            status=400,
            errors={"file": _say(request, "import.no_file")},
        )
    data = file.file.read(importread.MAX_FILE_BYTES + 1)
    web = web_of(request)
    with web.transaction() as s:
        compound = compound_or_404(s, compound_id)
        try:
            found = risklist.preview(data, file.filename, compound, web.now(), sheet or None)
        except ImportFileError as error:
            return _refused(request, viewer, compound_id, error)
        plan = risklist.plan(s, compound, found)
        seen = risklist.fingerprint(s, compound, found)
    payload = base64.b64encode(data).decode("ascii")
    return _page(
        request, viewer, compound_id, found=found, plan=plan, filename=file.filename,
        payload=payload, seen=seen,
    )  # fmt: skip


@router.post("/c/{compound_id}/risk/confirm")
def risk_confirm(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    form: Confirmed,
) -> Response:
    web = web_of(request)
    now = web.now()
    filename = form.filename

    def work(s: Session) -> tuple[risklist.RiskPreview, risklist.Plan, str | None]:
        """The file's check and what importing it did, or (if the list or the day changed
        since the clerk's check, so the check shown is not what would be written) the check
        again, nothing written, and its new fingerprint."""
        compound = compound_or_404(s, compound_id)
        data = base64.b64decode(form.payload, validate=True)
        found = risklist.preview(data, filename or "upload", compound, now, form.sheet or None)
        seen = risklist.fingerprint(s, compound, found)
        if seen != form.seen:
            return found, risklist.plan(s, compound, found), seen
        done = risklist.apply(s, compound, found, source=_source(filename, compound, now), now=now)
        audit(s, viewer, "risk_import", filename[:200], now, compound_id=compound_id,
              new=done.new, updated=done.updated, expired=done.expired,
              refused=len(found.rejected))  # fmt: skip
        return found, done, None

    try:
        found, plan, changed = web.run(work)
    except (binascii.Error, ValueError):  # ImportFileError is a ValueError too
        words = _say(request, "import.expired")
        return _page(request, viewer, compound_id, status=400, errors={"file": words})
    if changed is not None:
        return _page(
            request, viewer, compound_id, status=409, found=found, plan=plan, filename=filename,
            payload=form.payload, seen=changed, changed=True,
        )  # fmt: skip
    return _page(request, viewer, compound_id, found=found, plan=plan, done=True)


def _source(filename: str, compound: Compound, now: datetime) -> str:
    """What the kiosk's guard view says the entry came from: the file and the import's day
    (a right-to-left override in the file's name would turn the guard's words around)."""
    name = without_invisible(filename)
    return f"{name[:160]} {local_date(now, compound.timezone)}"


def _say(request: Request, key: str, **values: Any) -> str:
    return i18n.translator(language_of(request))(key, **values)


def _refused(
    request: Request, viewer: Viewer, compound_id: str, error: ImportFileError
) -> Response:
    words = _say(request, error.key, **error.values)
    return _page(request, viewer, compound_id, status=400, errors={"file": words})


def _page(
    request: Request, viewer: Viewer, compound_id: str, *, status: int = 200, **more: Any
) -> Response:
    """The page: the list's size and newest plates, the upload form, and a file's check."""
    more.setdefault("found", None)
    more.setdefault("done", False)
    more.setdefault("errors", {})
    more.setdefault("changed", False)
    more.setdefault("seen", "")
    with web_of(request).transaction() as s:
        compound = compound_or_404(s, compound_id)
        where = RiskPlateRow.compound_id == compound_id
        total = s.scalar(select(func.count()).select_from(RiskPlateRow).where(where)) or 0
        newest = s.scalars(
            select(RiskPlateRow)
            .where(where)
            .order_by(RiskPlateRow.visited_on.desc(), RiskPlateRow.plate)
            .limit(NEWEST)
        ).all()
        days = risklist.window_days(compound)
    shown = more["found"].rejected[:SHOWN_REJECTS] if more["found"] is not None else []
    return page(
        request, "risk.html", viewer, status=status, compound=compound, total=total,
        newest=newest, days=days, shown=shown, **more,
    )  # fmt: skip
