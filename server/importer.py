"""Bulk import of households and residents from a spreadsheet (.xlsx or .csv in UTF-8 or GBK).

One row per resident: building, unit, room, the household's colour, the resident's name and
phone. A row without name and phone adds only the household (an empty flat). ``preview``
finds the header (below any title rows), checks every row and lists each rejected one with
its row number (as the spreadsheet numbers it) and the reason; ``apply`` adds the valid rows
that are not in the database yet, so importing the same file twice adds nothing the second
time. A flat is one household whatever id the file or the database gives it. The rules a
clerk sees are in docs/office-import.md; reading the file is server.importread's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.model import RiskColour
from server import office, spellings
from server.exc import NotFound
from server.importread import at, find_header, past_rows, read_cells
from server.invisible import has_invisible
from server.models import Compound, Holder, Household
from server.sheetfiles import csv_bytes, xlsx_bytes
from server.xlsxread import ImportFileError, excerpt

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 20_000
NAME_MAX = 50
PART = re.compile(r"[0-9A-Za-z]{1,8}")  # building, unit, room: "3", "2", "501", "B"
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")

# Header cells are matched by any of these words, so "姓名 name", "姓名" and "Name" all work.
COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼号", "building"),
    "unit": ("单元", "unit"),
    "room": ("房号", "房间", "room"),
    "colour": ("颜色", "colour", "color"),
    "name": ("姓名", "name"),
    "phone": ("手机", "电话", "phone"),
    "household": ("户号", "household"),
}
REQUIRED = ("building", "unit", "room")
TEMPLATE_HEADER = [
    "楼栋 building",
    "单元 unit",
    "房号 room",
    "颜色 colour",
    "姓名 name",
    "手机 phone",
]
TEMPLATE_EXAMPLES = [
    ["3", "2", "501", "白", "张伟", "13800138000"],
    ["3", "2", "501", "白", "李娜", "13900139000"],
    ["3", "2", "502", "绿", "", ""],
]
COLOUR_WORDS = {
    "红": RiskColour.RED,
    "橙": RiskColour.ORANGE,
    "黄": RiskColour.YELLOW,
    "绿": RiskColour.GREEN,
    "白": RiskColour.WHITE,
}


@dataclass(frozen=True, slots=True)
class Flat:
    building: str
    unit: str
    room: str

    @property
    def parts(self) -> tuple[str, str, str]:
        return self.building, self.unit, self.room

    @property
    def label(self) -> str:
        """How people write a flat: building-unit-room, e.g. 3-2-501."""
        return f"{self.building}-{self.unit}-{self.room}"


@dataclass(frozen=True, slots=True)
class Row:
    """A valid row of the file."""

    number: int
    flat: Flat
    colour: RiskColour
    name: str
    phone: str
    household: str = ""  # the id the file gives the household, if it has such a column


@dataclass(frozen=True, slots=True)
class Merge:
    """Rows the file gives different household ids that are one flat, so one household."""

    flat: Flat
    rows: tuple[int, ...]
    ids: tuple[str, ...]


COLOUR_VALUES = frozenset({"first", "here"})  # the values of import.row.colour_differs


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row left out: ``reason`` in English (the command line, logs); ``key`` and ``values``
    name the same words in the office's catalogue, for a page in the clerk's language."""

    number: int
    reason: str
    key: str = ""
    values: tuple[tuple[str, object], ...] = ()

    def words(self, t: Callable[..., str]) -> str:
        """The reason in the language of the translator ``t`` (colours in its words too)."""
        if not self.key:
            return self.reason
        values = {k: t(f"import.colour.{v}") if k in COLOUR_VALUES else v for k, v in self.values}
        return t(self.key, **values)


