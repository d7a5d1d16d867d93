"""The gate log for spreadsheets: .xlsx, or CSV with a BOM (so Excel reads the Chinese), in the
compound's local time, with each person's name, flat and household colour (a car's plate),
between two dates.

Codes are written as words in the clerk's language (allow -> 放行, white -> 白色), times as
date-time cells in the compound's time zone, and every cell as data (server.sheetfiles).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from server.exc import NotFound, ServerConfigError
from server.gates import plate_of
from server.importer import XLSX_TYPE
from server.models import Compound, EventRow, Holder, Household, Pass
from server.sheetfiles import csv_bytes, xlsx_bytes
from server.visitors import host_flat
from server.web import i18n
from server.web.tables import Invitation
from server.web.timefmt import FIRST_DAY, LAST_DAY, end_of_day, start_of_day, zone

HEADER = [
    "时间 time",
    "闸机 kiosk",
    "类型 kind",
    "方向 direction",
    "结果 verdict",
    "原因 reason",
    "通行证 pass",
    "房号 flat",
    "姓名 name",
    "颜色 colour",
    "体温 °C",
    "时钟可信 clock trusted",
    "冲突 conflict",
    "车牌 plate",
]
MAX_DAYS = 366
CHUNK = 500
XLSX_ROWS = 1_048_575  # a worksheet's rows, less the header: Excel and WPS open no more
FORMATS = ("xlsx", "csv")


@dataclass(frozen=True, slots=True)
class Export:
    data: bytes
    filename: str
    media_type: str
    rows: int


def export_events(
    session: Session,
    compound_id: str,
    first: date,
    last: date,
    fmt: str = "xlsx",
    lang: str = i18n.DEFAULT,
) -> Export:
    """The compound's events from local day ``first`` to ``last`` (both included), in words
    of ``lang``."""
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(f"no compound {compound_id!r}")
    if fmt not in FORMATS:
        raise ServerConfigError(f"export format {fmt!r}: choose xlsx or csv")
    if last < first:
        raise ServerConfigError(f"the export ends ({last}) before it starts ({first})")
    if (last - first).days >= MAX_DAYS:
        raise ServerConfigError(f"export at most {MAX_DAYS} days at once; split the period")
    if first < FIRST_DAY or last > LAST_DAY:
        raise ServerConfigError(f"export days from {FIRST_DAY} to {LAST_DAY}")
    count = (
        session.scalar(select(func.count()).select_from(_events(compound, first, last).subquery()))
        or 0
    )
    if fmt == "xlsx" and count > XLSX_ROWS:
        raise ServerConfigError(
            f"{count} events from {first} to {last}: a sheet holds at most {XLSX_ROWS}; "
            "export fewer days, or as CSV"
        )
    rows = itertools.chain([HEADER], log_rows(session, compound, first, last, Words(lang)))
    name = f"{compound.name} {first.isoformat()}~{last.isoformat()}.{fmt}"
    if fmt == "csv":
        return Export(csv_bytes(rows), name, "text/csv; charset=utf-8", count)
    return Export(xlsx_bytes(rows, title="gate log"), name, XLSX_TYPE, count)


class Words:
    """A code of the log (a verdict, a reason, a colour) as a word of the catalogue; a code
    the catalogue does not know is written as it is."""

    def __init__(self, lang: str) -> None:
        self.t = i18n.translator(lang)
        self.known = i18n.catalogue()

    def __call__(self, prefix: str, code: str | None) -> str:
        if not code:
            return ""
        key = f"{prefix}.{code}"
        return self.t(key) if key in self.known else code


def _events(compound: Compound, first: date, last: date) -> Select[EventRow]:
    return select(EventRow).where(
        EventRow.compound_id == compound.id,
        EventRow.wall_time >= start_of_day(first, compound.timezone),
        EventRow.wall_time < end_of_day(last, compound.timezone),
    )


def log_rows(
    session: Session, compound: Compound, first: date, last: date, words: Words
) -> Iterator[list[Any]]:
    """The events as rows, read CHUNK at a time: a year of a busy gate is millions of events,
    and holding them all (as a list of rows) took some 2 KB of memory each."""
    events = _events(compound, first, last).subquery()
    passes = session.scalars(
        select(events.c.pass_id).where(events.c.pass_id.is_not(None)).distinct()
    )
    people = _people(session, set(passes))
    homes_of = select(events.c.household_id).where(events.c.household_id.is_not(None)).distinct()
    homes = _households(
        session, set(session.scalars(homes_of)) | {h for _, h in people.values() if h}
    )
    ordered = _events(compound, first, last).order_by(EventRow.wall_time, EventRow.id)
    for event in session.scalars(ordered.execution_options(yield_per=CHUNK)):
        name, home_id = people.get(event.pass_id or "", ("", event.household_id))
        flat, colour = homes.get(home_id or event.household_id or "", ("", ""))
        if event.kind == "visitor" and not name:
            name = str(event.data.get("name", "") or "")
        yield [
            _local_time(event.wall_time, compound.timezone),
            event.device_id,
            words("gates.kind", event.kind),
            words("gates.dir", event.direction),
            words("gates.verdict", event.verdict),
            words("gates.reason", event.reason),
            event.pass_id or "",
            flat,
            name,
            words("export.colour", colour),
            "" if event.temperature_c is None else round(event.temperature_c, 1),
            words("export", "yes" if event.clock_trusted else "no"),
            words("export", "yes") if event.conflict else "",
            plate_of(event),
        ]


def _local_time(moment: datetime, zone_name: str | None) -> datetime:
    """The compound's wall-clock time, to the second, as a spreadsheet's date-time cell
    (which has no time zone)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone(zone_name)).replace(tzinfo=None, microsecond=0)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _people(session: Session, pass_ids: set[str]) -> dict[str, tuple[str, str | None]]:
    """pass id -> (holder's or visitor's name, household id)."""
    found: dict[str, tuple[str, str | None]] = {}
    for chunk in _chunks(pass_ids):
        query = (
            select(Pass.pass_id, Pass.household_id, Holder.name, Invitation.visitor_name)
            .outerjoin(Holder, Holder.id == Pass.holder_id)
            .outerjoin(Invitation, Invitation.pass_id == Pass.pass_id)
            .where(Pass.pass_id.in_(chunk))
        )
        for pass_id, household_id, holder, visitor in session.execute(query):
            found[pass_id] = (holder or visitor or "", household_id)
    return found


def _households(session: Session, ids: set[str]) -> dict[str, tuple[str, str]]:
    """household id -> (flat, colour)."""
    found: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(Household).where(Household.id.in_(chunk))):
            found[row.id] = (host_flat(row), row.colour)
    return found
