"""The cells of a spreadsheet file a clerk uploads: .xlsx (server.xlsxread, streamed and
bounded) or .csv in UTF-8 or GBK, every cell NFKC-normalised, as rows of text.

The same limits hold for both kinds and for the web page and the command line alike.
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from server import xlsxread
from server.xlsxread import DEFAULT as LIMITS
from server.xlsxread import ImportFileError, Limits, excerpt

MAX_FILE_BYTES = 8 * 1024 * 1024
HEADER_SEARCH = 10  # title rows ("幸福小区住户名单 2026") may sit above the header


@dataclass(frozen=True, slots=True)
class Cells:
    """A file's rows as text cells (row 1 first), how it was read and, for a workbook, which
    sheet out of which and whether its date cells (day numbers) count from 1904."""

    rows: list[list[str]]
    how: str  # "xlsx", "utf-8" or "gbk"
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    date1904: bool = False


def read_cells(
    data: bytes, filename: str, sheet: str | None = None, limits: Limits = LIMITS
) -> Cells:
    """The file's cells, NFKC-normalised (full-width digits and spaces become plain ones)."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            "import.err.too_large",
            "{filename}: larger than {mib} MiB; split it",
            filename=filename,
            mib=MAX_FILE_BYTES >> 20,
        )
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        book = xlsxread.read_book(data, filename, sheet or None, limits)
        rows = [[_normal(c) for c in row] for row in book.sheet.rows]
        return Cells(rows, "xlsx", book.sheet.name, tuple(book.names), book.date1904)
    if suffix == ".csv":
        text, encoding = decode_csv(data, filename)
        return Cells(list(_csv_rows(text, filename, limits)), encoding)
    raise ImportFileError(
        "import.err.kind",
        "{filename}: import reads .xlsx or .csv files (save the sheet as one)",
        filename=excerpt(filename),
    )


def _normal(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip()


def _csv_rows(text: str, filename: str, limits: Limits) -> Iterator[list[str]]:
    """The CSV's rows, refused at the first one past a limit (the file size bounds the rest)."""
    budget = xlsxread.Budget(filename, limits)
    for number, row in enumerate(_records(text, budget), start=1):
        if number > limits.rows:
            raise budget.refuse(
                "import.err.rows", "goes on past row {n}; split the file", n=limits.rows
            )
        if len(row) > limits.columns and any(row[limits.columns :]):
            raise budget.refuse("import.err.columns", "has more than {n} columns", n=limits.columns)
        for cell in row:
            if len(cell) > limits.cell_chars:
                raise xlsxread.long_cell(budget, cell, number)
        yield [_normal(c) for c in row[: limits.columns]]


def _records(text: str, budget: xlsxread.Budget) -> Iterator[list[str]]:
    """csv.reader's rows; lines end in CR LF, LF or a lone CR (as Excel for the Mac saves
    CSV), and a cell past csv's own limit (131,072 characters) is refused as too long."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = lines = 0
    try:
        for row in reader:
            rows, lines = rows + 1, reader.line_num
            yield row
    except csv.Error:
        raise xlsxread.long_cell(budget, _line(text, lines), rows + 1) from None


def _line(text: str, index: int) -> str:
    """Line ``index`` (from 0) of ``text`` as csv.reader is given it."""
    return next(itertools.islice(io.StringIO(text, newline=""), index, None), "")


def decode_csv(data: bytes, filename: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM) when it decodes as such, else GBK (Excel's Chinese CSV)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"  # gb18030 is GBK's superset: reads every GBK file
    except UnicodeDecodeError:
        raise ImportFileError(
            "import.err.encoding",
            "{filename}: neither UTF-8 nor GBK text; save it as CSV UTF-8",
            filename=excerpt(filename),
        ) from None


def find_header(
    cells: list[list[str]],
    filename: str,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
    shown: str,
) -> tuple[int, dict[str, int]]:
    """The header row and which column holds which field: the first of the top HEADER_SEARCH
    non-blank rows naming every ``required`` column (a header cell names field ``k`` when it
    holds one of ``columns[k]``'s words); ``shown`` is how the refusal names the columns."""
    looked = 0
    for index, row in enumerate(cells):
        if not any(row):
            continue
        found: dict[str, int] = {}
        for position, cell in enumerate(row):
            key = _column_of(cell, columns)
            if key is not None and key not in found:
                found[key] = position
        if all(k in found for k in required):
            return index, found
        looked += 1
        if looked == HEADER_SEARCH:
            break
    if not looked:
        raise ImportFileError(
            "import.err.empty", "{filename}: the file is empty", filename=excerpt(filename)
        )
    raise ImportFileError(
        "import.err.header",
        "{filename}: no header row with the columns {columns} in its first {n} rows "
        "(download the template)",
        filename=excerpt(filename),
        columns=shown,
        n=HEADER_SEARCH,
    )


def _column_of(cell: str, columns: Mapping[str, Sequence[str]]) -> str | None:
    text = cell.strip().lower()
    return next((k for k, words in columns.items() if any(w in text for w in words)), None)


def at(row: list[str], index: int) -> str:
    """The row's cell at ``index``, or "" past its end."""
    return row[index].strip() if index < len(row) else ""


def past_rows(filename: str, rows: int) -> ImportFileError:
    """The refusal of a file with more than ``rows`` rows to import."""
    return ImportFileError(
        "import.err.rows",
        "{filename}: goes on past row {n}; split the file",
        filename=excerpt(filename),
        n=rows,
    )