@dataclass
class Preview:
    """What a file holds: its valid rows, and every rejected row with the reason."""

    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""  # the sheet read, for a workbook
    sheets: tuple[str, ...] = ()  # all of the workbook's sheets, to choose another
    merges: list[Merge] = field(default_factory=list)

    @property
    def households(self) -> int:
        return len({r.flat for r in self.rows})

    @property
    def residents(self) -> int:
        return sum(1 for r in self.rows if r.name)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an import changed; ``known`` rows were in the database already."""

    households_added: int
    residents_added: int
    households_known: int
    residents_known: int
    rejected: tuple[Rejected, ...]


# --- checking rows --------------------------------------------------------------------------------


def preview(data: bytes, filename: str, sheet: str | None = None) -> Preview:
    """Check every row of the file (of ``sheet``, else its first sheet with data); nothing is
    written."""
    cells = read_cells(data, filename, sheet)
    header_at, columns = _header(cells.rows, filename)
    result = Preview(encoding=cells.how, sheet=cells.sheet, sheets=cells.sheets)
    colours: dict[Flat, tuple[RiskColour, int]] = {}
    seen: set[tuple[Flat, str]] = set()
    for index in range(header_at + 1, len(cells.rows)):
        number = index + 1
        values = {k: at(cells.rows[index], i) for k, i in columns.items()}
        if not any(values.values()):
            continue  # blank line
        if len(result.rows) + len(result.rejected) >= MAX_ROWS:
            raise past_rows(filename, MAX_ROWS)
        try:
            row = check_row(number, values)
            _check_consistent(row, colours, seen)
        except RowProblem as problem:
            result.rejected.append(
                Rejected(number, str(problem), problem.key, tuple(problem.values.items()))
            )
            continue
        result.rows.append(row)
    result.merges = merges_of(result.rows)
    return result


def merges_of(rows: Iterable[Row]) -> list[Merge]:
    """Each flat the file lists under more than one household id: it is imported as one."""
    by_flat: dict[Flat, list[Row]] = {}
    for row in rows:
        by_flat.setdefault(row.flat, []).append(row)
    merges = []
    for flat, listed in by_flat.items():
        ids = tuple(dict.fromkeys(r.household for r in listed if r.household))
        if len(ids) > 1:
            merges.append(Merge(flat, tuple(r.number for r in listed), ids))
    return merges


class RowProblem(ValueError):
    """Why one row cannot be imported: ``key`` names its words in the office's catalogue (with
    ``values``); the message is the English words."""

    def __init__(self, key: str, english: str, **values: object) -> None:
        super().__init__(english.format(**values))
        self.key = key
        self.values = values


def check_row(number: int, values: dict[str, str]) -> Row:
    """A valid Row from one row's cells, or RowProblem saying what to fix."""
    parts = _flat_parts(values)
    name = " ".join(values.get("name", "").split())
    phone = normalise_phone(values.get("phone", ""))
    if len(name) > NAME_MAX:
        raise RowProblem(
            "import.row.name_long", "name is longer than {most} characters", most=NAME_MAX
        )
    if phone and not name:
        raise RowProblem("import.row.phone_no_name", "a phone is given but the name is empty")
    if has_invisible(name):
        raise RowProblem(
            "import.row.name_control",
            "name '{text}' holds control characters",
            text=excerpt(name),
        )
    colour = parse_colour(values.get("colour", ""))
    return Row(number, Flat(*parts), colour, name, phone, values.get("household", ""))


def _flat_parts(values: dict[str, str]) -> tuple[str, str, str]:
    """Building, unit and room as the database keeps them (2号楼 -> 2, 502室 -> 502); a room
    cell holding the whole flat ("2号楼/1单元/502室") fills empty building and unit cells."""
    room = values.get("room", "").strip()
    if not values.get("building", "").strip() and not values.get("unit", "").strip():
        whole = spellings.whole_flat(room) if not PART.fullmatch(room) else None
        if whole is not None:
            return whole
    parts = []
    for key in ("building", "unit", "room"):
        text = spellings.flat_part(key, values.get(key, ""))
        if not text:
            raise RowProblem(f"import.row.{key}_empty", f"{key} is empty")
        if not PART.fullmatch(text):
            raise RowProblem(
                f"import.row.{key}_bad",
                f"{key} '{{text}}' is not 1-8 letters or digits",
                text=excerpt(text),
            )
        parts.append(text)
    return parts[0], parts[1], parts[2]


def parse_colour(text: str) -> RiskColour:
    word = text.strip().lower().removesuffix("色")
    if not word:
        return RiskColour.WHITE
    if word in COLOUR_WORDS:
        return COLOUR_WORDS[word]
    try:
        return RiskColour(word)
    except ValueError:
        raise RowProblem(
            "import.row.colour_bad",
            "colour '{text}' is not one of red, orange, yellow, green, white (红 橙 黄 绿 白)",
            text=excerpt(text),
        ) from None


def normalise_phone(text: str) -> str:
    """The phone reduced to digits (spellings.phone_digits), or RowProblem if it is none."""
    digits = spellings.phone_digits(text)
    if not digits:
        return ""
    if MOBILE.fullmatch(digits) or LANDLINE.fullmatch(digits):
        return digits
    raise RowProblem(
        "import.row.phone_bad",
        "phone '{text}' is not an 11-digit mobile or a landline with area code",
        text=excerpt(text),
    )


def _check_consistent(
    row: Row, colours: dict[Flat, tuple[RiskColour, int]], seen: set[tuple[Flat, str]]
) -> None:
    first = colours.setdefault(row.flat, (row.colour, row.number))
    if first[0] is not row.colour:
        raise RowProblem(
            "import.row.colour_differs",
            "flat {flat} is {first} on row {row} but {here} here",
            flat=row.flat.label,
            first=first[0].value,
            row=first[1],
            here=row.colour.value,
        )
    if row.name:
        if (row.flat, row.name) in seen:
            raise RowProblem(
                "import.row.twice",
                "{name} of {flat} is listed twice in this file",
                name=row.name,
                flat=row.flat.label,
            )
        seen.add((row.flat, row.name))


def _header(cells: list[list[str]], filename: str) -> tuple[int, dict[str, int]]:
    """The header row and which column holds which field (titles above it are skipped)."""
    return find_header(cells, filename, COLUMNS, REQUIRED, " | ".join(TEMPLATE_HEADER[:3]))


