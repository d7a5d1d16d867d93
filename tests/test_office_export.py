"""Export for spreadsheets: local days and times, names, flats and colours, .xlsx or CSV+BOM."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from kiosk.model import RiskColour
from server import office as office_ops
from server.cli import main
from server.exc import ServerConfigError
from server.export import HEADER, export_events
from server.local import Office
from server.models import Holder, Household
from tests.office_data import add_event, db_of
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)

DAY = date(2020, 2, 10)
# Shanghai's 10 February runs from 16:00 UTC on the 9th to 16:00 UTC on the 10th.
BEFORE = datetime(2020, 2, 9, 15, 59, 59, tzinfo=UTC)
MIDNIGHT = datetime(2020, 2, 9, 16, 0, 0, tzinfo=UTC)
AFTERNOON = datetime(2020, 2, 10, 7, 30, 5, 123456, tzinfo=UTC)
NEXT_DAY = datetime(2020, 2, 10, 16, 0, 0, tzinfo=UTC)


@pytest.fixture
def office(database_url: str) -> Office:  # noqa: F811
    office = Office.open(database_url)
    office.add_compound("c1", "幸福小区")
    office.add_household("c1-3-2-501", "c1", RiskColour.RED)
    with office.session() as s:
        household = s.get(Household, "c1-3-2-501")
        assert household is not None
        household.building, household.unit, household.room = "3", "2", "501"
    holder = office.add_resident("张伟", "c1-3-2-501")
    with office.session() as s:
        row, _ = office_ops.issue_resident_pass(s, holder, at=BEFORE)
        pass_id = row.pass_id
    for at in (BEFORE, MIDNIGHT, AFTERNOON, NEXT_DAY):
        add_event(
            office,
            "c1",
            at,
            verdict="allow",
            direction="out",
            pass_id=pass_id,
            household_id="c1-3-2-501",
            temperature_c=36.44,
        )
    add_event(office, "c2", AFTERNOON)  # another compound's gate: never in c1's export
    return office


def rows_of_xlsx(data: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def test_xlsx_holds_the_local_day_with_names_flats_and_colours(office: Office) -> None:
    with office.session() as s:
        found = export_events(s, "c1", DAY, DAY, "xlsx")
    header, *rows = rows_of_xlsx(found.data)
    assert header == HEADER
    # Date-time cells in Shanghai's time, to the second.
    assert [r[0] for r in rows] == [
        datetime(2020, 2, 10, 0, 0, 0),
        datetime(2020, 2, 10, 15, 30, 5),
    ]
    first = dict(zip(HEADER, rows[0], strict=True))
    assert first["姓名 name"] == "张伟"
    assert first["房号 flat"] == "3-2-501"
    assert (first["颜色 colour"], first["结果 verdict"], first["方向 direction"]) == (
        "红色",
        "放行",
        "出",
    )
    assert first["体温 °C"] == 36.4
    assert found.filename == "幸福小区 2020-02-10~2020-02-10.xlsx"


def test_csv_has_a_bom_so_excel_reads_the_chinese(office: Office) -> None:
    with office.session() as s:
        found = export_events(s, "c1", DAY, DAY, "csv")
    assert found.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(found.data.decode("utf-8-sig"))))
    assert rows[0] == HEADER and len(rows) == 3 and rows[1][8] == "张伟"


def test_no_time_is_written_in_utc_or_with_microseconds(office: Office) -> None:
    with office.session() as s:
        text = export_events(s, "c1", DAY, date(2020, 2, 11), "csv").data.decode("utf-8-sig")
    assert "+00:00" not in text and "123456" not in text
    assert re.search(r"\d{4}-\d\d-\d\dT\d", text) is None  # no ISO timestamps


@pytest.mark.parametrize(
    ("first", "last", "fmt", "words"),
    [
        (DAY, date(2020, 2, 9), "xlsx", "ends"),
        (DAY, DAY, "pdf", "choose xlsx or csv"),
        (date(2019, 1, 1), date(2020, 6, 1), "xlsx", "at most 366 days"),
        # local midnight of these days is outside Python's calendar in UTC: was a 500
        (date(1, 1, 1), date(1, 1, 2), "xlsx", "from 2000-01-01 to 2999-12-31"),
        (date(9999, 12, 30), date(9999, 12, 31), "csv", "from 2000-01-01 to 2999-12-31"),
    ],
)
def test_bad_requests_are_refused_clearly(
    office: Office, first: date, last: date, fmt: str, words: str
) -> None:
    with office.session() as s, pytest.raises(ServerConfigError, match=words):
        export_events(s, "c1", first, last, fmt)


def test_cli_export_writes_the_file(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, out = db_of(office), tmp_path / "log.xlsx"
    args = ["--db", db, "export", "--compound", "c1", "--from", "2020-02-10", "--to", "2020-02-10"]
    assert main([*args, "--out", str(out)]) == 0
    assert "2 event(s) of c1" in capsys.readouterr().out
    assert len(rows_of_xlsx(out.read_bytes())) == 3
    with pytest.raises(SystemExit):  # argparse: "'10.2.2020' is not a date such as 2020-02-24"
        main([*args[:-1], "10.2.2020", "--out", str(out)])
    assert "is not a date such as" in capsys.readouterr().err


def test_codes_are_words_in_the_clerks_language(office: Office) -> None:
    with office.session() as s:
        english = export_events(s, "c1", DAY, DAY, "csv", "en").data.decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(english)))[1]
    assert (row[4], row[9]) == ("allowed", "red")


FORMULAS = ['=HYPERLINK("http://evil.example/","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("name", FORMULAS)
def test_a_name_typed_as_a_formula_stays_text_in_both_files(office: Office, name: str) -> None:
    """OWASP CSV injection: the CSV cell gets a leading apostrophe; the .xlsx cell is a string."""
    with office.session() as s:
        s.execute(update(Holder).values(name=name))
    with office.session() as s:
        text = export_events(s, "c1", DAY, DAY, "csv").data.decode("utf-8-sig")
        book = export_events(s, "c1", DAY, DAY, "xlsx").data
    assert list(csv.reader(io.StringIO(text)))[1][8] == "'" + name
    sheet = load_workbook(io.BytesIO(book)).worksheets[0]
    # XML reads a carriage return back as a line feed; the cell is text either way.
    assert (sheet["I2"].value, sheet["I2"].data_type) == (name.replace("\r", "\n"), "s")
    with zipfile.ZipFile(io.BytesIO(book)) as parts:
        assert b"<f>" not in parts.read("xl/worksheets/sheet1.xml")
