"""The city's risk list of plates: which car was in a high-risk area, and when.

A clerk imports the city's file (.xlsx or .csv, read by server.importread with its limits)
into a compound; ``preview`` checks every row and changes nothing, ``apply`` writes what the
preview found. Date rules (docs/office-import.md): a visit older than the risk window
(``vehicle_risk_days`` of the compound's policy, default 14) counts no more; a visit in the
future is refused; a plate listed twice keeps its latest visit. The kiosks get each change in
their next delta (``risk`` rows of the change log).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.vehicles.model import RiskReport
from server.exc import NotFound
from server.importer import MAX_ROWS, Rejected
from server.importread import Cells, at, find_header, past_rows, read_cells
from server.invisible import has_invisible
from server.models import Compound, RiskPlateRow
from server.office import record_change
from server.platecheck import PlateRefused, normal_plate
from server.web.timefmt import today
from sync.protocol import RiskPlateChange

DEFAULT_WINDOW_DAYS = 14
AREA_MAX = 200
# Header cells are matched by any of these words ("车牌号 plate", "到访日期", "Date visited").
COLUMNS: dict[str, tuple[str, ...]] = {
    "plate": ("车牌", "号牌", "plate"),
    "area": ("地区", "区域", "地点", "area"),
    "visited": ("日期", "时间", "date", "visited"),
}
SHOWN = "车牌 plate | 地区 area | 到访日期 date visited"
# 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日 (or 号), 20261201; then perhaps a time, after
# a space or ISO 8601's T ("2026-12-01T09:30:00+08:00").
DAY = re.compile(
    r"(\d{4})(?:\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?|(\d\d)(\d\d))(?:[\sT].*)?"
)
# An .xlsx date cell is a day number counted from here (from 1904-01-01 in a workbook saved
# with the 1904 date system, as old Mac Excel did: the same day is 1,462 lower).
EXCEL_DAY_ZERO = date(1899, 12, 30)
EXCEL_1904_ZERO = date(1904, 1, 1)
EXCEL_YEARS = range(2000, 2100)  # a day number outside them is no visit's day
EXCEL_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class RiskRow:
    number: int
    plate: str
    area: str
    visited_on: date


@dataclass
class RiskPreview:
    """A file's check against the window: rows to import (one per plate, its latest visit),
    rows whose visit is too old, rows refused with the reason, rows merged into another."""

    today: date
    window_days: int
    rows: dict[str, RiskRow] = field(default_factory=dict)
    expired: list[RiskRow] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    merged: int = 0
    encoding: str = ""
    sheet: str = ""
    sheets: tuple[str, ...] = ()

    @property
    def oldest(self) -> date:
        """The earliest visit that still counts."""
        return self.today - timedelta(days=self.window_days)


@dataclass(frozen=True, slots=True)
class Plan:
    """What importing a preview changes: plates new to the list, plates whose visit is later
    than the stored one, visits too old to count (the file's, left out, and the list's,
    removed), and plates the list holds already as the file does."""

    new: int
    updated: int
    expired: int
    unchanged: int


class RowRefused(ValueError):
    def __init__(self, key: str, reason: str, **values: object) -> None:
        super().__init__(reason.format(**values))
        self.key, self.values = key, values


def window_days(compound: Compound) -> int:
    """The compound's risk window in days: the [policy] key the car gate decides with
    (``vehicle_risk_days``, default 14), as the compound's policy overrides set it."""
    value = (compound.policy or {}).get("vehicle_risk_days", DEFAULT_WINDOW_DAYS)
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 365
    return value if ok else DEFAULT_WINDOW_DAYS


def preview(
    data: bytes, filename: str, compound: Compound, now: datetime, sheet: str | None = None
) -> RiskPreview:
    """Check every row of the city's file; nothing is written."""
    cells = read_cells(data, filename, sheet)
    header_at, columns = find_header(cells.rows, filename, COLUMNS, tuple(COLUMNS), SHOWN)
    found = RiskPreview(today(now, compound.timezone), window_days(compound))
    found.encoding, found.sheet, found.sheets = cells.how, cells.sheet, cells.sheets
    for index in range(header_at + 1, len(cells.rows)):
        values = {k: at(cells.rows[index], i) for k, i in columns.items()}
        if not any(values.values()):
            continue
        if index - header_at > MAX_ROWS:
            raise past_rows(filename, MAX_ROWS)
        try:
            row = _check(index + 1, values, found.today, _day_zero(cells))
        except (RowRefused, PlateRefused) as problem:
            reason = Rejected(index + 1, str(problem), problem.key, tuple(problem.values.items()))
            found.rejected.append(reason)
            continue
        _take(found, row)
    return found


def _day_zero(cells: Cells) -> date:
    return EXCEL_1904_ZERO if cells.date1904 else EXCEL_DAY_ZERO


