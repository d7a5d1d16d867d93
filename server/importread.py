"""The cells of a spreadsheet file a clerk uploads: .xlsx (server.xlsxread, streamed and
bounded) or .csv in UTF-8 or GBK, every cell NFKC-normalised, as rows of text.

The same limits hold for both kinds and for the web page and the command line alike.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from server import xlsxread
from server.xlsxread import DEFAULT as LIMITS
from server.xlsxread import ImportFileError, Limits, excerpt

MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Cells:
    """A file's rows as text cells (row 1 first), how it was read and, for a workbook, which
    sheet out of which."""

    rows: list[list[str]]
    how: str  # "xlsx", "utf-8" or "gbk"
    sheet: str = ""
    sheets: tuple[str, ...] = ()


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
        return Cells(rows, "xlsx", book.sheet.name, tuple(book.names))
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
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
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