# --- writing --------------------------------------------------------------------------------------


def household_id(compound_id: str, flat: Flat) -> str:
    """A flat's household id, readable by people; unique, as the flat is its last three parts."""
    return f"{compound_id}-{flat.label}"


def apply(session: Session, compound_id: str, found: Preview) -> Outcome:
    """Add the valid rows not in the database yet; the caller commits.

    A flat already in the compound keeps its household whatever id it was given (by the flats
    form, an earlier file or the demo): the flat, not the id, says which household it is.
    """
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound(f"no compound {compound_id!r}; add it first")
    # Two imports of one compound run one after the other (a double-clicked confirm): the
    # second waits here for the first's commit, then finds its residents instead of adding
    # them twice (a resident has no unique key to stop it).
    session.execute(update(Compound).where(Compound.id == compound_id).values(name=Compound.name))
    flats = {r.flat for r in found.rows}
    homes = _known_flats(session, compound_id, flats)
    known_h = sum(1 for f in flats if f in homes)
    residents = _residents(session, {homes[f] for f in flats if f in homes})
    added_h = added_r = known_r = 0
    # Two flushes for the whole file (households first: holders refer to them); a flush per
    # row made a 1,000-row import take seconds.
    with session.no_autoflush:
        for row in found.rows:
            if row.flat not in homes:
                home = household_id(compound_id, row.flat)
                added = office.add_new_household(session, home, compound_id, row.colour)
                added.building, added.unit, added.room = row.flat.parts
                homes[row.flat] = home
                added_h += 1
    session.flush()
    for row in found.rows:
        home = homes[row.flat]
        if not row.name:
            continue
        if (home, row.name) in residents:
            known_r += 1
            continue
        # office.add_resident's checks (household, name) are done above for every row.
        session.add(
            Holder(household_id=home, name=row.name, phone=row.phone, address=row.flat.label)
        )
        residents.add((home, row.name))
        added_r += 1
    session.flush()
    return Outcome(added_h, added_r, known_h, known_r, tuple(found.rejected))


def _known_flats(session: Session, compound_id: str, wanted: set[Flat]) -> dict[Flat, str]:
    """The compound's flats -> their household ids: by building, unit and room (the first id
    when an older database holds a flat twice), else by the id this import would give it (a
    household added by id only has no flat written on it)."""
    query = (
        select(Household.building, Household.unit, Household.room, Household.id)
        .where(Household.compound_id == compound_id)
        .order_by(Household.id)
    )
    found: dict[Flat, str] = {}
    ids = set()
    for building, unit, room, home in session.execute(query):
        ids.add(home)
        if building and unit and room:
            found.setdefault(Flat(building, unit, room), home)
    for flat in wanted - found.keys():
        if household_id(compound_id, flat) in ids:
            found[flat] = household_id(compound_id, flat)
    return found


def _residents(session: Session, homes: Iterable[str]) -> set[tuple[str, str]]:
    wanted = sorted(homes)
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), 500):
        query = select(Holder.household_id, Holder.name).where(
            Holder.household_id.in_(wanted[start : start + 500])
        )
        found.update((h, n) for h, n in session.execute(query))
    return found


# --- the template ---------------------------------------------------------------------------------


def template_bytes(filename: str) -> bytes:
    """The empty template with three example rows, as .xlsx or as .csv (UTF-8 with BOM)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return csv_bytes([TEMPLATE_HEADER, *TEMPLATE_EXAMPLES])
    if suffix == ".xlsx":
        return xlsx_bytes([TEMPLATE_HEADER, *TEMPLATE_EXAMPLES], title="households")
    raise ImportFileError(
        "import.err.kind",
        "{filename}: the template is written as .xlsx or .csv",
        filename=excerpt(filename),
    )


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛")


def sample_rows(households: int, residents_each: int = 1) -> list[list[str]]:
    """A filled-in template (header first): ``households`` flats in buildings of 60 flats
    (6 floors x 2 units x 5 rooms), every colour, ``residents_each`` people per flat; for the
    demo, the tests and the benchmark.
    """
    colours = ["白", "白", "白", "白", "黄", "橙", "红", "绿"]
    rows: list[list[str]] = [list(TEMPLATE_HEADER)]
    for n in range(households):
        building, rest = divmod(n, 60)
        unit, rest = divmod(rest, 30)
        floor, room = divmod(rest, 5)
        flat = [str(building + 1), str(unit + 1), f"{floor + 1}0{room + 1}"]
        colour = colours[n % len(colours)]
        for person in range(residents_each):
            name = SURNAMES[(n + person) % len(SURNAMES)] + GIVEN[(n // 7 + person) % len(GIVEN)]
            phone = f"1{3 + n % 7}{n:05d}{person:04d}"[:11]
            rows.append([*flat, colour, name, phone])  # distinct within a flat
    return rows


def rows_of(found: Preview) -> Iterator[str]:
    """The rejected rows as lines for a terminal."""
    for rejected in found.rejected:
        yield f"row {rejected.number}: {rejected.reason}"
