"""Reading an .xlsx a stranger may have built: streamed, with every limit checked while reading.

An .xlsx is a zip of XML parts. openpyxl reads a shared-string table or a sheet whole before
anyone can count it, so a 559 KB file of 1,000,000 rows, a 1 MB zip bomb or one 500 MB string
cost minutes and gigabytes. Here each part is inflated in 64 KiB chunks into expat, and the
chunk counters (bytes, ratio, time) and the element counters (rows, columns, characters in a
cell, shared strings) stop the read the moment one passes its limit. A refusal says which
limit, in the clerk's words (``key`` into the catalogue), and quotes at most a short excerpt.
"""

from __future__ import annotations

import io
import posixpath
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from server.exc import ServerConfigError

CHUNK = 64 * 1024
EXCERPT = 20  # characters of a refused cell quoted back
CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


class ImportFileError(ServerConfigError):
    """The file as a whole cannot be read: wrong type, damaged, no header, too big.

    ``key`` names the words in the catalogue (with ``values``); the message is the English,
    for logs and the command line.
    """

    def __init__(self, key: str, english: str, **values: object) -> None:
        super().__init__(english.format(**values))
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Limits:
    """What one import may cost; the same for the web page and ``kiosk-server import``."""

    rows: int = 20_100  # row numbers: the importer's 20,000 rows under a header and titles
    columns: int = 64
    cell_chars: int = 500
    strings: int = 200_000  # entries of the shared-string table
    string_chars: int = 4_000_000  # characters of the whole table
    part_bytes: int = 64 * 2**20  # one XML part, inflated
    total_bytes: int = 160 * 2**20  # every part read, inflated
    ratio: int = 100  # inflated / compressed, for parts past RATIO_FROM bytes
    seconds: float = 10.0
    parts: int = 2_000  # members of the zip


RATIO_FROM = 2**20
DEFAULT = Limits()


def excerpt(text: str) -> str:
    """At most EXCERPT characters of what was refused, so the page never echoes a whole cell."""
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


@dataclass
class Budget:
    """The counters shared by every part of one file."""

    filename: str
    limits: Limits
    clock: Callable[[], float] = time.monotonic
    started: float = 0.0
    inflated: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    def spend(self, size: int) -> None:
        self.inflated += size
        if self.inflated > self.limits.total_bytes:
            raise self.refuse(
                "import.err.inflated",
                "unpacks to more than {mib} MiB",
                mib=self.limits.total_bytes >> 20,
            )
        if self.clock() - self.started > self.limits.seconds:
            raise self.refuse(
                "import.err.slow",
                "takes longer than {s:g} s to read; split it",
                s=self.limits.seconds,
            )

    def refuse(self, key: str, english: str, **values: object) -> ImportFileError:
        return ImportFileError(key, "{filename}: " + english, filename=self.filename, **values)


