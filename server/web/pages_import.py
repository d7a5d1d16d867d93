"""Bulk import of a compound's households and residents: upload, preview, confirm.

The preview lists every rejected row with its number and reason and changes nothing. The
confirm form carries the checked file back (base64); it is checked again before anything is
written, so what is imported is exactly what the clerk previewed, and a tampered form can do
no more than uploading another file.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from server import importer, importread
from server.models import Compound
from server.web import csrf, i18n
from server.web.access import CLERKS, Viewer, require, web_of
from server.web.audit import audit
from server.web.errors import PageNotFound
from server.web.pages_gates import compound_or_404
from server.web.render import language_of, page

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
SHOWN_REJECTS = 500  # a page lists at most this many rejected rows (the count says the rest)
NAME_MAX = 200  # characters of a file's or a sheet's name the confirm form carries back
Name = Annotated[str, Form(max_length=NAME_MAX)]


@dataclass(frozen=True, slots=True)
class Checked:
    """The confirm form: the checked file (base64), its name, the sheet that was read and, for
    the risk list, the fingerprint of what the check showed (risklist.fingerprint)."""

    payload: str
    filename: str
    sheet: str
    seen: str = ""


async def checked_form(request: Request) -> Checked:
    """The confirm form, read with the CSRF check's limit on a form (csrf.MAX_FORM_BYTES).

    Declared as Form fields, the payload would be read with the 1 MiB a field that Starlette
    allows by default: a file of more than 768 KB (a city's 20,000 plates as CSV) was checked,
    and its confirm refused with "the request is wrong"."""
    form = await request.form(max_part_size=csrf.MAX_FORM_BYTES)

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    names = (text("filename")[:NAME_MAX], text("sheet")[:NAME_MAX])
    return Checked(text("payload"), *names, seen=text("seen")[:NAME_MAX])


Confirmed = Annotated[Checked, Depends(checked_form)]


def _refused(request: Request, viewer: Viewer, compound: Compound, message: str) -> Response:
    """The upload form again, with why the file was not read beside it."""
    return page(
        request,
        "import.html",
        viewer,
        status=400,
        compound=compound,
        found=None,
        done=None,
        errors={"file": message},
    )


@router.get("/c/{compound_id}/import")
def import_page(request: Request, compound_id: str, viewer: Clerk) -> Response:
    with web_of(request).transaction() as s:
        compound = compound_or_404(s, compound_id)
    return page(request, "import.html", viewer, compound=compound, found=None, done=None)


@router.get("/c/{compound_id}/import/template.{kind}")
def template(request: Request, compound_id: str, kind: str, viewer: Clerk) -> Response:
    if kind not in ("xlsx", "csv"):
        raise PageNotFound("err.not_found")
    name = f"households-template.{kind}"
    media = "text/csv; charset=utf-8" if kind == "csv" else importer.XLSX_TYPE
    return Response(
        importer.template_bytes(name),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/c/{compound_id}/import")
def preview(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    file: Annotated[UploadFile | None, File()] = None,
    sheet: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    # A plain def: FastAPI runs it on a worker thread, so reading a file never holds up the
    # event loop (the log-in page, a kiosk's upload); importer's limits bound the work itself.
    with web_of(request).transaction() as s:
        compound = compound_or_404(s, compound_id)
    if file is None or not file.filename:
        return _refused(request, viewer, compound, "import.no_file")
    data = file.file.read(importread.MAX_FILE_BYTES + 1)
    try:
        found = importer.preview(data, file.filename, sheet or None)
    except importer.ImportFileError as error:
        return _refused(request, viewer, compound, _words(request, error))
    payload = base64.b64encode(data).decode("ascii")
    return _checked(request, viewer, compound, found, filename=file.filename, payload=payload)


def _words(request: Request, error: importer.ImportFileError) -> str:
    """Why a file was refused, in the clerk's language."""
    return i18n.translator(language_of(request))(error.key, **error.values)


@router.post("/c/{compound_id}/import/confirm")
def confirm(
    request: Request,
    compound_id: str,
    viewer: Clerk,
    form: Confirmed,
) -> Response:
    web = web_of(request)
    filename = form.filename
    with web.transaction() as s:
        compound = compound_or_404(s, compound_id)
    try:
        data = base64.b64decode(form.payload, validate=True)
        found = importer.preview(data, filename or "upload", form.sheet or None)
    except (binascii.Error, ValueError):  # ImportFileError is a ValueError too
        return _refused(request, viewer, compound, "import.expired")
    with web.transaction() as s:
        outcome = importer.apply(s, compound_id, found)
        audit(
            s,
            viewer,
            "import",
            filename[:200],
            web.now(),
            households=outcome.households_added,
            residents=outcome.residents_added,
            rejected=len(outcome.rejected),
        )
    return _checked(request, viewer, compound, found, done=outcome)


def _checked(
    request: Request, viewer: Viewer, compound: Compound, found: importer.Preview, **more: Any
) -> Response:
    """The page with a file's check: counts and rejected rows (and what was imported)."""
    more.setdefault("done", None)
    shown = found.rejected[:SHOWN_REJECTS]
    return page(request, "import.html", viewer, compound=compound, found=found, shown=shown, **more)
