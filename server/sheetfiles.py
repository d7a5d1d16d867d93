"""Writing spreadsheets people open in Excel or WPS: every cell is data, never code.

A name typed at sign-up as ``=HYPERLINK("http://…","click")`` must reach the clerk's file as
those characters, not as a live formula. In CSV, cells that start with ``= + - @``, a tab or a
carriage return get a leading apostrophe, as OWASP's "CSV Injection" page advises (the
spreadsheet then shows the text and evaluates nothing). In .xlsx, text is written as a string
cell (type ``s``) whatever it starts with, numbers as numbers and times as date-time cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CSV_TIME = "%Y-%m-%d %H:%M:%S"


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell that no spreadsheet reads as a formula."""
    if isinstance(value, datetime):
        return value.strftime(CSV_TIME)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """CSV in UTF-8 with a BOM: Excel opens it with the Chinese intact."""
    stream = io.StringIO()
    csv.writer(stream).writerows([csv_cell(v) for v in row] for row in rows)
    return stream.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: Iterable[Sequence[object]], *, title: str) -> bytes:
    """A one-sheet workbook; text is a string cell (phone numbers and rooms keep their zeros,
    a leading ``=`` stays text), numbers are numbers and naive datetimes date-time cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would make "=…" a formula
            elif isinstance(value, datetime):
                cell.number_format = TIME_FORMAT
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
