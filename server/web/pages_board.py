"""The five-colour board and changing a flat's colour (clerks of the compound)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from server.exc import AlreadyDone
from server.models import Compound, Household
from server.web import timefmt
from server.web.access import CLERKS, Viewer, by_household, require, web_of
from server.web.audit import audit
from server.web.board import (
    COLOURS,
    QUARANTINE,
    QUARANTINE_DAYS,
    CellCache,
    FlatCells,
    board,
    buildings,
    change_colour,
)
from server.web.board import label as flat_label
from server.web.errors import FormInvalid
from server.web.i18n import translator
from server.web.lookup import get_or_404
from server.web.render import PREFIX, language_of, page

router = APIRouter()
Clerk = Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))]
CELLS: dict[str, CellCache] = {}  # language -> flat -> its cell on the board
FlatClerk = Annotated[Viewer, Depends(require(CLERKS, compound_from=by_household))]
START_WITHIN = timedelta(days=366)


@router.get("/c/{compound_id}/board")
def board_page(
    request: Request, compound_id: str, viewer: Clerk, colour: str = "", building: str = ""
) -> object:
    web = web_of(request)
    lang = language_of(request)
    with web.transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        view = board(
            s,
            compound_id,
            web.now(),
            compound.timezone,
            colour=colour if colour in COLOURS else "",
            building=building,
        )
        names = buildings(s, compound_id)
    return page(
        request,
        "board.html",
        viewer,
        compound=compound,
        board=view,
        colours=COLOURS,
        buildings=names,
        chosen={"colour": colour, "building": building},
        cells=FlatCells(translator(lang), CELLS.setdefault(lang, {})),
    )


@router.get("/h/{household_id}/colour")
def colour_page(request: Request, household_id: str, viewer: FlatClerk) -> object:
    web = web_of(request)
    with web.transaction() as s:
        flat = get_or_404(s, Household, household_id)
        compound = get_or_404(s, Compound, flat.compound_id)
        today = timefmt.today(web.now(), compound.timezone)
    form = {"colour": flat.colour, "start": today.isoformat(), "days": str(QUARANTINE_DAYS)}
    return _form(request, viewer, compound, flat, form, {})


def _form(
    request: Request,
    viewer: Viewer,
    compound: Compound,
    flat: Household,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> object:
    return page(
        request,
        "colour.html",
        viewer,
        status=status,
        compound=compound,
        flat=flat,
        flat_label=flat_label(flat),
        colours=COLOURS,
        quarantine=QUARANTINE,
        form=form,
        errors=errors,
    )


@router.post("/h/{household_id}/colour")
def change(
    request: Request,
    household_id: str,
    viewer: FlatClerk,
    colour: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
    start: Annotated[str, Form(max_length=10)] = "",
    days: Annotated[str, Form(max_length=3)] = "",
    was: Annotated[str, Form(max_length=16)] = "",
) -> object:
    web = web_of(request)
    form = {"colour": colour, "reason": reason, "start": start, "days": days}
    with web.transaction() as s:
        flat = get_or_404(s, Household, household_id)
        compound = get_or_404(s, Compound, flat.compound_id)
        try:
            begin = _date(start, timefmt.today(web.now(), compound.timezone))
            length = _days(days)
            before = flat.colour
            until = change_colour(
                s, flat, colour, reason, begin, compound.timezone, length, was=was
            )
        except FormInvalid as invalid:  # checked before anything is written
            return _form(request, viewer, compound, flat, form, invalid.errors, 422)
        except AlreadyDone:  # another clerk changed it since this form was shown: nothing written
            s.refresh(flat)
            changed = {"colour": "err.colour_changed"}
            return _form(request, viewer, compound, flat, form, changed, 409)
        audit(
            s,
            viewer,
            "colour",
            f"household {household_id}",
            web.now(),
            before=before,
            after=colour,
            reason=reason.strip(),
            start=begin.isoformat(),
            until=None if until is None else until.isoformat(),
        )
    back = f"{PREFIX}/c/{flat.compound_id}/board#flat-{household_id}"
    return RedirectResponse(back, status_code=303)


def _date(text: str, today: date) -> date:
    """The start date typed; within a year of today (a year like 9999 or 1900 is a typo)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise FormInvalid({"start": "board.err.start"}) from None
    if abs(day - today) > START_WITHIN:
        raise FormInvalid({"start": "board.err.start_range"})
    return day


def _days(text: str) -> int | None:
    """Quarantine days typed, or None for the default; anything but a whole number is refused."""
    if not text.strip():
        return None
    try:
        return int(text)  # the range is checked with the colour
    except ValueError:
        raise FormInvalid({"days": "board.err.days"}) from None
