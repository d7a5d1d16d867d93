"""Hostile .xlsx files, made on the fly (never stored) for the tests and ``bench.office``.

Each is a valid workbook as a zip goes, built by streaming its XML into the zip so that making
a 1,000,000-row sheet costs the maker no more memory than a chunk:
  * ``many_rows``: a million numbered rows that compress to about half a megabyte;
  * ``zip_bomb``: about a megabyte that inflates a thousandfold;
  * ``huge_string``: one shared string of hundreds of megabytes;
  * ``long_text``: one shared string of incompressible letters, under every size limit, that
    only the per-cell limit can stop.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterable, Iterator

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = f"{REL}/worksheet"
STRINGS_TYPE = f"{REL}/sharedStrings"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}{strings}</Types>"
)


def workbook(
    sheets: list[tuple[str, Iterable[str]]], strings: Iterable[str] | None = None
) -> bytes:
    """A workbook of named sheets, each given as the chunks of its ``<sheetData>`` content
    (and anything after it, such as ``<mergeCells>``), with an optional shared-string table
    given as the chunks of its ``<si>`` entries."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        table = (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if strings is not None
            else ""
        )
        book.writestr("[Content_Types].xml", CONTENT_TYPES.format(sheets=overrides, strings=table))
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        names = "".join(
            f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
            for n, (name, _) in enumerate(sheets, start=1)
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{names}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{SHEET_TYPE}" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        if strings is not None:
            rels += f'<Relationship Id="rIdS" Type="{STRINGS_TYPE}" Target="sharedStrings.xml"/>'
        book.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{rels}</Relationships>'
        )
        for n, (_, body) in enumerate(sheets, start=1):
            _stream(
                book,
                f"xl/worksheets/sheet{n}.xml",
                [f'<worksheet xmlns="{MAIN}"><sheetData>', *_sheet_body(body), "</worksheet>"],
            )
        if strings is not None:
            _stream(book, "xl/sharedStrings.xml", [f'<sst xmlns="{MAIN}">', *strings, "</sst>"])
    return out.getvalue()


def _sheet_body(chunks: Iterable[str]) -> Iterator[str]:
    """The sheet's rows, then ``</sheetData>`` before any chunk that starts with a merge list."""
    closed = False
    for chunk in chunks:
        if chunk.startswith("<mergeCells") and not closed:
            yield "</sheetData>"
            closed = True
        yield chunk
    if not closed:
        yield "</sheetData>"


def _stream(book: zipfile.ZipFile, name: str, chunks: Iterable[str]) -> None:
    with book.open(name, "w", force_zip64=True) as part:
        for chunk in chunks:
            part.write(chunk.encode("utf-8"))


def rows_xml(rows: Iterable[list[str]]) -> Iterator[str]:
    """Rows of inline-string cells, numbered from 1 (an empty cell is left out)."""
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{_column(i)}{number}" t="inlineStr"><is><t>{_escape(v)}</t></is></c>'
            for i, v in enumerate(row)
            if v
        )
        yield f'<row r="{number}">{cells}</row>'


def many_rows(count: int = 1_000_000) -> bytes:
    """A sheet of ``count`` rows, each one number: the header is never even found."""

    def chunks() -> Iterator[str]:
        for start in range(1, count + 1, 10_000):
            yield "".join(
                f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'
                for n in range(start, min(start + 10_000, count + 1))
            )

    return workbook([("Sheet1", chunks())])


def zip_bomb(inflated_mib: int = 1000) -> bytes:
    """One sheet whose single row is ``inflated_mib`` MiB of the same cell."""
    cell = '<c t="inlineStr"><is><t>x</t></is></c>' * 1024
    block = cell * (2**20 // len(cell) + 1)

    def chunks() -> Iterator[str]:
        yield '<row r="1">'
        for _ in range(inflated_mib):
            yield block[: 2**20]
        yield "</row>"

    return workbook([("Sheet1", chunks())])


def huge_string(mib: int = 500) -> bytes:
    """A header row and a row naming shared string 0, which is ``mib`` MiB of one letter."""

    def strings() -> Iterator[str]:
        yield "<si><t>"
        for _ in range(mib):
            yield "a" * 2**20
        yield "</t></si>"

    row = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return workbook([("Sheet1", [row])], strings())


def long_text(chars: int = 2_000_000, seed: int = 18) -> bytes:
    """A shared string of random letters: it compresses too little for any size limit."""
    letters = random.Random(seed).choices("abcdefghijklmnopqrstuvwxyz", k=chars)
    row = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return workbook([("Sheet1", [row])], ["<si><t>", "".join(letters), "</t></si>"])


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
