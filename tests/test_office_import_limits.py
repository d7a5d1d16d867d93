"""A hostile spreadsheet is refused while it is read, within about a second and a few megabytes,
with words in the clerk's language that quote at most a short excerpt; the web page and the
command line apply the same limits. The files are made here, never stored."""

from __future__ import annotations

import base64
import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import pytest

from bench import hostile_xlsx
from server import importer, xlsxread
from server.cli import main
from server.importer import ImportFileError
from tests.office_data import db_of
from tests.webtools import CSRF, World, confirm_fields, make_world

SECONDS = 1.0  # "about a second", of this thread's CPU: other work on the machine adds none
PEAK_MIB = 32


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {
        "rows": hostile_xlsx.many_rows(1_000_000),
        "bomb": hostile_xlsx.zip_bomb(200),
        "huge": hostile_xlsx.huge_string(200),
        "long": hostile_xlsx.long_text(2_000_000),
    }


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("rows", "import.err.rows"),
        ("bomb", "import.err.part_size"),
        ("huge", "import.err.part_size"),
        ("long", "import.err.text"),
    ],
)
def test_a_hostile_file_is_refused_quickly_in_little_memory(
    files: dict[str, bytes], kind: str, key: str
) -> None:
    started = time.thread_time()
    with pytest.raises(ImportFileError) as refused:
        importer.preview(files[kind], "hostile.xlsx")
    took = time.thread_time() - started
    tracemalloc.start()  # a second read, traced: tracing slows the first one's clock
    try:
        with pytest.raises(ImportFileError):
            importer.preview(files[kind], "hostile.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.key == key
    assert took < SECONDS, f"{kind}: refused after {took:.2f} s"
    assert peak < PEAK_MIB * 2**20, f"{kind}: {peak >> 20} MiB to refuse"
    assert len(str(refused.value)) < 200  # never the whole cell


def test_a_long_cell_in_a_sheet_is_quoted_by_an_excerpt_only() -> None:
    rows = [["楼栋", "单元", "房号", "姓名"], ["1", "1", "101", "张" * 5000]]
    data = hostile_xlsx.workbook([("S", hostile_xlsx.rows_xml(rows))])
    with pytest.raises(ImportFileError) as refused:
        importer.preview(data, "h.xlsx")
    assert refused.value.key == "import.err.cell"
    assert refused.value.values["row"] == 2
    assert refused.value.values["text"] == "张" * xlsxread.EXCERPT + "…"


def test_a_sheet_past_the_column_limit_is_refused_at_that_cell() -> None:
    rows = [["楼栋", "单元", "房号", *["x"] * 100]]
    data = hostile_xlsx.workbook([("S", hostile_xlsx.rows_xml(rows))])
    with pytest.raises(ImportFileError) as refused:
        importer.preview(data, "h.xlsx")
    assert refused.value.key == "import.err.columns"


def test_entity_declarations_are_refused_before_they_expand() -> None:
    """A billion-laughs DOCTYPE: no spreadsheet has one, so none is read."""
    laughs = '<!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    data = hostile_xlsx.workbook([("S", [])])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            body = old.read(item)
            if item.filename == "xl/workbook.xml":
                body = laughs.encode() + body
            new.writestr(item, body)
    with pytest.raises(ImportFileError) as refused:
        importer.preview(out.getvalue(), "h.xlsx")
    assert refused.value.key == "import.err.doctype"


def ticking(step: float) -> Callable[[], float]:
    """A clock that moves ``step`` seconds each time it is read."""
    moments: Iterator[int] = count()
    return lambda: next(moments) * step


def test_reading_stops_when_the_time_limit_passes() -> None:
    rows = [["楼栋", "单元", "房号"], *([str(n), "1", "101"] for n in range(1, 20_000))]
    data = hostile_xlsx.workbook([("S", hostile_xlsx.rows_xml(rows))])
    with pytest.raises(ImportFileError) as refused:
        xlsxread.read_book(data, "h.xlsx", clock=ticking(1.0), limits=xlsxread.Limits(seconds=3))
    assert refused.value.key == "import.err.slow"


def test_a_csv_past_the_row_limit_is_refused() -> None:
    data = ("楼栋,单元,房号\n" + "1,1,101\n" * 30_000).encode()
    with pytest.raises(ImportFileError) as refused:
        importer.preview(data, "h.csv")
    assert refused.value.key == "import.err.rows"


@pytest.mark.parametrize("head", ["楼栋,单元,房号\n1,1,101\n", ""])
def test_a_csv_cell_past_the_csv_modules_own_limit_is_a_long_cell(head: str) -> None:
    data = (head + '1,1,"' + "x" * 200_000 + '"\n').encode()
    with pytest.raises(ImportFileError) as refused:
        importer.preview(data, "h.csv")
    assert refused.value.key == "import.err.cell"
    assert refused.value.values["row"] == head.count("\n") + 1
    assert refused.value.values["text"] == '1,1,"' + "x" * 15 + "…"


def test_a_csv_with_lines_ending_in_a_lone_cr_is_read() -> None:
    data = "楼栋,单元,房号,姓名,手机\r1,1,101,张三,13800000001\r1,1,102,,\r".encode()
    assert len(importer.preview(data, "mac.csv").rows) == 2


def test_the_import_page_refuses_a_bomb_in_chinese_with_a_short_page(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    world: World = make_world(tmp_path / "office")
    clerk = world.client("clerk1")
    reply = clerk.post(
        "/office/c/c1/import",
        data={"csrf": CSRF},
        files={"file": ("h.xlsx", files["huge"], importer.XLSX_TYPE)},
    )
    assert reply.status_code == 400
    assert "解压后超过 64 MiB" in reply.text
    assert len(reply.content) < 64 * 1024


@pytest.mark.parametrize(
    ("page", "head", "row", "done"),
    [
        ("import", "楼栋,单元,房号,姓名,手机,备注", "1,1,101,,,", 'id="import-done"'),
        ("risk", "车牌,地区,到访日期,备注", "京A12345,甲区,2026-02-08,", "已导入"),
    ],
    ids=["households", "risk_list"],
)
def test_a_file_past_a_mib_is_confirmed_as_it_was_checked(
    tmp_path: Path, page: str, head: str, row: str, done: str
) -> None:
    """The confirm form carries the file back in base64, a third larger than the file."""
    data = "\n".join([head] + [row + "备" * 160] * 2_200).encode()
    assert len(base64.b64encode(data)) > 2**20
    clerk = make_world(tmp_path / "office").client("clerk1")
    files = {"file": ("big.csv", data, "text/csv")}
    checked = clerk.post(f"/office/c/c1/{page}", data={"csrf": CSRF}, files=files)
    assert checked.status_code == 200, checked.text
    confirmed = clerk.post(f"/office/c/c1/{page}/confirm", data=confirm_fields(checked.text))
    assert confirmed.status_code == 200, confirmed.text
    assert done in confirmed.text


def test_the_cli_import_applies_the_same_limits(
    tmp_path: Path, files: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    world: World = make_world(tmp_path / "office")
    sheet = tmp_path / "rows.xlsx"
    sheet.write_bytes(files["rows"])
    started = time.thread_time()
    assert main(["--db", db_of(world.office), "import", str(sheet), "--dry-run"]) != 0
    assert time.thread_time() - started < SECONDS
    assert "goes on past row" in capsys.readouterr().err


def test_styled_empty_cells_and_rows_far_away_are_not_refused() -> None:
    """Excel writes a formatted cell or row even when it is empty: that is not data."""
    rows = list(hostile_xlsx.rows_xml([["楼栋", "单元", "房号"], ["3", "2", "501"]]))
    far = '<row r="1048576" s="1" customFormat="1"><c r="XFD1048576" s="1"/></row>'
    data = hostile_xlsx.workbook([("S", [*rows, far])])
    assert [r.flat.label for r in importer.preview(data, "h.xlsx").rows] == ["3-2-501"]