@dataclass
class Sheet:
    """A worksheet's cells as text, row by row as the spreadsheet numbers them (row 1 first)."""

    name: str
    rows: list[list[str]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2

    @property
    def has_data(self) -> bool:
        return any(any(row) for row in self.rows)


@dataclass(frozen=True, slots=True)
class Book:
    """The workbook's sheet names in tab order, the sheet that was read, and whether its date
    cells count days from 1904 (an old Mac workbook) rather than from 1900."""

    names: list[str]
    sheet: Sheet
    date1904: bool = False


def read_book(
    data: bytes,
    filename: str,
    wanted: str | None = None,
    limits: Limits = DEFAULT,
    clock: Callable[[], float] = time.monotonic,
) -> Book:
    """The sheet named ``wanted``, else the first sheet with data (else the first sheet)."""
    budget = Budget(filename, limits, clock)
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _damaged(filename, error) from None
    with book:
        if len(book.infolist()) > limits.parts:
            raise budget.refuse("import.err.parts", "holds more than {n} parts", n=limits.parts)
        strings_part, parts, date1904 = _parts(book, budget)
        names = [name for name, _ in parts]
        if wanted is not None and wanted not in names:
            raise budget.refuse(
                "import.err.no_sheet",
                "has no sheet {sheet}; choose one of {names}",
                sheet=excerpt(wanted),
                names=excerpt(" / ".join(names)),
            )
        if not parts:
            raise budget.refuse("import.err.empty", "the file is empty")
        strings = _shared_strings(book, strings_part, budget) if strings_part else []
        first: Sheet | None = None
        for name, part in parts:
            if wanted is not None and name != wanted:
                continue
            sheet = Sheet(name)
            _read_sheet(book, part, sheet, strings, budget)
            if sheet.has_data or wanted is not None:
                return Book(names, sheet, date1904)
            first = first or sheet
        assert first is not None
        return Book(names, first, date1904)


def _damaged(filename: str, error: Exception) -> ImportFileError:
    return ImportFileError(
        "import.err.damaged",
        "{filename}: not a readable .xlsx file ({problem}); save it again from the spreadsheet",
        filename=filename,
        problem=excerpt(str(error)),
    )


# --- streaming one XML part -----------------------------------------------------------------------


def _stream(book: zipfile.ZipFile, part: str, budget: Budget, parser: Any) -> None:
    """Inflate ``part`` chunk by chunk into ``parser``, checking sizes and time as it goes."""
    try:
        info = book.getinfo(part)
    except KeyError:
        raise _damaged(budget.filename, KeyError(f"no part {part}")) from None
    limits = budget.limits
    if info.file_size > limits.part_bytes:
        raise _too_big(budget, part, info.file_size)
    if info.file_size > RATIO_FROM and info.file_size > limits.ratio * max(info.compress_size, 1):
        raise budget.refuse(
            "import.err.ratio",
            "part {part} unpacks {ratio}× (a zip bomb?); save the sheet again",
            part=excerpt(part),
            ratio=info.file_size // max(info.compress_size, 1),
        )
    parser.StartDoctypeDeclHandler = _no_doctype(budget)
    read = 0
    try:
        with book.open(info) as stream:
            while chunk := stream.read(CHUNK):
                read += len(chunk)
                if read > limits.part_bytes:  # the zip's size field may lie
                    raise _too_big(budget, part, read)
                budget.spend(len(chunk))
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise _damaged(budget.filename, error) from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise _damaged(budget.filename, error) from None


def _too_big(budget: Budget, part: str, size: int) -> ImportFileError:
    return budget.refuse(
        "import.err.part_size",
        "part {part} unpacks to more than {mib} MiB; split the file",
        part=excerpt(part),
        mib=budget.limits.part_bytes >> 20,
    )


def _no_doctype(budget: Budget) -> Callable[..., None]:
    def refuse(*_: object) -> None:  # entity tricks (billion laughs) live in a DOCTYPE
        raise budget.refuse("import.err.doctype", "holds a DOCTYPE, which no spreadsheet has")

    return refuse


def _parser() -> Any:
    parser = expat.ParserCreate()  # no namespace processing: tags as written, "row" or "x:row"
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    return parser


def _local(tag: str) -> str:
    """The tag without its prefix: "x:row" -> "row"."""
    return tag if ":" not in tag else tag.rpartition(":")[2]


# --- which parts ----------------------------------------------------------------------------------


def _parts(book: zipfile.ZipFile, budget: Budget) -> tuple[str | None, list[tuple[str, str]], bool]:
    """The shared-string part (if any), each sheet's (name, part) in tab order, and whether
    the workbook counts its dates from 1904."""
    targets: dict[str, tuple[str, str]] = {}  # relationship id -> (type, part)

    def rel(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship":
            target = attrs.get("Target", "")
            part = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[attrs.get("Id", "")] = (attrs.get("Type", ""), part)

    parser = _parser()
    parser.StartElementHandler = rel
    _stream(book, "xl/_rels/workbook.xml.rels", budget, parser)
    order: list[tuple[str, str]] = []
    date1904 = [False]

    def sheet(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "workbookPr":
            date1904[0] = attrs.get("date1904", "").lower() in ("1", "true")
        if _local(tag) == "sheet":
            rel_id = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            kind, part = targets.get(rel_id, ("", ""))
            if kind.endswith("/worksheet"):
                order.append((attrs.get("name", part), part))

    parser = _parser()
    parser.StartElementHandler = sheet
    _stream(book, "xl/workbook.xml", budget, parser)
    strings = next((p for k, p in targets.values() if k.endswith("/sharedStrings")), None)
    return strings, order, date1904[0]


# --- the shared-string table ---------------------------------------------------------------------


def _shared_strings(book: zipfile.ZipFile, part: str, budget: Budget) -> list[str]:
    limits = budget.limits
    strings: list[str] = []
    text: list[str] = []
    state = {"in_t": False, "phonetic": 0, "length": 0, "total": 0}

    def start(tag: str, _: dict[str, str]) -> None:
        name = _local(tag)
        if name == "si":
            text.clear()
            state["length"] = 0
            if len(strings) >= limits.strings:
                raise budget.refuse(
                    "import.err.strings", "holds more than {n} different texts", n=limits.strings
                )
        elif name == "rPh":
            state["phonetic"] += 1  # the pinyin/furigana guide above a name is not the name
        elif name == "t":
            state["in_t"] = True

    def end(tag: str) -> None:
        name = _local(tag)
        if name == "si":
            strings.append("".join(text))
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "t":
            state["in_t"] = False

    def chars(data: str) -> None:
        if not state["in_t"] or state["phonetic"]:
            return
        state["length"] += len(data)
        state["total"] += len(data)
        if state["length"] > limits.cell_chars:
            raise long_cell(budget, "".join(text) + data)
        if state["total"] > limits.string_chars:
            raise budget.refuse(
                "import.err.strings_size",
                "holds more than {n} characters of text",
                n=limits.string_chars,
            )
        text.append(data)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    _stream(book, part, budget, parser)
    return strings


def long_cell(budget: Budget, text: str, row: int = 0) -> ImportFileError:
    """A cell past the length limit, quoted by its first EXCERPT characters."""
    if not row:  # in the shared-string table: no row to name yet
        return budget.refuse(
            "import.err.text",
            "a text is longer than {n} characters: “{text}”",
            n=budget.limits.cell_chars,
            text=excerpt(text),
        )
    return budget.refuse(
        "import.err.cell",
        "a cell in row {row} is longer than {n} characters: “{text}”",
        row=row,
        n=budget.limits.cell_chars,
        text=excerpt(text),
    )


# --- a worksheet ---------------------------------------------------------------------------------


@dataclass
class _Cursor:
    """Where the sheet reader is: the row and cell being read."""

    row: list[str] = field(default_factory=list)
    row_number: int = 0
    column: int = 0
    kind: str = ""
    text: list[str] = field(default_factory=list)
    length: int = 0
    reading: bool = False  # inside <v> or an inline <t>
    rows_seen: int = 0  # row elements, empty or not
    phonetic: bool = False  # inside <rPh>


def _read_sheet(
    book: zipfile.ZipFile, part: str, sheet: Sheet, strings: list[str], budget: Budget
) -> None:
    limits = budget.limits
    at = _Cursor()

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if name == "row":
            number = int(attrs["r"]) if attrs.get("r", "").isdigit() else at.row_number + 1
            at.rows_seen += 1
            if number <= at.row_number or at.rows_seen > limits.rows:
                raise _row_limit(budget, number)
            at.row_number, at.row, at.column = number, [], 0
        elif name == "c":
            at.column = _column_of(attrs.get("r", ""), at.column + 1)
            at.kind, at.length = attrs.get("t", "n"), 0
            at.text.clear()
        elif name in ("v", "t"):
            at.reading = not at.phonetic
        elif name == "rPh":
            at.phonetic = True  # the reading guide above a name is not part of it
        elif name == "mergeCell":
            if len(sheet.merged) >= limits.rows:
                raise budget.refuse(
                    "import.err.merged", "has more than {n} merged ranges", n=limits.rows
                )
            _merge(sheet, attrs.get("ref", ""), limits)

    def end(tag: str) -> None:
        name = _local(tag)
        if name in ("v", "t"):
            at.reading = False
        elif name == "rPh":
            at.phonetic = False
        elif name == "c":
            value = _value(at.kind, "".join(at.text), strings)
            if value and at.column > limits.columns:
                raise budget.refuse(
                    "import.err.columns", "has more than {n} columns", n=limits.columns
                )
            if value:
                at.row.extend([""] * (at.column - len(at.row)))
                at.row[at.column - 1] = value
        elif name == "row" and at.row:
            # Styled but empty rows and cells (Excel writes them) are skipped wherever they
            # are; a value past the last row the import takes is refused.
            if at.row_number > limits.rows:
                raise _row_limit(budget, at.row_number)
            sheet.rows.extend([] for _ in range(at.row_number - 1 - len(sheet.rows)))
            sheet.rows.append(at.row)

    def chars(data: str) -> None:
        if at.reading:
            at.length += len(data)
            if at.length > limits.cell_chars:
                raise long_cell(budget, "".join(at.text) + data, at.row_number)
            at.text.append(data)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    _stream(book, part, budget, parser)
    _fill_merged(sheet, budget)


def _row_limit(budget: Budget, number: int) -> ImportFileError:
    return budget.refuse(
        "import.err.rows", "goes on past row {n}; split the file", n=budget.limits.rows
    )


def _column_of(ref: str, default: int) -> int:
    """1 for A, 27 for AA; ``default`` when the cell has no reference (they may omit it)."""
    found = CELL_REF.fullmatch(ref)
    if found is None:
        return default
    number = 0
    for letter in found.group(1):
        number = number * 26 + ord(letter) - 64
    return number


def _value(kind: str, raw: str, strings: list[str]) -> str:
    if kind == "s":
        index = int(raw) if raw.strip().isdigit() else -1
        return strings[index].strip() if 0 <= index < len(strings) else ""
    if kind == "n" and raw:
        return _number(raw)
    if kind == "b":
        return "TRUE" if raw == "1" else "FALSE"
    return raw.strip()  # inlineStr, str (a formula's text), e (an error such as #N/A)


def _number(raw: str) -> str:
    """501 -> "501", 13800138000 typed as a number -> "13800138000" (not 1.38e10)."""
    try:
        value = float(raw)
    except ValueError:
        return raw
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return raw


def _merge(sheet: Sheet, ref: str, limits: Limits) -> None:
    first, _, last = ref.partition(":")
    a, b = CELL_REF.fullmatch(first), CELL_REF.fullmatch(last or first)
    if a is None or b is None:
        return
    r1, r2 = int(a.group(2)), int(b.group(2))
    c1, c2 = _column_of(first, 1), _column_of(last or first, 1)
    # Clipped to the limits: a merge over A1:XFD1048576 fills no more than the sheet may hold.
    sheet.merged.append((r1, c1, min(r2, limits.rows), min(c2, limits.columns)))


def _fill_merged(sheet: Sheet, budget: Budget) -> None:
    """Give every cell of a merged range the value of its top-left cell, as the clerk sees it.

    Ranges are clipped to the rows read, and all of them together may cover no more cells
    than the sheet may hold: many overlapping sheet-wide ranges are a way to make work."""
    covered = 0
    for r1, c1, r2, c2 in sheet.merged:
        if r1 > len(sheet.rows) or c1 > len(sheet.rows[r1 - 1]):
            continue
        last = min(r2, len(sheet.rows))
        covered += (last - r1 + 1) * (c2 - c1 + 1)
        if covered > budget.limits.rows * budget.limits.columns:
            raise budget.refuse(
                "import.err.merged", "has more than {n} merged ranges", n=budget.limits.rows
            )
        value = sheet.rows[r1 - 1][c1 - 1]
        for r in range(r1, last + 1):
            row = sheet.rows[r - 1]
            row.extend([""] * (c2 - len(row)))
            for c in range(c1, c2 + 1):
                row[c - 1] = row[c - 1] or value