def _check(number: int, values: dict[str, str], first: date, day_zero: date) -> RiskRow:
    plate = normal_plate(values["plate"])
    area = " ".join(values["area"].split())
    if not area:
        raise RowRefused("risk.row.area", "the area is empty")
    if len(area) > AREA_MAX:
        raise RowRefused("risk.row.area_long", "the area is longer than {n} characters", n=AREA_MAX)
    if has_invisible(area):  # NUL, a bidi override
        raise RowRefused("risk.row.area_control", "the area holds invisible control characters")
    visited = parse_day(values["visited"], day_zero)
    if visited > first:
        raise RowRefused(
            "risk.row.future", "the visit {day} is in the future", day=visited.isoformat()
        )
    return RiskRow(number, plate, area, visited)


def parse_day(text: str, day_zero: date = EXCEL_DAY_ZERO) -> date:
    """A visit's day as the city writes it (DAY's forms) or as an .xlsx date cell (a day
    number from ``day_zero``); a time after the day is ignored."""
    text = text.strip()
    serial = EXCEL_SERIAL.fullmatch(text)  # a date-time cell's fraction is the time of day
    if serial:
        day = day_zero + timedelta(days=int(serial.group(1)))
        if day.year in EXCEL_YEARS:
            return day
    match = DAY.fullmatch(text)
    try:
        if match:
            return date(*(int(part) for part in match.groups() if part is not None))
    except ValueError:
        pass
    raise RowRefused("risk.row.day", "{text} is not a day (write it as 2026-12-01)", text=text[:20])


def _take(found: RiskPreview, row: RiskRow) -> None:
    """Keep the row unless its visit is too old; of a plate's rows, the latest visit."""
    if row.visited_on < found.oldest:
        found.expired.append(row)
        return
    before = found.rows.get(row.plate)
    if before is not None:
        found.merged += 1
        if before.visited_on > row.visited_on:
            return
    found.rows[row.plate] = row


def plan(session: Session, compound: Compound, found: RiskPreview) -> Plan:
    """What ``apply`` would change, given what the compound's list holds now."""
    stored = _stored(session, compound.id)
    new = sum(1 for p in found.rows if p not in stored)
    updated = sum(1 for p, r in found.rows.items() if p in stored and _later(r, stored[p]))
    old = sum(1 for p, s in stored.items() if s.visited_on < found.oldest and p not in found.rows)
    return Plan(new, updated, len(found.expired) + old, len(found.rows) - new - updated)


def fingerprint(session: Session, compound: Compound, found: RiskPreview) -> str:
    """What ``apply`` does with ``found`` depends on besides the file: the day, and the stored
    entries of the file's plates and of the plates whose visit is now too old. The preview
    shows it and the confirm compares it, so what is written is what the clerk saw."""
    stored = _stored(session, compound.id)
    touched = sorted(p for p, r in stored.items() if p in found.rows or r.visited_on < found.oldest)
    lines = [
        found.today.isoformat(),
        *(f"{p} {stored[p].visited_on} {stored[p].area}" for p in touched),
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def apply(
    session: Session, compound: Compound, found: RiskPreview, *, source: str, now: datetime
) -> Plan:
    """Write the preview's rows and remove stored visits that are too old; the caller commits."""
    done = plan(session, compound, found)
    stored = _stored(session, compound.id)
    for plate, row in stored.items():
        if row.visited_on < found.oldest and plate not in found.rows:
            _remove(session, row)
    for plate, line in found.rows.items():
        known = stored.get(plate)
        if known is not None and not _later(line, known):
            continue
        row = known or RiskPlateRow(compound_id=compound.id, plate=plate)
        session.add(row)
        row.area, row.visited_on, row.source, row.imported_at = (
            line.area,
            line.visited_on,
            source,
            now,
        )
        _record(session, row, removed=False)
    session.flush()
    return done


def remove_before(session: Session, compound: Compound, day: date) -> int:
    """Take the compound's entries whose visit was before ``day`` off the list (retention);
    the kiosks drop them at their next download. Returns how many."""
    old = session.scalars(
        select(RiskPlateRow).where(
            RiskPlateRow.compound_id == compound.id, RiskPlateRow.visited_on < day
        )
    ).all()
    for row in old:
        _remove(session, row)
    return len(old)


def report_of(row: RiskPlateRow) -> RiskReport:
    return RiskReport(row.plate, row.area, row.visited_on, row.source)


def _later(line: RiskRow, row: RiskPlateRow) -> bool:
    """Whether the file's visit is news: later than the stored one, or the same day elsewhere."""
    return line.visited_on > row.visited_on or (
        line.visited_on == row.visited_on and line.area != row.area
    )


def _stored(session: Session, compound_id: str) -> dict[str, RiskPlateRow]:
    if session.get(Compound, compound_id) is None:
        raise NotFound(f"no compound {compound_id!r}")
    rows = session.scalars(select(RiskPlateRow).where(RiskPlateRow.compound_id == compound_id))
    return {r.plate: r for r in rows}


def _remove(session: Session, row: RiskPlateRow) -> None:
    session.delete(row)
    _record(session, row, removed=True)


def _record(session: Session, row: RiskPlateRow, *, removed: bool) -> None:
    change = RiskPlateChange(report_of(row), removed=removed)
    record_change(session, row.compound_id, "risk", change.to_json())
