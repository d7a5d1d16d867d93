"""A resident's own pages on the phone: "My pass" (also offline), inviting a visitor, and the
household's passages at the gates. Everything is the viewer's own household: no ids in paths.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from server.exc import ServerError
from server.models import Compound, EventRow, Holder, Household, Pass
from server.visitors import DAYS_AHEAD, NAME_MAX, issue_visitor_pass
from server.web import i18n, timefmt
from server.web.access import RESIDENTS, Viewer, public, require, web_of
from server.web.audit import audit
from server.web.board import QUARANTINE, label, shown_colour
from server.web.lookup import get_or_404
from server.web.qr import qr_data_uri
from server.web.registrations import PHONE, clean_phone, name_problem
from server.web.render import PREFIX, language_of, page
from server.web.tables import Invitation, Registration

router = APIRouter()
Resident = Annotated[Viewer, Depends(require(RESIDENTS))]
Maybe = Annotated[Viewer | None, Depends(public)]
STATIC = Path(__file__).with_name("static")
PASSAGES_SHOWN = 100


@router.get("/me")
def my_pass(request: Request, viewer: Resident) -> object:
    web = web_of(request)
    with web.transaction() as s:
        if viewer.household_id is None or viewer.holder_id is None:
            registration = s.scalars(
                select(Registration)
                .where(Registration.user_id == viewer.user_id)
                .order_by(Registration.id.desc())
            ).first()
            return page(request, "waiting.html", viewer, registration=registration)
        holder = get_or_404(s, Holder, viewer.holder_id)
        flat = get_or_404(s, Household, viewer.household_id)
        compound = get_or_404(s, Compound, flat.compound_id)
        current = s.scalars(
            select(Pass)
            .where(Pass.holder_id == holder.id, Pass.revoked.is_(False), Pass.qr_text.isnot(None))
            .order_by(Pass.issued_at.desc())
        ).first()
        now = web.now()
    usable = current is not None and holder.active and current.expires_at > now
    return page(
        request,
        "my_pass.html",
        viewer,
        holder=holder,
        flat=flat,
        flat_label=label(flat),
        colour=shown_colour(flat, now),
        place=compound,
        current=current if usable else None,
        qr=qr_data_uri(current.qr_text) if usable and current and current.qr_text else "",
    )


@router.get("/manifest.webmanifest")
def manifest(request: Request, viewer: Maybe) -> Response:
    return Response(
        (STATIC / "manifest.webmanifest").read_bytes(), media_type="application/manifest+json"
    )


@router.get("/sw.js")
def service_worker(request: Request, viewer: Maybe) -> Response:
    """Served from /office/ (not /office/static/) so it may control /office/me."""
    return Response(
        (STATIC / "sw.js").read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": PREFIX + "/"},
    )


@router.get("/me/invite")
def invite_page(request: Request, viewer: Resident) -> object:
    flat, compound = _home(request, viewer)
    now = web_of(request).now()
    if shown_colour(flat, now) in QUARANTINE:
        return _quarantined(request, viewer, flat, compound, 200)
    today = timefmt.today(now, compound.timezone)
    form = {"day": today.isoformat(), "entries": "1"}
    return page(
        request, "invite.html", viewer, place=compound, form=form, limit=compound.visitor_entries
    )


def _quarantined(
    request: Request, viewer: Viewer, flat: Household, compound: Compound, status: int
) -> object:
    """The invitation page of a household under quarantine: why there is no form, and until when."""
    t = i18n.translator(language_of(request))
    until = timefmt.local(flat.quarantine_until, compound.timezone) or "—"
    notice = t("invite.quarantine", colour=t("colour." + flat.colour), until=until)
    return page(
        request,
        "invite.html",
        viewer,
        status=status,
        place=compound,
        form={},
        limit=compound.visitor_entries,
        quarantine=notice,
    )


def _home(request: Request, viewer: Viewer) -> tuple[Household, Compound]:
    if viewer.household_id is None:
        raise ServerError("err.not_approved")
    with web_of(request).transaction() as s:
        flat = get_or_404(s, Household, viewer.household_id)
        return flat, get_or_404(s, Compound, flat.compound_id)


@router.post("/me/invite")
def invite(
    request: Request,
    viewer: Resident,
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
    entries: Annotated[str, Form(max_length=3)] = "",
) -> object:
    flat, compound = _home(request, viewer)
    web = web_of(request)
    now = web.now()
    if shown_colour(flat, now) in QUARANTINE:  # no visitor into a quarantined flat
        return _quarantined(request, viewer, flat, compound, 403)
    form = {"name": name, "phone": phone, "day": day, "entries": entries}
    token = secrets.token_urlsafe(16)
    errors, visit, count = _invitation_errors(form, compound, timefmt.today(now, compound.timezone))
    if errors:
        t = i18n.translator(language_of(request))
        words = {k: t(v, days=DAYS_AHEAD, most=compound.visitor_entries) for k, v in errors.items()}
        return _invite_again(request, viewer, compound, form, words)
    try:
        with web.transaction() as s:
            issued = issue_visitor_pass(s, flat.id, name, day=visit, entries=count, now=now)
            s.add(
                Invitation(
                    token_hash=_hash(token),
                    pass_id=issued.row.pass_id,
                    household_id=flat.id,
                    visitor_name=name.strip(),
                    visitor_phone=phone.strip(),
                    visit_date=visit.isoformat(),
                    entries=count,
                    qr_text=issued.text,
                    created_at=now,
                    created_by=viewer.user_id,
                )
            )
            audit(
                s,
                viewer,
                "invite",
                f"pass {issued.row.pass_id}",
                now,
                compound_id=compound.id,
                visitor=name.strip(),
                day=visit.isoformat(),
            )
    except ServerError as error:
        return _invite_again(request, viewer, compound, form, {"name": str(error)})
    return RedirectResponse(f"{PREFIX}/v/{token}", status_code=303)


def _invitation_errors(
    form: dict[str, str], compound: Compound, first: date
) -> tuple[dict[str, str], date, int]:
    """Field -> words for the resident (checked before anything is signed), the day, the
    entries; visitors.issue_visitor_pass checks the same again for every other caller."""
    errors: dict[str, str] = {}
    name = form["name"].strip()
    if name_problem(name):
        errors["name"] = name_problem(name)
    elif len(name) > NAME_MAX:
        errors["name"] = "invite.err.name_long"
    phone = clean_phone(form["phone"])
    if phone and not PHONE.match(phone):
        errors["phone"] = "reg.err.phone"
    try:
        visit = date.fromisoformat(form["day"].strip())
    except ValueError:
        errors["day"], visit = "invite.err.day", first
    if "day" not in errors and not first <= visit <= first + timedelta(days=DAYS_AHEAD):
        errors["day"] = "invite.err.day_range"
    text = form["entries"].strip()
    count = int(text) if text.isascii() and text.isdigit() and len(text) < 3 else 0
    if not 1 <= count <= compound.visitor_entries:
        errors["entries"] = "invite.err.entries"
    return errors, visit, count


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invite_again(
    request: Request,
    viewer: Viewer,
    compound: Compound,
    form: dict[str, str],
    errors: dict[str, str],
) -> object:
    return page(
        request,
        "invite.html",
        viewer,
        status=422,
        place=compound,
        form=form,
        limit=compound.visitor_entries,
        errors=errors,
    )


@router.get("/v/{token}")
def visitor_pass(request: Request, token: str, viewer: Maybe) -> object:
    """The link a resident forwards: whoever has it holds the visitor pass (like the QR itself)."""
    web = web_of(request)
    with web.transaction() as s:
        found = s.get(Invitation, _hash(token))
        if found is None:
            return page(
                request, "error.html", viewer, status=404, status_code=404, message="err.not_found"
            )
        row = get_or_404(s, Pass, found.pass_id)
        flat = get_or_404(s, Household, found.household_id)
        compound = get_or_404(s, Compound, flat.compound_id)
    return page(
        request,
        "visitor_pass.html",
        viewer,
        invitation=found,
        issued=row,
        place=compound,
        flat_label=label(flat),
        qr=qr_data_uri(found.qr_text),
    )


@router.get("/me/passages")
def passages(request: Request, viewer: Resident) -> object:
    flat, compound = _home(request, viewer)
    with web_of(request).transaction() as s:
        rows = s.execute(
            select(EventRow, Holder.name)
            .outerjoin(Pass, Pass.pass_id == EventRow.pass_id)
            .outerjoin(Holder, Holder.id == Pass.holder_id)
            .where(
                EventRow.household_id == flat.id,
                EventRow.kind == "decision",
                EventRow.compound_id == compound.id,
            )
            .order_by(EventRow.wall_time.desc())
            .limit(PASSAGES_SHOWN)
        ).all()
    return page(request, "passages.html", viewer, place=compound, rows=rows)
