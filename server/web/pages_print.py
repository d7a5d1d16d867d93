"""Downloads of one compound for clerks: the gate log for spreadsheets and paper passes.

Both hold names (and the sheets photos), so each is written to the audit log. Printing signs a
pass for a resident who has none, so it is a POST with the CSRF token, never a link.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.orm import Session

from server import export, sheets
from server.exc import NotFound
from server.models import Holder, Household
from server.web.access import CLERKS, Viewer, require, web_of
from server.web.audit import audit
from server.web.pages_gates import compound_or_404
from server.web.render import language_of, page
from server.web.timefmt import today

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]


def download(data: bytes, filename: str, media_type: str, *, inline: bool = False) -> Response:
    """A file reply whose Chinese name survives every browser (RFC 6266 filename*)."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = "inline" if inline else "attachment"
    header = f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": header})


@router.get("/c/{compound_id}/export")
def export_log(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
) -> Response:
    """The form; with ``from`` and ``to`` the file itself."""
    web = web_of(request)
    with web.transaction() as s:
        compound = compound_or_404(s, compound_id)
        if start is None or end is None:
            last = today(web.now(), compound.timezone)
            form = {"from": (last - timedelta(days=6)).isoformat(), "to": last.isoformat()}
            return page(request, "export.html", viewer, compound=compound, form=form)
        found = export.export_events(s, compound_id, start, end, format, language_of(request))
        audit(s, viewer, "export", f"{start}~{end}", web.now(), rows=found.rows, format=format)
    return download(found.data, found.filename, found.media_type)


@router.get("/c/{compound_id}/sheets")
def sheets_page(request: Request, compound_id: str, viewer: Clerk) -> Response:
    """Print a building from here; a household or chosen residents from the household's page."""
    with web_of(request).transaction() as s:
        compound = compound_or_404(s, compound_id)
        buildings = sheets.buildings_with_residents(s, compound_id)
    return page(request, "sheets.html", viewer, compound=compound, buildings=buildings)


HolderId = Annotated[int, Field(ge=1, lt=2**63)]  # a larger one overflowed SQLite: a 500


@router.post("/c/{compound_id}/sheets")
def print_sheets(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    household: Annotated[str, Form(max_length=200)] = "",
    building: Annotated[str, Form(max_length=40)] = "",
    holder: Annotated[list[HolderId] | None, Form()] = None,
) -> Response:
    """A4 sheets of a household, a building or chosen residents of this compound (PDF).

    Passes it had to sign (a resident's first) and the residents it left out are in the audit
    entry; when nobody can be printed, the page says who and why instead of an empty file.
    """
    web = web_of(request)
    with web.transaction() as s:
        holders, scope = _chosen(s, compound_id, household, building, holder or [])
        printing = sheets.cards_for(s, holders, web.now())
        audit(
            s,
            viewer,
            "print_passes",
            scope,
            web.now(),
            cards=len(printing.cards),
            issued=printing.issued,
            left_out=[p.holder_id for p in printing.left_out],
        )
        if not printing.cards:
            compound = compound_or_404(s, compound_id)
            buildings = sheets.buildings_with_residents(s, compound_id)
            return page(
                request,
                "sheets.html",
                viewer,
                status=409,
                compound=compound,
                buildings=buildings,
                left_out=printing.left_out,
                nothing_chosen=not holders,
            )
    data = sheets.sheet_pdf(printing.cards, printing.left_out)
    filename = sheets.sheet_filename(printing.cards, scope)
    return download(data, filename, "application/pdf", inline=True)


def _chosen(
    session: Session, compound_id: str, household: str, building: str, holder_ids: list[int]
) -> tuple[list[Holder], str]:
    """The residents to print (none when nothing was ticked), never of another compound: their
    ids 404 as unknown."""
    if household:
        row = session.get(Household, household)
        if row is None or row.compound_id != compound_id:
            raise NotFound(f"no household {household!r} in this compound")
        return sheets.household_holders(session, household), row.id
    if building:
        return sheets.building_holders(session, compound_id, building), f"{building}号楼"
    chosen = sheets.selected_holders(session, holder_ids[:600])
    for person in chosen:
        home = session.get(Household, person.household_id)
        if home is None or home.compound_id != compound_id:
            raise NotFound(f"no resident {person.id} in this compound")
    return chosen, ""
